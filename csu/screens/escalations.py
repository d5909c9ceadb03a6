"""The supervisors' queue of escalated cases (issue 14 §5): an intervention closed
« escaladé » waits here until a supervisor takes it, within its election's deadline.

Reading the queue is journalled (it names voters): it is loaded when the screen opens
and on F5, never polled. On the case highlighted, ``t`` takes it, ``n`` shows its
callback number to its owner (journalled; shown in the screen for the reveal time, never
in a notification, which would outlive it) and ``c`` closes it with an outcome and what
was done (csu.services.escalation erases the number then).
"""

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, DataTable, Label, Select, Static, TextArea
from textual.worker import get_current_worker

from csu.domain import escalation as rules
from csu.domain.errors import InvalidValue
from csu.domain.masking import mask_personal_data, readable_phone
from csu.domain.permissions import CASE_ACTIONS, NO_CASE, CaseSituation, case_refusal
from csu.domain.plural import counted, plural_of
from csu.screens.base import CsuModal, CsuScreen, Explained, WorkFailed
from csu.services.escalation import (
    RESOLUTION_FIELD,
    EscalationCounts,
    EscalationView,
    callback_number,
    close_escalation,
    escalation_counts,
    escalation_queue,
    take_escalation,
)
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.shell_header import ShellHeader

STATE_WORDS: dict[str, str] = {
    rules.WAITING: "en attente",
    rules.OVERDUE: "en retard",
    rules.TAKEN: "pris en charge",
    rules.CLOSED: "clos",
}
# Each column as wide as its widest cell while the table has room, the widest shrinking
# first with « … » when it has not (csu.widgets.fitted_table); the number, the wait and
# the deadline never do.
WIDE_COLUMNS: tuple[Fit, ...] = (
    Fit("N°"), Fit("Escaladé"), Fit("État", 8), Fit("Électeur", 8), Fit("Scrutin", 6),
    Fit("Par", 5), Fit("Responsable", 6), Fit("Attente"), Fit("Échéance"),
)  # fmt: skip
COLUMNS = tuple(fit.label for fit in WIDE_COLUMNS)
# Below 120 columns the time of escalation and its author leave the table (the case's
# detail below it gives both; the wait is counted from that time): at 80 columns the
# table showed neither the wait nor the deadline.
TABLE_WIDE = 120
NARROW_COLUMNS = tuple(fit for fit in WIDE_COLUMNS if fit.label not in ("Escaladé", "Par"))
NAME_WIDTH = 24
OPEN_STATES = (rules.WAITING, rules.OVERDUE)


