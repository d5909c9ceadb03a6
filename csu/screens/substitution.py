"""Requesting replacement material (S5, « matériel de substitution », CCI).

The agent records, inside the open intervention on the voter, what the voter sent:
the voter number(s) concerned, the pieces of the election's checklist, the name, first
name and date of birth copied from the signed request (the service compares them with
the roll, accents and case aside), the delivery address (typed twice, as the S7
identifier's personal address is: a slip of the keyboard would send the new material
elsewhere once the original no longer works) and the date the loss was declared. The
service decides at once: refused (stored, with its reason: a name that differs from
the roll is one), waiting for a supervisor, or granted. The modal shows that answer
and returns the request.

The request is taken only once the caller's identity is verified in the call (seed
000: « Après contrôle, l'électeur sera invité à formuler sa demande complète »): the
form asks the service first and stays greyed, saying to verify the identity (ctrl+e on
the voter file) before anything is typed, when the call is not verified; verified, it
says until when, since the service checks again when the request is sent.

Entrée sends the form once it is complete; before that it names what is missing, goes
to it and sends nothing. A form the rules would refuse (a piece not ticked, a name that
differs from the roll, a loss declared too early) is not recorded at once: a window
lists its anomalies and asks « Enregistrer comme refusée ? », « Revenir corriger »
focused (Échap too), which goes back to the form as typed, the cursor on the first
field at fault (a box left unticked for a piece received, or a typo in the name, was
journalled straight away as a refusal of the voter's request).

Échap (or « Annuler ») on a form where anything was typed or ticked asks before
throwing it away, as the closing of an intervention asks before losing its note; on a
form as it opened, it closes at once.
"""

from collections.abc import Callable
from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static
from textual.worker import Worker, WorkerState

from csu.domain import substitution as rules
from csu.domain.clock import Clock, to_paris
from csu.domain.contacts import parse_typed_email, typed_twice_alike
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import IDENTITY_FIELDS as ROLL_FIELDS
from csu.domain.identifiers import parse_birth_date
from csu.domain.interventions import MAX_NOTE_LENGTH
from csu.domain.masking import mask_identifier
from csu.domain.text import free_text
from csu.screens.base import CsuModal, Explained, not_done
from csu.screens.dialogs import ConfirmDialog, doubtful_address
from csu.services.context import ServiceError
from csu.services.substitution import (
    RefusalToConfirm,
    RequestCheck,
    SubstitutionView,
    TypedIdentity,
    request_check,
    request_substitution,
)
from csu.widgets.parsed import Parsed
from csu.widgets.paste_checked import PasteCheckedInput, RetypedInput
from csu.widgets.tick_box import TickBox

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
GRANTED = rules.STATE_LABELS[rules.GRANTED]
PENDING = rules.STATE_LABELS[rules.PENDING]
# The roll's own limit for a name: a longer one is a slip of the keyboard, said as such
# before anything is sent rather than compared and stored as a mismatch.
MAX_NAME_LENGTH = 200
# The fields the signed request gives, compared with the roll:
# (id, label, placeholder, longest value typed).
IDENTITY_FIELDS = (
    ("substitution-last-name", "Nom", "tel qu'écrit sur la demande signée", MAX_NAME_LENGTH),
    ("substitution-first-name", "Prénom", "tel qu'écrit sur la demande signée", MAX_NAME_LENGTH),
    ("substitution-birth-date", "Date de naissance", "jj/mm/aaaa", 10),
)
# What Entrée names when a required field is empty, in the order of the form.
REQUIRED = (
    ("substitution-last-name", "le nom"),
    ("substitution-first-name", "le prénom"),
    ("substitution-birth-date", "la date de naissance"),
    ("substitution-email", "l'adresse d'envoi"),
    ("substitution-email-again", "l'adresse d'envoi une seconde fois"),
    ("substitution-declared", "la date de déclaration"),
)
# Both address fields empty, named once: « …l'adresse d'envoi et l'adresse d'envoi
# retapée » said the same thing twice.
ADDRESS_FIELDS = ("substitution-email", "substitution-email-again")
ADDRESS_TWICE = "l'adresse d'envoi (deux fois)"


