"""The voter file: identity, bureau, materials and credentials, interventions, lock.

Contact details and identifiers that are e-mail addresses show masked. A supervisor
may reveal one contact field (ctrl+r, with a reason, journalled): its clear value
shows in the file itself for ``CsuApp.reveal_seconds``, and is gone as soon as the
operator leaves the file (another screen, logout, idle lock) — never in a
notification, which would outlive the file. From the same window, a contact no longer
the voter's is set aside (« Écarter… », :mod:`csu.screens.contact_set_aside`).
"""

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, VerticalScroll
from textual.events import Key
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, Input, Select, Static
from textual.worker import get_current_worker

from csu.domain.call_script import scenario_of_channel
from csu.domain.clock import to_paris
from csu.domain.credential_words import words
from csu.domain.election import describe_support_hours, within_support_hours
from csu.domain.interventions import OUTCOMES
from csu.domain.labels import outcome_label
from csu.domain.masking import mask_identifier, mask_personal_data, readable_phone
from csu.domain.permissions import (
    OPEN_FIRST,
    Call,
    Refusal,
    Situation,
    birth_date_shown,
    call_state,
    delivered,
    election_allows,
    kinds_for,
    refusal,
    suggested_outcome,
    unconfirmed_issue,
)
from csu.domain.scrutins import ScrutinState
from csu.domain.substitution import STATE_LABELS as SUBSTITUTION_STATES
from csu.domain.verification import DOCUMENT_TYPES, remote_lock_applies
from csu.screens.base import SHORT_WINDOW_ROWS, CsuScreen, Explained, WorkFailed, bound_key
from csu.screens.contact_set_aside import SetAsideScreen, set_aside_done
from csu.screens.credential import (
    INVALIDATE_LABELS,
    CredentialShownScreen,
    IssueScreen,
    RevokeScreen,
    revoked,
)
from csu.screens.dialogs import ReasonDialog
from csu.screens.identifier_delivery import IdentifierOutcome, IdentifierScreen
from csu.screens.intervention import (
    ElectionChoice,
    InterventionCloseScreen,
    InterventionOpenScreen,
)
from csu.screens.letter import LetterScreen
from csu.screens.outbox import OutboxScreen
from csu.screens.verification import UnlockScreen, VerifyScreen
from csu.screens.vote_codes import VoteCodeLinkScreen
from csu.services.context import OperatorContext, ServiceError
from csu.services.elections import list_elections
from csu.services.interventions import (
    OpenIntervention,
    Step,
    current_intervention,
    intervention_steps,
)
from csu.services.letters import LetterQueued
from csu.services.verification import VerificationResult
from csu.services.vote_codes import LinkSent
from csu.services.voter_contacts import SetAside
from csu.services.voters import (
    CREDENTIAL_ACTIVE,
    MATERIAL_STATUS_LABELS,
    REVEALABLE,
    REVEALABLE_LABELS,
    MaterialView,
    SubstitutionLine,
    VoterFile,
    open_voter,
    reveal_field,
)
from csu.widgets.call_script_panel import CallScriptPanel
from csu.widgets.footer import KeysFooter
from csu.widgets.intervention_panel import InterventionPanel, is_verified
from csu.widgets.intervention_words import CALL, InterventionWords, words_for
from csu.widgets.plain import add_plain_row
from csu.widgets.shell_header import ShellHeader
from csu.widgets.support_panel import SupportPanel

if TYPE_CHECKING:
    from csu.domain.election import ElectionDefinition

# The screen's actions and the rule (csu.domain.permissions) that decides each.
RULES: dict[str, str] = {
    "open_intervention": "open",
    "verify": "verify",
    "issue": "issue",
    "revoke": "revoke",
    "close_intervention": "close",
    "new_call": "new_call",
    "unlock": "unlock",
    "reveal": "reveal",
    "vote_code_link": "vote_code_link",
    "identifier": "identifier",
    "substitution": "substitution",
    "messages": "messages",
    "letter": "letter",
}
SCREEN_ACTIONS = {rule: action for action, rule in RULES.items()}
# What a verified call may lead to, as the path names it (the call's actions).
ACTS = (
    ("issue", "délivrer"),
    ("letter", "clé par courrier"),
    ("vote_code_link", "lien code de vote"),
    ("identifier", "identifiant"),
    ("substitution", "substitution"),
    ("revoke", "invalider"),
)
CALL_ACTIONS = frozenset(action for action, _ in ACTS)

STEPS = ("Ouvrir", "Vérifier", "Agir", "Clore")
# The step of the path each state of the call is at (index in STEPS; 4: call over).
STEP_OF = {Call.NONE: 0, Call.OPEN: 1, Call.LOCKED: 1, Call.VERIFIED: 2, Call.CLOSED: 4}
STATE_LABELS = {
    Call.NONE: "aucune intervention",
    Call.OPEN: "intervention ouverte, identité non vérifiée",
    Call.LOCKED: "intervention ouverte, électeur verrouillé",
    Call.VERIFIED: "identité vérifiée",
    Call.CLOSED: "intervention close",
}

# Materials that no key may reach any more (the voter file's words for them).
SPENT_MATERIALS = (MATERIAL_STATUS_LABELS["substituted"], MATERIAL_STATUS_LABELS["invalidated"])

# The masked contact fields, labelled as the service names them.
FIELD_LABELS = {name: REVEALABLE_LABELS[name].capitalize() for name in REVEALABLE}


def when(moment: datetime | None) -> str:
    return f"{to_paris(moment):%d/%m/%Y %H:%M}" if moment else "—"


def scrutins_text(material: MaterialView) -> str:
    """Each scrutin of a material, voted or not and when; an election without named
    scrutins has one, the election itself."""
    if not material.scrutins:
        return "aucun"
    if len(material.scrutins) == 1 and material.scrutins[0].id == material.election_id:
        voted_at = material.scrutins[0].voted_at
        return f"voté le {when(voted_at)}" if voted_at else "non voté"
    return "\n".join(
        f"{s.id} : voté le {when(s.voted_at)}" if s.voted_at else f"{s.id} : non voté"
        for s in material.scrutins
    )


def agreed(status: str, kind: str) -> str:
    """A credential's state agreeing with its name: « clé de sécurité : active »."""
    if not words(kind).feminine:
        return status
    return {"actif": "active", "révoqué": "révoquée"}.get(status, status)


