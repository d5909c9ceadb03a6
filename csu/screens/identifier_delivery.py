"""S7: a voter without their notice gets the identifier of their material by e-mail,
at the professional address on record or at a personal address typed twice.

Once sent, nothing can be changed (a new send is a new message): the form locks and
offers the next step of the procedure, a password issued and shown once.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from csu.domain.identifiers import parse_email
from csu.domain.masking import mask_identifier
from csu.screens.base import CsuModal, WorkFailed
from csu.screens.dialogs import MaterialPicker, doubtful_address
from csu.screens.focus import ENTER_MOVES_ON, move_on
from csu.services.identifier_delivery import PERSONAL, PRO, IdentifierSent, send_identifier
from csu.services.outbox import GIVEN_UP, STATE_LABELS
from csu.services.vote_codes import LinkSent, send_password_link
from csu.services.voters import MaterialView
from csu.widgets.parsed import Parsed
from csu.widgets.paste_checked import RetypedInput
from csu.widgets.plain import PlainSelect

SENT = STATE_LABELS["sent"]


HOLD_SECONDS = 0.6
"""The next step's button takes no press this soon after it took the cursor: the second
of two Entrée struck for the identifier."""


@dataclass(frozen=True, slots=True)
class IdentifierOutcome:
    """What the modal returns once the identifier went out."""

    sent: IdentifierSent
    material_id: int
    issue_password: bool  # the operator goes on to issue a password for this material


def sent_text(sent: IdentifierSent) -> str:
    identifier = mask_identifier(sent.identifier)  # an address-identifier shows masked
    if sent.delivery == SENT:
        return f"Identifiant {identifier} envoyé à {sent.recipient}."
    if sent.delivery in GIVEN_UP:  # refused for good, or given up: never retried
        return (
            f"Identifiant {identifier} non envoyé à {sent.recipient} ({sent.delivery}) : "
            "voyez la cause dans Messages, puis renvoyez-le à une autre adresse."
        )
    return (
        f"Identifiant {identifier} pour {sent.recipient} en attente d'envoi : "
        "l'envoi sera retenté automatiquement (suivi dans Messages)."
    )


def password_link_text(sent: LinkSent) -> str:
    """The password link as its identifier's sentence says it: sent, refused for good
    (never retried: no « valable jusqu'au » then), or waiting."""
    expires = sent.expires_at.strftime("%d/%m à %H:%M")
    shown = "le mot de passe s'affichera sur l'écran de l'électeur, jamais lu par la cellule"
    if sent.delivery == SENT:
        return (
            f"Lien du mot de passe envoyé à {sent.recipient}, valable jusqu'au {expires} : "
            f"{shown}."
        )
    if sent.delivery in GIVEN_UP:
        return (
            f"Lien du mot de passe pour {sent.recipient} non envoyé ({sent.delivery}) : "
            "voyez la cause dans Messages, puis envoyez-le à une autre adresse."
        )
    return (
        f"Lien du mot de passe pour {sent.recipient} en attente d'envoi, valable jusqu'au "
        f"{expires} : l'envoi sera retenté automatiquement ; {shown}."
    )


class IdentifierScreen(CsuModal[IdentifierOutcome | None]):
    """Material (if several), destination, the personal address twice; « Envoyer ».

    Returns None when closed without a send; after one, the :class:`IdentifierOutcome`
    says whether the operator asked for a password next (« Délivrer un mot de passe »)."""

    UNDONE = "Rien n'a été envoyé."
    BINDINGS = [Binding("escape", "close", "Fermer", id="identifier-close"), ENTER_MOVES_ON]

    def __init__(
        self,
        intervention_id: str,
        materials: Sequence[MaterialView],
        *,
        email_pro: str | None,
        offer_password: bool,
        password_by_link: bool = False,
    ) -> None:
        """``email_pro``: the professional address on record, masked (None: none);
        ``offer_password``: whether the operator may issue a password next;
        ``password_by_link``: the election shows the password on the voter's own screen,
        by a one-time link sent where the identifier went (men-2011, seed 003)."""
        super().__init__()
        self.intervention_id = intervention_id
        self.materials = list(materials)
        self.email_pro = email_pro
        self.offer_password = offer_password or password_by_link
        self.password_by_link = password_by_link
        self.sent: IdentifierSent | None = None
        self._offered_at = 0.0  # when the next step's button took the cursor (monotonic)
        self._material_sent = 0
        # The personal address the identifier went to, held (never shown again) for the
        # password link, which the service sends only to that same address.
        self._address = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="identifier-box", classes="modal-box"):
            yield Static("Envoyer l'identifiant", classes="modal-title")
            yield MaterialPicker(self.materials, select_id="identifier-material")
            yield Label("Destinataire")
            destinations = [("Adresse personnelle (saisie deux fois)", PERSONAL)]
            if self.email_pro:
                destinations.insert(
                    0, (f"Adresse professionnelle enregistrée ({self.email_pro})", PRO)
                )
            yield PlainSelect(
                destinations, id="identifier-to", value=destinations[0][1], allow_blank=False
            )
            with Vertical(id="identifier-personal", classes="modal-field"):
                yield Label("Adresse personnelle")
                yield Input(
                    id="identifier-address",
                    placeholder="ex. prenom.nom@exemple.fr",
                    validators=[Parsed(parse_email)],
                )
                yield Label("Confirmation : retapez l'adresse")
                yield RetypedInput(
                    field="Confirmation de l'adresse",
                    id="identifier-confirm",
                    placeholder="la même adresse, retapée",
                )
            yield Static(
                "Vérifiez l'adresse avec l'électeur : une fois l'envoi fait, plus rien ne peut "
                "être modifié.",
                id="identifier-hint",
                classes="modal-hint",
                markup=False,
            )
            yield Static(id="identifier-result", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Envoyer l'identifiant", id="identifier-ok", variant="primary")
                yield Button(
                    "Envoyer le lien du mot de passe"
                    if self.password_by_link
                    else "Délivrer un mot de passe",
                    id="identifier-password",
                    variant="success",
                )
                yield Button("Fermer", id="identifier-close-button")

    def on_mount(self) -> None:
        self.query_one("#identifier-result", Static).display = False
        self.query_one("#identifier-password", Button).display = False
        self._arrange()

    def start_in(self) -> Select[str]:
        return self.query_one("#identifier-to", Select)

    def _to(self) -> str:
        value = self.query_one("#identifier-to", Select).value
        return value if isinstance(value, str) else PERSONAL

    def _material(self) -> int | None:
        return self.query_one(MaterialPicker).material_id

    @on(Select.Changed, "#identifier-to")
    def _arrange(self) -> None:
        self.query_one("#identifier-personal").display = self._to() == PERSONAL

    @on(Button.Pressed, "#identifier-ok")
    @on(Input.Submitted, "#identifier-confirm")
    def _submit(self) -> None:
        material = self._material()
        if self.busy or self.sent is not None or material is None:
            return
        to = self._to()
        address = confirm = ""
        if to == PERSONAL:
            address = self.query_one("#identifier-address", Input).value
            confirm = self.query_one("#identifier-confirm", Input).value
            # « gmail.con » typed twice the same: asked before it is confirmed for good.
            question = doubtful_address(address, confirm)
            if question is not None:
                self.app.push_screen(
                    question, lambda go: self._after_question(go, material, address, confirm)
                )
                return
        self._start(material, to, address, confirm)

    def _after_question(self, go: bool | None, material: int, address: str, confirm: str) -> None:
        if go:
            self._start(material, PERSONAL, address, confirm, domain_confirmed=True)
        else:
            self.query_one("#identifier-address", Input).focus()

    def _start(
        self, material: int, to: str, address: str, confirm: str, *, domain_confirmed: bool = False
    ) -> None:
        if not self.begin():
            return
        self._address = address
        result = self.query_one("#identifier-result", Static)
        result.update("Envoi de l'identifiant…")
        result.display = True
        self.send(material, to, address, confirm, domain_confirmed)

    def action_move_on(self) -> None:
        # The address typed fast, Entrée, then again: each in its own field.
        move_on(self, {"identifier-address": "identifier-confirm"})

    @work(thread=True, exclusive=True, group="identifier", exit_on_error=False)
    def send(
        self, material_id: int, to: str, address: str, confirm: str, domain_confirmed: bool
    ) -> None:
        deps, who = self.session()
        sent = send_identifier(
            deps,
            who,
            self.intervention_id,
            material_id,
            to=to,
            address=address,
            confirm=confirm,
            domain_confirmed=domain_confirmed,
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
        # On the next step of S7 when there is one: on « Fermer », Entrée closed the
        # window and the voter had an identifier and no password. A second Entrée meant
        # for the identifier is held (HOLD_SECONDS): it sent the link too, unasked.
        (password if self.offer_password else self.query_one("#identifier-close-button")).focus()
        self._offered_at = time.monotonic()

    @on(WorkFailed)
    def _failed(self) -> None:
        if self.sent is not None:
            return  # the password link failed: what was sent stays said
        result = self.query_one("#identifier-result", Static)
        result.update("")
        result.display = False

    @on(Button.Pressed, "#identifier-password")
    def _issue_password(self) -> None:
        if self.sent is None or not self.offer_password or self.busy:
            return
        if time.monotonic() - self._offered_at < HOLD_SECONDS:
            # An Entrée pressed twice for the identifier (the window seemed slow) sent the
            # link too, a second message the voter had not asked for (newcomer run).
            self.query_one("#identifier-result", Static).update(
                f"{sent_text(self.sent)}\nÉtape suivante : Entrée sur « "
                f"{self.query_one('#identifier-password', Button).label} »."
            )
            return
        if self.password_by_link:
            self.begin()
            self.send_password_link(self._material_sent, self._address)
            return
        self.dismiss(IdentifierOutcome(self.sent, self._material_sent, issue_password=True))

    @work(thread=True, exclusive=True, group="identifier", exit_on_error=False)
    def send_password_link(self, material_id: int, address: str) -> None:
        deps, who = self.session()
        sent = send_password_link(deps, who, self.intervention_id, material_id, address)
        self.app.call_from_thread(self._link_sent, sent)

    def _link_sent(self, sent: LinkSent) -> None:
        self._address = ""
        self.query_one("#identifier-result", Static).update(
            f"{sent_text(self.sent) if self.sent else ''}\n{password_link_text(sent)}"
        )
        button = self.query_one("#identifier-password", Button)
        button.display = False
        self.query_one("#identifier-close-button").focus()

    @on(Button.Pressed, "#identifier-close-button")
    def action_close(self) -> None:
        if self.sent is None:
            self.dismiss_undone()
        else:
            self.dismiss(IdentifierOutcome(self.sent, self._material_sent, issue_password=False))