def missing_words(field_ids: list[str]) -> list[str]:
    """The empty required fields as Entrée names them, in the order of the form; the
    two address fields as one when both are empty."""
    said = dict(REQUIRED)
    both = all(field_id in field_ids for field_id in ADDRESS_FIELDS)
    words = []
    for field_id in field_ids:
        if both and field_id == ADDRESS_FIELDS[1]:
            continue
        words.append(ADDRESS_TWICE if both and field_id == ADDRESS_FIELDS[0] else said[field_id])
    return words
NOTHING_SENT = "Rien n'a été envoyé."
# The new material goes to the address typed, and once granted the original no longer
# works: a slip of the keyboard (« gmial.com ») would send it to nobody, or to someone.
TYPED_TWICE = (
    "Les deux saisies de l'adresse d'envoi diffèrent : retapez-la telle qu'écrite sur la "
    f"demande. {NOTHING_SENT}"
)
CHECKING = "Contrôle de l'identité de l'appelant dans l'intervention…"
# The identity field typed for each one the service compares with the roll.
ROLL_FIELD_IDS = dict(zip(ROLL_FIELDS, (field_id for field_id, *_ in IDENTITY_FIELDS), strict=True))
NOTHING_RECORDED = "Rien n'a été enregistré."


def refusal_question(anomalies: tuple[rules.Anomaly, ...]) -> ConfirmDialog:
    """The question before a request the rules refuse is recorded: its anomalies, one a
    line; « Revenir corriger », the safe answer, focused."""
    listed_faults = "\n".join(f"• {anomaly.text}" for anomaly in anomalies)
    return ConfirmDialog(
        "Enregistrer comme refusée ?",
        f"En l'état, cette demande serait refusée :\n{listed_faults}\n\n"
        "Enregistrée, la demande refusée et son motif sont versés au journal ; le matériel "
        "actuel de l'électeur reste valable. Une pièce reçue mais non cochée, une faute de "
        "frappe : revenez corriger, rien de ce qui a été saisi n'est perdu.",
        yes="Enregistrer comme refusée",
        no="Revenir corriger",
    )


