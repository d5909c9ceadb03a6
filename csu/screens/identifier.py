"""S7: a voter without their notice gets the identifier of their material by e-mail,
at the professional address on record or at a personal address typed twice.

Once sent, nothing can be changed (a new send is a new message): the form locks and
offers the next step of the procedure, a password issued and shown once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from csu.domain.identifiers import parse_email
from csu.domain.masking import mask_identifier
from csu.screens.credential import material_label
from csu.screens.verify import AnswerFormat
from csu.services.identifier_delivery import PERSONAL, PRO, IdentifierSent, send_identifier
from csu.services.outbox import STATE_LABELS
from csu.services.voters import MaterialView

if TYPE_CHECKING:
    from csu.app import CsuApp

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
SENT = STATE_LABELS["sent"]


@dataclass(frozen=True, slots=True)
class IdentifierOutcome:
    """What the modal returns once the identifier went out."""

    sent: IdentifierSent
    material_id: int
    issue_password: bool  # the operator goes on to issue a password for this material


def sent_text(sent: IdentifierSent) -> str:
    identifier = mask_identifier(sent.identifier)  # an address-identifier shows masked
    if sent.delivery == SENT:
        return f"Identifiant {identifier} envoyé à {sent.recipient} ({sent.delivery})."
    return (
        f"Identifiant {identifier} pour {sent.recipient} mis en file ({sent.delivery}) : "
        "l'envoi sera retenté automatiquement (suivi dans Messages)."
    )


class IdentifierScreen(ModalScreen[IdentifierOutcome | None]):
    """Material (if several), destination, the personal address twice; « Envoyer ».

    Returns None when closed without a send; after one, the :class:`IdentifierOutcome`
    says whether the operator asked for a password next (« Délivrer un mot de passe »)."""

    BINDINGS = [Binding("escape", "close", "Fermer", id="identifier-close")]

    def __init__(
        self,
        intervention_id: str,
        materials: Sequence[MaterialView],
        *,
        email_pro: str | None,
        offer_password: bool,
    ) -> None:
        """``email_pro``: the professional address on record, masked (None: none);
        ``offer_password``: whether the operator may issue a password next."""
        super().__init__()
        self.intervention_id = intervention_id
        self.materials = list(materials)
        self.email_pro = email_pro
        self.offer_password = offer_password
        self.sent: IdentifierSent | None = None
        self._material_sent = 0
        self._busy = False

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="identifier-box", classes="modal-box"):
            yield Static("Envoyer l'identifiant", classes="modal-title")
            if len(self.materials) > 1:
                usable = next((m for m in self.materials if m.status == "actif"), self.materials[0])
                yield Label("Matériel de vote")
                yield Select(
                    [(material_label(m), m.material_id) for m in self.materials],
                    id="identifier-material",
                    value=usable.material_id,
                    allow_blank=False,
                )
            elif self.materials:
                yield Static(f"Matériel : {material_label(self.materials[0])}", markup=False)
            else:
                yield Static("Aucun matériel de vote de ce scrutin pour cet électeur.")
            yield Label("Destinataire")
            destinations = [("Adresse personnelle (saisie deux fois)", PERSONAL)]
            if self.email_pro:
                destinations.insert(
                    0, (f"Adresse professionnelle enregistrée ({self.email_pro})", PRO)
                )
            yield Select(
                destinations, id="identifier-to", value=destinations[0][1], allow_blank=False
            )
            with Vertical(id="identifier-personal", classes="modal-field"):
                yield Label("Adresse personnelle")
                yield Input(
                    id="identifier-address",
                    placeholder="ex. prenom.nom@exemple.fr",
                    validators=[AnswerFormat(parse_email)],
                )
                yield Label("Confirmation : retapez l'adresse")
                yield Input(id="identifier-confirm", placeholder="la même adresse, retapée")
            yield Static(
                "Vérifiez l'adresse avec l'électeur : une fois l'envoi fait, plus rien ne peut "
                "être modifié.",
                id="identifier-hint",
                classes="modal-hint",
            )
            yield Static(id="identifier-result", classes="modal-message")
            with Horizontal(classes="modal-buttons"):
                yield Button("Envoyer l'identifiant", id="identifier-ok", variant="primary")
                yield Button(
                    "Délivrer un mot de passe", id="identifier-password", variant="success"
                )
                yield Button("Fermer", id="identifier-close-button")

    def on_mount(self) -> None:
        self.query_one("#identifier-result", Static).display = False
        self.query_one("#identifier-password", Button).display = False
        self._arrange()
        self.query_one("#identifier-to", Select).focus()

    def _to(self) -> str:
        value = self.query_one("#identifier-to", Select).value
        return value if isinstance(value, str) else PERSONAL

    def _material(self) -> int | None:
        if len(self.materials) > 1:
            value = self.query_one("#identifier-material", Select).value
            return value if isinstance(value, int) else None
        return self.materials[0].material_id if self.materials else None

    @on(Select.Changed, "#identifier-to")
    def _arrange(self) -> None:
        self.query_one("#identifier-personal").display = self._to() == PERSONAL

    @on(Button.Pressed, "#identifier-ok")
    @on(Input.Submitted, "#identifier-confirm")
    def _submit(self) -> None:
        material = self._material()
        if self._busy or self.sent is not None or material is None:
            return
        to = self._to()
        address = confirm = ""
        if to == PERSONAL:
            address = self.query_one("#identifier-address", Input).value
            confirm = self.query_one("#identifier-confirm", Input).value
        self._busy = True
        result = self.query_one("#identifier-result", Static)
        result.update("Envoi de l'identifiant…")
        result.display = True
        self.send(material, to, address, confirm)

    @on(Input.Submitted, "#identifier-address")
    def _next_field(self) -> None:
        self.query_one("#identifier-confirm", Input).focus()

    @work(thread=True, exclusive=True, group="identifier", exit_on_error=False)
    def send(self, material_id: int, to: str, address: str, confirm: str) -> None:
        who = self.csu.operator
        if who is None:
            return
        sent = send_identifier(
            self.csu.deps,
            who,
            self.intervention_id,
            material_id,
            to=to,
            address=address,
            confirm=confirm,
        )
        self.app.call_from_thread(self._sent, sent, material_id)

    def _sent(self, sent: IdentifierSent, material_id: int) -> None:
        """The form locks: what was sent cannot be changed."""
        self.sent, self._material_sent = sent, material_id
        self.query_one("#identifier-result", Static).update(sent_text(sent))
        for field in self.query(Input):
            field.clear()  # a typed address is not kept, even on screen
            field.disabled = True
        for select in self.query(Select):
            select.disabled = True
        self.query_one("#identifier-personal").display = False
        self.query_one("#identifier-hint").display = False
        self.query_one("#identifier-ok", Button).display = False
        password = self.query_one("#identifier-password", Button)
        password.display = self.offer_password
        (password if self.offer_password else self.query_one("#identifier-close-button")).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker messages do not bubble: the app's handler shows a refusal in French.
        self.csu.on_worker_state_changed(event)
        if event.state is WorkerState.ERROR:
            result = self.query_one("#identifier-result", Static)
            result.update("")
            result.display = False
        if event.state in FINISHED:
            self._busy = False

    @on(Button.Pressed, "#identifier-password")
    def _issue_password(self) -> None:
        if self.sent is not None and self.offer_password:
            self.dismiss(IdentifierOutcome(self.sent, self._material_sent, issue_password=True))

    @on(Button.Pressed, "#identifier-close-button")
    def action_close(self) -> None:
        if self.sent is None:
            self.dismiss(None)
        else:
            self.dismiss(IdentifierOutcome(self.sent, self._material_sent, issue_password=False))
