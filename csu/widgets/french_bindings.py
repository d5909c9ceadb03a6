"""Textual's own widgets in French where the footer shows their keys.

Textual describes the few keys it shows in English (an open Select's list: « esc
Dismiss menu »). The descriptions are replaced once, when the app is imported;
tests/screens/test_french_bindings.py fails if a Textual upgrade shows another one.
"""

from textual.binding import Binding
from textual.widgets._select import SelectOverlay

FRENCH: dict[tuple[str, str], str] = {
    ("SelectOverlay", "escape"): "Fermer la liste",
}
"""(widget class, key) -> the French description shown in the footer."""


def frenchify() -> None:
    """Give every shown key of Textual's widgets listed in ``FRENCH`` its French words."""
    SelectOverlay.BINDINGS = [
        Binding("escape", "dismiss", FRENCH[("SelectOverlay", "escape")]),
    ]
    # Textual merges a class's bindings once, when the class is created.
    SelectOverlay._merged_bindings = SelectOverlay._merge_bindings()


frenchify()
