"""The president's queue of in-person checks (S2): agents taking a president's call
wait here for the president to attest, from their own session, the identity document
of the voter in front of them, or to decline.

The list names voters, so each reading is journalled: it is read when the screen
opens, on F5, and when a new request arrives (the screen looks every few seconds for
the ids of waiting requests, which name nobody and are not journalled). The app's
notice counts the requests still waiting that this list has not shown yet (csu.app,
``_watch_presence``): each list shown tells the app (``presence_listed``), which
withdraws the notice, so that it does not outlive the requests it announced.
"""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from csu.domain.labels import name_and_login
from csu.domain.plural import counted
from csu.domain.verification import DOCUMENT_FIELD, DOCUMENT_TYPES, MIN_DECLINE_REASON_LENGTH
from csu.screens.base import CsuModal, CsuScreen
from csu.screens.dialogs import ConfirmDialog
from csu.screens.verification import format_checks
from csu.services.presence import (
    MAX_DECLINE_REASON_LENGTH,
    Attestation,
    PresenceRequest,
    attest_presence,
    decline_presence,
    presence_requests,
    waiting_presence_checks,
)
from csu.services.reasons import long_enough, minimum_words
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.parsed import Parsed
from csu.widgets.paste_checked import SpacelessInput
from csu.widgets.plain import NextSelect
from csu.widgets.reason_input import ReasonInput
from csu.widgets.shell_header import ShellHeader

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
# Fitted to the requests (csu.widgets.fitted_table): at 80 columns the agent's name ran
# off the right edge, cut with no « … ». The times, the matricule and the date of birth
# never shrink (« 05/01/19… » was no date to check a card against).
COLUMNS = (
    Fit("Demandée à"), Fit("Électeur", 10), Fit("Matricule"), Fit("Naissance"),
    Fit("Scrutin", 6), Fit("Agent", 8), Fit("Expire à"),
)  # fmt: skip
WATCH_SECONDS = 3  # how often the screen looks for new requests (ids only)


def row_of(request: PresenceRequest) -> tuple[str, ...]:
    name = f"{request.last_name.upper()} {request.first_name}"
    return (
        f"{request.requested_at:%H:%M:%S}",
        name + (" (verrouillé à distance)" if request.remote_locked else ""),
        request.matricule,
        request.birth_date,
        request.election_id,
        name_and_login(request.requested_by_name, request.requested_by),
        f"{request.expires_at:%H:%M:%S}",
    )


def request_text(request: PresenceRequest) -> str:
    lines = [
        f"Électeur : {request.last_name.upper()} {request.first_name} — matricule "
        f"{request.matricule}"
        + (f", date de naissance {request.birth_date}" if request.birth_date else ""),
        f"Scrutin : {request.election_id} — demandé par l'agent "
        f"{name_and_login(request.requested_by_name, request.requested_by)} à "
        f"{request.requested_at:%H:%M}, à attester avant {request.expires_at:%H:%M}.",
    ]
    if request.remote_locked:
        lines.append(
            "Électeur verrouillé pour la vérification à distance après des échecs : la "
            "vérification en personne reste possible, et le journal le mentionne."
        )
    return "\n".join(lines)


