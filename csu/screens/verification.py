"""Verifying the caller's identity inside the open intervention, and the supervisor's
unlock of a voter locked after too many failed verifications.

The verification modal lists the factor sets the election accepts on the channel of
the intervention (any one suffices) and offers one field per factor those sets use;
the number of the caller is checked by the service itself. The answer is only
"vérifiée" or "non vérifiée" (with the tries left before the lock): never which factor
failed. It is scrolled into view: in a short terminal the window scrolls.

On a call from a president (S2) the operator types no in-person check: the window asks
the president for it and waits, « en attente du président », until the president
attests the document from their own session (csu.screens.presence_requests); the
intervention is then verified and the window closes.
"""

from collections.abc import Callable, Mapping, Sequence
from functools import partial

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from csu.domain.answer_formats import answer_parsers
from csu.domain.clock import Clock, to_paris
from csu.domain.credential_words import words
from csu.domain.errors import InvalidValue
from csu.domain.verification import (
    ATTESTED,
    AUTOMATIC_FACTORS,
    DECLINED,
    DOCUMENT_FIELD,
    DOCUMENT_TYPES,
    FACTOR_LABELS,
    IN_PERSON_CHANNELS,
    OTP_DIGITS,
    OTP_FACTORS,
    PENDING,
    USED,
    answer_field,
    describe_set,
    enough_for,
    factors_that_count,
    impossible_set,
    may_type_in_person,
    parse_document,
    refuse_hidden_characters,
)
from csu.domain.verification import UNREACHABLE as CODE_UNREACHABLE
from csu.screens.base import CsuModal
from csu.screens.dialogs import ReasonDialog
from csu.services.context import OperatorContext, ServiceError
from csu.services.interventions import OpenIntervention
from csu.services.one_time_codes import CODE_SENDERS, SentCode, send_one_time_code
from csu.services.outbox import GIVEN_UP, STATE_LABELS
from csu.services.presence import PresenceView, presence_status, request_presence_check
from csu.services.verification import (
    MissingAnswers,
    VerificationResult,
    unlock_voter,
    verify_identity,
)
from csu.widgets.listing import hanging_list
from csu.widgets.parsed import Parsed
from csu.widgets.paste_checked import PasteCheckedInput, SpacelessInput
from csu.widgets.plain import NextSelect

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
SENT = STATE_LABELS["sent"]  # SentCode.delivery once the transport took the message
PRESENCE_POLL_SECONDS = 2  # how often the window waiting for the president looks again

PLACEHOLDERS: dict[str, str] = {
    "birth_date": "jj/mm/aaaa",
    "birth_department": "ex. 59, 2A, 971",
    "numen": "13 caractères, ex. 12A1234567ABC",
    "nir10": "10 chiffres, ex. 1830459123",
    "iban": "6 derniers caractères (ou l'IBAN entier)",
    "agent_card": "6 premiers caractères du n° de série",
    "security_key_prefix": "6 premiers caractères de la clé",
    "challenge_answer": "réponse donnée par l'électeur",
    # The label says how it came (« Code reçu par SMS »); cut at 80 columns, the same
    # words read « code reçu par SM ».
    "otp_mobile": f"{OTP_DIGITS} chiffres",
    "otp_email": f"{OTP_DIGITS} chiffres",
    "in_person": "4 derniers caractères du n° de la pièce",
}

SEND_LABELS: dict[str, str] = {
    # The row's label names the code (« Code reçu par SMS »): « Envoyer le code par
    # courriel » left its field 9 columns at 80x24.
    "otp_mobile": "Envoyer par SMS",
    "otp_email": "Envoyer par courriel",
}

# A president's window, for a set with a one-time code: the cell sends it, not them.
NOT_A_SENDER = "Envoi réservé à la cellule"

