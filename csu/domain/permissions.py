"""What an operator may do on a voter during a call: one rule, in one place.

:func:`refusal` answers for one action, from the operator's role, whether the voter
is of their bureau (presidents), the state of the call and what the election
provides: ``None`` when the action is allowed, otherwise a :class:`Refusal` with its
French reason and, when another step makes it possible, that step. The voter file
asks it for every key (shown enabled, or greyed with the reason when pressed); the
services ask it again inside their transaction, with what they read under lock, and
raise the refusal (:func:`csu.services.context.enforce`).

A service that checks part of the situation itself (the call's state read from the
store, say) leaves that part ``None``: it is then not considered.

The key by post (``letter``) is one of these actions: the election's delivery routes,
the role, the call verified, and the voter's roll entry (a home address, an active
material). What the voter's émargement still allows is another fact of the situation
(``votes``): once the voter has voted with every material of the election (its rule:
by default, no scrutin left to vote), no code is offered; once a scrutin is voted (by
default), no substitution. :func:`case_refusal` is the same kind of rule for the
supervisors' queue of escalated cases (take, read the callback number, close).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from csu.domain.scrutins import (
    EmargementRules,
    ScrutinState,
    reissue_refusal,
    substitution_voted,
)

if TYPE_CHECKING:
    from csu.domain.election import ElectionDefinition

OPENERS = ("agent", "president", "superviseur")
"""Who opens interventions (and verifies, issues, invalidates within them)."""
DESK_ROLES = ("agent", "superviseur")
"""Who sends messages to voters, takes substitution requests and follows the outbox."""
PRESIDENT_KINDS = ("password",)
"""What a president resets (S4): passwords only."""

ACTIONS = (
    "open", "verify", "issue", "revoke", "close", "new_call", "unlock", "reveal",
    "set_aside", "vote_code_link", "identifier", "substitution", "messages", "letter",
)  # fmt: skip
MESSAGE_ACTIONS = ("vote_code_link", "identifier", "substitution", "letter")
"""Actions that send something to the voter (or take a request): desk roles only."""
REISSUES = ("issue", "revoke", "vote_code_link", "identifier", "letter")
"""Actions on a material's codes: its émargement must still allow a reissue."""


class Call(StrEnum):
    """The state of the operator's call on this voter."""

    NONE = "none"  # no intervention on this voter
    OPEN = "open"  # opened; identity not verified (or the verification lapsed)
    VERIFIED = "verified"  # identity verified, still valid
    LOCKED = "locked"  # opened, but the voter is locked after failed verifications
    CLOSED = "closed"  # this voter's intervention has just been closed

    @property
    def ongoing(self) -> bool:
        return self in (Call.OPEN, Call.VERIFIED, Call.LOCKED)


def call_state(*, opened: bool, closed: bool, verified: bool, locked: bool) -> Call:
    """The state of a call from what the voter file knows. ``locked``: the voter's lock
    stops verification on the intervention's channel (remote channels only)."""
    if opened:
        if verified:
            return Call.VERIFIED
        return Call.LOCKED if locked else Call.OPEN
    return Call.CLOSED if closed else Call.NONE


@dataclass(frozen=True, slots=True)
class ElectionAllows:
    """What an election provides to the cell."""

    id: str
    kinds: tuple[str, ...] = ()  # credentials an agent issues and reads out (security_key…)
    vote_code_link: bool = False  # S6: a one-time link reissues the vote code
    substitution: bool = False  # S5: substitution material
    closed: bool = False  # the vote is over: no action on its materials
    identifier: bool = False  # S7: the identifier goes by e-mail ([delivery.identifier])
    identifier_instead: str = ""  # the file's sentence when it does not: what to do instead
    key_by_post: bool = False  # the security key goes by post ([delivery.security_key] "post")
    key_by_post_instead: str = ""  # the file's sentence when it does not
    # Why no credential is read out, per kind the election has: the file's sentences
    # (« Pour cette élection, le code de vote se réassortit uniquement par lien. … »).
    read_out_instead: tuple[str, ...] = ()
    # What a material's votes still allow (the file's [emargement]).
    emargement: EmargementRules = field(default_factory=EmargementRules)