def path_text(
    call: Call,
    next_step: str,
    outcome: str | None = None,
    words: InterventionWords = CALL,
) -> Text:
    """« Appel : 1 Ouvrir › 2 Vérifier › 3 Agir › 4 Clore — état — étape suivante »,
    the current step highlighted; the ``words`` name it otherwise where nobody is on the
    phone (« Passage au bureau : … », « Demande par courriel : … »)."""
    text = Text(f"{words.path} : ", style="bold")
    current = STEP_OF[call]
    for index, name in enumerate(STEPS):
        if index:
            text.append(" › ", style="dim")
        style = "bold reverse" if index == current else ("dim" if index > current else "")
        text.append(f"{index + 1} {name}", style=style)
    state = STATE_LABELS[call]
    if call is Call.CLOSED and outcome:
        state += f" ({outcome_text(outcome)})"
    text.append(f"   État : {state}.", style="bold")
    text.append(f"\nÉtape suivante : {next_step}")
    return text


def outcome_text(outcome: str | None) -> str:
    """An intervention's outcome in the closing window's words (« redirigé vers le
    libre-service »), never the stored key."""
    if not outcome:
        return ""
    return OUTCOMES.get(outcome) or outcome_label(outcome)


def revealed_text(value: str, seconds_left: int) -> Text:
    """A revealed value, with how long it stays on screen."""
    text = Text(value, style="bold")
    text.append(f"  (révélé, masqué dans {seconds_left} s)", style="yellow")
    return text


# Below this many columns the materials' six columns left the identifier « MI121618… »
# and the election « minint-2… »: each material is then a block of labelled lines.
MATERIALS_WIDE = 110


def credentials_text(material: MaterialView) -> str:
    lines = "\n".join(
        f"{c.label} : {agreed(c.status, c.kind)}"
        + (f" depuis {when(c.since)}" if c.since and not c.revoked_at else "")
        + (f" ({agreed('révoqué', c.kind)} {when(c.revoked_at)})" if c.revoked_at else "")
        for c in material.credentials
    )
    return lines or "aucun émis par la cellule"


def material_rows(file: VoterFile) -> Table:
    """One row a material, six columns: for a wide terminal."""
    materials = Table(title="Matériel de vote", expand=True)
    for column in ("Élection", "Qualité", "Identifiant", "Statut", "Scrutins", "Codes d'accès"):
        materials.add_column(column)
    for material in file.materials:
        add_plain_row(
            materials,
            f"{material.election_id}\n{material.election_title}",
            material.capacity,
            mask_identifier(material.identifier),
            material.status,
            scrutins_text(material),
            credentials_text(material),
        )
    return materials


def material_blocks(file: VoterFile) -> Table:
    """One block of labelled lines a material, each value whole: for 80 columns."""
    materials = Table(title="Matériel de vote", expand=True, show_header=False)
    materials.add_column(style="bold", no_wrap=True)
    materials.add_column()
    for index, material in enumerate(file.materials):
        if index:
            materials.add_section()
        add_plain_row(
            materials, "Élection", f"{material.election_id} — {material.election_title}"
        )
        add_plain_row(materials, "Identifiant", mask_identifier(material.identifier))
        add_plain_row(materials, "Qualité, statut", f"{material.capacity}, {material.status}")
        add_plain_row(materials, "Scrutins", scrutins_text(material))
        add_plain_row(materials, "Codes d'accès", credentials_text(material))
    return materials


BIRTH_HIDDEN = "masquée jusqu'à la vérification"  # one line at 80 columns


def render_file(
    file: VoterFile,
    now: datetime,
    revealed: Mapping[str, tuple[str, int]] | None = None,
    width: int | None = None,
    *,
    birth_hidden: bool = False,
) -> list[Table | Text]:
    """The file as rich renderables (pure, so tests and snapshots see the same).

    ``birth_hidden``: the date of birth, a factor of every check, is not shown (a caller
    not yet verified, BIRTH_HIDDEN).

    ``revealed``: field -> (clear value, seconds left) for the fields a supervisor
    revealed; every other contact field shows masked. Below MATERIALS_WIDE columns
    (``width``) each voting material is a block of lines, not a row of six columns."""
    revealed = revealed or {}
    identity = Table.grid(padding=(0, 2))
    identity.add_column(style="bold")
    identity.add_column()
    add_plain_row(identity, "Matricule", file.matricule)
    add_plain_row(identity, "Nom, prénom", f"{file.last_name} {file.first_name}")
    birth = f"{file.birth_date:%d/%m/%Y}" if file.birth_date else "—"
    add_plain_row(identity, "Date de naissance", BIRTH_HIDDEN if birth_hidden else birth)
    for name, label in FIELD_LABELS.items():
        if name in revealed:
            value, seconds_left = revealed[name]
            if name.startswith("phone"):  # stored as +33741207379: read out as 07 41…
                value = readable_phone(value)
            add_plain_row(identity, label, revealed_text(value, seconds_left))
        else:
            add_plain_row(identity, label, getattr(file, name) or "—")
    if file.has_address is not None:
        # Whether a letter can go (the key by post): the agent learnt it only from ctrl+b's
        # refusal. Never the address itself.
        add_plain_row(identity, "Adresse postale", "enregistrée" if file.has_address else "aucune")
    add_plain_row(identity, "Secrets enregistrés", ", ".join(file.secrets_on_record) or "aucun")
    if file.challenge_question:
        add_plain_row(identity, "Question défi", file.challenge_question)
    locked = file.locked_until is not None and file.locked_until > now
    add_plain_row(
        identity,
        "Verrouillage",
        Text(f"verrouillé jusqu'au {when(file.locked_until)}", style="bold red")
        if locked
        else Text("non verrouillé"),
    )
    for bureau in file.bureaus:
        president = bureau.president_operator or bureau.president or "non désigné"
        # A bureau first named by a roll is named by its code: said once.
        named = f"{bureau.code} {bureau.name}" if bureau.name != bureau.code else bureau.code
        add_plain_row(identity, "Bureau", f"{named} — président : {president}")

    narrow = width is not None and width < MATERIALS_WIDE
    materials = material_blocks(file) if narrow else material_rows(file)
    named = {
        s.id: s.title
        for material in file.materials
        for s in material.scrutins
        if s.id != material.election_id
    }
    if named:
        titles = " ; ".join(f"{k} = {v}" for k, v in named.items())
        # A Text is not styled by the table: the caption keeps its style by name.
        materials.caption = Text(f"Scrutins : {titles}", style="table.caption")

    interventions = Table(title="Interventions", expand=True)
    for column in ("Ouverte le", "Opérateur", "Canal", "Issue"):
        interventions.add_column(column)
    for item in file.interventions:
        add_plain_row(
            interventions,
            when(item.opened_at),
            item.operator,
            item.channel,
            outcome_text(item.outcome),
        )
    if not file.interventions:
        add_plain_row(interventions, "aucune", "", "", "")
    return [identity, materials, interventions]