def parse_typed_name(value: str, field: str) -> str:
    """A name as copied from the signed request: one line, spaces collapsed, no longer
    than the roll allows (the comparison itself is the service's)."""
    name = " ".join(free_text(value, field).split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidValue(field, f"{MAX_NAME_LENGTH} caractères au plus")
    return name


def listed(parts: list[str]) -> str:
    """« a », « a et b », « a, b et c »."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


def materials_text(view: SubstitutionView) -> str:
    """« 7K2M… (à titre personnel) », the new identifier after an arrow once granted."""
    return ", ".join(
        f"{mask_identifier(m.old_identifier)} ({m.capacity})"
        + (f" → {mask_identifier(m.new_identifier)}" if m.new_identifier else "")
        for m in view.materials
    )


def describe(view: SubstitutionView) -> str:
    """The outcome of a request, for the operator, in French."""
    if view.state == GRANTED:
        lines = [f"Demande n° {view.id} accordée : nouveau matériel de vote."]
        lines += [
            f"  {m.capacity} : {mask_identifier(m.old_identifier)} remplacé par "
            f"{mask_identifier(m.new_identifier or '')}"
            for m in view.materials
        ]
        delivery = view.message_state or "en file d'envoi"
        lines.append(f"Courriel à {view.email} : {delivery}. L'ancien matériel ne fonctionne plus.")
        return "\n".join(lines)
    if view.state == PENDING:
        return (
            f"Demande n° {view.id} complète, en attente d'approbation par un superviseur "
            "(autre que son auteur). Le matériel actuel reste valable jusqu'à la décision."
        )
    return (
        f"Demande n° {view.id} refusée : {view.reason or 'motif non précisé'}\n"
        "La demande refusée et son motif sont enregistrés au journal."
    )


def state_class(view: SubstitutionView) -> str:
    if view.state == GRANTED:
        return "-granted"
    return "-pending" if view.state == PENDING else "-refused"


class SubstitutionRequestScreen(Explained, CsuModal[SubstitutionView | None]):
    """The request form; returns the request the service recorded (None if cancelled
    before submission).

    ``materials`` are the voter's (material_id, identifier, capacity) in the election
    of the intervention, ``definition`` that election's definition."""

    # The fields scroll between the title and the answer with its buttons, which stay in
    # view: the form is longer than a 40-line terminal.
    DEFAULT_CSS = """
    SubstitutionRequestScreen #substitution-fields { height: 1fr; }
    SubstitutionRequestScreen #substitution-verification { height: auto; margin-bottom: 1; }
    SubstitutionRequestScreen #substitution-verification.-verified { color: $success; }
    """

    UNDONE = "Aucune demande n'a été enregistrée."
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="substitution-cancel")]

    def __init__(
        self,
        intervention_id: str,
        materials: list[tuple[int, str, str]],
        definition: ElectionDefinition,
    ) -> None:
        super().__init__()
        self.intervention_id = intervention_id
        self.materials = list(materials)
        self.definition = definition
        self.result: SubstitutionView | None = None
        self._busy = False
        # The service's answer on the call's verification; None until it came.
        self.check: RequestCheck | None = None
        # What the form held as it opened (a single voter number ticked, today's date):
        # Échap asks before losing anything else.
        self._as_opened: dict[str, object] = {}

    @property
    def offered(self) -> bool:
        """Whether the election provides replacement material at all."""
        offer = self.definition.substitution
        return offer.enabled and offer.identifier is not None

    @property
    def allowed(self) -> bool:
        """Whether the form may be filled and sent: offered, and the call verified."""
        return self.offered and self.check is not None and self.check.allowed

    def compose(self) -> ComposeResult:
        checks = self.checks(self.app.clock)
        today = to_paris(self.app.clock()).date()
        with Vertical(id="substitution-box", classes="modal-box"):
            yield Static(
                f"Matériel de substitution — {self.definition.id}",
                classes="modal-title",
                markup=False,
            )
            yield Static(
                CHECKING,
                id="substitution-verification",
                classes="modal-message",
                markup=False,
            )
            with VerticalScroll(id="substitution-fields"):
                yield Static(
                    self.rules_hint(), id="substitution-rules", classes="modal-hint", markup=False
                )
                with Vertical(id="substitution-form"):
                    yield Label("Numéros d'électeur concernés", classes="substitution-heading")
                    for material_id, identifier, capacity in self.materials:
                        yield TickBox(
                            Text(f"{mask_identifier(identifier)} — {capacity}"),
                            value=len(self.materials) == 1,
                            id=f"substitution-material-{material_id}",
                            classes="substitution-material",
                            compact=True,
                        )
                    if not self.materials:
                        yield Static("Aucun matériel de vote de ce scrutin pour cet électeur.")
                    yield Label("Pièces reçues", classes="substitution-heading")
                    for index, item in enumerate(self.definition.substitution.checklist):
                        yield TickBox(
                            Text(item),
                            id=f"substitution-item-{index}",
                            classes="substitution-item",
                            compact=True,
                        )
                    yield Label(
                        "Identité portée sur la demande signée (comparée à la liste électorale)",
                        classes="substitution-heading",
                    )
                    for field_id, label, placeholder, longest in IDENTITY_FIELDS:
                        with Horizontal(classes="substitution-row"):
                            yield Label(label, classes="substitution-label", markup=False)
                            yield PasteCheckedInput(
                                field=label,
                                id=field_id,
                                placeholder=placeholder,
                                max_length=longest,
                                validators=[Parsed(checks[field_id])],
                            )
                    with Horizontal(classes="substitution-row"):
                        yield Label("Adresse d'envoi", classes="substitution-label")
                        yield PasteCheckedInput(
                            field="Adresse d'envoi",
                            id="substitution-email",
                            placeholder="adresse électronique indiquée dans la demande",
                            validators=[Parsed(checks["email"])],
                        )
                    with Horizontal(classes="substitution-row"):
                        yield Label("Adresse retapée", classes="substitution-label")
                        yield RetypedInput(
                            field="Adresse retapée",
                            id="substitution-email-again",
                            placeholder="la même adresse, retapée",
                        )
                    with Horizontal(classes="substitution-row"):
                        yield Label("Déclarée le", classes="substitution-label")
                        yield PasteCheckedInput(
                            f"{today:%d/%m/%Y}",
                            field="Déclarée le",
                            id="substitution-declared",
                            placeholder="jj/mm/aaaa",
                            max_length=10,
                            validators=[Parsed(checks["declared_on"])],
                        )
                    with Horizontal(classes="substitution-row"):
                        yield Label("Notes (facultatives)", classes="substitution-label")
                        yield PasteCheckedInput(
                            field="Notes",
                            check=free_text,
                            id="substitution-notes",
                            placeholder="versées au dossier de la demande",
                            max_length=MAX_NOTE_LENGTH,
                        )
            yield Static(id="substitution-result", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button(
                    "Enregistrer la demande",
                    id="substitution-submit",
                    variant="primary",
                    disabled=True,  # until the service says the call is verified
                )
                yield Button("Annuler", id="substitution-cancel-button")
                yield Button("Fermer", id="substitution-close", variant="primary")

    def rules_hint(self) -> str:
        offer = self.definition.substitution
        if not self.offered:
            return "Ce scrutin ne prévoit pas de matériel de substitution."
        since = (
            f"Perte ou non-réception déclarée à partir du {offer.from_day:%d/%m/%Y}. "
            if offer.from_day is not None
            else ""
        )
        decision = (
            "Une demande complète attend l'approbation d'un superviseur."
            if offer.requires_approval
            else "Une demande complète est accordée aussitôt."
        )
        return (
            f"{since}Refusée si l'électeur a déjà voté, s'il manque une pièce ou si l'identité "
            f"de la demande signée diffère de la liste électorale. {decision}"
        )

    @staticmethod
    def checks(clock: Clock) -> dict[str, Callable[[str], object]]:
        """The format of each typed field, by the domain's parsers (the birth date as
        the verification window reads it)."""
        return {
            "substitution-last-name": lambda value: parse_typed_name(value, "Nom"),
            "substitution-first-name": lambda value: parse_typed_name(value, "Prénom"),
            "substitution-birth-date": lambda value: parse_birth_date(
                value, to_paris(clock()).date()
            ),
            "email": parse_typed_email,  # the service's reading of it
            "declared_on": lambda value: rules.parse_declared_on(value, to_paris(clock()).date()),
        }

    def on_mount(self) -> None:
        self._as_opened = self.entered()
        self.query_one("#substitution-close", Button).display = False
        # Greyed until the service says the caller is verified: nothing is typed into a
        # request that could not be taken.
        self.query_one("#substitution-form").disabled = True
        if self.offered:
            self.check_call()
        else:
            self.query_one("#substitution-verification", Static).update("")

    def start_in(self) -> Button:
        # The form is greyed until the call is checked; then its first field.
        return self.query_one("#substitution-cancel-button", Button)

    @work(thread=True, exclusive=True, group="substitution-check", exit_on_error=False)
    def check_call(self) -> None:
        who = self.app.operator
        if who is None:
            return
        try:
            check = request_check(self.app.deps, who, self.intervention_id)
        except ServiceError as refused:
            check = RequestCheck(str(refused), None)
        self.app.call_from_thread(self._checked, check)

    def _checked(self, check: RequestCheck) -> None:
        """The form opens when the call is verified; otherwise it stays greyed and says
        what to do first."""
        self.check = check
        notice = self.query_one("#substitution-verification", Static)
        notice.remove_class("-locked", "-verified")
        if not check.allowed:
            notice.update(f"{check.refusal}\n{self.verify_first()} {NOTHING_SENT}")
            notice.add_class("-locked")
            return
        until = check.verified_until
        notice.update(
            "Identité de l'appelant vérifiée"
            + (f" jusqu'à {until:%H:%M} : enregistrez la demande avant." if until else ".")
        )
        notice.add_class("-verified")
        self.query_one("#substitution-form").disabled = False
        self.query_one("#substitution-submit", Button).disabled = False
        self.first_to_fill().focus()

    def verify_first(self) -> str:
        """What to do on an unverified call, with the keys bound now (a keymap or a
        browser may have moved them): a key no screen binds goes unnamed."""
        from csu.screens.voter import file_key  # the file imports this module

        close, verify = self.key_for("cancel"), file_key(self.app, "verify")
        reopen = file_key(self.app, "substitution")
        return (
            f"Fermez ce formulaire{f' ({close})' if close else ''}, vérifiez l'identité de "
            f"l'appelant{f' ({verify} sur la fiche)' if verify else ' sur la fiche'}, puis "
            f"rouvrez-le{f' ({reopen})' if reopen else ''}."
        )

    def first_to_fill(self) -> Widget:
        """Where the agent starts: the voter numbers unless one is ticked already (a
        single material), else the first piece received, else the name."""
        materials = list(self.query(".substitution-material").results(Checkbox))
        if materials and not any(box.value for box in materials):
            return materials[0]
        pieces = list(self.query(".substitution-item").results(Checkbox))
        return pieces[0] if pieces else self.query_one("#substitution-last-name", Input)

    # --- the form -----------------------------------------------------------------

    def material_ids(self) -> list[int]:
        return [
            material_id
            for material_id, _, _ in self.materials
            if self.query_one(f"#substitution-material-{material_id}", Checkbox).value
        ]

    def checklist(self) -> dict[str, bool]:
        return {
            item: self.query_one(f"#substitution-item-{index}", Checkbox).value
            for index, item in enumerate(self.definition.substitution.checklist)
        }

    def typed(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def identity(self) -> TypedIdentity:
        """The name, first name and date of birth as typed from the signed request."""
        return TypedIdentity(
            self.typed("substitution-last-name"),
            self.typed("substitution-first-name"),
            self.typed("substitution-birth-date"),
        )

    def problem(self) -> tuple[str, Widget | None] | None:
        """What keeps the form from being sent, in French, and the field to go to
        (nothing typed is lost)."""
        if not self.material_ids():
            boxes = list(self.query(".substitution-material").results(Checkbox))
            return (
                f"Cochez au moins un numéro d'électeur concerné par la demande. {NOTHING_SENT}",
                boxes[0] if boxes else None,
            )
        missing = [field_id for field_id, _ in REQUIRED if not self.typed(field_id).strip()]
        if missing:
            said = listed(missing_words(missing))
            return f"Indiquez {said}. {NOTHING_SENT}", self.query_one(f"#{missing[0]}")
        for field in self.query(Input):
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                faults = " ; ".join(result.failure_descriptions)
                return f"Format incorrect — {faults}", field
        if not typed_twice_alike(
            self.typed("substitution-email"), self.typed("substitution-email-again")
        ):
            return TYPED_TWICE, self.query_one("#substitution-email-again")
        return None

    @on(Button.Pressed, "#substitution-submit")
    @on(Input.Submitted)
    def _submit(self) -> None:
        if self._busy or self.result is not None or not self.allowed:
            return
        shown = self.query_one("#substitution-result", Static)
        problem = self.problem()
        if problem:
            message, field = problem
            shown.update(message)
            if field is not None:
                field.focus()
            return
        # « gmail.con » typed twice the same: asked before the new material goes there.
        question = doubtful_address(
            self.typed("substitution-email"), self.typed("substitution-email-again")
        )
        if question is not None:
            self.app.push_screen(question, self._after_question)
            return
        self._send()

    def _after_question(self, go: bool | None) -> None:
        if go:
            self._send(domain_confirmed=True)
        else:
            self.query_one("#substitution-email", Input).focus()

    def _ask_refusal(self, refusal: RefusalToConfirm, domain_confirmed: bool) -> None:
        """The service would refuse the request and stored nothing: its anomalies stay
        under the form, and the window asks whether to record the refusal."""
        self.query_one("#substitution-result", Static).update(
            f"En l'état, la demande serait refusée : {refusal} {NOTHING_RECORDED}"
        )
        anomalies = refusal.anomalies

        def answered(record: bool | None) -> None:
            if record:
                self._send(domain_confirmed=domain_confirmed, refusal_confirmed=True)
                return
            at_fault = self.at_fault(anomalies)
            if at_fault is not None:
                at_fault.focus()

        self.app.push_screen(refusal_question(anomalies), answered)

    def at_fault(self, anomalies: tuple[rules.Anomaly, ...]) -> Widget | None:
        """The first box or field of the form, in its order, that an anomaly is about;
        None when none is (the election closed meanwhile)."""
        ids: set[str] = set()
        for anomaly in anomalies:
            if anomaly.at == rules.AT_MATERIAL:
                ids.update(
                    f"substitution-material-{material_id}"
                    for material_id, identifier, _ in self.materials
                    if identifier in anomaly.items
                )
            elif anomaly.at == rules.AT_CHECKLIST:
                ids.update(
                    f"substitution-item-{index}"
                    for index, item in enumerate(self.definition.substitution.checklist)
                    if item in anomaly.items
                )
            elif anomaly.at == rules.AT_IDENTITY:
                ids.update(ROLL_FIELD_IDS[field] for field in anomaly.items or ROLL_FIELDS)
            elif anomaly.at == rules.AT_DECLARED:
                ids.add("substitution-declared")
        return next(
            (
                widget
                for widget in self.query("#substitution-form Checkbox, #substitution-form Input")
                if widget.id in ids
            ),
            None,
        )

    def _send(self, *, domain_confirmed: bool = False, refusal_confirmed: bool = False) -> None:
        if self._busy or self.result is not None:
            return
        today = to_paris(self.app.clock()).date()
        declared = rules.parse_declared_on(self.typed("substitution-declared"), today)
        self._busy = True
        self.query_one("#substitution-result", Static).update("Enregistrement de la demande…")
        self.send_request(
            self.material_ids(),
            self.checklist(),
            self.identity(),
            self.typed("substitution-email"),
            self.typed("substitution-email-again"),
            declared,
            self.typed("substitution-notes"),
            domain_confirmed,
            refusal_confirmed,
        )

    @work(thread=True, exclusive=True, group="substitution-request", exit_on_error=False)
    def send_request(
        self,
        material_ids: list[int],
        checklist: dict[str, bool],
        identity: TypedIdentity,
        email: str,
        email_again: str,
        declared_on: date,
        notes: str,
        domain_confirmed: bool = False,
        refusal_confirmed: bool = False,
    ) -> None:
        who = self.app.operator
        if who is None:
            return
        try:
            view = request_substitution(
                self.app.deps,
                who,
                self.intervention_id,
                material_ids,
                checklist=checklist,
                identity=identity,
                email=email,
                email_again=email_again,
                declared_on=declared_on,
                notes=notes,
                domain_confirmed=domain_confirmed,
                # A refusal is recorded only once the agent said so (« Enregistrer comme
                # refusée »): the service's own rule decides what it would refuse.
                ask_before_refusing=not refusal_confirmed,
            )
        except RefusalToConfirm as refusal:
            self.app.call_from_thread(self._ask_refusal, refusal, domain_confirmed)
            return
        self.app.call_from_thread(self._recorded, view)

    def _recorded(self, view: SubstitutionView) -> None:
        """The request is stored: its outcome stays on screen, the form is locked."""
        self.result = view
        shown = self.query_one("#substitution-result", Static)
        shown.update(describe(view))
        shown.remove_class("-granted", "-pending", "-refused")
        shown.add_class(state_class(view))
        self.query_one("#substitution-form").disabled = True
        self.query_one("#substitution-submit", Button).display = False
        self.query_one("#substitution-cancel-button", Button).display = False
        close = self.query_one("#substitution-close", Button)
        close.display = True
        close.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "substitution-check":
            if event.state is WorkerState.ERROR:  # the store out of reach: stays greyed
                self.query_one("#substitution-verification", Static).update(
                    "Vérification de l'intervention impossible : fermez ce formulaire et "
                    "réessayez."
                )
            return
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#substitution-result", Static).update(
                not_done("Demande non enregistrée", error)
            )
        if event.state in FINISHED:
            self._busy = False

    # --- leaving ------------------------------------------------------------------

    @on(Button.Pressed, "#substitution-close")
    def _close(self) -> None:
        self.dismiss(self.result)

    def entered(self) -> dict[str, object]:
        """Every box and field of the form, by id: what Échap would throw away."""
        return {
            str(widget.id): widget.value
            for widget in self.query("#substitution-form Checkbox, #substitution-form Input")
            if isinstance(widget, Checkbox | Input)
        }

    def changed(self) -> list[str]:
        """The ids of the boxes and fields that differ from the form as it opened."""
        return [
            key for key, value in self.entered().items()
            if self._as_opened.get(key) != value
            and not (isinstance(value, str) and not value.strip() and not self._as_opened.get(key))
        ]  # fmt: skip

    @on(Button.Pressed, "#substitution-cancel-button")
    def action_cancel(self) -> None:
        """Échap or « Annuler »: a form filled in part is not thrown away without
        asking (it was, without a word); one as it opened closes at once."""
        if self.result is not None:
            self.dismiss(self.result)
            return
        if self._busy:
            return
        if not self.allowed or not self.changed():  # greyed: nothing could be typed
            self.dismiss_undone()
            return
        self.app.push_screen(
            ConfirmDialog(
                "Abandonner la demande ?",
                "Ce qui a été coché et saisi dans ce formulaire sera perdu si vous le "
                f"fermez. {self.UNDONE}",
                yes="Abandonner la saisie",
                no="Reprendre la saisie",
            ),
            self._after_discard_question,
        )

    def _after_discard_question(self, discard: bool | None) -> None:
        if discard:
            self.dismiss_undone()