# The send button's label where the code can go nowhere (csu.domain.verification).
UNREACHABLE: dict[str, str] = {
    factor: reason[:1].upper() + reason[1:] for factor, reason in CODE_UNREACHABLE.items()
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
DOCUMENT_PROMPT = "Type de pièce"  # the president's choice of document, blank at first


def format_checks(clock: Clock) -> dict[str, Callable[[str], object]]:
    """The format check of every factor an operator types: no control or invisible
    character in any (a paste's: the field does not show it, and the right answer would
    count as a failure), then the parser of those that have a fixed format."""
    parsers = answer_parsers(lambda: to_paris(clock()).date())
    checks: dict[str, Callable[[str], object]] = {
        factor: partial(_checked, factor, parsers.get(factor))
        for factor in FACTOR_LABELS
        if factor not in AUTOMATIC_FACTORS
    }
    checks["in_person"] = lambda value: parse_document("cni", value)  # names them too
    return checks


def _to_retype(field: Widget) -> None:
    """The cursor in ``field``, its value selected: what the agent types next replaces
    it. Refocused while it had the focus already, the cursor stayed at its end, and the
    date typed again followed the first (« 01/04/198301/04/1983 »)."""
    field.focus()
    if isinstance(field, Input):
        field.select_all()


def _checked(factor: str, parse: Callable[[str], object] | None, value: str) -> object:
    refuse_hidden_characters({factor: value})
    return parse(value) if parse is not None else value


def answer_field_name(factor: str) -> str:
    """The field's name in a refused paste, as the format check names it."""
    return DOCUMENT_FIELD if factor == "in_person" else answer_field(factor)


def form_factors(sets: Sequence[frozenset[str]], *, in_person: bool = True) -> list[str]:
    """The factors the operator types, in the order of :data:`FACTOR_LABELS`; without
    ``in_person`` when the president attests it from their own session."""
    used = set().union(*sets) - AUTOMATIC_FACTORS
    if not in_person:
        used.discard("in_person")
    return [factor for factor in FACTOR_LABELS if factor in used]


def waits_for_president(intervention: OpenIntervention, who: OperatorContext | None) -> bool:
    """Whether the operator's verification waits for the president's attestation: an
    intervention through a president that the president did not open themselves."""
    return (
        who is not None
        and intervention.channel in IN_PERSON_CHANNELS
        and not may_type_in_person(who.role, who.login, who.login, intervention.president_login)
    )


def presence_line(view: PresenceView | None, *, more_to_type: bool) -> str:
    """Where the president's check stands, for the operator who waits for it."""
    if view is None:
        return "Demande au président en cours d'envoi…"
    president = f"« {view.president} » (bureau {view.bureau})"
    if view.state == PENDING:
        return (
            f"Vérification en personne : en attente du président {president}, qui atteste "
            f"la pièce d'identité depuis sa propre session (demande valable jusqu'à "
            f"{view.expires_at:%H:%M})."
        )
    if view.outdated is not None:  # the rule's own sentence, with the documents accepted
        return f"{view.outdated} « Redemander » envoie une nouvelle demande."
    if view.state == ATTESTED:
        then = (
            "complétez avec les autres réponses, puis « Vérifier »"
            if more_to_type
            else "vérification en cours"
        )
        return (
            f"Pièce d'identité ({view.document}) attestée par le président {president} : "
            f"{then} (avant {view.expires_at:%H:%M})."
        )
    if view.state == DECLINED and view.closed_for_them:  # no president refused anything
        return f"Demande au président {president} close : {view.decline_reason}."
    if view.state == DECLINED:
        return (
            f"Le président {president} a refusé d'attester : {view.decline_reason}. "
            "« Redemander » envoie une nouvelle demande."
        )
    if view.state == USED:
        return (
            f"L'attestation du président {president} a déjà servi et la vérification a "
            "expiré : « Redemander » envoie une nouvelle demande."
        )
    return (
        f"Demande expirée sans attestation du président {president} : « Redemander » "
        "envoie une nouvelle demande."
    )


def caller_line(intervention: OpenIntervention) -> str:
    if intervention.caller is None:
        return "Numéro de l'appelant : non relevé à l'ouverture (facteur non disponible)."
    if intervention.caller_matches_work_phone is None:
        return (
            f"Numéro de l'appelant : {intervention.caller} — aucun poste de travail "
            "enregistré pour comparer."
        )
    return f"Numéro de l'appelant : {intervention.caller} — vérifié automatiquement."


class AnswerLine(Static):
    """A line of the answer docked at the window's bottom: it takes no room while it
    says nothing, so that at 80x24 the window opens on its title and first field."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="modal-message", markup=False)
        self.display = False  # from the first layout: the window is laid out without it

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        self.display = bool(str(content))


SAME_ANSWERS = (
    "Ces réponses viennent d'être refusées telles quelles : aucun échec n'est compté. "
    "Demandez à l'appelant de les redonner et corrigez celles qui diffèrent avant de vérifier."
)


class VerifyScreen(CsuModal[VerificationResult | None]):
    """One field per factor of the channel's policy; closes on success with the result.

    ``on_change(file_changed)`` is called after each action that adds a step to the
    intervention (a code sent, a failed verification), so that the voter file behind
    refreshes its timeline; ``file_changed`` is true when the voter got locked."""

    QUIET_GROUPS = ("presence-poll",)  # a look that failed is made again in a moment

    BINDINGS = [
        Binding("escape", "cancel", "Fermer", id="verify-cancel"),
        Binding("f5", "refresh_presence", "Actualiser", id="verify-refresh"),
        # In the footer: at 80x24 the send button is fields below the window's view,
        # and a newcomer never found it.
        Binding("ctrl+s", "send_code", "Envoyer le code", id="verify-send-code"),
    ]

    def __init__(
        self,
        intervention: OpenIntervention,
        sets: Sequence[frozenset[str]],
        *,
        challenge_question: str | None = None,
        on_change: Callable[[bool], None] | None = None,
        reachable: frozenset[str] | None = None,
        documents: Sequence[str] = tuple(DOCUMENT_TYPES),
        verification_for: Mapping[str, tuple[frozenset[str], ...]] | None = None,
    ) -> None:
        super().__init__()
        self.intervention = intervention
        # The identity documents the election accepts (its ``identity_documents``).
        self.documents = tuple(documents)
        # The one-time-code factors with a contact on record (None: not known): a code
        # that could go nowhere is not offered.
        self.reachable = reachable
        # The election's stricter sets by credential (``verification_for``): a set of the
        # list that does not satisfy one says so, before it is passed for nothing.
        self.verification_for = dict(verification_for or {})
        self.sets = tuple(sets)
        self.factors = form_factors(self.sets)
        self.challenge_question = challenge_question
        self._on_change = on_change
        self._busy = False
        self._codes_sent: set[str] = set()  # the factors a code was sent for, here
        self._sent_lines: dict[str, str] = {}  # what became of each factor's last code
        self._before: VisualType = ""  # what the line under way said before
        self._pending: Static | None = None
        self.presence = False  # waits for the president's attestation (set in compose)
        self._done_waiting = False
        # The answers submitted last, and those the service refused last, by a hash held
        # for this window only: Entrée pressed again on the same answers counted a
        # failure each time, and three locked the voter.
        self._submitted: int | None = None
        self._refused: int | None = None
        self._presence_state: str | None = None  # the president's attestation, last seen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh_presence":
            return self.presence
        if action == "send_code":
            return self._send_button() is not None
        return True

    def _send_button(self) -> Button | None:
        """The first code this window may send (the SMS's before the e-mail's), if any."""
        return next(
            (b for b in self.query(".send-code").results(Button) if not b.disabled), None
        )

    def action_send_code(self) -> None:
        """As its button: the code sent, and the cursor in the first answer of its set
        still to type, brought into view."""
        button = self._send_button()
        if button is None:
            return
        self._next_to_type((button.id or "").removeprefix("send-")).focus()
        button.press()

    def _next_to_type(self, factor: str) -> Input:
        """The first empty field of the sets ``factor`` belongs to, in the window's order;
        else the code's own. A newcomer pressed ctrl+s with the date of birth still to
        type: the cursor went to the code's field, the date typed there was lost, Tab
        reached « Envoyer » and Entrée sent a second code, voiding the first."""
        fields = [f for f in self.query(PasteCheckedInput) if f.id and f.id.startswith("verify-")]
        empty = {f.id.removeprefix("verify-") for f in fields if f.id and not f.value.strip()}
        # The set nearest completion (the fewest answers left; the file's order on a
        # tie), as « Réponse manquante » names it: not every set holding the code.
        nearest = min(
            (s for s in self.sets if factor in s), key=lambda s: len(s & empty), default=()
        )
        for field in fields:
            name = (field.id or "").removeprefix("verify-")
            if name in nearest and name in empty and name != factor:
                return field
        return self.query_one(f"#verify-{factor}", Input)

    def _first_to_type(self) -> Input | None:
        """The first empty answer of the set nearest completion, else the first answer:
        where a refusal (« Réponse manquante ») leaves the cursor. Left on « Vérifier »,
        a newcomer's Tab then Entrée pressed « Fermer » and the window went, unsaid."""
        fields = [f for f in self.query(PasteCheckedInput) if f.id and f.id.startswith("verify-")]
        empty = {f.id.removeprefix("verify-") for f in fields if f.id and not f.value.strip()}
        nearest = min(self.sets, key=lambda s: len(s & empty), default=frozenset())
        for field in fields:
            name = (field.id or "").removeprefix("verify-")
            if name in nearest and name in empty:
                return field
        return fields[0] if fields else None

    def _set_line(self, factors: frozenset[str]) -> str:
        """A set as the list says it; one whose code could go nowhere, said impossible,
        so that nobody starts on it with the voter on the line (a comma, not « : »,
        which a narrow window would put at the start of a line)."""
        said = describe_set(factors)
        unreachable = () if self.reachable is None else set(OTP_FACTORS) - self.reachable
        why = impossible_set(factors, unreachable)
        if why:
            return f"{said} — impossible, {why}"
        # As the service counts them: a president's attestation for an agent's call (S2)
        # gives the agent the key, never the password.
        who = self.app.operator
        counting = factors_that_count(
            factors, who.login if who else None, self.intervention.president_login
        )
        short = [words(kind).the for kind, required in self.verification_for.items()
                 if not enough_for(required, counting)]  # fmt: skip
        return f"{said} — pas pour {' ni '.join(short)}" if short else said

    def compose(self) -> ComposeResult:
        checks = format_checks(self.app.clock)
        self.presence = waits_for_president(self.intervention, self.app.operator)
        self.factors = form_factors(self.sets, in_person=not self.presence)
        with Vertical(id="verify-box", classes="modal-box"):
            # The window scrolls in a short terminal; the answer to « Vérifier » and
            # the buttons are docked at its bottom, so that the field that takes the
            # cursor scrolls into view above them instead of pushing them out of sight.
            with Vertical(id="verify-form"):
                yield Static(
                    f"Vérifier l'identité — canal : {self.intervention.channel_label}",
                    classes="modal-title",
                    markup=False,
                )
                yield Static(
                    hanging_list(
                        "Un de ces ensembles suffit :" if len(self.sets) > 1
                        else "Ensemble à vérifier :",
                        [("  •", self._set_line(s)) for s in self.sets]
                        or [(" ", "(aucun ensemble prévu)")],
                    ),
                    id="verify-sets",
                    markup=False,
                )
                if "caller_id" in set().union(*self.sets):
                    yield Static(caller_line(self.intervention), id="verify-caller", markup=False)
                if self.challenge_question and "challenge_answer" in self.factors:
                    yield Static(
                        f"Question défi : {self.challenge_question}",
                        id="verify-question",
                        markup=False,
                    )
                if self.presence:
                    yield Static(
                        presence_line(None, more_to_type=False), id="verify-presence", markup=False
                    )
                for factor in self.factors:
                    with Horizontal(classes="verify-row"):
                        yield Label(
                            SHORT_LABELS.get(factor, factor), classes="verify-label", markup=False
                        )
                        if factor == "in_person":
                            yield NextSelect(
                                [
                                    (label, key)
                                    for key, label in DOCUMENT_TYPES.items()
                                    if key in self.documents
                                ],
                                id="verify-document",
                                # Blank at first, as the attestation window: the journal
                                # names the document the president saw, never a default.
                                prompt=DOCUMENT_PROMPT,
                            )
                            yield SpacelessInput(
                                id="verify-in_person",
                                placeholder="4 derniers caractères",
                                max_length=4,
                                classes="verify-last4",
                                validators=[Parsed(checks["in_person"])],
                                field=answer_field_name(factor),
                            )
                        else:
                            yield PasteCheckedInput(
                                id=f"verify-{factor}",
                                placeholder=PLACEHOLDERS.get(factor, ""),
                                validators=[Parsed(checks[factor])] if factor in checks else [],
                                field=answer_field_name(factor),
                            )
                        if factor in OTP_FACTORS:
                            send = Button(
                                SEND_LABELS[factor], id=f"send-{factor}", classes="send-code"
                            )
                            who = self.app.operator
                            if who is not None and who.role not in CODE_SENDERS:
                                send.label = NOT_A_SENDER
                                send.disabled = True
                            elif self.reachable is not None and factor not in self.reachable:
                                send.label = UNREACHABLE[factor]
                                send.disabled = True
                            yield send
            with Vertical(id="verify-answer"):
                yield AnswerLine(id="verify-otp-status")
                yield AnswerLine(id="verify-result")
                with Horizontal(classes="modal-buttons"):
                    verify = Button("Vérifier", id="verify-ok", variant="primary")
                    # Nothing to type when the president's attestation is the whole set.
                    verify.display = bool(self.factors) or not self.presence
                    yield verify
                    if self.presence:
                        ask = Button("Redemander au président", id="verify-ask")
                        ask.display = False
                        yield ask
                    yield Button("Fermer", id="verify-close")

    def on_mount(self) -> None:
        if self.presence:
            self.ask_president()
            self.set_interval(PRESENCE_POLL_SECONDS, self.poll_presence)

    def start_in(self) -> Widget | None:
        # The first field a person fills: the document's type (a Select) comes before
        # its last 4 characters in the president's window.
        return next(iter(self.query("Select, Input")), None)

    def on_key(self, event: events.Key) -> None:
        """Characters typed on the document's type (a list, which takes none) go to its
        last 4 characters' field: a president typed « 9012 » there and nothing happened.
        The type stays to choose; Entrée or Espace opens its list."""
        if not event.is_printable or event.character in (None, " "):
            return
        document = self.query("#verify-document").results(Select)
        tails = self.query("#verify-in_person").results(Input)
        select, field = next(document, None), next(tails, None)
        if select is None or field is None or self.focused is not select or select.expanded:
            return
        event.stop()
        event.prevent_default()
        field.insert_text_at_cursor(event.character)  # its length and checks hold
        field.select_on_focus = False  # the next character goes after, not over it
        field.focus()

    def bring_into_view(self, field: Widget) -> None:
        """Scrolls to ``field`` when it is out of the window's view or under its dock."""
        answer = self.query_one("#verify-answer", Vertical)
        if not self.can_view_entire(field) or field.region.overlaps(answer.region):
            field.scroll_visible(animate=False)

    def keep_answers_in_view(self) -> None:
        """Once the docked lines grew (a failure's two lines, a code's status), the
        last answer brought out from under them, then the field with the cursor: at
        80x24 the code received by SMS, the last row, went under a failure's message
        and the agent, on the first row, no longer saw it."""
        rows = self.query(".verify-row")
        if rows:
            self.bring_into_view(rows.last())
        if isinstance(self.focused, Input):
            self.bring_into_view(self.focused)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The field that takes the cursor, brought out from under the answer and the
        buttons docked at the window's bottom. Textual scrolls a focused widget into
        view itself when it lies outside the window, but takes one hidden behind a dock
        for one in view (Widget.can_view_entire): that one is scrolled to here."""
        field = event.widget
        if self.query_one("#verify-answer", Vertical) in field.ancestors:
            return  # a button of the dock
        if self.can_view_entire(field):  # else Textual scrolls to it
            self.bring_into_view(field)

    # --- S2: the president's attestation --------------------------------------------

    @on(Button.Pressed, "#verify-ask")
    def _ask_pressed(self) -> None:
        self.query_one("#verify-ask", Button).display = False
        self.ask_president()

    @work(thread=True, exclusive=True, group="presence-ask", exit_on_error=False)
    def ask_president(self) -> None:
        """Sends the request (a pending one is kept as is) and shows where it stands."""
        who = self.app.operator
        if who is None:
            return
        view = request_presence_check(self.app.deps, who, self.intervention.id)
        self.app.call_from_thread(self._presence, view)

    def action_refresh_presence(self) -> None:
        self.poll_presence()

    @work(thread=True, exclusive=True, group="presence-poll", exit_on_error=False)
    def poll_presence(self) -> None:
        who = self.app.operator
        if who is None or self._done_waiting:
            return
        try:
            view = presence_status(self.app.deps, who, self.intervention.id)
        except ServiceError:
            return  # the store is busy: the next look will tell
        if view is not None:
            self.app.call_from_thread(self._presence, view)

    def _presence(self, view: PresenceView) -> None:
        if self._done_waiting:
            return
        if view.verified_until is not None:
            # The president's attestation verified the intervention: nothing to type.
            self._done_waiting = True
            self.dismiss(
                VerificationResult(
                    True,
                    f"Identité vérifiée en personne par le président « {view.president} » "
                    f"(valable jusqu'à {view.verified_until:%H:%M}).",
                    view.verified_until,
                    None,
                )
            )
            return
        if view.state != self._presence_state:
            # What the president did since may make the same answers verify now.
            self._presence_state = view.state
            self._refused = None
        self.query_one("#verify-presence", Static).update(
            presence_line(view, more_to_type=bool(self.factors))
        )
        ask = self.query_one("#verify-ask", Button)
        offered = not view.closed_for_them and (
            view.state not in (PENDING, ATTESTED) or view.outdated is not None
        )
        newly = offered and not ask.display
        ask.display = offered
        close = self.query_one("#verify-close", Button)
        if newly and (self.focused is None or self.focused is close):
            # Nothing typed in (the attestation may be the whole set): after a refusal
            # Entrée closed the window, or did nothing; it asks the president again.
            ask.focus()
        elif self.focused is None or not self.focused.display:
            close.focus()

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
        found = self.badly_typed()
        return found[1] if found is not None else None

    def badly_typed(self) -> tuple[Input, str] | None:
        """The first answer typed in a wrong format and what is wrong with it."""
        for field in self.query(Input):
            result = field.validate(field.value)
            if result is not None and not result.is_valid:
                return field, " ; ".join(result.failure_descriptions)
        return None

    def field_of(self, name: str) -> Widget | None:
        """The field of the window a refusal names (``InvalidValue.field``): the
        document's type for « Pièce d'identité », else the answer of that name."""
        if name == DOCUMENT_FIELD:
            documents = self.query("#verify-document")
            if documents:
                return documents.first()
        return next(
            (field for field in self.query(PasteCheckedInput) if field.field == name), None
        )

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
        who = self.app.operator
        if who is None:
            return
        sent = send_one_time_code(self.app.deps, who, self.intervention.id, factor)
        self.app.call_from_thread(self._sent, sent)

    def _sent(self, sent: SentCode) -> None:
        until = f"valable jusqu'à {sent.expires_at:%H:%M:%S}"
        # Only the newest code verifies: the one typed from an earlier message is
        # cleared (typed anyway, it counted as a failed verification).
        again = sent.factor in self._codes_sent
        if sent.delivery not in GIVEN_UP:  # a code never sent voids none
            self._codes_sent.add(sent.factor)
        field = self.query_one(f"#verify-{sent.factor}", Input)
        field.value = ""
        voided = " Le code envoyé avant ne vaut plus." if again else ""
        # The outbox retries a code only until it expires, and never a refusal it calls
        # permanent (state « échec »): say so, rather than promise a retry.
        self._sent_lines[sent.factor] = (
            f"Code envoyé à {sent.recipient}, {until}.{voided}"
            if sent.delivery == SENT
            else f"Code pour {sent.recipient} non envoyé ({sent.delivery}) : voyez la cause "
            "dans « Messages envoyés », puis envoyez un nouveau code ou vérifiez l'identité "
            "par une autre question."
            if sent.delivery in GIVEN_UP
            else f"Code pour {sent.recipient} {sent.delivery} : l'envoi sera retenté "
            f"automatiquement jusqu'à {sent.expires_at:%H:%M:%S}, fin de validité du code, "
            "puis abandonné."
        )
        # A line a channel: the SMS's went when the e-mail's was sent (newcomer run).
        self.query_one("#verify-otp-status", Static).update("\n".join(self._sent_lines.values()))
        if not isinstance(self.focused, PasteCheckedInput):  # not while an answer is typed
            self._next_to_type(sent.factor).focus()
        self.call_after_refresh(self.keep_answers_in_view)
        if self._on_change is not None:
            self._on_change(False)

    # --- verification -------------------------------------------------------------

    @on(Button.Pressed, "#verify-ok")
    @on(Input.Submitted)
    def _submit(self) -> None:
        if self._busy:
            return
        documents = self.query("#verify-document").results(Select)
        document = next(documents, None)
        tails = self.query("#verify-in_person").results(Input)
        tail = next(tails, None)
        # The document is asked for with its last characters; left both blank, another
        # set of answers may still verify.
        typed = tail is not None and bool(tail.value.strip())
        if document is not None and document.is_blank() and typed:
            self._say(f"{DOCUMENT_PROMPT} : choisissez la pièce d'identité vue.")
            document.focus()
            return
        problem = self.badly_typed()
        if problem:
            field, fault = problem
            self._say(f"Format incorrect — {fault}")
            _to_retype(field)
            return
        answers = self.answers()
        given = hash(frozenset(answers.items()))
        if given == self._refused:
            self._say(SAME_ANSWERS)
            _to_retype(self.query(Input).first())
            return
        self._submitted = given
        self._busy = True
        self._working("#verify-result", "Vérification…")
        self.verify(answers)

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def verify(self, answers: dict[str, str]) -> None:
        who = self.app.operator
        if who is None:
            return
        result = verify_identity(self.app.deps, who, self.intervention.id, answers)
        self.app.call_from_thread(self._verified, result)

    def _verified(self, result: VerificationResult) -> None:
        if result.verified:
            self._done_waiting = True
            self.dismiss(result)
            return
        self._say(result.message, locked=result.locked_until is not None)
        self._refused = self._submitted
        answers = self.query(Input)
        if result.locked_until is None and answers:
            # The caller's answers, to ask again, scrolled into view above the answer
            # to « Vérifier » and the buttons, docked at the window's bottom.
            _to_retype(answers.first())
            self.call_after_refresh(self.keep_answers_in_view)
        if self._on_change is not None:
            self._on_change(result.locked_until is not None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "presence-poll":
            return  # a look that failed is made again in a moment, without a word
        if event.worker.group != "verify":
            if event.state is WorkerState.ERROR and self.presence:
                self.query_one("#verify-ask", Button).display = True  # the request failed
            return
        if event.state in FINISHED:
            self._busy = False
        if event.state is WorkerState.ERROR and self._pending is not None:
            # The refusal shows as a notification; the line says again what it said (a
            # code sent a moment before still verifies: a refused third one hid it).
            self._pending.update(self._before)
        error = event.worker.error if event.state is WorkerState.ERROR else None
        at_fault = self.field_of(error.field) if isinstance(error, InvalidValue) else None
        if isinstance(error, MissingAnswers):
            at_fault = self._first_to_type()  # what is missing, to ask the caller for
        if at_fault is not None:
            _to_retype(at_fault)  # the value it names, to correct at once
        if event.state in FINISHED:
            self._pending = None

    def _say(self, text: str, *, locked: bool = False) -> None:
        """The answer to « Vérifier »: docked with the buttons at the window's bottom, it
        stays in view however the fields above it scroll (a short terminal)."""
        shown = self.query_one("#verify-result", Static)
        shown.update(text)
        shown.set_class(locked, "-locked")

    def _working(self, selector: str, text: str) -> None:
        """Says what is under way, in the line its answer will replace."""
        self._pending = self.query_one(selector, Static)
        self._before = self._pending.content
        self._pending.update(text)

    @on(Button.Pressed, "#verify-close")
    def action_cancel(self) -> None:
        self._done_waiting = True
        self.dismiss(None)


class UnlockScreen(ReasonDialog[tuple[int, ...] | None]):
    """A supervisor lifts the lock of a voter, with a reason for the journal; returns
    the numbers of the voter's escalated cases still open (None: cancelled)."""

    PREFIX = "unlock"
    TITLE_TEXT = "Déverrouiller l'électeur"
    OK_LABEL = "Déverrouiller"
    CANCELLED = None
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="unlock-cancel")]

    def __init__(self, voter_id: int, locked_until_text: str) -> None:
        super().__init__()
        self.voter_id = voter_id
        self.locked_until_text = locked_until_text

    def explanation(self) -> str:
        return (
            f"Verrouillé pour la vérification à distance jusqu'au {self.locked_until_text}. "
            "Les échecs passés ne compteront plus. Le motif est versé au journal."
        )

    def confirmed(self, reason: str) -> None:
        if self.begin():
            self.unlock(reason)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def unlock(self, reason: str) -> None:
        deps, who = self.session()
        cases = unlock_voter(deps, who, self.voter_id, reason)
        self.app.call_from_thread(self.finish, tuple(cases))
