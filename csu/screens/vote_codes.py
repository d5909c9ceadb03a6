"""S6: a one-time link to reissue the vote code, by SMS to a mobile or by e-mail to a
personal address (never the professional one on record).

The number or address typed serves this link only: the service keeps it sealed until
delivery and the journal a masked form; the modal clears it once the link is sent. A
refusal (a landline, the professional address, a lapsed verification) shows as a
notification, and in the window until the field at fault is edited, and leaves what was
typed in place.

Nobody can read the recipient back once the link is sent (masked everywhere), and the
link reveals a new vote code: an address is typed twice (the second typing refuses a
paste), and one whose domain looks like a typo is asked about first; a mobile number is
said back in full, in groups, under its field, for the agent to read to the caller
while typing (no extra step: the caller is on the line).
"""

from collections.abc import Sequence

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email, parse_mobile
from csu.domain.mail_domains import DoubtfulDomain
from csu.domain.masking import readable_phone
from csu.screens.base import CsuModal, WorkFailed
from csu.screens.dialogs import MaterialPicker, doubtful_address
from csu.screens.focus import ENTER_MOVES_ON, move_on
from csu.services.outbox import GIVEN_UP, STATE_LABELS
from csu.services.vote_codes import ADDRESS_FIELD, LinkSent, send_vote_code_link
from csu.services.voters import MaterialView
from csu.widgets.parsed import Parsed
from csu.widgets.paste_checked import RetypedInput

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


AGAIN = (
    "Un autre numéro ou une autre adresse ? Tapez-le ci-dessus puis Entrée : le nouveau "
    "lien annule celui-ci. Sinon, Échap ferme la fenêtre."
)


