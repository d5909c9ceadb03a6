"""Tab and Maj+Tab that move the focus as soon as they are read, for windows with fields.

Textual hands each key to the widget focused when the app reads it, and a plain Tab
binding moves the focus only once the field has handled the Tab and passed it up. A
password manager's auto-type (or a fast typist) sends « login, Tab, password » in one
burst: the keys after the Tab are read before the focus moves, and all the text lands
in the first field. As priority bindings, Tab and Maj+Tab move the focus when the app
reads them, before it reads the next key (bursts tested in tests/screens/test_login.py
and test_operators_screen.py). Entrée that moves on to the next field is read the same
way (``ENTER_MOVES_ON``, ``move_on``).
"""

from collections.abc import Mapping
from typing import Any

from textual.actions import SkipAction
from textual.binding import Binding
from textual.screen import Screen

FOCUS_KEYS: list[Binding] = [
    Binding("tab", "app.focus_next", "Champ suivant", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", "Champ précédent", show=False, priority=True),
]

# Entrée as the app reads it: the screen's ``action_move_on`` calls ``move_on``.
ENTER_MOVES_ON = Binding("enter", "move_on", show=False, priority=True)


def move_on(screen: Screen[Any], following: Mapping[str, str]) -> None:
    """From a field named in ``following``, on to the field it names, at once (a field's
    ``focus()`` would wait behind the keys already read); from anywhere else, Entrée
    does what it always does there."""
    focused = screen.focused
    target = following.get(focused.id or "") if focused is not None else None
    if target is None:
        raise SkipAction()
    screen.set_focus(screen.query_one(f"#{target}"))