def substitution_state(line: SubstitutionLine) -> str:
    """« en attente », « refusée le 05/12/2022 14:00 »: a decision with its date."""
    state = SUBSTITUTION_STATES.get(line.state, line.state)
    return f"{state} le {when(line.decided_at)}" if line.decided_at else state


def substitution_table(file: VoterFile) -> Table:
    """The voter's requests for substitution material, latest first: a refusal stays in
    view after the call, with its reason, for the agent the voter calls back to learn
    it (the refusal's notice says to call)."""
    table = Table(title="Demandes de matériel de substitution", expand=True)
    for column in ("N°", "Demandée le", "Scrutin", "Décision", "Motif"):
        table.add_column(column)
    for line in file.substitutions:
        add_plain_row(
            table,
            str(line.id),
            when(line.requested_at),
            line.election_id,
            substitution_state(line),
            mask_personal_data(line.reason) if line.reason else "—",
        )
    return table


def unlock_leaves_cases(cases: Sequence[int], matricule: str) -> str:
    """What the supervisor is told of the voter's cases still open after an unlock,
    naming the voter: the notice stays 15 s, over whatever screen comes next (it read
    « de cet électeur » over another voter's request; newcomer run)."""
    numbers = ", ".join(f"n° {case}" for case in cases)
    which = "Le dossier escaladé" if len(cases) == 1 else "Les dossiers escaladés"
    stays = "reste ouvert" if len(cases) == 1 else "restent ouverts"
    return (
        f"{which} {numbers} de l'électeur {matricule} {stays} : rappelez-le, puis clôturez "
        "le dossier (F10, « Dossiers escaladés »)."
    )


