"""The supervisors' alerts: each line names what looks wrong; Entrée opens the journal
review filtered to the entries behind it, or, for an escalated case past its deadline,
the queue of escalated cases (F10) with that case selected. Below the list, what to do
about the alert under the cursor, when its rule says (the journal's own alarms: a
checkpoint refused, an entry set aside from the queue).

The list names voters (matricules): it is read when the screen opens and on F5, and
each reading is journalled, never polled. The app notifies new alerts to logged-in
supervisors and administrators without naming voters (csu.app, ``_watch_alerts``).
"""

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist
from textual.worker import get_current_worker

from csu.domain.clock import to_paris
from csu.domain.plural import counted
from csu.screens.base import CsuScreen, WorkFailed
from csu.services.alerts import AlertView, review_alerts
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.shell_header import ShellHeader

if TYPE_CHECKING:
    from csu.screens.escalations import EscalationsScreen

# Fitted to the terminal, the alert's title giving way first with « … » (at 80 columns the
# table was cut at its edge, the voter and the count out of sight): the line below the
# table gives the title of the alert under the cursor whole.
COLUMNS = (
    Fit("Heure"), Fit("Type", 8), Fit("Alerte", 12, gives_way_first=True), Fit("Électeur"),
    Fit("Entrées"),
)


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
    AlertsScreen #alerts-advice { padding: 0 1; height: auto; max-height: 9; display: none; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="alerts-back"),
        Binding("f5", "refresh", "Actualiser", id="alerts-refresh"),
        # Priority: before the table's own Entrée, so that the footer names it.
        Binding("enter", "open_alert", "Ouvrir", id="alerts-open", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[AlertView] = []

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static("Alertes", id="alerts-title", markup=False)
        yield Static("Chargement des alertes…", id="alerts-status", markup=False)
        yield FittedTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="alerts-advice", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#alerts-table", FittedTable)
        table.set_columns(*COLUMNS)
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
        table = self.query_one("#alerts-table", FittedTable)
        table.show_rows((view.alert.key, row_of(view)) for view in found)
        status = (
            f"{counted(len(found), 'alerte')}. Entrée : voir les entrées du journal (pour un "
            "dossier escaladé en retard, le dossier dans la file des escalades) ; F5 : actualiser "
            "(la consultation est journalisée)."
            if found
            else "Aucune alerte."
        )
        self.query_one("#alerts-status", Static).update(status)
        self._advise(table.cursor_row)

    @on(DataTable.RowHighlighted, "#alerts-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._advise(event.cursor_row)

    def _advise(self, row: int) -> None:
        """The alert at ``row`` in full (the table cuts a long title with « … » on a
        narrow terminal) and what to do about it, where its rule says."""
        alert = self.alerts[row].alert if 0 <= row < len(self.alerts) else None
        shown = self.query_one("#alerts-advice", Static)
        if alert is None:
            shown.display = False
            return
        advice = f"\nQue faire : {alert.advice}" if alert.advice else ""
        shown.update(f"{alert.title}{advice}")
        shown.display = True

    @on(DataTable.RowSelected, "#alerts-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.cursor_row)

    def action_open_alert(self) -> None:
        self._open(self.query_one("#alerts-table", DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if not 0 <= row < len(self.alerts):
            return
        alert = self.alerts[row].alert
        if alert.escalation_case is not None:
            self._open_case(alert.escalation_case)
            return
        # Imported here: the journal review is a screen of its own, loaded when used.
        from csu.screens.journal import JournalScreen
        from csu.services.journal_review import ReviewFilter

        if not alert.seqs:  # a platform that never sent a batch: nothing to review
            self.notify("Aucune entrée du journal derrière cette alerte.", severity="warning")
            return
        self.app.push_screen(JournalScreen(ReviewFilter(seqs=alert.seqs), about=alert.title))

    def _open_case(self, case_id: int) -> None:
        """The queue of escalated cases, as F10 opens it (the app checks the role and
        says why when refused), then the case selected once the queue has loaded."""
        from csu.screens.escalations import EscalationsScreen

        self.app.action_desk("escalations")
        queue = self.app.screen
        if isinstance(queue, EscalationsScreen):
            # Runs on the queue after its mount, which starts its loading.
            queue.call_later(select_when_loaded, queue, case_id)


def select_when_loaded(queue: "EscalationsScreen", case_id: int) -> None:
    """Selects case ``case_id`` in the queue once it has shown its cases: at once if it
    has, else after the next message the queue handles once loaded (the end of its
    loading worker posts one). The queue's row keys are the case ids."""

    def check(message: Message) -> None:
        if isinstance(message, WorkFailed):  # the queue says so itself; F5 to retry
            queue.message_signal.unsubscribe(queue)
        elif queue.loaded:
            queue.message_signal.unsubscribe(queue)
            select_case(queue, case_id)

    if queue.loaded:
        select_case(queue, case_id)
    else:
        queue.message_signal.subscribe(queue, check, immediate=True)


def select_case(queue: "EscalationsScreen", case_id: int) -> None:
    """The cursor on case ``case_id``, whose summary the queue then shows below."""
    table = queue.query_one("#escalations-table", DataTable)
    try:
        row = table.get_row_index(str(case_id))
    except RowDoesNotExist:
        queue.notify(
            f"Le dossier escaladé n° {case_id} n'est plus dans la file : il a été clos "
            "entre-temps.",
            severity="warning",
        )
        return
    table.move_cursor(row=row)
