"""Tab and Maj+Tab that move the focus as soon as they are read, for windows with fields.

Textual hands each key to the widget focused when the app reads it, and a plain Tab
binding moves the focus only once the field has handled the Tab and passed it up. A
password manager's auto-type (or a fast typist) sends « login, Tab, password » in one
burst: the keys after the Tab are read before the focus moves, and all the text lands
in the first field. As priority bindings, Tab and Maj+Tab move the focus when the app
reads them, before it reads the next key (bursts tested in tests/screens/test_login.py
and test_operators_screen.py).
"""

from textual.binding import Binding

FOCUS_KEYS: list[Binding] = [
    Binding("tab", "app.focus_next", "Champ suivant", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", "Champ précédent", show=False, priority=True),
]