def duration_text(minutes: int) -> str:
    """« 25 min », « 1 h 05 »."""
    minutes = max(minutes, 0)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def waited_minutes(view: EscalationView, now: datetime) -> int:
    """How long the case waited for a supervisor: until now while nobody took it."""
    if view.waited_minutes is not None:
        return view.waited_minutes
    return int((now - view.escalated_at).total_seconds() // 60)


def short(text: str, width: int = NAME_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def row_of(view: EscalationView, now: datetime) -> tuple[str, ...]:
    return (
        str(view.id),
        f"{view.escalated_at:%d/%m %H:%M}",
        STATE_WORDS.get(view.state, view.state),
        short(view.voter_name) or "—",
        view.election_id or "—",
        view.escalated_by,
        view.owner or "—",
        duration_text(waited_minutes(view, now)),
        f"{view.deadline_at:%d/%m %H:%M}",
    )


def cells_of(columns: tuple[Fit, ...], row: tuple[str, ...]) -> tuple[str, ...]:
    """The cells of ``row`` (all of COLUMNS) that ``columns`` shows."""
    return tuple(row[COLUMNS.index(fit.label)] for fit in columns)


# An escalation may leave no number (a call by e-mail, a caller who gave none): « aucun »
# alone left the supervisor with no way to reach the caller.
NO_CALLBACK = "aucun — recontactez l'électeur par les coordonnées de son dossier"
NO_LONGER_ON_ROLL = "L'électeur de ce dossier n'est plus dans la base : pas de fiche à ouvrir."


def summary(view: EscalationView, now: datetime) -> str:
    """The case in full, one fact a line, below the table."""
    state = STATE_WORDS.get(view.state, view.state)
    lines = [
        f"Dossier n° {view.id} — {state}",
        f"Électeur : {view.voter_name or '—'} — matricule {view.matricule or '—'}"
        f" — scrutin {view.election_id or '—'}",
        f"Escaladé le {view.escalated_at:%d/%m/%Y à %H:%M} par {view.escalated_by} ; "
        f"échéance {view.deadline_at:%d/%m à %H:%M}",
        f"Motif : {mask_personal_data(view.reason or '—')}",
        f"Numéro de rappel : {view.callback or NO_CALLBACK}",
    ]
    if view.state in OPEN_STATES:
        lines.append(f"En attente depuis {duration_text(waited_minutes(view, now))}.")
    if view.owner and view.taken_at:
        lines.append(
            f"Pris en charge par {view.owner} le {view.taken_at:%d/%m à %H:%M}, après "
            f"{duration_text(waited_minutes(view, now))} d'attente."
        )
    if view.closed_at is not None:
        outcome = rules.CLOSE_OUTCOMES.get(view.outcome or "", view.outcome or "—")
        lines.append(
            f"Clos le {view.closed_at:%d/%m à %H:%M} : {outcome} — "
            f"{mask_personal_data(view.resolution or '')}"
        )
    return "\n".join(lines)


def counts_text(counts: EscalationCounts) -> str:
    return (
        f"En attente : {counts.waiting} — en retard : {counts.overdue} — pris en charge : "
        f"{counts.taken} — clos : {counts.closed}"
    )


class EscalationsScreen(Explained, CsuScreen[None]):
    """The open cases, oldest first (``a`` adds the closed ones)."""

    DEFAULT_CSS = """
    EscalationsScreen #escalations-title { text-style: bold; padding: 0 1; }
    EscalationsScreen #escalations-status { padding: 0 1; color: $text-muted; }
    EscalationsScreen #escalations-table { height: 1fr; }
    EscalationsScreen #escalations-detail { padding: 0 1; height: auto; }
    EscalationsScreen #escalations-callback {
        padding: 0 1; height: auto; color: $warning; text-style: bold;
    }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="escalations-back"),
        Binding("t", "take", "Prendre en charge", id="escalations-take"),
        Binding("n", "callback", "Numéro de rappel", id="escalations-callback"),
        Binding("c", "close_case", "Clore", id="escalations-close"),
        Binding("i", "intervention", "Intervention", id="escalations-intervention"),
        # The voter's file, to unlock them or see what they hold: a newcomer went back to
        # the look-up and searched for the voter of the case.
        Binding("v", "voter_file", "Fiche électeur", id="escalations-voter"),
        Binding("a", "toggle_closed", "Dossiers clos", id="escalations-closed"),
        Binding("f5", "reload", "Actualiser", id="escalations-reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cases: list[EscalationView] = []
        self.include_closed = False
        self.loaded = False
        self.callback_shown: str | None = None  # the number in clear, while on screen
        self._callback_case: int | None = None
        self._callback_timer: Timer | None = None
        self._columns: tuple[Fit, ...] = ()  # as laid out

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static("Dossiers escaladés", id="escalations-title", markup=False)
        yield Static("Chargement des dossiers…", id="escalations-status", markup=False)
        # Above the table: at the bottom, a notice (« 2 alertes en cours ») covered the
        # number for seconds of the 30 it shows.
        yield Static(id="escalations-callback", markup=False)
        yield FittedTable(id="escalations-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="escalations-detail", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#escalations-table", DataTable)
        self._fill()
        table.focus()
        self.query_one("#escalations-callback", Static).display = False
        self.load(self.include_closed)

    # --- what may be done on the case highlighted ---------------------------------

    def case(self) -> CaseSituation | None:
        """The case highlighted, as csu.domain.permissions rules it."""
        view, who = self.selected(), self.app.operator
        if view is None or who is None:
            return None
        return CaseSituation(
            who.role, who.login, view.state, view.owner, has_callback=view.callback is not None
        )

    def refusal_for(self, action: str) -> str | None:
        if action == "intervention":
            return NO_CASE.sentence if self.selected() is None else None
        if action == "voter_file":
            view = self.selected()
            if view is None:
                return NO_CASE.sentence
            return NO_LONGER_ON_ROLL if view.voter_id is None else None
        if action not in CASE_ACTIONS:
            return None
        found = case_refusal(action, self.case())
        if found is None:
            return None
        key = self.key_for(found.step) if found.step else ""
        return f"{found.reason} ({key})." if key else found.sentence

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Greyed, not hidden: a press says why (Explained).
        return None if self.refusal_for(action) is not None else True

    # --- the queue ----------------------------------------------------------------

    def action_reload(self) -> None:
        self.query_one("#escalations-status", Static).update("Chargement des dossiers…")
        self.load(self.include_closed)

    def action_toggle_closed(self) -> None:
        self.include_closed = not self.include_closed
        self.action_reload()

    @work(thread=True, exclusive=True, group="escalations", exit_on_error=False)
    def load(self, include_closed: bool) -> None:
        deps, who = self.session()
        views = escalation_queue(deps, who, include_closed=include_closed)
        counts = escalation_counts(deps, who)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, views, counts)

    def _show(self, views: list[EscalationView], counts: EscalationCounts) -> None:
        self.cases = views
        self.loaded = True
        self._hide_callback()
        self._fill()
        self._status(counts)

    def _status(self, counts: EscalationCounts) -> None:
        count = len(self.cases)
        shown = (
            plural_of(count, "ouvert ou clos", "ouverts et clos")
            if self.include_closed
            else plural_of(count, "ouvert", "ouverts")
        )
        none = "ouvert ni clos" if self.include_closed else "ouvert"
        keys = "t : prendre en charge, n : numéro de rappel, c : clore, a : dossiers clos"
        self.query_one("#escalations-status", Static).update(
            f"{counts_text(counts)}. {counted(count, 'dossier')} {shown} "
            f"{plural_of(count, 'affiché', 'affichés')} — {keys} "
            "(la consultation est journalisée)."
            if self.cases
            else f"{counts_text(counts)}. Aucun dossier {none} — F5 pour actualiser."
        )

    @work(thread=True, exclusive=True, group="escalation-counts", exit_on_error=False)
    def refresh_counts(self) -> None:
        """The counts after a case changed (they name no voter: not journalled)."""
        deps, who = self.session()
        counts = escalation_counts(deps, who)
        self.app.call_from_thread(self._status, counts)

    def on_resize(self) -> None:
        self._fill()

    def _fill(self, keep: int | None = None) -> None:
        """The table from ``self.cases``, its columns for the screen's width; the cursor
        back on case ``keep`` if given, else on the row it was on."""
        now = self.app.clock()
        table = self.query_one("#escalations-table", FittedTable)
        columns = WIDE_COLUMNS if self.size.width >= TABLE_WIDE else NARROW_COLUMNS
        changed = columns is not self._columns
        self._columns = columns
        table.show_rows(
            ((str(view.id), cells_of(columns, row_of(view, now))) for view in self.cases),
            columns if changed else None,
        )
        if keep is not None:
            for row, view in enumerate(self.cases):
                if view.id == keep:
                    table.move_cursor(row=row)
        self._detail()

    @on(DataTable.RowHighlighted, "#escalations-table")
    def _detail(self) -> None:
        view = self.selected()
        detail = self.query_one("#escalations-detail", Static)
        detail.update(summary(view, self.app.clock()) if view is not None else "")
        detail.display = view is not None
        if self.callback_shown is not None and (view is None or view.id != self._callback_case):
            self._hide_callback()  # the number belongs to the case it was asked for
        self.refresh_bindings()

    def selected(self) -> EscalationView | None:
        table = self.query_one("#escalations-table", DataTable)
        if not self.cases or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.cases[row] if 0 <= row < len(self.cases) else None

    def _replace(self, view: EscalationView) -> None:
        """A case as a service returned it, in place (no second journalled reading)."""
        self.cases = [view if case.id == view.id else case for case in self.cases]
        self._fill(keep=view.id)

    def action_intervention(self) -> None:
        """What the agent did before escalating, step by step: the supervisor reads it
        before calling back (the journal's timeline of the case's intervention)."""
        from csu.screens.intervention_timeline import InterventionTimelineScreen

        view = self.selected()
        if view is not None:
            self.app.push_screen(InterventionTimelineScreen(view.intervention_id))

    def action_voter_file(self) -> None:
        """The case's voter file, opened as from the look-up (its reading journalled)."""
        from csu.screens.voter import VoterScreen

        view = self.selected()
        if view is not None and view.voter_id is not None:
            self.app.push_screen(VoterScreen(view.voter_id))

    # --- taking -------------------------------------------------------------------

    def action_take(self) -> None:
        view = self.selected()
        if view is not None and self.refusal_for("take") is None and self.begin():
            self.take(view.id)

    @work(thread=True, exclusive=True, group="escalation-take", exit_on_error=False)
    def take(self, case_id: int) -> None:
        deps, who = self.session()
        view = take_escalation(deps, who, case_id)
        self.app.call_from_thread(self._taken, view)

    def _taken(self, view: EscalationView) -> None:
        self._replace(view)
        self.refresh_counts()
        self.notify(
            f"Dossier n° {view.id} pris en charge après {duration_text(view.waited_minutes or 0)}"
            " d'attente.",
            title="Dossier escaladé",
        )

    @on(WorkFailed)
    def _failed(self, event: WorkFailed) -> None:
        if event.group == "escalations":
            self.query_one("#escalations-status", Static).update(
                "Liste indisponible — F5 pour réessayer."
            )
        elif event.group == "escalation-take" and event.refused:
            self.action_reload()  # someone else took it meanwhile: show who

    # --- the callback number ------------------------------------------------------

    def action_callback(self) -> None:
        view = self.selected()
        if view is not None and self.refusal_for("callback") is None and self.begin():
            self.reveal_callback(view.id)

    @work(thread=True, exclusive=True, group="escalation-callback", exit_on_error=False)
    def reveal_callback(self, case_id: int) -> None:
        deps, who = self.session()
        number = callback_number(deps, who, case_id)
        self.app.call_from_thread(self._show_callback, case_id, number)

    def _show_callback(self, case_id: int, number: str) -> None:
        seconds = self.app.reveal_seconds
        self.callback_shown = readable_phone(number)
        self._callback_case = case_id
        shown = self.query_one("#escalations-callback", Static)
        shown.update(
            f"Numéro de rappel du dossier n° {case_id} : {self.callback_shown} "
            f"(affichage journalisé, effacé de l'écran dans {max(round(seconds), 1)} s)"
        )
        shown.display = True
        if self._callback_timer is not None:
            self._callback_timer.stop()
        self._callback_timer = self.set_timer(seconds, self._hide_callback)

    def _hide_callback(self) -> None:
        self.callback_shown = None
        self._callback_case = None
        if self._callback_timer is not None:
            self._callback_timer.stop()
            self._callback_timer = None
        shown = self.query_one("#escalations-callback", Static)
        shown.update("")
        shown.display = False

    # --- closing ------------------------------------------------------------------

    def action_close_case(self) -> None:
        view = self.selected()
        if view is not None and self.refusal_for("close_case") is None:
            self.app.push_screen(EscalationCloseScreen(view), self.after_close)

    def after_close(self, view: EscalationView | None) -> None:
        if view is None:
            return
        self._hide_callback()
        if not self.include_closed:
            self.cases = [case for case in self.cases if case.id != view.id]
            self._fill()
        else:
            self._replace(view)
        self.refresh_counts()
        outcome = rules.CLOSE_OUTCOMES.get(view.outcome or "", view.outcome or "")
        self.notify(
            f"Dossier n° {view.id} clos ({outcome}) ; le numéro de rappel est effacé.",
            title="Dossier escaladé",
        )


class EscalationCloseScreen(CsuModal[EscalationView | None]):
    """Close a case the supervisor owns: « résolu » or « refusé », and what was done
    (5 characters or more, journalled). Returns the case as closed."""

    DEFAULT_CSS = """
    EscalationCloseScreen { align: center middle; }
    """

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="escalation-close-cancel")]

    def __init__(self, view: EscalationView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        with Vertical(id="escalation-close-box", classes="modal-box"):
            yield Static(
                f"Clore le dossier escaladé n° {view.id}", classes="modal-title", markup=False
            )
            yield Static(
                f"{view.voter_name or '—'} — {view.election_id or '—'}\nMotif : "
                f"{view.reason or '—'}",
                classes="modal-hint",
                markup=False,
            )
            yield Label("Issue")
            yield Select(
                # Capitalised, as the outcomes of « Clore l'intervention » are.
                [(label.capitalize(), code) for code, label in rules.CLOSE_OUTCOMES.items()],
                id="escalation-close-outcome",
                prompt="Choisissez l'issue",
            )
            yield Label(f"{RESOLUTION_FIELD} (versée au journal)")
            yield TextArea(id="escalation-close-text")
            yield Static(id="escalation-close-message", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Clore le dossier", id="escalation-close-ok", variant="warning")
                yield Button("Annuler", id="escalation-close-cancel-button")

    def start_in(self) -> Select[str]:
        return self.query_one("#escalation-close-outcome", Select)

    @on(Button.Pressed, "#escalation-close-ok")
    def _submit(self) -> None:
        message = self.query_one("#escalation-close-message", Static)
        outcome = self.query_one("#escalation-close-outcome", Select).value
        if not isinstance(outcome, str):
            message.update("Choisissez l'issue : résolu ou refusé.")
            self.query_one("#escalation-close-outcome", Select).focus()
            return
        if not self.begin():
            return
        message.update("Clôture du dossier…")
        self.close_case(outcome, self.query_one("#escalation-close-text", TextArea).text)

    @work(thread=True, exclusive=True, group="escalation-close", exit_on_error=False)
    def close_case(self, outcome: str, text: str) -> None:
        deps, who = self.session()
        view = close_escalation(deps, who, self.view.id, outcome, text)
        self.app.call_from_thread(self.finish, view)

    @on(WorkFailed)
    def _failed(self, event: WorkFailed) -> None:
        reason = f" — {event.error}" if event.refused else " : réessayez."
        self.query_one("#escalation-close-message", Static).update(f"Dossier non clos{reason}")
        if isinstance(event.error, InvalidValue) and event.error.field == RESOLUTION_FIELD:
            # On the text to write: left on « Clore le dossier », the supervisor typed
            # into nothing, then Tab and Entrée pressed « Annuler » on a case still open.
            self.query_one("#escalation-close-text", TextArea).focus()

    @on(Button.Pressed, "#escalation-close-cancel-button")
    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)