def read_back(typed: str) -> str:
    """The mobile typed, in full and in groups, for the agent to read to the caller
    (« 06 12 34 56 78 »); "" while it is no mobile number."""
    try:
        phone = parse_mobile(typed)
    except InvalidValue:
        return ""
    return f"À relire à l'électeur : {readable_phone(phone.e164)}"


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
    """Material (if several), channel, number or address (typed twice); « Envoyer le
    lien ».

    It opens on the channel, as « Nouvelle intervention » opens on « Canal »; what is
    typed there (or on a button) goes to the number or address. Once a link is sent the
    fields are emptied and the cursor waits in the first, for another number or address.
    Returns the last link sent (None if none was), so that the voter file behind
    refreshes its timeline. A new link voids the previous one."""

    UNDONE = "Aucun lien n'a été envoyé."
    BINDINGS = [Binding("escape", "close", "Fermer", id="vote-code-link-close"), ENTER_MOVES_ON]
    REFUSAL_LINE = "#link-problem"
    NOT_DONE_WHAT = "Lien non envoyé"

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
            yield Static(id="link-read-back", classes="modal-hint", markup=False)
            with Vertical(id="link-confirm-box", classes="modal-field"):
                yield Label("Confirmation : retapez l'adresse")
                yield RetypedInput(
                    field="Confirmation de l'adresse",
                    id="link-recipient-confirm",
                    placeholder="la même adresse, retapée",
                )
            # Why the link did not go, under the fields, where the cursor goes back (told
            # from the hint below by its colour: the buttons stay in view at 80x24).
            problem = Static(id="link-problem", classes="modal-message", markup=False)
            problem.display = False
            yield problem
            yield Static(
                "Le numéro ou l'adresse saisi ne sert qu'à cet envoi : il n'est pas conservé. "
                "Un nouveau lien annule le précédent.",
                classes="modal-hint",
            )
            yield Static(id="link-result", classes="modal-message", markup=False)
            yield Static(AGAIN, id="link-again", classes="modal-hint", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Envoyer le lien", id="link-ok", variant="primary")
                yield Button("Fermer", id="link-close")

    def on_mount(self) -> None:
        self.query_one("#link-result", Static).display = False
        self.query_one("#link-read-back", Static).display = False
        self.query_one("#link-confirm-box").display = False
        self.query_one("#link-again").display = False

    def start_in(self) -> Select[str]:
        # The channel first, as « Nouvelle intervention » starts on « Canal »: a newcomer
        # with that habit pressed Tab, then typed the number into the button after it.
        return self.query_one("#link-channel", Select)

    def _channel(self) -> str:
        value = self.query_one("#link-channel", Select).value
        return value if isinstance(value, str) else "sms"

    def _material(self) -> int | None:
        return self.query_one(MaterialPicker).material_id

    def _fields(self) -> list[Input]:
        """The fields the channel asks for: the number, or the address and its retyping."""
        fields = [self.query_one("#link-recipient", Input)]
        if self._channel() == "email":
            fields.append(self.query_one("#link-recipient-confirm", Input))
        return fields

    @on(Select.Changed, "#link-channel")
    def _channel_changed(self) -> None:
        channel = self._channel()
        self.query_one("#link-recipient-label", Label).update(RECIPIENT_LABELS[channel])
        self.query_one("#link-confirm-box").display = channel == "email"
        field = self.query_one("#link-recipient", Input)
        field.placeholder = PLACEHOLDERS[channel]
        field.validators = [Parsed(parse_mobile if channel == "sms" else parse_email)]
        if field.value:
            checked = field.validate(field.value)
            if checked is not None and not checked.is_valid:
                # A number left in the address's field (or the reverse) is no start for
                # what is now asked: cleared, as a newcomer expected. What fits stays.
                field.clear()
        self._read_back()

    @on(Input.Changed, "#link-recipient")
    def _read_back(self) -> None:
        """The mobile typed, said back in full under its field (never kept)."""
        said = self.query_one("#link-read-back", Static)
        text = read_back(self.query_one("#link-recipient", Input).value)
        shown = self._channel() == "sms" and bool(text)
        said.update(text if shown else "")
        said.display = shown

    def on_key(self, event: events.Key) -> None:
        """A character typed while the cursor is on a list or a button (« Envoi », Tab
        then the number: it went nowhere) goes to the first empty field, the number or
        the address; with none empty, the bell says it went nowhere."""
        character = event.character
        focused = self.focused
        if character is None or not character.isprintable() or character.isspace():
            return
        if isinstance(focused, Input) or focused is None:
            return
        if isinstance(focused, Select) and focused.expanded:
            return
        event.stop()
        event.prevent_default()
        empty = next((field for field in self._fields() if not field.value), None)
        if empty is None:
            self.app.bell()
            self.notify(
                "Le curseur n'était pas dans un champ : rien n'a été saisi.",
                title="Saisie perdue",
                severity="warning",
                timeout=6,
            )
            return
        empty.insert_text_at_cursor(character)
        empty.select_on_focus = False  # the next character goes after it, not over it
        empty.focus()

    def action_move_on(self) -> None:
        # An address typed fast, Entrée, then again: each in its own field.
        email = self._channel() == "email"
        move_on(self, {"link-recipient": "link-recipient-confirm"} if email else {})

    @on(Button.Pressed, "#link-ok")
    @on(Input.Submitted, "#link-recipient")
    @on(Input.Submitted, "#link-recipient-confirm")
    def _submit(self) -> None:
        material = self._material()
        if material is None or self.busy:
            return
        channel = self._channel()
        recipient = self.query_one("#link-recipient", Input).value
        confirm = self.query_one("#link-recipient-confirm", Input).value
        if self.sent is not None and not recipient.strip():
            # Entrée once more after a send: nothing to send; what to do is said in the
            # window (a notice would cover it), picked out.
            self.app.bell()
            self.query_one("#link-again").add_class("-reminder")
            return
        if channel == "email":
            question = doubtful_address(recipient, confirm)
            if question is not None:
                self.app.push_screen(
                    question, lambda go: self._after_question(go, material, recipient, confirm)
                )
                return
        self._start(material, channel, recipient, confirm if channel == "email" else "")

    def _after_question(
        self, go: bool | None, material: int, recipient: str, confirm: str
    ) -> None:
        if go:
            self._start(material, "email", recipient, confirm, domain_confirmed=True)
        else:
            self.query_one("#link-recipient", Input).focus()

    def _start(
        self,
        material: int,
        channel: str,
        recipient: str,
        confirm: str,
        *,
        domain_confirmed: bool = False,
    ) -> None:
        if not self.begin():
            return
        result = self.query_one("#link-result", Static)
        result.update("Envoi du lien…")
        result.display = True
        self.send(material, channel, recipient, confirm, domain_confirmed)

    @work(thread=True, exclusive=True, group="vote-code-link", exit_on_error=False)
    def send(
        self, material_id: int, channel: str, recipient: str, confirm: str, domain_confirmed: bool
    ) -> None:
        deps, who = self.session()
        sent = send_vote_code_link(
            deps, who, self.intervention_id, material_id, channel, recipient,
            confirm=confirm, domain_confirmed=domain_confirmed,
        )  # fmt: skip
        self.app.call_from_thread(self._sent, sent)

    def _sent(self, sent: LinkSent) -> None:
        self.sent = sent
        self.query_one("#link-result", Static).update(sent_text(sent))
        again = self.query_one("#link-again")
        again.display = True
        again.remove_class("-reminder")
        for field in self.query(Input):
            field.clear()  # the number or address typed is not kept, even on screen
        # In the number's field, where a corrected one is typed: on « Fermer », a
        # corrected number typed went nowhere and Entrée closed the window.
        self.query_one("#link-recipient", Input).focus()

    @on(WorkFailed)
    def _failed(self) -> None:
        # « Envoi du lien… » goes; the refusal shows in #link-problem (CsuModal).
        result = self.query_one("#link-result", Static)
        result.update(sent_text(self.sent) if self.sent else "")
        result.display = self.sent is not None

    def field_at_fault(self, error: BaseException | None) -> Input:
        """Every refusal is about the number or address (absent, malformed, typed twice
        differently, the voter's own professional one): the cursor goes back to its
        field, where what the agent types next belongs, not to the button."""
        # « Adresse personnelle » names the retyping: absent, or not the same.
        again = isinstance(error, InvalidValue) and error.field == ADDRESS_FIELD
        again = again and not isinstance(error, DoubtfulDomain)
        return self.query_one("#link-recipient-confirm" if again else "#link-recipient", Input)

    @on(Button.Pressed, "#link-close")
    def action_close(self) -> None:
        if self.sent is None:
            self.dismiss_undone()
        else:
            self.dismiss(self.sent)
