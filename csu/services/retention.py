"""Retention: erasing voters' personal data once their elections are over.

``purge`` selects elections that are closed and either past their retention
(``retention_days`` after the close, the default) or closed before a date the
administrator gives. For each, in its own transaction with its journal entry:

- what belongs to that election is erased for every voter on its roll: the hashes
  of the credentials issued for its material (and those credentials revoked),
  caller numbers and notes of its interventions, the secrets of the one-time
  codes sent in them, the hashes of its one-time links, the addresses (masked,
  sealed or keyed-hashed), bodies and errors of its messages, the address and
  notes of its substitution requests, the reasons its bureau presidents gave for
  declining an in-person check (free text), the platform's counts of failed login
  checks (per keyed hash of an identifier, some on no roll); the identifiers of its
  material (on some rolls the matricule, on others the professional address) become
  ``purge-<id>``;
- a voter is erased as a person only once every election they belong to is
  purged: name, birth date, contacts, the keyed hashes of their identity secrets,
  challenge question and answer, lock marks; then everything else kept about
  them (interventions, messages, codes, links, requests, in-person checks of any
  election).

What stays: the journal, untouched and still verifiable (its entries name voters
by keyed pseudonym), and the rows that give it and the dashboards their counts:
elections, materials (capacity, bureau, status, vote time), interventions
(channel, times, factors used, outcome), verification attempts (which factors,
never values), credentials (kind, dates, issuer), messages (purpose, channel,
state), substitution requests (state, reason), in-person checks (bureau, president,
status, times, type of document). The erased voter's row stays too
(materials and interventions point at it), its matricule and pseudonym replaced
by ``purge-<id>``: the journal export, which resolves pseudonyms to matricules
through that row, then finds nothing, and the same person can be put on a later
roll as a new voter (their keyed pseudonym is free again).

The outbox folder's files (the folder transport's copies of the messages, with codes,
links and addresses in clear) go too: those of the messages purged, and any past the
folder's retention, whatever the elections; after the commits, since a file erased
cannot come back should a transaction fail.

A dry run does all of this in a transaction that is rolled back: its counts are
exactly those a real run would give, and nothing changes, the journal included.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, exists, func, literal, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from csu.delivery import KeepsCopies
from csu.domain.clock import paris_text, rfc3339
from csu.domain.election import ElectionDefinition, ElectionState, definition_from_text, state_at
from csu.services.context import Deps, NotFound, OperatorContext, ServiceError, require_role
from csu.services.sessions import require_live_session
from csu.store import journal
from csu.store.tables import (
    Credential,
    Election,
    Escalation,
    Intervention,
    LinkToken,
    Material,
    OneTimeCode,
    OutboundMessage,
    PlatformLoginFailures,
    PresenceCheck,
    SubstitutionRequest,
    Voter,
    WebhookEvent,
)

PURGED_PREFIX = "purge-"
REVOKE_REASON = "purge des données personnelles"


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """Rows erased for one election (voters: erased as persons; kept: still on the
    roll of an election not purged yet)."""

    voters: int = 0
    voters_kept: int = 0
    credentials: int = 0
    interventions: int = 0
    one_time_codes: int = 0
    link_tokens: int = 0
    messages: int = 0
    substitutions: int = 0
    presence_checks: int = 0  # declines whose reason was erased
    login_failures: int = 0  # the platform's failure counters of the election, deleted

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ElectionPurged:
    election_id: str
    title: str
    closes_at: datetime  # aware, UTC
    counts: PurgeCounts


@dataclass(frozen=True, slots=True)
class ElectionSkipped:
    """An election the purge left alone, and why (French)."""

    election_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PurgeReport:
    dry_run: bool
    before: datetime | None
    purged: tuple[ElectionPurged, ...] = ()
    skipped: tuple[ElectionSkipped, ...] = ()
    # Files of the outbox folder erased: of the messages purged, and past retention.
    outbox_files: int = 0


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


def purge(
    deps: Deps,
    who: OperatorContext,
    *,
    before: datetime | None = None,
    election: str | None = None,
    dry_run: bool = False,
    copies: KeepsCopies | None = None,
) -> PurgeReport:
    """Erases personal data of the voters of elections closed before ``before`` (by
    default: of elections whose retention has run out), or of ``election`` only, and
    the copies ``copies`` keeps (default: the delivery's, if it keeps any) of the
    messages purged or past their retention."""
    require_role(deps, who, "admin")
    require_live_session(deps, who)
    now = deps.clock()
    if before is not None and before > now:
        raise ServiceError(
            f"Date {paris_text(before)} dans le futur : indiquez une date passée "
            "(seuls des scrutins clos peuvent être purgés)."
        )
    with deps.reading() as session:
        rows = session.execute(select(Election).order_by(col(Election.closes_at), col(Election.id)))
        elections = [
            (row.purged_at, definition_from_text(row.definition, row.id))
            for row in rows.scalars()
        ]
    selected: list[ElectionDefinition] = []
    skipped: list[ElectionSkipped] = []
    if election is not None:
        chosen = [(at, d) for at, d in elections if d.id == election]
        if not chosen:
            raise NotFound(f"Scrutin inconnu : « {election} ».")
        _at, definition = chosen[0]
        refusal = _not_purgeable(definition, now, before)
        if refusal is not None:
            raise ServiceError(f"Scrutin {definition.id} non purgé : {refusal}")
        selected.append(definition)
    else:
        for purged_at, definition in elections:
            refusal = _not_purgeable(definition, now, before)
            if purged_at is not None:
                skipped.append(
                    ElectionSkipped(definition.id, f"déjà purgé le {paris_text(purged_at)}.")
                )
            elif refusal is not None:
                skipped.append(ElectionSkipped(definition.id, refusal))
            else:
                selected.append(definition)
    # Oldest first, each in its own transaction: a voter of two selected elections
    # is erased with the second, once the first is marked purged.
    done: list[ElectionPurged] = []
    references: list[str] = []
    if dry_run:
        try:
            with deps.writing() as session:
                for definition in selected:
                    done.append(_purge_one(session, who, definition, now, before, references))
                raise _DryRun
        except _DryRun:
            pass
    else:
        for definition in selected:
            with deps.writing() as session:
                done.append(_purge_one(session, who, definition, now, before, references))
    if copies is None and isinstance(deps.delivery, KeepsCopies):
        copies = deps.delivery
    files = copies.erase(references, dry_run=dry_run) if copies is not None else 0
    return PurgeReport(
        dry_run=dry_run,
        before=before,
        purged=tuple(done),
        skipped=tuple(skipped),
        outbox_files=files,
    )


def _not_purgeable(
    definition: ElectionDefinition, now: datetime, before: datetime | None
) -> str | None:
    """Why the election may not be purged now (French), or None."""
    state = state_at(definition, now)
    if state is not ElectionState.CLOSED:
        return (
            f"le scrutin n'est pas clos ({state.label}, clôture le "
            f"{paris_text(definition.closes_at)}) ; ses données restent nécessaires."
        )
    if before is not None:
        if definition.closes_at >= before:
            return f"clos le {paris_text(definition.closes_at)}, pas avant le {paris_text(before)}."
        return None
    if definition.purge_after > now:
        return (
            f"durée de conservation ({definition.retention_days} jours après la clôture) "
            f"non écoulée : données conservées jusqu'au {paris_text(definition.purge_after)} "
            "(--before DATE pour purger plus tôt)."
        )
    return None


def _purge_one(
    session: Session,
    who: OperatorContext,
    definition: ElectionDefinition,
    now: datetime,
    before: datetime | None,
    references: list[str],
) -> ElectionPurged:
    """Purges one election; adds to ``references`` those of its messages purged."""
    election_id = definition.id
    session.execute(update(Election).where(col(Election.id) == election_id).values(purged_at=now))
    # Voters of this election whose every election is now purged.
    other = aliased(Material)
    still_needed = exists(
        select(col(other.id))
        .join(Election, col(Election.id) == other.election_id)
        .where(col(other.voter_id) == col(Material.voter_id), col(Election.purged_at).is_(None))
    )
    gone = select(col(Material.voter_id)).where(
        col(Material.election_id) == election_id, ~still_needed
    )
    on_roll = select(col(Material.voter_id)).where(col(Material.election_id) == election_id)
    materials = select(col(Material.id)).where(col(Material.election_id) == election_id)
    interventions = select(col(Intervention.id)).where(
        or_(
            col(Intervention.election_id) == election_id,
            col(Intervention.voter_id).in_(gone),
        )
    )

    counts: dict[str, int] = {}
    # A material's identifier may be personal: the matricule itself, or the
    # professional address (Education). Not counted: every material of the roll.
    session.execute(
        update(Material)
        .where(
            col(Material.election_id) == election_id,
            ~col(Material.identifier).startswith(PURGED_PREFIX),
        )
        .values(identifier=_marker(col(Material.id)))
    )
    counts["credentials"] = _rowcount(
        session,
        update(Credential)
        .where(col(Credential.material_id).in_(materials), col(Credential.hash) != "")
        .values(
            hash="",
            prefix_hash=None,
            prefix_phc=None,
            status="revoked",
            revoked_at=func.coalesce(col(Credential.revoked_at), now),
            revoked_by=func.coalesce(col(Credential.revoked_by), who.login),
            revoke_reason=func.coalesce(col(Credential.revoke_reason), REVOKE_REASON),
        ),
    )
    counts["one_time_codes"] = _rowcount(
        session,
        update(OneTimeCode)
        .where(
            or_(
                col(OneTimeCode.intervention_id).in_(interventions),
                col(OneTimeCode.voter_id).in_(gone),
            ),
            col(OneTimeCode.secret_sealed) != "",
        )
        .values(secret_sealed=""),
    )
    counts["link_tokens"] = _rowcount(
        session,
        update(LinkToken)
        .where(
            or_(col(LinkToken.material_id).in_(materials), col(LinkToken.voter_id).in_(gone)),
            ~col(LinkToken.token_hash).startswith(PURGED_PREFIX),
        )
        # The column is unique: each erased hash gets the row's own marker.
        .values(token_hash=_marker(col(LinkToken.id))),
    )
    purged_messages = (
        or_(
            col(OutboundMessage.election_id) == election_id,
            col(OutboundMessage.intervention_id).in_(interventions),
            col(OutboundMessage.voter_id).in_(gone),
        ),
        col(OutboundMessage.recipient_masked) != "",
    )
    # The folder transport's file names (other transports' ids name no file).
    references.extend(
        session.execute(
            select(col(OutboundMessage.reference)).where(
                *purged_messages, col(OutboundMessage.reference).is_not(None)
            )
        ).scalars()
    )
    counts["messages"] = _rowcount(
        session,
        update(OutboundMessage)
        .where(*purged_messages)
        .values(
            recipient_masked="",
            recipient_sealed=None,
            recipient_hash=None,
            body_sealed=None,
            last_error=None,
        ),
    )
    counts["substitutions"] = _rowcount(
        session,
        update(SubstitutionRequest)
        .where(
            or_(
                col(SubstitutionRequest.election_id) == election_id,
                col(SubstitutionRequest.voter_id).in_(gone),
            ),
            col(SubstitutionRequest.email_masked) != "",
        )
        .values(email_masked="", email_sealed=None, notes=None),
    )
    # A president's reason for declining is free text: it may name the voter or
    # describe their document. Whether a check was declined, and when, stays.
    counts["presence_checks"] = _rowcount(
        session,
        update(PresenceCheck)
        .where(
            or_(
                col(PresenceCheck.election_id) == election_id,
                col(PresenceCheck.intervention_id).in_(interventions),
                col(PresenceCheck.voter_id).in_(gone),
            ),
            col(PresenceCheck.decline_reason).is_not(None),
        )
        .values(decline_reason=None),
    )
    # Failed platform login checks, counted per keyed hash of "election:identifier"
    # (identifiers being personal on some rolls): the election over, nothing to lock.
    counts["login_failures"] = _rowcount(
        session,
        delete(PlatformLoginFailures).where(
            col(PlatformLoginFailures.election_id) == election_id
        ),
    )
    # The platforms' credential events (sealed identifiers and hashes): erased, and
    # those not delivered yet given up, the election being over (not counted).
    session.execute(
        update(WebhookEvent)
        .where(col(WebhookEvent.election_id) == election_id,
               col(WebhookEvent.payload_sealed).is_not(None))
        .values(payload_sealed=None, last_error=None, state="abandoned", claimed_at=None)
    )
    counts["interventions"] = _rowcount(
        session,
        update(Intervention)
        .where(
            col(Intervention.id).in_(interventions),
            or_(
                col(Intervention.caller_masked).is_not(None),
                col(Intervention.caller_region).is_not(None),
                col(Intervention.caller_hash).is_not(None),
                col(Intervention.note).is_not(None),
            ),
        )
        .values(caller_masked=None, caller_region=None, caller_hash=None, note=None),
    )
    # Escalated cases: the callback number and the words about the caller go too.
    session.execute(
        update(Escalation)
        .where(col(Escalation.intervention_id).in_(interventions))
        .values(callback_masked=None, callback_sealed=None, reason=None, resolution=None)
    )
    counts["voters"] = _rowcount(
        session,
        update(Voter)
        .where(col(Voter.id).in_(gone), col(Voter.purged_at).is_(None))
        .values(
            matricule=_marker(col(Voter.id)),
            pseudonym=_marker(col(Voter.id)),
            last_name="",
            first_name="",
            search_name="",
            search_name_rev="",
            birth_date=None,
            email_pro=None,
            phone_pro=None,
            phone_mobile=None,
            adresse_postale=None,
            circonscription=None,
            numen_hash=None,
            nir10_hash=None,
            birth_department_hash=None,
            iban6_hash=None,
            card6_hash=None,
            challenge_question=None,
            challenge_answer_hash=None,
            locked_until=None,
            failures_cleared_at=None,
            updated_at=now,
            purged_at=now,
        ),
    )
    counts["voters_kept"] = int(
        session.execute(
            select(func.count())
            .select_from(Voter)
            .where(col(Voter.id).in_(on_roll), col(Voter.purged_at).is_(None))
        ).scalar_one()
    )
    result = PurgeCounts(**counts)
    journal.append(
        session,
        actor=who.actor,
        action="purge",
        outcome="ok",
        at=now,
        election=election_id,
        details={
            "rule": "before" if before is not None else "retention",
            "before": rfc3339(before) if before is not None else None,
            "closes_at": rfc3339(definition.closes_at),
            "retention_days": definition.retention_days,
            "counts": result.as_dict(),
        },
    )
    return ElectionPurged(election_id, definition.title, definition.closes_at, result)


def _rowcount(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _marker(column: Any) -> Any:
    """``purge-<id>``: unique like the value it replaces, and never a real one."""
    return literal(PURGED_PREFIX) + cast(column, String)
