"""Messages to voters (the outbox): what went out, what waits for a retry, what failed.

Every row is masked (recipient) and carries no body: listing them is not journalled.
A failed message can be sent again (« e ») once the cause is fixed, or abandoned
(« a », confirmed): its recipient and content are then erased and it never leaves.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from csu.domain.clock import to_paris
from csu.domain.labels import CHANNEL_LABELS, PURPOSE_LABELS
from csu.domain.masking import mask_contacts
from csu.domain.plural import counted
from csu.screens.base import CsuModal, CsuScreen
from csu.services.outbox import STATE_LABELS, MessageView, abandon, list_messages, resend
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.shell_header import ShellHeader

if TYPE_CHECKING:
    from csu.domain.election import ElectionDefinition

REFRESH_SECONDS = 5
LIMIT = 200  # the latest messages; older ones are in `csu outbox list`

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
FAILED = STATE_LABELS["failed"]
# A message still to go out may be abandoned; a sent or abandoned one is settled.
SETTLED = (STATE_LABELS["sent"], STATE_LABELS["abandoned"])

# The state and the attempts whole, before the texts that shrink to fit (« … »): at 80
# columns the state was off the right edge, out of reach even scrolled. The highlighted
# message is shown whole below the table.
COLUMNS = (
    Fit("N°"), Fit("Créé"), Fit("Objet", 6), Fit("Canal"), Fit("État"), Fit("Essais"),
    Fit("Destinataire", 8), Fit("Sujet", 6), Fit("Dernière erreur", 6),
)  # fmt: skip


def created_text(created: datetime, now: datetime) -> str:
    """HH:MM for a message of today (Paris), with the day for an older one."""
    created, today = to_paris(created), to_paris(now).date()
    return f"{created:%H:%M}" if created.date() == today else f"{created:%d/%m %H:%M}"


def row_of(message: MessageView, now: datetime) -> tuple[str, ...]:
    return (
        str(message.id),
        created_text(message.created_at, now),
        PURPOSE_LABELS.get(message.purpose, message.purpose),
        CHANNEL_LABELS.get(message.channel, message.channel),
        message.state,
        str(message.attempts),
        message.recipient,
        mask_contacts(message.subject),
        # A transport's error may quote the recipient ("550 <x@y.fr>: unknown").
        mask_contacts(message.last_error or ""),
    )


def detail_text(message: MessageView | None) -> Text:
    """The highlighted message in full, what the table's columns cut at 80 included:
    what it is, by which channel to whom, its subject, its state and last error."""
    if message is None:
        return Text()
    purpose = PURPOSE_LABELS.get(message.purpose, message.purpose)
    channel = CHANNEL_LABELS.get(message.channel, message.channel)
    text = Text(f"N° {message.id} — {purpose}, {channel} à {message.recipient}\n")
    text.append(f"{mask_contacts(message.subject)} — {message.state}")
    if message.sent_at is not None:
        text.append(f" le {message.sent_at:%d/%m à %H:%M}")
    if message.last_error:
        text.append(f"\nDernière erreur : {mask_contacts(message.last_error)}", style="bold")
    return text


class OutboxScreen(CsuScreen[None]):
    """The latest messages (of one voter when ``voter_id`` is given), refreshed every
    5 s and on F5; « e » resends a failed one, « a » abandons one not yet sent."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="outbox-back"),
        Binding("f5", "refresh", "Actualiser", id="outbox-refresh"),
        Binding("e", "resend", "Renvoyer", id="outbox-resend"),
        Binding("a", "abandon", "Abandonner", id="outbox-abandon"),
    ]

    def __init__(
        self,
        voter_id: int | None = None,
        voter_label: str = "",
        election: "ElectionDefinition | None" = None,
    ) -> None:
        """``voter_label`` (matricule, name) titles a voter's list; ``election`` is the
        election of that voter's file, which the header keeps showing."""
        super().__init__()
        self.voter_id = voter_id
        self.voter_label = voter_label
        self.election = election
        self.messages: list[MessageView] = []
        self._selected: tuple[int, str] | None = None  # (id, state) of the cursor row
        self._busy = False  # a resend or an abandon under way

    def own_election(self) -> "ElectionDefinition | None":
        """A voter's messages stay under the election of their file: the header showed
        the operator's default one (minint-2022 above a CCI voter's messages)."""
        return self.election

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static(self._title(), id="outbox-title", markup=False)
        yield Static("Chargement des messages…", id="outbox-status", markup=False)
        yield FittedTable(id="outbox-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="outbox-detail", markup=False)
        yield KeysFooter()

    def _title(self) -> str:
        if self.voter_id is None:
            return "Messages aux électeurs (les plus récents d'abord)"
        who = f" — {self.voter_label}" if self.voter_label else ""
        return f"Messages à l'électeur{who} (les plus récents d'abord)"

    def on_mount(self) -> None:
        table = self.query_one("#outbox-table", FittedTable)
        table.set_columns(*COLUMNS)
        table.focus()
        self.load()
        self.set_interval(REFRESH_SECONDS, self.load)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resend":
            return self._selected is not None and self._selected[1] == FAILED
        if action == "abandon":
            return self._selected is not None and self._selected[1] not in SETTLED
        return True

    # --- loading ------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="outbox-list", exit_on_error=False)
    def load(self) -> None:
        who = self.app.operator
        if who is None:
            return
        messages = list_messages(self.app.deps, who, self.voter_id, limit=LIMIT)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, messages)

    def _show(self, messages: list[MessageView]) -> None:
        status = self.query_one("#outbox-status", Static)
        status.update(self._status(messages))
        if messages == self.messages:
            return
        self.messages = messages
        table = self.query_one("#outbox-table", DataTable)
        kept = self._selected[0] if self._selected is not None else None
        table.clear()
        now = self.app.clock()
        for message in messages:
            table.add_row(*row_of(message, now), key=str(message.id))
        row = next((i for i, m in enumerate(messages) if m.id == kept), 0)
        if messages:
            table.move_cursor(row=row, animate=False)
        self._select(row)

    def _status(self, messages: list[MessageView]) -> str:
        if not messages:
            return "Aucun message."
        failed = sum(1 for m in messages if m.state == FAILED)
        more = f" (les {LIMIT} plus récents)" if len(messages) >= LIMIT else ""
        text = f"{counted(len(messages), 'message')}{more}"
        if failed:
            text += f", dont {failed} en échec : « e » pour renvoyer une fois la cause réglée"
        return text + f". Actualisé toutes les {REFRESH_SECONDS} s (F5 pour actualiser)."

    @on(DataTable.RowHighlighted, "#outbox-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._select(event.cursor_row)

    def _select(self, row: int) -> None:
        message = self.messages[row] if 0 <= row < len(self.messages) else None
        selected = (message.id, message.state) if message is not None else None
        self.query_one("#outbox-detail", Static).update(detail_text(message))
        if selected != self._selected:
            self._selected = selected
            self.refresh_bindings()

    def _current(self) -> MessageView | None:
        if self._selected is None:
            return None
        return next((m for m in self.messages if m.id == self._selected[0]), None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "outbox-action" and event.state in FINISHED:
            self._busy = False

    # --- actions ------------------------------------------------------------------

    def action_resend(self) -> None:
        message = self._current()
        if message is not None and message.state == FAILED and not self._busy:
            self._busy = True
            self.send_again(message.id)

    @work(thread=True, exclusive=True, group="outbox-action", exit_on_error=False)
    def send_again(self, message_id: int) -> None:
        who = self.app.operator
        if who is None:
            return
        state = resend(self.app.deps, who, message_id)
        self.app.call_from_thread(self._resent, message_id, state)

    def _resent(self, message_id: int, state: str) -> None:
        label = STATE_LABELS.get(state, state)
        if state == "sent":
            self.notify(f"Message n° {message_id} renvoyé : {label}.", title="Messages")
        else:
            self.notify(
                f"Message n° {message_id} : {label}. Le transport refuse encore ; un nouvel "
                "essai est automatique tant que l'état est « en attente ».",
                title="Messages",
                severity="warning",
            )
        self.load()

    def action_abandon(self) -> None:
        message = self._current()
        if message is None or message.state in SETTLED:
            return

        def confirmed(yes: bool | None) -> None:
            if yes and not self._busy:
                self._busy = True
                self.give_up(message.id)

        self.app.push_screen(AbandonScreen(message), confirmed)

    @work(thread=True, exclusive=True, group="outbox-action", exit_on_error=False)
    def give_up(self, message_id: int) -> None:
        who = self.app.operator
        if who is None:
            return
        abandon(self.app.deps, who, message_id)
        self.app.call_from_thread(self._abandoned, message_id)

    def _abandoned(self, message_id: int) -> None:
        self.notify(
            f"Message n° {message_id} abandonné : son destinataire et son contenu sont "
            "effacés (journalisé).",
            title="Messages",
        )
        self.load()


class AbandonScreen(CsuModal[bool]):
    """Confirms the abandon of one message."""

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="abandon-cancel")]

    def __init__(self, message: MessageView) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        message = self.message
        with Vertical(id="abandon-box", classes="modal-box"):
            yield Static("Abandonner un message", classes="modal-title")
            yield Static(
                f"Message n° {message.id} ({PURPOSE_LABELS.get(message.purpose, message.purpose)}"
                f", {CHANNEL_LABELS.get(message.channel, message.channel)} à "
                f"{message.recipient}) : il ne partira pas, son destinataire et son contenu "
                "seront effacés. L'abandon est journalisé.",
                markup=False,
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Abandonner", id="abandon-ok", variant="error")
                yield Button("Annuler", id="abandon-cancel-button")

    def start_in(self) -> Button:
        return self.query_one("#abandon-cancel-button", Button)

    @on(Button.Pressed, "#abandon-ok")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#abandon-cancel-button")
    def action_cancel(self) -> None:
        self.dismiss(False)
