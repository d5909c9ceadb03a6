"""The supervisors' alerts: each line names what looks wrong; Entrée opens the journal
review filtered to the entries behind it.

The list names voters (matricules): it is read when the screen opens and on F5, and
each reading is journalled, never polled. The app notifies new alerts to logged-in
supervisors and administrators without naming voters (csu.app, ``_watch_alerts``).
"""


from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from csu.domain.clock import to_paris
from csu.screens.base import CsuScreen
from csu.services.alerts import AlertView, review_alerts
from csu.widgets.shell_header import ShellHeader

COLUMNS = ("Heure", "Type", "Alerte", "Électeur", "Entrées")


def row_of(view: AlertView) -> tuple[str, ...]:
    alert = view.alert
    return (
        f"{to_paris(alert.at):%d/%m %H:%M}",
        alert.kind_label,
        alert.title,
        view.matricule or "",
        str(len(alert.seqs)),
    )


class AlertsScreen(CsuScreen[None]):
    """The alerts of the last 24 hours (7 days for shared contacts), newest first."""

    DEFAULT_CSS = """
    AlertsScreen #alerts-title { text-style: bold; padding: 0 1; }
    AlertsScreen #alerts-status { padding: 0 1; color: $text-muted; }
    AlertsScreen #alerts-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="alerts-back"),
        Binding("f5", "refresh", "Actualiser", id="alerts-refresh"),
        Binding("enter", "open_entries", "Voir les entrées", id="alerts-open", show=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[AlertView] = []

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static("Alertes", id="alerts-title")
        yield Static("Chargement des alertes…", id="alerts-status")
        yield DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#alerts-table", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="alerts-list", exit_on_error=False)
    def load(self) -> None:
        who = self.app.operator
        if who is None:
            return
        found = review_alerts(self.app.deps, who)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, found)

    def _show(self, found: list[AlertView]) -> None:
        self.alerts = found
        table = self.query_one("#alerts-table", DataTable)
        table.clear()
        for view in found:
            table.add_row(*row_of(view), key=view.alert.key)
        status = (
            f"{len(found)} alerte(s). Entrée : voir les entrées du journal ; F5 : actualiser "
            "(la consultation est journalisée)."
            if found
            else "Aucune alerte."
        )
        self.query_one("#alerts-status", Static).update(status)

    @on(DataTable.RowSelected, "#alerts-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.cursor_row)

    def action_open_entries(self) -> None:
        self._open(self.query_one("#alerts-table", DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if not 0 <= row < len(self.alerts):
            return
        # Imported here: the journal review is a screen of its own, loaded when used.
        from csu.screens.journal import JournalScreen
        from csu.services.journal_review import ReviewFilter

        seqs = self.alerts[row].alert.seqs
        if not seqs:  # a platform that never sent a batch: nothing to review
            self.notify("Aucune entrée du journal derrière cette alerte.", severity="warning")
            return
        self.app.push_screen(JournalScreen(where=ReviewFilter(seqs=seqs)))