@dataclass(frozen=True, slots=True)
class Situation:
    role: str
    call: Call | None = None  # None: the service checks the call's state itself
    in_bureau: bool = True  # a president: the voter (or material) is of their bureau
    election: ElectionAllows | None = None  # None: not considered
    kind: str | None = None  # the credential asked for (issue, revoke)
    # The matricule of the other voter the operator has a call open on (None: none).
    other_call: str | None = None
    voter_locked: bool | None = None  # the voter is locked (any channel); None: not considered
    has_address: bool | None = None  # the roll gives a home address (letters); None: idem
    material_active: bool | None = None  # a material of the election still active; idem
    # The voter's active materials of the election, each as its scrutins voted or not
    # (the voter file's émargement); None: not considered (the services read it under
    # lock, csu.services.emargement).
    votes: tuple[tuple[ScrutinState, ...], ...] | None = None
    channel: str | None = None  # the intervention's; None: not considered


# A value shown once is read to a caller; nobody is on the line of a request by e-mail,
# and an e-mail would carry the value in clear.
NO_READ_OUT_BY_MAIL = (
    "Une demande par courriel ne reçoit ni clé ni mot de passe : la valeur se lit à "
    "l'électeur au téléphone (nouvelle intervention par téléphone), jamais par courriel"
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an action may not be done. ``forbidden``: a matter of role or bureau (no
    state of the call would allow it). ``step``: the action that would make it
    possible (the screen names its key). ``settled``: forbidden by what was done before
    (a case closed, or taken by another supervisor a moment earlier), not by the
    operator's role: refused, but not journalled as a crafted call."""

    reason: str
    step: str | None = None
    forbidden: bool = False
    settled: bool = False

    @property
    def sentence(self) -> str:
        """The reason as a sentence (services raise it as is)."""
        return self.reason if self.reason.endswith(".") else self.reason + "."


def _role(role: str, roles: tuple[str, ...], label: str) -> Refusal | None:
    return None if role in roles else Refusal(f"Action réservée aux {label}.", forbidden=True)


NOT_IN_BUREAU = "Cet électeur relève d'un autre bureau que le vôtre."
OPEN_FIRST = Refusal("Ouvrez d'abord une intervention", step="open")
VERIFY_FIRST = Refusal(
    "Identité non vérifiée ou vérification expirée (10 minutes) : vérifiez-la d'abord",
    step="verify",
)
LOCKED = Refusal(
    "Électeur verrouillé après des échecs de vérification : un superviseur doit le déverrouiller",
    step="unlock",
)


def kinds_for(role: str, election: ElectionAllows) -> tuple[str, ...]:
    """The credentials of the election that ``role`` may issue or invalidate."""
    if role == "president":
        return tuple(kind for kind in election.kinds if kind in PRESIDENT_KINDS)
    return election.kinds


IN_PERSON = "president"  # the channel of a president's own, in-person intervention
IN_PERSON_ONLY = "Un président n'intervient qu'en présentiel, dans son bureau."


def refusal(action: str, s: Situation) -> Refusal | None:
    """``None`` when ``action`` may be done in situation ``s``, else why not."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    match action:
        case "reveal" | "set_aside":
            return _role(s.role, ("superviseur",), "superviseurs")
        case "unlock":
            found = _role(s.role, ("superviseur",), "superviseurs")
            if found is None and s.voter_locked is False:
                found = Refusal("Cet électeur n'est pas verrouillé.")
            return found
        case "messages":
            return _role(s.role, DESK_ROLES, "agents et aux superviseurs")
        case "new_call":
            if s.call is not None and s.call.ongoing:
                return Refusal("Clôturez d'abord l'intervention en cours", step="close")
            return None
    # Every other action happens in an intervention.
    found = _role(
        s.role,
        DESK_ROLES if action in MESSAGE_ACTIONS else OPENERS,
        "agents et aux superviseurs"
        if action in MESSAGE_ACTIONS
        else "agents, présidents et superviseurs",
    )
    if found is not None:
        return found
    if s.role == "president" and not s.in_bureau:
        return Refusal(NOT_IN_BUREAU, forbidden=True)
    if action == "open" and s.role == "president" and s.channel not in (None, IN_PERSON):
        return Refusal(IN_PERSON_ONLY, forbidden=True)  # a crafted call
    president_kind = s.kind is None or s.kind in PRESIDENT_KINDS
    if action in ("issue", "revoke") and s.role == "president" and not president_kind:
        return Refusal(
            "Un président de bureau ne réinitialise que des mots de passe.", forbidden=True
        )
    election = s.election
    if election is not None and action != "close":
        if election.closed and action != "open":
            return Refusal(f"Le scrutin {election.id} est clos : aucune action possible.")
        if (found := _election_refusal(action, s.role, election)) is not None:
            return found
    if action == "letter" and (found := _letter_refusal(s)) is not None:
        return found
    if action == "issue" and s.channel == "email":
        # Greyed, not hidden: the agent reads why, and the closing hears of it.
        return Refusal(NO_READ_OUT_BY_MAIL)
    if (found := _vote_refusal(action, s)) is not None:
        return found
    return _call_refusal(action, s)


def _election_refusal(action: str, role: str, election: ElectionAllows) -> Refusal | None:
    """What the election does not provide, and what it provides instead."""
    if action in ("issue", "revoke") and not kinds_for(role, election):
        if role == "president":
            return Refusal(
                f"Le scrutin {election.id} ne prévoit pas de mot de passe : un président n'y "
                "réinitialise rien ; orientez l'électeur vers la cellule de support.",
                forbidden=True,
            )
        if election.read_out_instead:  # the file says what is done instead
            return Refusal(
                " ".join(election.read_out_instead),
                step="substitution" if election.substitution else None,
                forbidden=True,
            )
        instead = (
            "demandez du matériel de substitution"
            if election.substitution
            else "aucun code ne se délivre ici"
        )
        return Refusal(
            f"Le scrutin {election.id} ne prévoit aucun code délivré par la cellule : {instead}.",
            step="substitution" if election.substitution else None,
            forbidden=True,
        )
    if action == "vote_code_link" and not election.vote_code_link:
        return Refusal(f"Le scrutin {election.id} ne prévoit pas de code de vote.", forbidden=True)
    if action == "substitution" and not election.substitution:
        return Refusal(
            f"Le scrutin {election.id} ne prévoit pas de matériel de substitution.",
            forbidden=True,
        )
    if action == "letter" and not election.key_by_post:
        return Refusal(
            election.key_by_post_instead
            or f"Le scrutin {election.id} ne prévoit pas d'envoi de clé par courrier.",
            forbidden=True,
        )
    if action == "identifier" and not election.identifier and election.identifier_instead:
        return Refusal(election.identifier_instead, forbidden=True)
    if action == "identifier" and not election.identifier:
        instead = " : demandez du matériel de substitution" if election.substitution else ""
        return Refusal(
            f"Le scrutin {election.id} ne prévoit pas de mot de passe, donc pas d'envoi "
            f"d'identifiant{instead}.",
            step="substitution" if election.substitution else None,
            forbidden=True,
        )
    return None


NO_ADDRESS = (
    "Aucune adresse postale n'est enregistrée pour cet électeur sur la liste électorale : "
    "le courrier est impossible."
)
NO_ACTIVE_MATERIAL = (
    "Aucun matériel de vote actif de ce scrutin pour cet électeur (substitué ou invalidé) : "
    "aucune clé à lui envoyer."
)


def _letter_refusal(s: Situation) -> Refusal | None:
    """What the voter's roll entry rules out for a letter, whatever the call's state
    (greyed, not hidden: the roll may be corrected)."""
    if s.has_address is False:
        return Refusal(NO_ADDRESS)
    if s.material_active is False:
        return Refusal(NO_ACTIVE_MATERIAL)
    return None


def _vote_refusal(action: str, s: Situation) -> Refusal | None:
    """What the voter's votes rule out, whatever the call's state (greyed: a new roll
    may give a scrutin still to vote): no code once no material serves any more, no
    substitution once the election's rule says a vote forbids it. With several
    materials, one still open is enough (the window then offers it)."""
    if not s.votes:
        return None
    rules = s.election.emargement if s.election is not None else EmargementRules()
    if action in REISSUES:
        reasons = [reissue_refusal(rules, states) for states in s.votes]
        if all(reasons):
            return Refusal(str(reasons[0]))
    if action == "substitution":
        voted = [substitution_voted(rules, states) for states in s.votes]
        if all(voted):
            return Refusal(_substitution_voted(s.votes, s.election))
    return None


def _substitution_voted(
    votes: Sequence[Sequence[ScrutinState]], election: ElectionAllows | None
) -> str:
    """The service's sentence (csu.domain.substitution), naming the scrutins voted
    unless the election has only its implicit one."""
    titles = dict.fromkeys(
        state.title
        for states in votes
        for state in states
        if state.voted and (election is None or state.id != election.id)
    )
    named = f" ({', '.join(f'« {title} »' for title in titles)})" if titles else ""
    return (
        f"L'électeur a déjà voté avec ce matériel{named} : aucun matériel de substitution "
        "n'est délivrable."
    )


def _call_refusal(action: str, s: Situation) -> Refusal | None:
    call = s.call
    if call is None:
        return None
    if action == "open":
        if call.ongoing:
            return Refusal("Une intervention est déjà ouverte : clôturez-la d'abord.", "close")
        if s.other_call is not None:
            return Refusal(
                "Vous avez une intervention ouverte sur un autre électeur (matricule "
                f"{s.other_call}) : rouvrez sa fiche et clôturez-la d'abord."
            )
        return None
    if not call.ongoing:
        return OPEN_FIRST
    if action in ("close", "substitution"):
        return None
    if call is Call.LOCKED:
        return LOCKED
    if action == "verify" or call is Call.VERIFIED:
        return None
    return VERIFY_FIRST


def election_allows(definition: "ElectionDefinition", now: datetime) -> ElectionAllows:
    """What ``definition`` provides to the cell at ``now``."""
    from csu.domain.election import ElectionState, route_refusal, state_at

    # The file's [delivery] routes decide, so that a key is never offered for what the
    # service then refuses (a men-2022 vote code goes by link only, never read out).
    return ElectionAllows(
        id=definition.id,
        kinds=tuple(k for k in definition.credential_kinds if definition.allows(k, "read_out")),
        vote_code_link=definition.allows("vote_code", "link"),
        substitution=definition.substitution.enabled,
        closed=state_at(definition, now) is ElectionState.CLOSED,
        identifier=definition.allows("identifier", "email"),
        identifier_instead=route_refusal(definition, "identifier", "email") or "",
        key_by_post=definition.allows("security_key", "post"),
        key_by_post_instead=route_refusal(definition, "security_key", "post") or "",
        read_out_instead=tuple(
            sentence
            # the file's credentials, and those it names only to say how they go
            for kind in dict.fromkeys((*definition.credential_kinds, *definition.delivery))
            if kind != "identifier" and (sentence := route_refusal(definition, kind, "read_out"))
        ),
        emargement=definition.emargement,
    )


def birth_date_shown(role: str | None, call: Call) -> bool:
    """Whether the voter file shows the date of birth, a factor of every check: to the
    president, who compares it with the ID seen in person, and over the phone once the
    caller is verified. Shown during the check, a newcomer « helped » the caller with
    it (newcomer run)."""
    return role == "president" or (role is not None and call is Call.VERIFIED)


def may(action: str, s: Situation) -> bool:
    return refusal(action, s) is None


# What a call did, from its journal's entries. A step is (action code, outcome), or
# (action code, outcome, details) when the caller has the entry's details.
Step = tuple[str, str] | tuple[str, str, Mapping[str, object]]
DELIVERED = frozenset({
    "credential_read_out", "credential_revoke", "vote_code_link_send", "identifier_send",
    "substitution_grant",
})  # fmt: skip
"""What reached the voter, or was done at their request: the call served its purpose.
A credential issued is not among them: only its read-out (« Lu à l'appelant », « Remis
en main propre ») says the voter has it; a key sent by post is (its issue's
``channel`` is ``post``)."""
REFUSED_OUTCOMES = frozenset({"refusé", "refusée", "refused", "non vérifié", "verrouillé", "échec"})
TAKEN_OUTCOMES = frozenset({"en attente", "pending", "accordée", "granted"})
"""A substitution request taken complete: waiting for a supervisor's approval (four
eyes) or granted at once. The organiser's script ends the call there (« Clore
l'intervention (résolu, refusé avec son motif, ou redirigé vers le libre-service) »,
cci-hdf-2021 S5): the approval is the supervisors' queue, not an escalation."""
POSTED = "post"


