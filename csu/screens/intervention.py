"""Opening and closing an intervention: the start and the end of every call or visit.

Both modals call the service themselves, so that a refusal (shown by the app as a
notification, and in the window until the field at fault is edited) leaves the modal
open with what the operator typed.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from csu.domain.election import CREDENTIAL_LABELS
from csu.domain.errors import InvalidValue
from csu.domain.escalation import ESCALATED
from csu.domain.interventions import OUTCOMES, RESOLVED, UNCONFIRMED_RESOLVED
from csu.domain.verification import CHANNEL_LABELS
from csu.screens.base import CsuModal, not_done
from csu.screens.credential import unconfirmed
from csu.screens.dialogs import ConfirmDialog
from csu.services.escalation import CALLBACK_FIELD
from csu.services.interventions import OpenIntervention, close_intervention, open_intervention
from csu.widgets.plain import NextSelect, PlainNextSelect


@dataclass(frozen=True, slots=True)
class ElectionChoice:
    """One election of the voter, and the channels the operator may open it by."""

    id: str
    title: str
    channels: tuple[str, ...]  # in the order of the election's policy
    # The election's support hours when the cell is closed for it now, else None: the
    # window says so before the call is opened (the supervisors are alerted after).
    closed_hours: str | None = None


class InterventionOpenScreen(CsuModal[OpenIntervention | None]):
    """Channel of the call (only those of the election's policy), the number shown on
    the phone (optional), and for a call from a president, the president's login: the
    president then attests the in-person check from their own session (S2).

    A president opens in person only (channel ``president``, no choice)."""

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="intervention-open-cancel")]
    # Under the fields, above the buttons: why nothing can be opened, or why it was not.
    REFUSAL_LINE = "#open-message"
    NOT_DONE_WHAT = "Intervention non ouverte"
    # As csu.domain.identifiers and csu.services.interventions name them.
    FIELDS_AT_FAULT = {
        "Téléphone": "#open-caller",
        "Président": "#open-president",
        "Canal": "#open-channel",
    }

    def __init__(
        self, voter_id: int, elections: Sequence[ElectionChoice], *, as_president: bool
    ) -> None:
        super().__init__()
        self.voter_id = voter_id
        self.elections = list(elections)
        self.as_president = as_president

    def compose(self) -> ComposeResult:
        first = self.elections[0] if self.elections else None
        with Vertical(id="intervention-open-box", classes="modal-box"):
            yield Static("Nouvelle intervention", classes="modal-title")
            if len(self.elections) > 1:
                yield Label("Scrutin")
                yield PlainNextSelect(
                    [(f"{e.id} — {e.title}", e.id) for e in self.elections],
                    id="open-election",
                    allow_blank=False,
                )
            elif first is not None:
                yield Static(f"Scrutin : {first.id} — {first.title}", markup=False)
            # Under the election it is about, read before the channel is chosen: above the
            # buttons, at 80x24, it began at the foot of the window, its end out of view.
            yield Static(id="open-hours", classes="modal-message", markup=False)
            if self.as_president:
                yield Static(
                    "Canal : présentiel via président — vous vérifiez vous-même la pièce "
                    "d'identité de l'électeur.",
                    id="open-channel-fixed",
                    markup=False,
                )
            else:
                yield Label("Canal")
                yield NextSelect(
                    self._channel_options(first),
                    id="open-channel",
                    allow_blank=False,
                )
            with Vertical(id="open-caller-box", classes="modal-field"):
                yield Label("Numéro affiché de l'appelant (facultatif)")
                yield Input(id="open-caller", placeholder="ex. 01 23 45 67 89")
            with Vertical(id="open-president-box", classes="modal-field"):
                yield Label("Identifiant du président de bureau qui appelle")
                yield Input(id="open-president", placeholder="identifiant du président")
                yield Static(
                    "Le président atteste lui-même la pièce d'identité, depuis sa propre "
                    "session (terminal ou navigateur) : ctrl+e lui envoie la demande, et "
                    "l'identité est vérifiée dès qu'il l'a attestée.",
                    id="open-president-hint",
                    classes="modal-hint",
                    markup=False,
                )
            yield Static(id="open-message", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Ouvrir", id="open-ok", variant="primary")
                yield Button("Annuler", id="open-cancel")

    def on_mount(self) -> None:
        self._arrange()
        self._say_hours()

    def start_in(self) -> Widget | None:
        # The channel, chosen first (a president has none to choose: the first field).
        if not self.as_president:
            return self.query_one("#open-channel", Select)
        return super().start_in()

    def _say_hours(self) -> None:
        """Outside the election's support hours, a warning under the election: the act
        is not refused (a call already under way is finished), but it is out of hours,
        and the supervisors are alerted of it."""
        election = self._election()
        hours = election.closed_hours if election is not None else None
        said = self.query_one("#open-hours", Static)
        said.display = hours is not None
        if hours is not None:
            said.update(
                "Hors des heures de support de ce scrutin : l'intervention sera signalée aux "
                f"superviseurs. Heures de support : {hours}."
            )

    def _channel_options(self, election: ElectionChoice | None) -> list[tuple[str, str]]:
        channels = election.channels if election is not None else ()
        return [(CHANNEL_LABELS.get(c, c).capitalize(), c) for c in channels]

    def _election(self) -> ElectionChoice | None:
        if len(self.elections) > 1:
            chosen = self.query_one("#open-election", Select).value
            return next((e for e in self.elections if e.id == chosen), None)
        return self.elections[0] if self.elections else None

    def _channel(self) -> str | None:
        election = self._election()
        if election is None or not election.channels:
            return None
        if self.as_president:
            return "president" if "president" in election.channels else None
        value = self.query_one("#open-channel", Select).value
        return value if isinstance(value, str) else None

    def _arrange(self) -> None:
        """Shows the fields the chosen channel needs, or why nothing can be opened."""
        channel = self._channel()
        self.query_one("#open-caller-box").display = channel == "phone"
        self.query_one("#open-president-box").display = (
            channel == "president" and not self.as_president
        )
        message = ""
        if channel is None:
            message = (
                "Ce scrutin ne prévoit pas d'intervention d'un président de bureau."
                if self.as_president
                else "Ce scrutin ne prévoit aucun canal d'intervention."
            )
        shown = self.query_one("#open-message", Static)
        shown.update(message)
        shown.display = bool(message)
        self.query_one("#open-ok", Button).disabled = channel is None

    @on(Select.Changed, "#open-election")
    def _election_changed(self) -> None:
        if not self.as_president:
            channels = self.query_one("#open-channel", Select)
            channels.set_options(self._channel_options(self._election()))
        self._arrange()
        self._say_hours()

    @on(Select.Changed, "#open-channel")
    def _channel_changed(self) -> None:
        self._arrange()

    def on_key(self, event: events.Key) -> None:
        """A number typed while the cursor is still on « Canal » (a list, which takes
        no characters) goes to the caller's number: « 06 12… » typed there was lost,
        the space opening the list. Only by phone, where that field shows."""
        character = event.character
        if character is None or not (character.isdigit() or character == "+"):
            return
        channels = self.query("#open-channel").results(Select)
        select = next(channels, None)
        field = self.query_one("#open-caller", Input)
        box = self.query_one("#open-caller-box")
        if select is None or self.focused is not select or select.expanded or not box.display:
            return
        event.stop()
        event.prevent_default()
        field.insert_text_at_cursor(character)
        field.select_on_focus = False  # the next character goes after it, not over it
        field.focus()

    @on(Button.Pressed, "#open-ok")
    @on(Input.Submitted)
    def _submit(self) -> None:
        election = self._election()
        channel = self._channel()
        if election is None or channel is None or not self.begin():
            return
        caller = self.query_one("#open-caller", Input).value if channel == "phone" else ""
        president = (
            self.query_one("#open-president", Input).value
            if channel == "president" and not self.as_president
            else ""
        )
        self.run_open(election.id, channel, caller, president)

    @work(thread=True, exclusive=True, group="intervention-open", exit_on_error=False)
    def run_open(self, election_id: str, channel: str, caller: str, president: str) -> None:
        deps, who = self.session()
        opened = open_intervention(
            deps,
            who,
            self.voter_id,
            channel,
            election_id=election_id,
            caller_number=caller or None,
            president_login=president or None,
        )
        self.app.call_from_thread(self._done, opened)

    def _done(self, opened: OpenIntervention) -> None:
        self.dismiss(opened)

    @on(Button.Pressed, "#open-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


LAYOUT_SETTLED_S = 0.05
NOTE_OPTIONAL = "Note (facultative, versée au journal ; numéros et adresses masqués)"
# One line at 80 columns: a second one was scrolled out of view, its parenthesis cut.
# « pourquoi escalader » was jargon to a newcomer: the note is what the supervisor reads.
NOTE_FOR_SUPERVISOR = "Note pour le superviseur (obligatoire ; numéros et adresses masqués)"
NOTE_SUBJECT = "La note"  # how the service's refusal of a code in the note begins


class InterventionCloseScreen(CsuModal[str | None]):
    """The outcome of the intervention and an optional note; returns the outcome. The
    outcome proposed is ``suggested``: what happened (the voter file reads it from the
    call's state, its steps and a refusal it showed that the journal does not keep,
    :func:`csu.domain.permissions.suggested_outcome`)."""

    DEFAULT_CSS = """
    InterventionCloseScreen #close-callback-box { height: auto; }
    InterventionCloseScreen.-short #close-note { height: 4; }
    """

    UNDONE = "L'intervention reste ouverte."
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="intervention-close-cancel")]
    REFUSAL_LINE = "#close-message"
    NOT_DONE_WHAT = "Intervention non close"
    # As csu.services.interventions and csu.services.escalation name them (« La note »:
    # a credential found in it, csu.services.credential_text).
    FIELDS_AT_FAULT = {
        "Note": "#close-note",
        NOTE_SUBJECT: "#close-note",
        CALLBACK_FIELD: "#close-callback",
    }

    def __init__(
        self, intervention_id: str, suggested: str = "résolu", *, unconfirmed: str | None = None
    ) -> None:
        """``unconfirmed``: the kind of a credential issued in this intervention whose
        read-out was never confirmed: it stays active, the voter may not have it."""
        super().__init__()
        self.intervention_id = intervention_id
        self.suggested = suggested if suggested in OUTCOMES else "résolu"
        self.unconfirmed = unconfirmed

    def compose(self) -> ComposeResult:
        with Vertical(id="intervention-close-box", classes="modal-box"):
            yield Static("Clore l'intervention", classes="modal-title")
            if self.unconfirmed is not None:
                # A president closed on « Abandonné » with one Entrée, a password issued
                # (the old one invalid), its hand-over never confirmed.
                label = CREDENTIAL_LABELS.get(self.unconfirmed, "code")
                yield Static(
                    f"Attention : le code délivré ({label}) reste actif, mais sa remise n'a "
                    "pas été confirmée : l'électeur ne l'a peut-être pas. S'il doit voter, "
                    "annulez (Échap) et délivrez-en un nouveau ; sinon, précisez-le dans la "
                    "note.",
                    id="close-unread-warning",
                    classes="modal-hint -reminder",
                    markup=False,
                )
            yield Label("Issue")
            yield NextSelect(
                [(label.capitalize(), key) for key, label in OUTCOMES.items()],
                id="close-outcome",
                value=self.suggested,
                allow_blank=False,
            )
            yield Label(NOTE_OPTIONAL, id="close-note-label")
            yield TextArea(id="close-note")
            # Escalated, the supervisor calls the caller back: the number goes here, kept
            # sealed; written in the note it would be kept masked, of no use to call.
            with Vertical(id="close-callback-box"):
                # Optional: without it the supervisor reaches the voter as the file says.
                yield Label("Numéro de rappel (facultatif ; sinon, coordonnées du dossier)")
                yield Input(id="close-callback", placeholder="ex. 06 12 34 56 78")
            message = Static(id="close-message", classes="modal-message", markup=False)
            message.display = False
            yield message
            with Horizontal(classes="modal-buttons"):
                yield Button("Clore", id="close-ok", variant="primary")
                yield Button("Annuler", id="close-cancel")

    def on_mount(self) -> None:
        self._show_callback()
        if self.unconfirmed is not None:
            # Its warning says what « Fermer sans confirmer »'s notice said, and at 80x24
            # that notice covered the warning for seconds (newcomer run): that one goes,
            # any other stays.
            said = unconfirmed(self.unconfirmed, "")[0]
            for notice in list(self.app._notifications):
                if notice.title == said:
                    self.app._unnotify(notice)  # Textual's own, as clear_notifications does

    def start_in(self) -> Widget:
        return self.query_one("#close-outcome", Select)

    def on_key(self, event: events.Key) -> None:
        """A note typed while the cursor is still on « Issue » (a list, which takes no
        characters) goes to the note: it vanished, unsaid (newcomer run). A space opens
        the list, as it does."""
        character = event.character
        outcome = self.query_one("#close-outcome", Select)
        if character is None or not character.isprintable() or character.isspace():
            return
        if self.focused is not outcome or outcome.expanded:
            return
        event.stop()
        event.prevent_default()
        note = self.query_one("#close-note", TextArea)
        note.focus()
        note.move_cursor(note.document.end)
        note.insert(character)

    @on(Select.Changed, "#close-outcome")
    def _show_callback(self) -> None:
        escalated = self.query_one("#close-outcome", Select).value == ESCALATED
        box = self.query_one("#close-callback-box")
        shown = box.display
        box.display = escalated
        # The supervisor must be told why (csu.domain.escalation): the note was said
        # « facultative » until the refusal.
        self.query_one("#close-note-label", Label).update(
            NOTE_FOR_SUPERVISOR if escalated else NOTE_OPTIONAL
        )
        if escalated and not shown and self.is_mounted:
            # The fields it adds, and the buttons, into view (they opened below 24 rows).
            buttons = self.query_one(".modal-buttons")
            # Once laid out with them, a moment later: the refresh after this change
            # still had the window's old height.
            self.set_timer(LAYOUT_SETTLED_S, lambda: buttons.scroll_visible(animate=False))

    @on(Button.Pressed, "#close-ok")
    @on(Input.Submitted, "#close-callback")  # Entrée in the last field, as in every window
    def _submit(self) -> None:
        outcome = self.query_one("#close-outcome", Select).value
        note = self.query_one("#close-note", TextArea)
        if self.unconfirmed is not None and outcome == RESOLVED and not note.text.strip():
            # The warning above said « précisez-le dans la note »: a newcomer closed
            # « Résolu » all the same, the key's hand-over never confirmed, nothing said.
            self.notify(UNCONFIRMED_RESOLVED, title="Note demandée", severity="warning")
            self.say_refused(
                not_done(self.NOT_DONE_WHAT, InvalidValue("Note", UNCONFIRMED_RESOLVED)), note
            )
            return
        if not isinstance(outcome, str) or not self.begin():
            return
        callback = self.query_one("#close-callback", Input).value
        self.run_close(outcome, self.query_one("#close-note", TextArea).text,
                       callback if outcome == ESCALATED else None)  # fmt: skip

    @work(thread=True, exclusive=True, group="intervention-close", exit_on_error=False)
    def run_close(self, outcome: str, note: str, callback: str | None = None) -> None:
        deps, who = self.session()
        close_intervention(deps, who, self.intervention_id, outcome, note,
                           callback_number=callback)  # fmt: skip
        self.app.call_from_thread(self._done, outcome)

    def _done(self, outcome: str) -> None:
        self.dismiss(outcome)

    def field_at_fault(self, error: BaseException | None) -> Widget | None:
        """The field the refusal names, where the cursor goes (it stayed on « Clore »,
        and a note typed then went nowhere); the note, too, for a code's shape found in
        it, which the service refuses without naming a field."""
        named = super().field_at_fault(error)
        if named is None and str(error).startswith(f"{NOTE_SUBJECT} "):
            return self.query_one("#close-note", TextArea)
        return named

    @on(Button.Pressed, "#close-cancel")
    def action_cancel(self) -> None:
        """Escape or « Annuler »: a note typed is not lost without asking."""
        note = self.query_one("#close-note", TextArea).text
        if not note.strip():
            self.dismiss_undone()
            return
        self.app.push_screen(
            ConfirmDialog(
                "Abandonner la note ?",
                f"La note saisie ({len(note)} caractère{'s' if len(note) > 1 else ''}) sera "
                "perdue si vous fermez cette fenêtre ; l'intervention reste ouverte.",
                yes="Abandonner la note",
                no="Reprendre la saisie",
            ),
            self._after_discard_question,
        )

    def _after_discard_question(self, discard: bool | None) -> None:
        if discard:
            self.dismiss_undone()
        else:
            self.query_one("#close-note", TextArea).focus()
