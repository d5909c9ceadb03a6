"""F1: the keys of the screen below, and of the whole application."""

from textual.actions import parse
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
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                if binding.key in seen or not self._allowed(source, binding.action):
                    continue
                seen.add(binding.key)
                table.add_row(
                    self.app.get_key_display(binding), binding.description, binding.id or ""
                )
        table.add_row("ctrl+p", "Palette de commandes", "")

    @staticmethod
    def _allowed(source: object, action: str) -> bool:
        """Keys of screens the operator's role may not open are left out."""
        _, name, parameters = parse(action)
        check = getattr(source, "check_action", None)
        return check is None or check(name, parameters) is not False
