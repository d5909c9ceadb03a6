"""Verifying the caller's identity inside the open intervention, and the supervisor's
unlock of a voter locked after too many failed verifications.

The verification modal lists the factor sets the election accepts on the channel of
the intervention (any one suffices) and offers one field per factor those sets use;
the number of the caller is checked by the service itself. The answer is only
"vérifiée" or "non vérifiée": never which factor failed.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from csu.domain.clock import Clock, to_paris
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_birth_date, parse_department, parse_numen
from csu.domain.verification import (
    AUTOMATIC_FACTORS,
    DOCUMENT_TYPES,
    FACTOR_LABELS,
    OTP_FACTORS,
    describe_set,
    parse_document,
)
from csu.services.interventions import OpenIntervention
from csu.services.one_time_codes import SentCode, send_one_time_code
from csu.services.outbox import STATE_LABELS
from csu.services.verification import VerificationResult, unlock_voter, verify_identity

if TYPE_CHECKING:
    from csu.app import CsuApp

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
SENT = STATE_LABELS["sent"]  # SentCode.delivery once the transport took the message

PLACEHOLDERS: dict[str, str] = {
    "birth_date": "jj/mm/aaaa",
    "birth_department": "ex. 59, 2A, 971",
    "numen": "13 caractères, ex. 12A1234567ABC",
    "nir10": "10 premiers chiffres du n° de sécurité sociale",
    "iban": "6 derniers caractères (ou l'IBAN entier)",
    "agent_card": "6 premiers caractères du n° de série",
    "security_key_prefix": "6 premiers caractères de la clé",
    "challenge_answer": "réponse donnée par l'électeur",
    "otp_mobile": "code reçu par SMS",
    "otp_email": "code reçu par courriel",
    "in_person": "4 derniers caractères du n° de la pièce",
}

SEND_LABELS: dict[str, str] = {
    "otp_mobile": "Envoyer le code par SMS",
    "otp_email": "Envoyer le code par courriel",
}

# Short labels for the left column of the form (the full labels are in the sets above).
SHORT_LABELS: dict[str, str] = {
    "birth_date": "Date de naissance",
    "birth_department": "Département de naissance",
    "numen": "NUMEN",
    "nir10": "NIR (10 premiers chiffres)",
    "iban": "IBAN (6 derniers)",
    "agent_card": "Carte agent (6 premiers)",
    "security_key_prefix": "Clé de sécurité (6 premiers)",
    "challenge_answer": "Réponse à la question défi",
    "otp_mobile": "Code reçu par SMS",
    "otp_email": "Code reçu par courriel",
    "in_person": "Pièce d'identité vue",
}


class AnswerFormat(Validator):
    """The format of an answer, checked as it is typed with the domain's parser: a typo
    (a date that does not exist) is caught before it counts as a failed verification.
    Only the format is checked, never the record, so nothing is revealed."""

    def __init__(self, parse: Callable[[str], object]) -> None:
        super().__init__()
        self._parse = parse

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success()
        try:
            self._parse(value)
        except InvalidValue as error:
            return self.failure(str(error))
        return self.success()


def format_checks(clock: Clock) -> dict[str, Callable[[str], object]]:
    """The parsers of the factors that have a fixed format."""
    return {
        "birth_date": lambda value: parse_birth_date(value, to_paris(clock()).date()),
        "birth_department": parse_department,
        "numen": parse_numen,
        "in_person": lambda value: parse_document("cni", value),
    }


def form_factors(sets: Sequence[frozenset[str]]) -> list[str]:
    """The factors the operator types, in the order of :data:`FACTOR_LABELS`."""
    used = set().union(*sets) - AUTOMATIC_FACTORS
    return [factor for factor in FACTOR_LABELS if factor in used]


def caller_line(intervention: OpenIntervention) -> str:
    if intervention.caller is None:
        return "Numéro de l'appelant : non relevé à l'ouverture (facteur non disponible)."
    if intervention.caller_matches_work_phone is None:
        return (
            f"Numéro de l'appelant : {intervention.caller} — aucun poste de travail "
            "enregistré pour comparer."
        )
    return f"Numéro de l'appelant : {intervention.caller} — vérifié automatiquement."


class VerifyScreen(ModalScreen[VerificationResult | None]):
    """One field per factor of the channel's policy; closes on success with the result.

    ``on_change(file_changed)`` is called after each action that adds a step to the
    intervention (a code sent, a failed verification), so that the voter file behind
    refreshes its timeline; ``file_changed`` is true when the voter got locked."""

    BINDINGS = [Binding("escape", "cancel", "Fermer", id="verify-cancel")]

    def __init__(
        self,
        intervention: OpenIntervention,
        sets: Sequence[frozenset[str]],
        *,
        challenge_question: str | None = None,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__()
        self.intervention = intervention
        self.sets = tuple(sets)
        self.factors = form_factors(self.sets)
        self.challenge_question = challenge_question
        self._on_change = on_change
        self._busy = False
        self._pending: Static | None = None

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    def compose(self) -> ComposeResult:
        checks = format_checks(self.csu.clock)
        with Vertical(id="verify-box", classes="modal-box"):
            yield Static(
                f"Vérifier l'identité — canal : {self.intervention.channel_label}",
                classes="modal-title",
            )
            described = "\n".join(f"  • {describe_set(s)}" for s in self.sets)
            yield Static(
                f"Un de ces ensembles suffit :\n{described or '  (aucun ensemble prévu)'}",
                id="verify-sets",
            )
            if "caller_id" in set().union(*self.sets):
                yield Static(caller_line(self.intervention), id="verify-caller")
            if self.challenge_question and "challenge_answer" in self.factors:
                yield Static(f"Question défi : {self.challenge_question}", id="verify-question")
            for factor in self.factors:
                with Horizontal(classes="verify-row"):
                    yield Label(SHORT_LABELS.get(factor, factor), classes="verify-label")
                    if factor == "in_person":
                        yield Select(
                            [(label, key) for key, label in DOCUMENT_TYPES.items()],
                            id="verify-document",
                            allow_blank=False,
                        )
                        yield Input(
                            id="verify-in_person",
                            placeholder="4 derniers caractères",
                            max_length=4,
                            classes="verify-last4",
                            validators=[AnswerFormat(checks["in_person"])],
                        )
                    else:
                        yield Input(
                            id=f"verify-{factor}",
                            placeholder=PLACEHOLDERS.get(factor, ""),
                            validators=[AnswerFormat(checks[factor])] if factor in checks else [],
                        )
                    if factor in OTP_FACTORS:
                        yield Button(SEND_LABELS[factor], id=f"send-{factor}", classes="send-code")
            yield Static(id="verify-otp-status", classes="modal-message")
            yield Static(id="verify-result", classes="modal-message")
            with Horizontal(classes="modal-buttons"):
                yield Button("Vérifier", id="verify-ok", variant="primary")
                yield Button("Fermer", id="verify-close")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.focus()
            break

    def answers(self) -> dict[str, str]:
        """What the operator typed, by factor (``in_person`` as ``"cni:1234"``)."""
        given: dict[str, str] = {}
        for factor in self.factors:
            value = self.query_one(f"#verify-{factor}", Input).value.strip()
            if not value:
                continue
            if factor == "in_person":
                document = self.query_one("#verify-document", Select).value
                value = f"{document}:{value}"
            given[factor] = value
        return given

    def format_problem(self) -> str | None:
        """The first answer typed in a wrong format, said in French, if any."""
        for field in self.query(Input):
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                return "; ".join(result.failure_descriptions)
        return None

    # --- one-time codes -----------------------------------------------------------

    @on(Button.Pressed, ".send-code")
    def _send_pressed(self, event: Button.Pressed) -> None:
        factor = (event.button.id or "").removeprefix("send-")
        if factor in OTP_FACTORS and not self._busy:
            self._busy = True
            self._working("#verify-otp-status", "Envoi du code…")
            self.send_code(factor)

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def send_code(self, factor: str) -> None:
        who = self.csu.operator
        if who is None:
            return
        sent = send_one_time_code(self.csu.deps, who, self.intervention.id, factor)
        self.app.call_from_thread(self._sent, sent)

    def _sent(self, sent: SentCode) -> None:
        until = f"valable jusqu'à {sent.expires_at:%H:%M:%S}"
        self.query_one("#verify-otp-status", Static).update(
            f"Code envoyé à {sent.recipient}, {until}."
            if sent.delivery == SENT
            else f"Code pour {sent.recipient} {sent.delivery} : l'envoi sera retenté "
            f"automatiquement ; {until}."
        )
        self.query_one(f"#verify-{sent.factor}", Input).focus()
        if self._on_change is not None:
            self._on_change(False)

    # --- verification -------------------------------------------------------------

    @on(Button.Pressed, "#verify-ok")
    @on(Input.Submitted)
    def _submit(self) -> None:
        if self._busy:
            return
        problem = self.format_problem()
        if problem:
            self.query_one("#verify-result", Static).update(f"Format incorrect — {problem}")
            return
        self._busy = True
        self._working("#verify-result", "Vérification…")
        self.verify(self.answers())

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def verify(self, answers: dict[str, str]) -> None:
        who = self.csu.operator
        if who is None:
            return
        result = verify_identity(self.csu.deps, who, self.intervention.id, answers)
        self.app.call_from_thread(self._verified, result)

    def _verified(self, result: VerificationResult) -> None:
        if result.verified:
            self.dismiss(result)
            return
        shown = self.query_one("#verify-result", Static)
        shown.update(result.message)
        shown.set_class(result.locked_until is not None, "-locked")
        if self._on_change is not None:
            self._on_change(result.locked_until is not None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker messages do not bubble: the app's handler shows a refusal in French.
        self.csu.on_worker_state_changed(event)
        if event.state in FINISHED:
            self._busy = False
        if event.state is WorkerState.ERROR and self._pending is not None:
            self._pending.update("")  # the refusal shows as a notification
        if event.state in FINISHED:
            self._pending = None

    def _working(self, selector: str, text: str) -> None:
        """Says what is under way, in the line its answer will replace."""
        self._pending = self.query_one(selector, Static)
        self._pending.update(text)

    @on(Button.Pressed, "#verify-close")
    def action_cancel(self) -> None:
        self.dismiss(None)


class UnlockScreen(ModalScreen[bool]):
    """A supervisor lifts the lock of a voter, with a reason for the journal."""

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="unlock-cancel")]

    def __init__(self, voter_id: int, locked_until_text: str) -> None:
        super().__init__()
        self.voter_id = voter_id
        self.locked_until_text = locked_until_text
        self._busy = False

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock-box", classes="modal-box"):
            yield Static("Déverrouiller l'électeur", classes="modal-title")
            yield Static(
                f"Verrouillé pour la vérification à distance jusqu'au {self.locked_until_text}. "
                "Les échecs passés ne compteront plus. Le motif est versé au journal."
            )
            yield Input(id="unlock-reason", placeholder="Motif (5 caractères au moins)")
            with Horizontal(classes="modal-buttons"):
                yield Button("Déverrouiller", id="unlock-ok", variant="warning")
                yield Button("Annuler", id="unlock-cancel-button")

    def on_mount(self) -> None:
        self.query_one("#unlock-reason", Input).focus()

    @on(Button.Pressed, "#unlock-ok")
    @on(Input.Submitted, "#unlock-reason")
    def _submit(self) -> None:
        if self._busy:
            return
        self._busy = True
        self.unlock(self.query_one("#unlock-reason", Input).value)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def unlock(self, reason: str) -> None:
        who = self.csu.operator
        if who is None:
            return
        unlock_voter(self.csu.deps, who, self.voter_id, reason)
        self.app.call_from_thread(self._done)

    def _done(self) -> None:
        self.dismiss(True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker messages do not bubble: the app's handler shows a refusal in French.
        self.csu.on_worker_state_changed(event)
        if event.state in FINISHED:
            self._busy = False

    @on(Button.Pressed, "#unlock-cancel-button")
    def action_cancel(self) -> None:
        self.dismiss(False)