def delivered(step: Step) -> bool:
    """Whether ``step`` (action, outcome, details) reached the voter (:data:`DELIVERED`)."""
    action, outcome, *details = step
    if action in DELIVERED:
        return True
    if action == "substitution_request":
        return outcome in TAKEN_OUTCOMES
    return action == "credential_issue" and any(d.get("channel") == POSTED for d in details)


def suggested_outcome(call: Call, steps: Sequence[Step], *, refused: bool = False) -> str:
    """The outcome a closing proposes (a key of ``csu.domain.interventions.OUTCOMES``),
    from the state of the call and its steps, oldest first: what happened.

    - « résolu » once something reached the voter (a credential read out or handed
      over, a link or an identifier sent, a key posted, a substitution request taken
      or granted): a later refusal or lock does not undo it;
    - otherwise « refusé » after a lock or a refusal that nothing followed;
    - « abandonné » when a credential was issued but its read-out never confirmed
      (« Fermer sans confirmer »: the call dropped, the voter may not have it), or
      when nothing was done; « résolu » for a caller verified and nothing refused.

    ``refused``: the operator was shown a refusal of the call's action after its last
    success (a service's refusal rolls its transaction back, so the journal keeps no
    step of it; the voter file remembers it)."""
    if any(delivered(step) for step in steps):
        return "résolu"
    if call is Call.LOCKED or refused:
        return "refusé"
    last_good = max(
        (
            index
            for index, (action, outcome, *_) in enumerate(steps)
            if action == "credential_issue"
            or (action == "verification" and outcome not in REFUSED_OUTCOMES)
        ),
        default=-1,
    )
    last_refusal = max(
        (
            index
            for index, (action, outcome, *_) in enumerate(steps)
            if outcome in REFUSED_OUTCOMES or action == "substitution_refuse"
        ),
        default=-1,
    )
    if last_refusal > last_good:
        return "refusé"
    if any(action == "credential_issue" for action, *_ in steps):
        return "abandonné"  # shown, never confirmed as read: the call dropped
    if call is Call.VERIFIED:
        return "résolu"
    return "abandonné"