class PresenceRequestsScreen(CsuScreen[None]):
    """The requests waiting for this president, oldest first; Entrée opens one."""

    DEFAULT_CSS = """
    PresenceRequestsScreen #presence-title { text-style: bold; padding: 0 1; }
    PresenceRequestsScreen #presence-status { padding: 0 1; color: $text-muted; }
    PresenceRequestsScreen #presence-table { height: 1fr; }
    """

    QUIET_GROUPS = ("presence-watch",)  # a failed look is tried again soon
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="presence-back"),
        Binding("f5", "refresh", "Actualiser", id="presence-refresh"),
        Binding("enter", "open_request", "Attester ou refuser", id="presence-open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[PresenceRequest] = []
        self._seen: list[str] | None = None  # ids shown, to reload when they change

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.csu.clock)
        yield Static("Vérifications en personne demandées", id="presence-title", markup=False)
        yield Static("Chargement des demandes…", id="presence-status", markup=False)
        yield FittedTable(id="presence-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#presence-table", FittedTable)
        table.set_columns(*COLUMNS)
        table.focus()
        self.load()
        self.set_interval(WATCH_SECONDS, self.watch_waiting)

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="presence-list", exit_on_error=False)
    def load(self) -> None:
        who = self.csu.operator
        if who is None:
            return
        found = presence_requests(self.csu.deps, who)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, found)

    @work(thread=True, exclusive=True, group="presence-watch", exit_on_error=False)
    def watch_waiting(self) -> None:
        """Reloads the list (journalled) only when the waiting ids changed."""
        who = self.csu.operator
        if who is None or self._seen is None:
            return
        waiting = waiting_presence_checks(self.csu.deps, who)
        if waiting != self._seen:
            self._seen = waiting  # one reload per change, even if it is slow
            self.app.call_from_thread(self.load)

    def _show(self, found: list[PresenceRequest]) -> None:
        self.requests = found
        self._seen = [request.id for request in found]
        self.csu.presence_listed(self._seen)  # seen: no longer « nouvelles »
        table = self.query_one("#presence-table", DataTable)
        table.clear()
        for request in found:
            table.add_row(*row_of(request), key=request.id)
        count = counted(len(found), "demande")
        status = (
            f"{count}. Entrée : attester la pièce d'identité vue ou refuser ; "
            "F5 : actualiser (la consultation est journalisée)."
            if found
            else "Aucune demande en attente. Les nouvelles demandes s'affichent d'elles-mêmes."
        )
        self.query_one("#presence-status", Static).update(status)

    @on(DataTable.RowSelected, "#presence-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.cursor_row)

    def action_open_request(self) -> None:
        self._open(self.query_one("#presence-table", DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if 0 <= row < len(self.requests):
            self.app.push_screen(AttestScreen(self.requests[row]), self._decided)

    def _decided(self, outcome: str | None) -> None:
        if outcome:
            self.notify(outcome, title="Vérification en personne")
        self.load()


class AttestScreen(CsuModal[str | None]):
    """The president confirms the type of the document seen and the last 4 characters
    of its number, or declines with a reason; returns what to tell the president.
    Entrée in the reason, the document filled in, asks before refusing."""

    DEFAULT_CSS = """
    AttestScreen { align: center middle; }
    AttestScreen #attest-request { margin-bottom: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="attest-cancel")]

    def __init__(self, request: PresenceRequest) -> None:
        super().__init__()
        self.request = request
        self._busy = False

    def compose(self) -> ComposeResult:
        checks = format_checks(self.csu.clock)
        with Vertical(id="attest-box", classes="modal-box"):
            yield Static("Vérification en personne", classes="modal-title")
            yield Static(request_text(self.request), id="attest-request", markup=False)
            yield Static(
                # The buttons are below an 80x24 terminal: Entrée in a field is the way.
                "Vérifiez la pièce d'identité de la personne devant vous : son type et ses 4 "
                "derniers caractères, puis Entrée attestent ; un motif, puis Entrée, refuse. "
                "L'agent ne peut pas le faire à votre place. Votre nom figure au journal.",
            )
            with Horizontal(classes="verify-row"):
                yield Label("Pièce d'identité vue", classes="verify-label")
                # Blank at first: the president says which document they saw.
                yield NextSelect(
                    [
                        (label, key)
                        for key, label in DOCUMENT_TYPES.items()
                        if key in self.request.documents  # the election's own list
                    ],
                    id="attest-document",
                    prompt="Type de pièce",
                )
                # A refused paste (an invisible character, 5 characters) is said, not
                # dropped in silence as Textual's field did.
                yield SpacelessInput(
                    id="attest-last4",
                    placeholder="4 derniers caractères",
                    max_length=4,
                    classes="verify-last4",
                    validators=[Parsed(checks["in_person"])],
                    field=DOCUMENT_FIELD,
                )
            with Horizontal(classes="verify-row"):
                # « Motif d'un refus » read as a note on the document: a president typed
                # « pièce vue, conforme » there, and Entrée refused the attestation.
                yield Label("Pour refuser : motif", classes="verify-label")
                yield ReasonInput(
                    id="attest-reason",
                    placeholder=minimum_words(MIN_DECLINE_REASON_LENGTH),
                    maximum=MAX_DECLINE_REASON_LENGTH,
                )
            yield Static(id="attest-message", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Attester", id="attest-ok", variant="primary")
                yield Button("Refuser", id="attest-decline", variant="warning")
                yield Button("Annuler", id="attest-cancel-button")

    def on_mount(self) -> None:
        # The first thing the president fills: the type of the document in their hands.
        self.query_one("#attest-document", Select).focus()

    def missing(self) -> list[tuple[str, str]]:
        """(field id, what to fill) for each field an attestation still needs, in order."""
        found = []
        if self.query_one("#attest-document", Select).is_blank():
            found.append(("#attest-document", "le type de la pièce vue"))
        field = self.query_one("#attest-last4", Input)
        checked = field.validate(field.value)
        if not field.value.strip() or (checked is not None and not checked.is_valid):
            found.append(
                ("#attest-last4", "les 4 derniers caractères de son numéro (lettres, chiffres)")
            )
        return found

    @on(Button.Pressed, "#attest-ok")
    @on(Input.Submitted, "#attest-last4")
    def _attest(self) -> None:
        if self._busy:
            return
        missing = self.missing()
        if missing:
            # Nothing is sent: the window says what is missing and goes to it.
            said = " et ".join(what for _, what in missing)
            self.query_one("#attest-message", Static).update(
                f"Pour attester, indiquez {said}. Rien n'a été envoyé."
            )
            self.query_one(missing[0][0]).focus()
            return
        document = self.query_one("#attest-document", Select).value
        self._busy = True
        self.attest(str(document), self.query_one("#attest-last4", Input).value)

    @work(thread=True, exclusive=True, group="attest", exit_on_error=False)
    def attest(self, document: str, last4: str) -> None:
        who = self.csu.operator
        if who is None:
            return
        done = attest_presence(self.csu.deps, who, self.request.id, document, last4)
        self.app.call_from_thread(self._attested, done)

    def _attested(self, done: Attestation) -> None:
        self.dismiss(done.message)

    def document_typed(self) -> bool:
        """Whether the document seen is filled in: its type and its last characters."""
        return (
            not self.query_one("#attest-document", Select).is_blank()
            and bool(self.query_one("#attest-last4", Input).value.strip())
        )

    @on(Input.Submitted, "#attest-reason")
    def _reason_entered(self) -> None:
        """Entrée in the reason refuses, but asks first when the document is filled in:
        the president may have meant to attest."""
        if self._busy:
            return
        reason = self.query_one("#attest-reason", Input).value
        if not self.document_typed() or not long_enough(reason, MIN_DECLINE_REASON_LENGTH):
            self._decline()
            return
        self.app.push_screen(
            ConfirmDialog(
                "Refuser l'attestation alors que la pièce est renseignée ?",
                "Le type de la pièce et ses derniers caractères sont saisis : pour attester, "
                "revenez à la pièce et faites Entrée dans ses derniers caractères. Refuser "
                "dit à l'agent que vous n'attestez pas, avec le motif saisi.",
                yes="Refuser l'attestation",
                no="Revenir à la pièce",
            ),
            self._refusal_answered,
        )

    def _refusal_answered(self, refuse: bool | None) -> None:
        if refuse:
            self._decline()
        else:
            self.query_one("#attest-last4", Input).focus()

    @on(Button.Pressed, "#attest-decline")
    def _decline(self) -> None:
        if self._busy:
            return
        reason = self.query_one("#attest-reason", Input).value
        if not long_enough(reason, MIN_DECLINE_REASON_LENGTH):
            self.query_one("#attest-message", Static).update(
                f"Pour refuser, indiquez le motif ({minimum_words(MIN_DECLINE_REASON_LENGTH)}) : "
                "l'agent le lira."
            )
            self.query_one("#attest-reason", Input).focus()
            return
        self._busy = True
        self.decline(reason)

    @work(thread=True, exclusive=True, group="attest", exit_on_error=False)
    def decline(self, reason: str) -> None:
        who = self.csu.operator
        if who is None:
            return
        decline_presence(self.csu.deps, who, self.request.id, reason)
        self.app.call_from_thread(self.dismiss, "Demande refusée : l'agent en lit le motif.")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # CsuModal's handler (called too) shows a refusal in French.
        if event.state in FINISHED:
            self._busy = False

    @on(Button.Pressed, "#attest-cancel-button")
    def action_cancel(self) -> None:
        self.dismiss(None)
