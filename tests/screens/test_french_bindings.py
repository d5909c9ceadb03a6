"""The footer speaks French: every key Textual's own widgets show there has French words
(csu/widgets/french_bindings.py), even after a Textual upgrade adds one."""

import inspect

import textual.widgets
from textual.binding import Binding
from textual.widgets._select import SelectOverlay

from csu.widgets.french_bindings import FRENCH


def shown_keys() -> dict[tuple[str, str], str]:
    """(widget class, key) -> description of every binding Textual's widgets show."""
    classes = [
        value for value in vars(textual.widgets).values() if inspect.isclass(value)
    ] + [SelectOverlay]
    found: dict[tuple[str, str], str] = {}
    for widget in classes:
        merged = widget._merged_bindings
        for bindings in merged.key_to_bindings.values() if merged else ():
            for item in bindings:
                if isinstance(item, Binding) and item.show and item.description:
                    found[(widget.__name__, item.key)] = item.description
    return found


def test_every_key_textual_shows_in_the_footer_has_french_words() -> None:
    untranslated = {key: words for key, words in shown_keys().items() if FRENCH.get(key) != words}
    assert untranslated == {}


def test_an_open_select_list_is_closed_with_escape_in_french() -> None:
    assert shown_keys()[("SelectOverlay", "escape")] == "Fermer la liste"