def unconfirmed_issue(steps: Sequence[Step]) -> str | None:
    """The kind of the latest credential issued in these steps (oldest first) that was
    neither confirmed as handed over (« Fermer sans confirmer »: it stays active, the
    voter may not have it) nor invalidated since, or None. Each credential is followed
    by its number; one posted, or shown to the voter by a link, was not the operator's
    to hand over."""
    pending: dict[object, str] = {}
    for action, _, *details in steps:
        detail = next((d for d in details if isinstance(d, dict)), {})
        credential = detail.get("credential")
        if action == "credential_issue":
            if detail.get("revoked") is not None:  # the one it replaced is no more
                pending.pop(detail["revoked"], None)
            if detail.get("channel") != POSTED and "link" not in detail:
                pending[credential] = str(detail.get("kind") or "credential")
        elif action == "credential_read_out":
            pending.pop(credential, None)
        elif action == "credential_revoke":
            # It names the credential it ended, or (issued by an older CSU) only its kind.
            ended = {credential} if credential is not None else {
                number for number, kind in pending.items() if kind == detail.get("kind")
            }
            for number in ended:
                pending.pop(number, None)
    return next(reversed(pending.values()), None)


# ----------------------------------------------------------- escalated cases (§5)

CASE_ACTIONS = ("take", "callback", "close_case")
"""What a supervisor does on a case of the escalation queue."""
CASE_ROLES = ("superviseur",)
"""Who takes, calls back and closes escalated cases."""


