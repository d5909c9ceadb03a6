"""S6: a one-time link to reissue the vote code, by SMS to a mobile or by e-mail to a
personal address (never the professional one on record).

The number or address typed serves this link only: the service keeps it sealed until
delivery and the journal a masked form; the modal clears it once the link is sent. A
refusal (a landline, the professional address, a lapsed verification) shows as a
notification and leaves what was typed in place.
"""

from collections.abc import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from csu.domain.identifiers import parse_email, parse_mobile
from csu.screens.base import CsuModal, WorkFailed
from csu.screens.dialogs import MaterialPicker
from csu.services.outbox import GIVEN_UP, STATE_LABELS
from csu.services.vote_codes import LinkSent, send_vote_code_link
from csu.services.voters import MaterialView
from csu.widgets.parsed import Parsed

SENT = STATE_LABELS["sent"]

CHANNELS: dict[str, str] = {
    "sms": "SMS à un numéro de mobile",
    "email": "Courriel à une adresse personnelle",
}
RECIPIENT_LABELS: dict[str, str] = {
    "sms": "Numéro de mobile donné par l'électeur",
    "email": "Adresse personnelle donnée par l'électeur (pas l'adresse professionnelle)",
}
PLACEHOLDERS: dict[str, str] = {
    "sms": "ex. 06 12 34 56 78",
    "email": "ex. prenom.nom@exemple.fr",
}


def sent_text(sent: LinkSent) -> str:
    """What the agent tells the caller."""
    until = f"valable jusqu'à {sent.expires_at:%H:%M}"
    if sent.delivery == SENT:
        return f"Lien envoyé à {sent.recipient}, {until}."
    if sent.delivery in GIVEN_UP:  # refused for good, or given up: never retried
        return (
            f"Lien pour {sent.recipient} non envoyé ({sent.delivery}) : voyez la cause dans "
            "Messages, puis envoyez un nouveau lien par une autre voie."
        )
    return (
        f"Lien pour {sent.recipient} en attente d'envoi, {until} : l'envoi "
        f"sera retenté automatiquement jusqu'à {sent.expires_at:%H:%M}, fin de validité du "
        "lien (suivi dans Messages)."
    )


class VoteCodeLinkScreen(CsuModal[LinkSent | None]):
    """Material (if several), channel, number or address; « Envoyer le lien ».

    Returns the last link sent (None if none was), so that the voter file behind
    refreshes its timeline. A new link voids the previous one."""

    UNDONE = "Aucun lien n'a été envoyé."
    BINDINGS = [Binding("escape", "close", "Fermer", id="vote-code-link-close")]

    def __init__(self, intervention_id: str, materials: Sequence[MaterialView]) -> None:
        super().__init__()
        self.intervention_id = intervention_id
        self.materials = list(materials)
        self.sent: LinkSent | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="link-box", classes="modal-box"):
            yield Static("Lien de réassort du code de vote", classes="modal-title")
            yield MaterialPicker(self.materials, select_id="link-material")
            yield Label("Envoi")
            yield Select(
                [(label, key) for key, label in CHANNELS.items()],
                id="link-channel",
                value="sms",
                allow_blank=False,
            )
            yield Label(RECIPIENT_LABELS["sms"], id="link-recipient-label", markup=False)
            yield Input(
                id="link-recipient",
                placeholder=PLACEHOLDERS["sms"],
                validators=[Parsed(parse_mobile)],
            )
            yield Static(
                "Le numéro ou l'adresse saisi ne sert qu'à cet envoi : il n'est pas conservé. "
                "Un nouveau lien annule le précédent.",
                classes="modal-hint",
            )
            yield Static(id="link-result", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Envoyer le lien", id="link-ok", variant="primary")
                yield Button("Fermer", id="link-close")

    def on_mount(self) -> None:
        self.query_one("#link-result", Static).display = False

    def start_in(self) -> Input:
        return self.query_one("#link-recipient", Input)

    def _channel(self) -> str:
        value = self.query_one("#link-channel", Select).value
        return value if isinstance(value, str) else "sms"

    def _material(self) -> int | None:
        return self.query_one(MaterialPicker).material_id

    @on(Select.Changed, "#link-channel")
    def _channel_changed(self) -> None:
        channel = self._channel()
        self.query_one("#link-recipient-label", Label).update(RECIPIENT_LABELS[channel])
        field = self.query_one("#link-recipient", Input)
        field.placeholder = PLACEHOLDERS[channel]
        field.validators = [Parsed(parse_mobile if channel == "sms" else parse_email)]
        if field.value:
            checked = field.validate(field.value)
            if checked is not None and not checked.is_valid:
                # A number left in the address's field (or the reverse) is no start for
                # what is now asked: cleared, as a newcomer expected. What fits stays.
                field.clear()

    @on(Button.Pressed, "#link-ok")
    @on(Input.Submitted, "#link-recipient")
    def _submit(self) -> None:
        material = self._material()
        if material is None or not self.begin():
            return
        result = self.query_one("#link-result", Static)
        result.update("Envoi du lien…")
        result.display = True
        self.send(material, self._channel(), self.query_one("#link-recipient", Input).value)

    @work(thread=True, exclusive=True, group="vote-code-link", exit_on_error=False)
    def send(self, material_id: int, channel: str, recipient: str) -> None:
        deps, who = self.session()
        sent = send_vote_code_link(deps, who, self.intervention_id, material_id, channel, recipient)
        self.app.call_from_thread(self._sent, sent)

    def _sent(self, sent: LinkSent) -> None:
        self.sent = sent
        self.query_one("#link-result", Static).update(sent_text(sent))
        field = self.query_one("#link-recipient", Input)
        field.clear()  # the number or address typed is not kept, even on screen
        self.query_one("#link-close", Button).focus()

    @on(WorkFailed)
    def _failed(self, failed: WorkFailed) -> None:
        result = self.query_one("#link-result", Static)
        result.update(sent_text(self.sent) if self.sent else "")
        result.display = self.sent is not None
        if failed.refused:
            # The number or address was refused (absent, malformed, the voter's own
            # professional one): the cursor goes back to it, where what the agent types
            # next belongs, not to the button pressed.
            self.query_one("#link-recipient", Input).focus()

    @on(Button.Pressed, "#link-close")
    def action_close(self) -> None:
        if self.sent is None:
            self.dismiss_undone()
        else:
            self.dismiss(self.sent)
