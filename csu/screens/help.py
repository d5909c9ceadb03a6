"""F1: the keys of the screen below, and of the whole application."""

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1", "dismiss", "Fermer", id="close")]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self._below = below

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("Touches — Échap pour fermer", id="help-title")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Touche", "Action", "Identifiant")
        seen: set[str] = set()
        for source in (self._below, self.app):
            for binding in source.BINDINGS:
                if isinstance(binding, Binding) and binding.description and binding.key not in seen:
                    seen.add(binding.key)
                    keys = self.app.get_key_display(binding)
                    table.add_row(keys, binding.description, binding.id or "")
        table.add_row("ctrl+p", "Palette de commandes", "")