@dataclass(frozen=True, slots=True)
class CaseSituation:
    """An escalated case as the rule sees it, for the operator ``login``."""

    role: str
    login: str
    state: str  # csu.domain.escalation: waiting, overdue, taken, closed
    owner: str | None  # the supervisor who took it
    has_callback: bool  # a callback number was noted (and not erased)

    @property
    def mine(self) -> bool:
        return self.owner is not None and self.owner == self.login


NO_CASE = Refusal("Aucun dossier sélectionné")
TAKE_FIRST = Refusal("Prenez d'abord ce dossier en charge", step="take")


def case_refusal(action: str, case: CaseSituation | None) -> Refusal | None:
    """``None`` when ``action`` (a key of :data:`CASE_ACTIONS`) may be done on ``case``
    (None: no case chosen), else why not: a closed case allows nothing; a case is taken
    once; only its owner reads its callback number and closes it."""
    if action not in CASE_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if case is None:
        return NO_CASE
    if (found := _role(case.role, CASE_ROLES, "superviseurs")) is not None:
        return found
    # Imported here: escalation brings alerts and hashlib, which the terminal's first
    # frame (it imports this module through csu.services.context) does without.
    from csu.domain import escalation

    if case.state == escalation.CLOSED:
        return Refusal("Ce dossier est clos", forbidden=True, settled=True)
    if action == "take":
        if case.mine:
            return Refusal("Vous avez déjà pris ce dossier en charge")
        if case.owner is not None:  # two supervisors pressing t at once: one is first
            return Refusal(
                f"Dossier déjà pris en charge par « {case.owner} »", forbidden=True, settled=True
            )
        return None
    if case.owner is None:
        return TAKE_FIRST
    if not case.mine:
        return Refusal(
            f"Seul « {case.owner} », qui a pris ce dossier en charge, peut le faire",
            forbidden=True,
        )
    if action == "callback" and not case.has_callback:
        return Refusal(
            "Aucun numéro de rappel n'a été noté pour ce dossier", forbidden=True, settled=True
        )
    return None