class VoterScreen(Explained, CsuScreen[None]):
    """The voter file and, above it, the path of the call and the operator's open
    intervention on this voter; beside it, the election's procedure for the call
    (:class:`CallScriptPanel`: steps done tick themselves, the next one is
    highlighted; ctrl+f follows another scenario of the election).

    Handling a call: ctrl+n opens the intervention, ctrl+e verifies the caller,
    ctrl+k issues a credential (shown once), ctrl+x invalidates one, ctrl+w closes the
    intervention; ctrl+y (or Échap once it is closed) starts the next call on an empty
    look-up. A supervisor unlocks a locked voter with ctrl+u. What the election of the
    intervention provides: ctrl+l sends a one-time link to reissue the vote code (S6),
    F7 takes a request for substitution material (S5); ctrl+d sends the identifier
    (S7, then a password); ctrl+b sends a new security key by post to the voter's home
    (Interior, seed 002). F6 lists the messages sent to the voter.

    What may be done is :func:`csu.domain.permissions.refusal`: an action the role or
    the election rules out is hidden, one the state of the call or the voter's file
    (voted with every material, no home address…) does not allow is greyed, and
    pressing its key says why and what to do first. Every action refreshes the file
    and the panel from the services. A refusal of an action of the call shown to the
    operator (greyed key, or a service's in its window) is remembered until an action
    succeeds, so that the closing proposes « refusé ».
    """

    AUTO_FOCUS = "#voter-file"  # the arrows scroll the file; every action has its key
    # Below 28 rows the margins between the path, the panels and the file go (screens.tcss):
    # at 80x24 the file kept five lines below the call's panels.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_WINDOW_ROWS, "-tall")]

    BINDINGS = [
        Binding("escape", "back", "Retour", id="voter-back"),
        Binding("ctrl+n", "open_intervention", "Nouvelle intervention",
                id="voter-open-intervention"),
        Binding("ctrl+e", "verify", "Vérifier", id="voter-verify"),
        Binding("ctrl+k", "issue", "Délivrer", id="voter-issue"),
        Binding("ctrl+x", "revoke", "Invalider", id="voter-revoke"),
        Binding("ctrl+w", "close_intervention", "Clore",
                id="voter-close-intervention"),
        Binding("ctrl+y", "new_call", "Nouvel appel", id="voter-new-call"),
        # Browsers keep ctrl+n and ctrl+w (new window, close tab) for themselves.
        Binding("alt+n", "open_intervention", "Nouvelle intervention (navigateur)",
                id="voter-open-intervention-alt", show=False),
        Binding("alt+w", "close_intervention", "Clore l'intervention (navigateur)",
                id="voter-close-intervention-alt", show=False),
        Binding("ctrl+u", "unlock", "Déverrouiller", id="voter-unlock"),
        Binding("ctrl+r", "reveal", "Révéler, écarter", id="voter-reveal"),
        Binding("ctrl+l", "vote_code_link", "Lien code de vote", id="voter-vote-code-link"),
        Binding("ctrl+d", "identifier", "Envoyer l'identifiant", id="voter-identifier"),
        Binding("f7", "substitution", "Matériel de substitution",
                id="voter-substitution"),
        Binding("ctrl+b", "letter", "Clé par courrier", id="voter-letter"),
        Binding("f6", "messages", "Messages", id="voter-messages"),
        Binding("ctrl+f", "choose_script", "Autre procédure", id="voter-script",
                show=False),
    ]  # fmt: skip

    def __init__(self, voter_id: int) -> None:
        super().__init__()
        self.voter_id = voter_id
        self.file: VoterFile | None = None
        # The operator's open intervention (on any voter), and on this voter.
        self.current: OpenIntervention | None = None
        self.intervention: OpenIntervention | None = None
        # The outcome of this voter's intervention closed from this file (the call is
        # then over: Échap starts the next one).
        self.closed_outcome: str | None = None
        self.closed_channel: str | None = None  # and its channel, for its words
        # The intervention whose checklist the panel shows (kept once it is closed).
        self.script_intervention: str | None = None
        # The last refusal of an action of the call shown to the operator, with its
        # intervention's id, until an action succeeds: a service's refusal leaves no
        # step in the journal, and the closing must propose « refusé » after it.
        self.refusal_shown: tuple[str, str] | None = None
        self.definitions: dict[str, ElectionDefinition] = {}
        self._bindings_state: tuple[object, ...] = ()
        # Revealed fields: field -> (clear value, monotonic deadline), with their timers.
        self._revealed: dict[str, tuple[str, float]] = {}
        self._birth_drawn_hidden = True  # as the file was last drawn
        self._reveal_timers: dict[str, Timer] = {}
        self._reveal_ticker: Timer | None = None
        self._label_next_key()

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static(id="call-path", markup=False)
        # The intervention and, beside it, the procedure it follows; the file below, at
        # full width (its tables need it).
        with Horizontal(id="call-row", classes="-idle"):
            yield InterventionPanel(self.app.clock, id="intervention-panel")
            yield CallScriptPanel(id="call-script")
        with VerticalScroll(id="voter-file"):
            yield Static("Chargement de la fiche…", id="voter-identity", markup=False)
            yield Static(id="voter-materials", markup=False)
            # Above the interventions, which may be many: a refusal shows without a scroll.
            requests = Static(id="voter-substitutions", markup=False)
            requests.display = False  # until the file says there is a request
            yield requests
            yield Static(id="voter-interventions", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        panel = self.query_one(CallScriptPanel)
        panel.switch_key = self.key_for("choose_script")
        panel.border_title = self.words.panel_title
        self._draw_path()
        self.load()

    # --- what may be done (csu.domain.permissions) ---------------------------------

    @property
    def in_person(self) -> bool:
        """Whether the operator has the voter in front of them rather than on the phone:
        a president's own intervention (S4, as
        :func:`csu.domain.call_script.scenario_of_channel` tells it from the channel);
        before it opens, a president (who opens no other)."""
        if self.channel is not None:
            return scenario_of_channel(self.channel, self.role) == "S4"
        return self.role == "president"

    @property
    def channel(self) -> str | None:
        """The channel of this voter's intervention, open or closed from this file."""
        if self.intervention is not None:
            return self.intervention.channel
        return self.closed_channel if self.closed_outcome is not None else None

    @property
    def by_mail(self) -> bool:
        """Whether the intervention answers a request that came by e-mail: nobody is on
        the phone, the file speaks of a request, not of a call."""
        return self.channel == "email"

    @property
    def words(self) -> InterventionWords:
        """The words of this intervention: a call, a visit to the polling station, or a
        request by e-mail."""
        return words_for(in_person=self.in_person, by_mail=self.by_mail)

    def _label_next_key(self) -> None:
        """The footer and F1 say what ctrl+y leads to here: the next call, the
        next voter in line at the polling station, the next request."""
        label = self.words.next_label
        if any(b.description != label for _, b in self._bindings if b.action == "new_call"):
            self._bindings = BindingsMap(
                replace(binding, description=label) if binding.action == "new_call" else binding
                for _, binding in self._bindings
            )

    @property
    def call(self) -> Call:
        """The state of the call on this voter."""
        intervention = self.intervention
        locked = (
            intervention is not None
            and self._locked_until() is not None
            and remote_lock_applies(intervention.channel)
        )
        return call_state(
            opened=intervention is not None,
            closed=self.closed_outcome is not None,
            verified=is_verified(intervention, self.app.clock()),
            locked=locked,
        )

    def situation(self) -> Situation:
        who = self.app.operator
        file = self.file
        in_bureau = True
        if who is not None and who.role == "president" and file is not None:
            in_bureau = any(m.bureau == who.bureau for m in file.materials)
        definition = self._rules_definition()
        intervention = self.intervention
        material_active = None
        if intervention is not None and file is not None:
            material_active = any(
                m.election_id == intervention.election_id and m.status not in SPENT_MATERIALS
                for m in file.materials
            )
        return Situation(
            self.role,
            call=self.call,
            in_bureau=in_bureau,
            election=election_allows(definition, self.app.clock()) if definition else None,
            other_call=(
                self.current.matricule
                if self.current is not None and self.current.voter_id != self.voter_id
                else None
            ),
            voter_locked=self._locked_until() is not None,
            has_address=file.has_address if file is not None else None,
            material_active=material_active,
            votes=self._votes(definition),
            channel=intervention.channel if intervention is not None else None,
        )

    def _votes(
        self, definition: "ElectionDefinition | None"
    ) -> tuple[tuple[ScrutinState, ...], ...] | None:
        """Each active material of the election that rules the actions (a president's:
        of their bureau), as its scrutins voted or not in the file: what the rule needs
        to grey what the émargement forbids (the services read it again under lock)."""
        file, who = self.file, self.app.operator
        if file is None or definition is None:
            return None
        president = who is not None and who.role == "president"
        return tuple(
            tuple(ScrutinState(s.id, s.title, s.voted_at) for s in material.scrutins)
            for material in file.materials
            if material.election_id == definition.id
            and material.status not in SPENT_MATERIALS
            and (not president or who is None or material.bureau == who.bureau)
        )

    def refused(self, action: str) -> Refusal | None:
        """Why a screen action cannot be done now (None: it can)."""
        if action == "choose_script":
            return self._script_refusal()
        rule = RULES.get(action)
        if rule is None:
            return None
        if self.file is None:
            return Refusal("La fiche n'est pas chargée.", forbidden=True)
        return refusal(rule, self.situation())

    def _script_refusal(self) -> Refusal | None:
        """Another scenario may be followed once the panel shows a checklist with
        others."""
        panels = self.query(CallScriptPanel)
        if panels and panels.first().can_switch:
            return None
        if not panels or panels.first().checklist is None:
            return OPEN_FIRST
        return Refusal(self.words.single_script)

    def refusal_for(self, action: str) -> str | None:
        found = self.refused(action)
        if found is None:
            return None
        step = SCREEN_ACTIONS.get(found.step or "")
        key = self.key_for(step) if step else ""
        reason = found.reason.removesuffix(".")
        return f"{reason} ({key})." if key else f"{reason}."

    def on_key(self, event: Key) -> None:
        # Explained's handler, next, tells why a greyed key does nothing. When the
        # voter's situation rules out an action of the call (voted, no address…), that
        # refusal is what happened: remembered for the closing.
        if self.app.screen is not self:
            return
        for namespace, bindings in self._binding_chain:
            if namespace is not self:
                continue
            for binding in bindings.key_to_bindings.get(event.key, ()):
                found = self.refused(binding.action)
                if (
                    binding.action in CALL_ACTIONS
                    and found is not None
                    and not found.forbidden
                    and found.step is None
                ):
                    self.remember_refusal(found.sentence)

    def remember_refusal(self, reason: str) -> None:
        """A refusal of an action of the call was shown during this intervention."""
        if self.intervention is not None:
            self.refusal_shown = (self.intervention.id, reason)

    def acted(self) -> None:
        """An action of the call succeeded: an earlier refusal is no longer the end of
        the story."""
        self.refusal_shown = None

    @property
    def refused_last(self) -> bool:
        """Whether a refusal shown during this intervention followed its last success."""
        shown, intervention = self.refusal_shown, self.intervention
        return shown is not None and intervention is not None and shown[0] == intervention.id

    def open_window(self, window: Screen[Any], callback: Callable[[Any], None]) -> None:
        """Opens an action's window above the file; a service's refusal shown there is
        remembered (:meth:`remember_refusal`)."""
        window.message_signal.subscribe(self, self._window_message, immediate=True)
        self.app.push_screen(window, callback)

    def _window_message(self, message: Message) -> None:
        # A refusal of the service (not a value typed wrong, which the window asks
        # again), as the operator read it.
        if isinstance(message, WorkFailed) and isinstance(message.error, ServiceError):
            self.remember_refusal(str(message.error))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return True
        found = self.refused(action)
        if found is None:
            return True
        # Ruled out for this role or election: hidden; not yet possible: greyed.
        return False if found.forbidden else None

    def own_election(self) -> "ElectionDefinition | None":
        """The header shows the election of this voter's call, not the operator's."""
        return self._focus_definition()

    def _focus_definition(self) -> "ElectionDefinition | None":
        """The election in focus (the header's): the intervention's, else the voter's
        first."""
        if self.intervention is not None:
            return self.definitions.get(self.intervention.election_id)
        if self.file is not None and self.file.materials:
            return self.definitions.get(self.file.materials[0].election_id)
        return None

    def _rules_definition(self) -> "ElectionDefinition | None":
        """The election whose provisions rule the actions: the intervention's, else the
        voter's only one (with several, the intervention will say which)."""
        if self.intervention is not None:
            return self.definitions.get(self.intervention.election_id)
        elections = {m.election_id for m in self.file.materials} if self.file else set()
        return self.definitions.get(elections.pop()) if len(elections) == 1 else None

    def _intervention_definition(self) -> "ElectionDefinition | None":
        """The definition of the election of the open intervention on this voter."""
        if self.intervention is None:
            return None
        return self.definitions.get(self.intervention.election_id)

    def _locked_until(self) -> datetime | None:
        if self.file is None or self.file.locked_until is None:
            return None
        return self.file.locked_until if self.file.locked_until > self.app.clock() else None

    def _draw_path(self) -> None:
        """The path of the call, its current step and what to do next."""
        self.query_one("#call-path", Static).update(
            path_text(
                self.call,
                self._next_step(),
                self.closed_outcome,
                self.words,
            )
        )

    def _next_step(self) -> str:
        call = self.call
        k = self.key_for
        if self.file is None:
            return "Chargement de la fiche…"
        if call is Call.NONE:
            found = self.refused("open_intervention")
            if found is not None:
                return found.sentence
            opening = f"intervention ({k('open_intervention')}) pour {self.words.this}."
            if self._locked_until() is None:
                return f"Ouvrez une {opening}"
            # Locked: the supervisor's unlock needs no call.
            if self.refused("unlock") is None:
                return (
                    f"Électeur verrouillé : déverrouillez-le ({k('unlock')}) si le motif le "
                    f"justifie, ou ouvrez une {opening}"
                )
            return (
                f"Électeur verrouillé : un superviseur peut le déverrouiller. Ouvrez une {opening}"
            )
        if call is Call.OPEN:
            return f"Vérifiez l'identité de l'électeur ({k('verify')})."
        if call is Call.LOCKED:
            unlock = (
                f" ; déverrouillez-le ({k('unlock')}) si le motif le justifie"
                if self.role == "superviseur"
                else " : un superviseur peut le déverrouiller"
            )
            return (
                f"Électeur verrouillé{unlock}. Clôturez ensuite l'intervention "
                f"({k('close_intervention')})."
            )
        if call is Call.VERIFIED:
            acts = [
                f"{label} ({k(action)})"
                for action, label in ACTS
                if self.refused(action) is None and k(action)
            ]
            if acts and self._acted():
                return (
                    f"Clôturez l'intervention ({k('close_intervention')}), ou agissez "
                    f"encore : {' ; '.join(acts)}."
                )
            if acts:
                return f"Agissez : {' ; '.join(acts)}. Puis clôturez ({k('close_intervention')})."
            # Nothing to do: why, when the voter's situation says it (voted…).
            why = next(
                (
                    found.sentence
                    for action, _ in ACTS
                    if (found := self.refused(action)) is not None
                    and not found.forbidden
                    and found.step is None
                ),
                None,
            )
            if why is not None:
                return f"{why} Clôturez l'intervention ({k('close_intervention')})."
            return (
                "Agissez : aucune action de code pour ce scrutin. Puis clôturez "
                f"({k('close_intervention')})."
            )
        return f"{self.words.over} : {k('new_call')} ou Échap."

    def _acted(self) -> bool:
        """Something reached the voter in this intervention (its timeline says, by the
        rule the closing's proposed outcome follows): the next step is to close, as the
        procedure panel says, acting again being the exception."""
        panels = self.query(InterventionPanel)
        return bool(panels) and any(
            delivered((step.action, step.outcome, step.details)) for step in panels.first().steps
        )

    # --- loading ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="voter", exit_on_error=False)
    def load(self, with_file: bool = True) -> None:
        """The file (journalled as a consultation) unless ``with_file`` is false and it
        is already shown, and the operator's open intervention with its steps."""
        deps, who = self.session()
        file = open_voter(deps, who, self.voter_id) if with_file or self.file is None else None
        definitions = self.definitions or {
            definition.id: definition for definition in list_elections(deps)
        }
        current = current_intervention(deps, who)
        steps = (
            intervention_steps(deps, who, current.id)
            if current is not None and current.voter_id == self.voter_id
            else []
        )
        if not get_current_worker().is_cancelled:  # a later load shows fresher data
            self.app.call_from_thread(self._show, file, definitions, current, steps)

    def reload(self, with_file: bool = True) -> None:
        self.load(with_file)

    def _show(
        self,
        file: VoterFile | None,
        definitions: "dict[str, ElectionDefinition]",
        current: OpenIntervention | None,
        steps: list[Step],
    ) -> None:
        self.definitions = definitions
        if file is not None and file != self.file:
            self.file = file
            self._draw_file()
        self.current = current
        self.intervention = (
            current if current is not None and current.voter_id == self.voter_id else None
        )
        if self.intervention is not None:
            self.closed_outcome = None
        if self.file is not None and self.birth_hidden() != self._birth_drawn_hidden:
            self._draw_file()  # verified, or the call closed: the date of birth with it
        self.query_one(InterventionPanel).show(self.intervention, steps)
        self.fill_header()
        self._draw_path()
        self._show_script()
        # The footer is redrawn only when what decides the bindings changed.
        state = (
            self.file,  # its votes, address and materials grey actions too
            self.intervention.election_id if self.intervention is not None else None,
            self._locked_until(),
            self.call,
            self.current is not None,
            self.words,
        )
        if state != self._bindings_state:
            self._bindings_state = state
            self._label_next_key()
            self.refresh_bindings()

    def _show_script(self) -> None:
        """The procedure beside the file: the checklist of this voter's intervention
        (still shown once it is closed from here), else the election's scenarios."""
        panel = self.query_one(CallScriptPanel)
        row = self.query_one("#call-row", Horizontal)
        # During the call, the steps beside the intervention; once it is closed, alone;
        # before it (idle), a few lines above the file.
        row.set_class(self.intervention is None, "-alone")
        row.set_class(self.intervention is None and self.call is not Call.CLOSED, "-idle")
        if self.intervention is not None:
            self.script_intervention = self.intervention.id
            panel.show(self.intervention.id, self.intervention.election_id)
        elif self.call is Call.CLOSED and self.script_intervention is not None:
            panel.show(self.script_intervention, None)
        else:
            self.script_intervention = None
            definition = self._focus_definition()
            found = self.refusal_for("open_intervention")
            hint = (
                found
                if found is not None
                else f"Ouvrez une intervention ({self.key_for('open_intervention')}) pour "
                "suivre la procédure."
            )
            panel.show(None, definition.id if definition is not None else None, hint)

    def on_resize(self) -> None:
        self._draw_file()  # the materials as a table or as blocks (MATERIALS_WIDE)

    def birth_hidden(self) -> bool:
        who = self.app.operator
        return not birth_date_shown(who.role if who is not None else None, self.call)

    def _draw_file(self) -> None:
        if self.file is None:
            return
        now = time.monotonic()
        revealed = {
            field: (value, max(1, math.ceil(deadline - now)))
            for field, (value, deadline) in self._revealed.items()
        }
        self._birth_drawn_hidden = self.birth_hidden()
        identity, materials, interventions = render_file(
            self.file, self.app.clock(), revealed, self.size.width,
            birth_hidden=self._birth_drawn_hidden,
        )  # fmt: skip
        self.query_one("#voter-identity", Static).update(identity)
        self.query_one("#voter-materials", Static).update(materials)
        self.query_one("#voter-interventions", Static).update(interventions)
        requests = self.query_one("#voter-substitutions", Static)
        requests.display = bool(self.file.substitutions)
        if self.file.substitutions:
            requests.update(substitution_table(self.file))
        self._show_support()

    def _show_support(self) -> None:
        """Whom the voter calls for the election in focus (its CCIL, its numbers)."""
        if self.file is None:
            return
        election = self.intervention.election_id if self.intervention else None
        if election is None and self.file.materials:
            election = self.file.materials[0].election_id
        panels = self.query(SupportPanel)
        if not panels:
            self.query_one("#voter-file").mount(
                SupportPanel(self.voter_id, election, id="voter-support"),
                after="#voter-materials",
            )
        elif panels.first().election_id != election:
            panels.first().show(self.voter_id, election)

    @on(WorkFailed)
    def _failed(self, event: WorkFailed) -> None:
        if event.group == "voter" and not self.file:
            self.query_one("#voter-identity", Static).update(
                "Fiche indisponible. Échap pour revenir à la recherche."
            )

    # --- the path of the call -----------------------------------------------------

    def action_back(self) -> None:
        """Back to the look-up: empty once the call is over, as it was otherwise, its
        query selected so that the next one typed replaces it (the intervention, if any,
        stays open: the look-up says on whom)."""
        from csu.screens.lookup import LookupScreen

        if self.call is Call.CLOSED:
            self.action_new_call()
            return
        self.app.pop_screen()
        lookup = self.app.screen
        if isinstance(lookup, LookupScreen):
            lookup.came_back(self.current)

    def action_new_call(self) -> None:
        """The next caller starts on an empty look-up."""
        from csu.screens.lookup import LookupScreen

        self.app.pop_screen()
        lookup = self.app.screen
        if isinstance(lookup, LookupScreen):
            lookup.clear()

    # --- the intervention ---------------------------------------------------------

    def action_open_intervention(self) -> None:
        if self.file is None:
            return
        choices = self._election_choices(self.file)
        if not choices:
            self.notify("Cet électeur n'a pas de matériel de vote.", severity="warning")
            return
        self.app.push_screen(
            InterventionOpenScreen(self.voter_id, choices, as_president=self.role == "president"),
            self.after_open,
        )

    def _election_choices(self, file: VoterFile) -> list[ElectionChoice]:
        who = self.app.operator
        president = who is not None and who.role == "president"
        choices: dict[str, ElectionChoice] = {}
        for material in file.materials:
            if material.election_id in choices:
                continue
            if president and who is not None and material.bureau != who.bureau:
                continue
            definition = self.definitions.get(material.election_id)
            channels = definition.channels if definition is not None else ()
            if president:
                channels = tuple(c for c in channels if c == "president")
            closed = definition is not None and not within_support_hours(
                definition, self.app.clock()
            )
            choices[material.election_id] = ElectionChoice(
                material.election_id, material.election_title, channels,
                describe_support_hours(definition) if closed and definition else None,
            )  # fmt: skip
        return list(choices.values())

    def after_open(self, opened: OpenIntervention | None) -> None:
        if opened is not None:
            self.notify(f"Intervention ouverte ({opened.channel_label}).", title="Intervention")
            self.reload()

    def action_close_intervention(self) -> None:
        intervention = self.intervention
        if intervention is not None:
            panel = self.query_one(InterventionPanel)
            # With their details: a key's issue says whether it went by post.
            steps = [(step.action, step.outcome, step.details) for step in panel.steps]
            self.app.push_screen(
                InterventionCloseScreen(
                    intervention.id,
                    suggested_outcome(self.call, steps, refused=self.refused_last),
                    unconfirmed=unconfirmed_issue(steps),
                ),
                self.after_close,
            )

    def after_close(self, outcome: str | None) -> None:
        if outcome is not None:
            self.closed_outcome = outcome
            self.closed_channel = self.channel
            self.refusal_shown = None
            self.notify(f"Intervention close : {outcome_text(outcome)}.", title="Intervention")
            self.reload()

    # --- verification -------------------------------------------------------------

    def action_verify(self) -> None:
        intervention = self.intervention
        if intervention is None:
            return
        definition = self.definitions.get(intervention.election_id)
        sets = definition.verification.get(intervention.channel, ()) if definition else ()
        self.app.push_screen(
            VerifyScreen(
                intervention,
                sets,
                challenge_question=self.file.challenge_question if self.file else None,
                on_change=self.reload,
                reachable=self._reachable(),
                documents=definition.identity_documents if definition else DOCUMENT_TYPES,
                verification_for=definition.verification_for if definition else None,
            ),
            self.after_verify,
        )

    def after_verify(self, result: VerificationResult | None) -> None:
        if result is not None:
            if result.wrong:  # verified, but an answer was wrong: said longer, as a warning
                self.notify(result.message, title="Vérification d'identité",
                            severity="warning", timeout=15)  # fmt: skip
            else:
                self.notify(result.message, title="Vérification d'identité")
            # A wrong answer beside the set may have locked the voter: the file says so.
            self.reload(with_file=result.locked_until is not None)

    def _reachable(self) -> frozenset[str] | None:
        """Where a one-time code can go: the mobile and the address on record."""
        if self.file is None:
            return None
        return frozenset(
            factor
            for factor, contact in (
                ("otp_mobile", self.file.phone_mobile),
                ("otp_email", self.file.email_pro),
            )
            if contact
        )

    def action_unlock(self) -> None:
        until = self._locked_until()
        if until is not None:
            self.app.push_screen(UnlockScreen(self.voter_id, when(until)), self.after_unlock)

    def after_unlock(self, cases: tuple[int, ...] | None) -> None:
        if cases is None:
            return
        self.notify("Électeur déverrouillé (journalisé).", title="Verrouillage")
        if cases:  # the unlock closes none: a supervisor took the job for done
            matricule = self.file.matricule if self.file is not None else ""
            self.notify(unlock_leaves_cases(cases, matricule), title="Dossier escaladé",
                        severity="warning", timeout=15)  # fmt: skip
        self.reload()

    # --- credentials --------------------------------------------------------------

    def _credential_choices(self) -> tuple[list[MaterialView], list[str]] | None:
        """The materials of the intervention's election the operator may act on, and
        the kinds of credential the election defines (a president: passwords only)."""
        intervention, file, who = self.intervention, self.file, self.app.operator
        if intervention is None or file is None or who is None:
            return None
        materials = [
            m
            for m in file.materials
            if m.election_id == intervention.election_id
            and (who.role != "president" or m.bureau == who.bureau)
        ]
        definition = self.definitions.get(intervention.election_id)
        if definition is None:
            return materials, []
        return materials, list(kinds_for(who.role, election_allows(definition, self.app.clock())))

    def action_issue(self) -> None:
        choices = self._credential_choices()
        if choices is None or self.intervention is None:
            return
        if self._require_verified("issue"):
            self.open_window(
                IssueScreen(
                    self.intervention.id,
                    *choices,
                    channel=self.intervention.channel,
                    president_login=self.intervention.president_login,
                    preferred=self._procedure_kind(),
                ),
                self.after_issue,
            )

    def _procedure_kind(self) -> str | None:
        """The credential the procedure beside the file issues (« S3 — Mot de passe
        perdu »: the password), the one ctrl+k then chooses first; None: none named."""
        from csu.domain.call_script import scripts_of

        view = self.query_one(CallScriptPanel).checklist
        definition = self._intervention_definition()
        if view is None or definition is None or view.election_id != definition.id:
            return None
        script = scripts_of(definition).get(view.scenario)
        issued = (
            evidence.detail
            for step in (script.steps if script is not None else ())
            for evidence in step.done_when
            if evidence.action == "credential_issue" and evidence.detail is not None
        )
        return next(issued, None)

    def _require_verified(self, action: str) -> bool:
        """Warns, and answers False, when the action is not possible (the verification
        lapsed since the footer was drawn, say)."""
        self.refresh_bindings()
        reason = self.refusal_for(action)
        if reason is None:
            return True
        self.notify(reason, title="Action impossible", severity="warning")
        return False

    def after_issue(self, shown: CredentialShownScreen | None) -> None:
        # The file is reloaded once the value is gone from the screen.
        if shown is not None:
            self.acted()
            self.app.push_screen(shown, self.after_read_out)

    def after_read_out(self, confirmed: bool | None) -> None:
        # The window told the operator, in words that agree with the credential.
        self.reload()

    def action_revoke(self) -> None:
        choices = self._credential_choices()
        if choices is not None and self.intervention is not None:
            materials, kinds = choices
            # The kind there is something to invalidate of, first: after a password was
            # given, ctrl+x offered the key, which the service then refused.
            active = next(
                (k for k in kinds for m in materials for c in m.credentials
                 if c.kind == k and c.status == CREDENTIAL_ACTIVE),
                None,
            )  # fmt: skip
            self.open_window(
                RevokeScreen(
                    self.intervention.id, materials, kinds, preferred=active,
                    call_opened_at=self.intervention.opened_at,
                ),
                self.after_revoke,
            )  # fmt: skip

    def after_revoke(self, kind: str | None) -> None:
        if kind is not None:
            self.acted()
            self.notify(revoked(kind), title=INVALIDATE_LABELS.get(kind, "Invalider un code"))
            self.reload()

    # --- the key by post (Interior) -------------------------------------------------

    def action_letter(self) -> None:
        choices = self._credential_choices()
        if choices is None or self.intervention is None:
            return
        if self._require_verified("letter"):
            materials = [m for m in choices[0] if m.status not in SPENT_MATERIALS]
            if not materials:  # the rule (material_active) refused it already
                return
            active = [m for m in materials if m.status == MATERIAL_STATUS_LABELS["active"]]
            first = (active or materials)[0]
            self.open_window(
                LetterScreen(self.intervention.id, first.material_id, materials=materials),
                self.after_letter,
            )

    def after_letter(self, queued: LetterQueued | None) -> None:
        # The previous key is revoked and a new one issued: the file shows it.
        if queued is not None:
            self.acted()
            self.notify("Clé envoyée par courrier (journalisé).", title="Clé par courrier")
            self.reload()

    def action_choose_script(self) -> None:
        self.query_one(CallScriptPanel).open_choice()

    # --- messages to the voter (S6, S7), substitution (S5) ------------------------

    def action_vote_code_link(self) -> None:
        choices = self._credential_choices()
        if choices is None or self.intervention is None:
            return
        if self._require_verified("vote_code_link"):
            self.open_window(VoteCodeLinkScreen(self.intervention.id, choices[0]), self.after_link)
            self.query_one(CallScriptPanel).follow("S6")

    def after_link(self, sent: LinkSent | None) -> None:
        if sent is not None:
            self.acted()
            self.reload(with_file=False)

    def action_identifier(self) -> None:
        choices = self._credential_choices()
        if choices is None or self.intervention is None or self.file is None:
            return
        if self._require_verified("identifier"):
            materials, kinds = choices
            self.open_window(
                IdentifierScreen(
                    self.intervention.id,
                    materials,
                    email_pro=self.file.email_pro,
                    offer_password="password" in kinds,
                    password_by_link=self._password_by_link(),
                ),
                self.after_identifier,
            )
            self.query_one(CallScriptPanel).follow("S7")

    def _password_by_link(self) -> bool:
        definition = self._intervention_definition()
        return definition is not None and definition.allows("password", "link")

    def after_identifier(self, outcome: IdentifierOutcome | None) -> None:
        if outcome is None:
            return
        self.acted()
        if not outcome.issue_password or self.intervention is None or self.file is None:
            self.reload(with_file=False)
            return
        # The issue flow of ctrl+k, for a password of the material just sent.
        material = [m for m in self.file.materials if m.material_id == outcome.material_id]
        self.open_window(
            IssueScreen(
                self.intervention.id, material, ["password"], channel=self.intervention.channel
            ),
            self.after_issue,
        )

    def action_substitution(self) -> None:
        intervention, file = self.intervention, self.file
        definition = self._intervention_definition()
        if intervention is None or file is None or definition is None:
            return
        try:
            from csu.screens.substitution import SubstitutionRequestScreen
        except ImportError:
            self.notify("Écran indisponible.", title="Matériel de substitution", severity="error")
            return
        materials = [
            (m.material_id, m.identifier, m.capacity)
            for m in file.materials
            if m.election_id == intervention.election_id
        ]
        self.open_window(
            SubstitutionRequestScreen(intervention.id, materials, definition),
            self.after_substitution,
        )
        self.query_one(CallScriptPanel).follow("S5")

    def after_substitution(self, view: object | None) -> None:
        # A request (granted, pending or refused) changes the file; a cancel, the panel
        # at most (reloading only the panel journals no consultation). A request
        # refused is a step of the journal: the closing reads it there.
        if view is not None:
            self.acted()
        self.reload(with_file=view is not None)

    def action_messages(self) -> None:
        file = self.file
        if file is not None:
            label = f"{file.matricule} {file.last_name} {file.first_name}"
            self.app.push_screen(
                OutboxScreen(self.voter_id, label, election=self._focus_definition())
            )

    # --- reveal -------------------------------------------------------------------

    def action_reveal(self) -> None:
        def chosen(answer: tuple[str, str, str] | None) -> None:
            if answer is None:
                return
            what, field, reason = answer
            if what == REVEAL:
                self.reveal(field, reason)
                return
            window = SetAsideScreen(self.voter_id, field, shown.get(field), reason)
            self.app.push_screen(window, partial(self.after_set_aside, field))

        file = self.file
        shown = {name: getattr(file, name) for name in REVEALABLE} if file is not None else {}
        self.app.push_screen(RevealScreen(shown), chosen)

    def after_set_aside(self, field: str, done: SetAside | None) -> None:
        if done is None:
            return
        self.hide_revealed(field, redraw=False)
        self.notify(set_aside_done(field, done), title="Coordonnée écartée", timeout=10)
        self.reload()

    @work(thread=True, exclusive=True, group="reveal", exit_on_error=False)
    def reveal(self, field: str, reason: str) -> None:
        deps, who = self.session()
        value = reveal_field(deps, who, self.voter_id, field, reason)
        self.app.call_from_thread(self.show_revealed, who, field, value)

    def show_revealed(self, who: OperatorContext, field: str, value: str) -> None:
        """Shows ``value`` in the file for ``reveal_seconds``, unless the operator has
        left the file or the session meanwhile (the value is then dropped)."""
        if self.app.operator is None or self.app.operator != who or not self._on_file():
            return
        seconds = self.app.reveal_seconds
        self._revealed[field] = (value, time.monotonic() + seconds)
        if field in self._reveal_timers:
            self._reveal_timers[field].stop()
        self._reveal_timers[field] = self.set_timer(seconds, partial(self.hide_revealed, field))
        if self._reveal_ticker is None:
            self._reveal_ticker = self.set_interval(1, self._draw_file)
        self._draw_file()

    def hide_revealed(self, field: str | None = None, *, redraw: bool = True) -> None:
        """Masks ``field`` again (every revealed field when None)."""
        fields = list(self._revealed) if field is None else [field]
        for name in fields:
            self._revealed.pop(name, None)
            timer = self._reveal_timers.pop(name, None)
            if timer is not None:
                timer.stop()
        if not self._revealed and self._reveal_ticker is not None:
            self._reveal_ticker.stop()
            self._reveal_ticker = None
        if fields and redraw:
            self._draw_file()

    @property
    def revealed_fields(self) -> tuple[str, ...]:
        """The fields shown in clear right now."""
        return tuple(self._revealed)

    def _on_file(self) -> bool:
        """Whether the operator is on this file (or on a window opened above it)."""
        stack = self.app.screen_stack
        if not self.is_attached or self not in stack:
            return False
        return all(isinstance(above, ModalScreen) for above in stack[stack.index(self) + 1 :])

    def on_screen_suspend(self) -> None:
        # Another full screen (journal, look-up…) means the file is left; a window opened
        # from the file (a modal) keeps it underneath.
        if not isinstance(self.app.screen, ModalScreen):
            self.hide_revealed()

    def on_unmount(self) -> None:
        # The screen is gone (logout, idle lock, back to the look-up): so is the value.
        self.hide_revealed(redraw=False)


def file_key(app: "App[Any]", action: str) -> str:
    """The key a voter file binds to ``action`` now, as a word (the keymap applied and,
    in a browser, its twin key), for a window that names it where no file is open
    (ctrl+q from the look-up); "" when none does (:func:`csu.screens.base.bound_key`)."""
    return bound_key(app, VoterScreen.BINDINGS, action)


REVEAL = "reveal"
SET_ASIDE = "set_aside"


class RevealScreen(ReasonDialog[tuple[str, str, str] | None]):
    """Which contact field to reveal, and why (the reason goes to the journal); or to set
    aside (« Écarter… »), a contact no longer the voter's. Returns (``REVEAL`` or
    ``SET_ASIDE``, the field, the reason typed)."""

    PREFIX = "reveal"
    TITLE_TEXT = "Révéler un champ masqué (la révélation est journalisée)"
    OK_LABEL = "Révéler"
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="reveal-cancel")]

    def __init__(self, shown: Mapping[str, str | None] | None = None) -> None:
        super().__init__()
        self.shown = shown or {}

    def fields(self) -> ComposeResult:
        yield Select(
            [(self._choice(name), name) for name in REVEALABLE],
            id="reveal-field",
            allow_blank=False,
        )
        yield Static(
            "La valeur s'affiche dans la fiche quelques secondes, puis est masquée. Un "
            "numéro ou une adresse qui n'est plus celui de l'électeur : « Écarter… ».",
            classes="modal-hint",
        )

    def _choice(self, name: str) -> str:
        masked = self.shown.get(name)
        return f"{FIELD_LABELS[name]} ({masked or 'aucun'})" if self.shown else FIELD_LABELS[name]

    def other_buttons(self) -> ComposeResult:
        yield Button("Écarter…", id="reveal-set-aside", variant="error")

    @on(Button.Pressed, "#reveal-set-aside")
    def _set_aside(self) -> None:
        field = self.query_one("#reveal-field", Select).value
        reason = self.query_one("#reveal-reason", Input).value
        self.dismiss((SET_ASIDE, str(field), reason))

    def confirmed(self, reason: str) -> None:
        field = self.query_one("#reveal-field", Select).value
        self.dismiss((REVEAL, str(field), reason))
