"""Alerts for supervisors: reads what the rules of csu.domain.alerts need, within their
time windows and through indexed columns, and returns the alerts found.

The silence of a platform's émargement feed is read from the platform clients and
the journal's entries of the feed (:func:`read_feeds`, shared with the dashboard). The
journal's own alarms (a checkpoint the terminal refused to sign, an entry set aside from
the queue) are its few entries of those actions, found through the action's index.

Two readings: :func:`current_alerts` names no voter (the app polls it to notify
supervisors, so it is not journalled), :func:`review_alerts` adds each voter's
matricule for the alerts screen, and is journalled as it shows personal data.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select, union_all
from sqlmodel import Session

from csu.domain import alerts as rules
from csu.domain import sealing
from csu.domain.clock import parse_rfc3339, rfc3339
from csu.domain.election import ElectionDefinition, within_support_hours
from csu.domain.roles import Role
from csu.domain.substitution import PENDING
from csu.domain.verification import FAILURE_WINDOW, IN_PERSON_CHANNELS, LOCK_DURATION
from csu.services.audit import acknowledgements
from csu.services.auth import LOCK_MINUTES
from csu.services.checkpoints import ACTION as CHECKPOINT_ACTION
from csu.services.context import Deps, OperatorContext, require_role
from csu.services.elections import list_elections
from csu.services.emargement import ACTION as FEED_ACTION
from csu.services.escalation import overdue_alerts
from csu.services.platform_clients import platform_actor
from csu.services.sessions import require_live_in, require_live_session
from csu.services.substitution import SEAL_PURPOSE as SUBSTITUTION_SEAL
from csu.services.verification import NOT_VERIFIED, counts_as_failure
from csu.store import journal
from csu.store.among import in_chunks
from csu.store.sequencer import SET_ASIDE
from csu.store.tables import (
    Intervention,
    JournalEntry,
    LoginFailures,
    Operator,
    OutboundMessage,
    PlatformClient,
    PlatformClientElection,
    SubstitutionRequest,
    VerificationAttempt,
    Voter,
)

READERS: tuple[Role, ...] = ("superviseur", "admin")


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert for the screen: the rule's alert and, for one about a voter, who."""

    alert: rules.Alert
    matricule: str | None = None


def current_alerts(deps: Deps, who: OperatorContext) -> list[rules.Alert]:
    """Every alert of the rules over their windows, newest first. Names no voter."""
    require_role(deps, who, *READERS)
    require_live_session(deps, who)  # a disabled account reads nothing more
    now = deps.clock()
    definitions = {d.id: d for d in list_elections(deps)}
    with deps.reading() as session:
        return _alerts(session, deps.key, now, definitions)


def review_alerts(deps: Deps, who: OperatorContext) -> list[AlertView]:
    """The alerts with the matricule of the voter each one is about; journalled."""
    require_role(deps, who, *READERS)
    now = deps.clock()
    definitions = {d.id: d for d in list_elections(deps)}
    with deps.writing() as session:
        require_live_in(session, who)
        found = _alerts(session, deps.key, now, definitions)
        subjects = {a.subject for a in found if a.subject}
        matricules: dict[str, str] = (
            dict(
                session.execute(
                    select(Voter.pseudonym, Voter.matricule).where(
                        Voter.pseudonym.in_(subjects)  # type: ignore[attr-defined]
                    )
                ).all()
            )
            if subjects
            else {}
        )
        journal.append(
            session,
            actor=who.actor,
            action="alert_review",
            outcome="ok",
            at=now,
            details={"alerts": len(found), "kinds": sorted({a.kind for a in found})},
        )
    return [AlertView(a, matricules.get(a.subject or "")) for a in found]


def _alerts(
    session: Session, key: bytes, now: datetime, definitions: dict[str, ElectionDefinition]
) -> list[rules.Alert]:
    entries = _entries(session, now)
    found = [
        *rules.issue_rate_alerts(entries, now),
        *rules.credential_change_alerts(entries, now),
        *rules.off_hours_alerts(entries, now, _hours_of(definitions)),
        *rules.shared_contact_alerts(_contact_uses(session, key, now), now),
        *rules.verification_burst_alerts(_failures(session, now), now),
        *rules.secret_in_text_alerts(entries, now),
        # Locks in force: voters a supervisor unlocks, logins an administrator does.
        *rules.voter_lock_alerts(_voter_locks(session, now), now),
        *rules.login_lock_alerts(_login_locks(session, now), now),
        *rules.feed_silence_alerts(_open_feeds(session, now, definitions), now),
        # Escalated cases no supervisor took by their election's deadline.
        *overdue_alerts(session, now),
        # The journal's own alarms, over their longer window.
        *rules.checkpoint_refusal_alerts(_alarms(session, now, CHECKPOINT_ACTION), now),
        *rules.set_aside_alerts(_unacknowledged(session, _alarms(session, now, SET_ASIDE)), now),
    ]
    return sorted(found, key=lambda a: (a.at, a.key), reverse=True)


def _hours_of(
    definitions: dict[str, ElectionDefinition],
) -> Callable[[str, datetime], bool | None]:
    def within(election: str, at: datetime) -> bool | None:
        definition = definitions.get(election)
        return None if definition is None else within_support_hours(definition, at)

    return within


# ------------------------------------------------------------------ readings


@dataclass(frozen=True, slots=True)
class FeedReading:
    """A platform client's feed for one election, and its last call of the API."""

    feed: rules.Feed
    last_seen_at: datetime | None


def read_feeds(session: Session, definitions: Iterable[ElectionDefinition]) -> list[FeedReading]:
    """The feed of every active platform client reaching these elections: its last
    accepted batch is its last « emargement_feed » entry (a read of the journal's
    indexes from its end, whatever its size). By client name, then election."""
    wanted = {d.id: d for d in definitions}
    if not wanted:
        return []
    clients = session.execute(
        select(
            PlatformClient.name,
            PlatformClient.created_at,
            PlatformClient.last_seen_at,
            PlatformClientElection.election_id,
        )
        .join(PlatformClientElection, PlatformClientElection.client_id == PlatformClient.id)
        .where(
            PlatformClient.revoked_at.is_(None),  # type: ignore[union-attr]
            PlatformClientElection.election_id.in_(sorted(wanted)),  # type: ignore[attr-defined]
        )
        .order_by(PlatformClient.name, PlatformClientElection.election_id)
    ).all()
    found = []
    for name, created_at, last_seen_at, election in clients:
        definition = wanted[election]
        last = session.execute(
            select(JournalEntry.seq, JournalEntry.ts)
            .where(
                JournalEntry.action == FEED_ACTION,
                JournalEntry.operator == platform_actor(name).operator,
                JournalEntry.election == election,
                JournalEntry.outcome == "ok",
            )
            .order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
            .limit(1)
        ).one_or_none()
        feed = rules.Feed(
            platform=name,
            election=election,
            opens_at=definition.opens_at,
            closes_at=definition.closes_at,
            silence=timedelta(minutes=definition.platform.feed_silence_minutes),
            since=created_at,
            last_at=parse_rfc3339(last[1]) if last else None,
            last_seq=last[0] if last else None,
        )
        found.append(FeedReading(feed, last_seen_at))
    return found


def _open_feeds(
    session: Session, now: datetime, definitions: dict[str, ElectionDefinition]
) -> list[rules.Feed]:
    """The feeds of the elections whose vote is open now (the others cannot alert)."""
    open_now = [d for d in definitions.values() if d.opens_at <= now < d.closes_at]
    return [reading.feed for reading in read_feeds(session, open_now)]


_ENTRY_COLUMNS = (
    JournalEntry.seq,
    JournalEntry.ts,
    JournalEntry.operator,
    JournalEntry.role,
    JournalEntry.action,
    JournalEntry.election,
    JournalEntry.subject,
)


def _entries(session: Session, now: datetime) -> list[rules.Entry]:
    """The journal entries the rules look at: every entry of the last hour (who was
    active), and those of the watched actions over the day. The ts bounds become seq
    bounds (the first entry at or after each, through the ts index), so the database
    reads a range of the primary key and of the (action, seq) index: on SQLite the
    other columns are computed from each entry read."""
    until = rfc3339(now)
    hour_ts = rfc3339(now - rules.ISSUE_WINDOW)
    day_ts = rfc3339(now - max(rules.CHANGES_WINDOW, rules.ACTIVITY_WINDOW))
    day = _first_seq_since(session, day_ts)
    if day is None:
        return []
    hour = _first_seq_since(session, hour_ts)
    watched = sorted(rules.CHANGING_ACTIONS | rules.ACTIVITY_ACTIONS | {rules.SECRET_IN_TEXT})
    # ts is written by each service from its clock before its turn to append: an entry
    # may precede by a few milliseconds one of a smaller seq, hence ts checked too.
    queries = [
        select(*_ENTRY_COLUMNS).where(
            JournalEntry.action.in_(watched),  # type: ignore[attr-defined]
            JournalEntry.seq >= day,
            JournalEntry.ts >= day_ts,
            JournalEntry.ts <= until,
        )
    ]
    if hour is not None:
        queries.append(
            select(*_ENTRY_COLUMNS).where(
                JournalEntry.seq >= hour,
                JournalEntry.ts >= hour_ts,
                JournalEntry.ts <= until,
                JournalEntry.action.not_in(watched),  # type: ignore[attr-defined]
            )
        )
    rows = session.execute(union_all(*queries)).all()
    return sorted(
        (
            rules.Entry(
                seq=seq,
                at=parse_rfc3339(ts),
                operator=operator,
                role=role,
                action=action,
                election=election,
                subject=subject,
            )
            for seq, ts, operator, role, action, election, subject in rows
        ),
        key=lambda e: e.seq,
    )


def _first_seq_since(session: Session, ts: str) -> int | None:
    return session.execute(
        select(JournalEntry.seq)
        .where(JournalEntry.ts >= ts)
        .order_by(JournalEntry.ts, JournalEntry.seq)  # type: ignore[arg-type]
        .limit(1)
    ).scalar_one_or_none()


REFUSED = "refusé"  # the outcome of a checkpoint refused, and of a row set aside


def _alarms(session: Session, now: datetime, action: str) -> list[rules.JournalAlarm]:
    """The refusals of ``action`` over the integrity window, each with the reason its
    hashed body gives. Few entries: a range of the (action, seq) index from the first
    entry of the window (found through the ts index), the outcome tested on each."""
    since = rfc3339(now - rules.INTEGRITY_WINDOW)
    first = _first_seq_since(session, since)
    if first is None:
        return []
    # « outcome || '' »: SQLite, without statistics, would otherwise take the outcome's
    # index and read every refusal of the week (logins, verifications…) instead of the
    # action's few entries (a checkpoint every thousand entries or every hour).
    outcome = JournalEntry.outcome + ""  # type: ignore[operator]
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.body).where(  # type: ignore[call-overload]
            JournalEntry.action == action,
            JournalEntry.seq >= first,
            outcome == REFUSED,
            JournalEntry.ts >= since,
            JournalEntry.ts <= rfc3339(now),
        )
    ).all()
    found = []
    for seq, body in rows:
        try:
            fields = json.loads(body)
            at = parse_rfc3339(fields["ts"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue  # an entry altered: F8 names it
        details = fields.get("details")
        reason = details.get("reason") if isinstance(details, dict) else None
        found.append(rules.JournalAlarm(seq, at, str(reason or "motif inconnu")))
    return found


def _unacknowledged(
    session: Session, alarms: list[rules.JournalAlarm]
) -> list[rules.JournalAlarm]:
    """The entries set aside that nobody acknowledged yet (``csu audit acknowledge``):
    once looked into, an entry is no longer an alert."""
    if not alarms:
        return alarms
    seen = acknowledgements(session)
    return [alarm for alarm in alarms if alarm.seq not in seen]


def _failures(session: Session, now: datetime) -> list[rules.Failure]:
    """Failed verification attempts over the horizon (and those that passed with a wrong
    answer: they count towards a lock too), each with its journal entry
    (the entry of the same intervention and moment)."""
    since = now - rules.HORIZON
    attempts = session.execute(
        select(
            VerificationAttempt.intervention_id,
            VerificationAttempt.at,
            VerificationAttempt.operator_login,
            VerificationAttempt.voter_id,
        ).where(
            VerificationAttempt.at >= since,
            VerificationAttempt.at <= now,
            counts_as_failure(),
        )
    ).all()
    if not attempts:
        return []
    seqs = {
        (intervention, ts): seq
        for seq, intervention, ts in session.execute(
            select(JournalEntry.seq, JournalEntry.intervention, JournalEntry.ts).where(
                JournalEntry.action == "verification",
                JournalEntry.outcome == NOT_VERIFIED,
                JournalEntry.ts >= rfc3339(since),
                JournalEntry.ts <= rfc3339(now),
            )
        ).all()
    }
    # Verified with an answer wrong all the same (it counts): their entries say « vérifié ».
    passed = {i for i, at, *_ in attempts if (i, rfc3339(at)) not in seqs}
    if passed:
        seqs |= _verification_seqs(session, passed)
    failures = []
    for intervention, at, login, voter_id in attempts:
        seq = seqs.get((intervention, rfc3339(at)))
        if seq is not None:  # an attempt always has its entry: same transaction
            failures.append(rules.Failure(seq=seq, at=at, operator=login, voter_id=voter_id))
    return failures


def _voter_locks(session: Session, now: datetime) -> list[rules.VoterLock]:
    """The voters locked now (through the lock's index), each with the journal's entries
    of the remote verifications that failed before the lock, as the lock counted them
    (since the last unlock, over the failure window)."""
    locked = session.execute(
        select(Voter.id, Voter.pseudonym, Voter.locked_until, Voter.failures_cleared_at).where(
            Voter.locked_until > now  # type: ignore[operator]
        )
    ).all()
    if not locked:
        return []
    # (counted after, locked at) per voter: the window the lock counted failures over.
    spans: dict[int, tuple[datetime, datetime]] = {}
    for voter_id, _, until, cleared in locked:
        start = until - LOCK_DURATION
        after = start - FAILURE_WINDOW
        spans[voter_id] = (max(after, cleared) if cleared else after, start)
    earliest = min(after for after, _ in spans.values())
    failed: dict[int, list[tuple[str, str]]] = {voter_id: [] for voter_id in spans}
    for ids in in_chunks(sorted(spans)):
        for voter_id, intervention, at in session.execute(
            select(
                VerificationAttempt.voter_id,
                VerificationAttempt.intervention_id,
                VerificationAttempt.at,
            ).where(
                VerificationAttempt.voter_id.in_(ids),  # type: ignore[attr-defined]
                counts_as_failure(),
                VerificationAttempt.channel.not_in(IN_PERSON_CHANNELS),  # type: ignore[attr-defined]
                VerificationAttempt.at > earliest,
                VerificationAttempt.at <= now,
            )
        ).all():
            after, start = spans[voter_id]
            if after < at <= start:
                failed[voter_id].append((intervention, rfc3339(at)))
    seqs = _verification_seqs(session, {i for found in failed.values() for i, _ in found})
    locks = []
    for voter_id, pseudonym, until, _ in locked:
        behind = (seqs.get(attempt) for attempt in failed[voter_id])
        locks.append(rules.VoterLock(
            subject=pseudonym, since=until - LOCK_DURATION, until=until,
            seqs=tuple(sorted(seq for seq in behind if seq is not None)),
        ))  # fmt: skip
    return locks


def _verification_seqs(session: Session, interventions: set[str]) -> dict[tuple[str, str], int]:
    """The verifications' entries of these interventions, by (intervention, ts): a
    failure's, or one that passed with a wrong answer (both count towards a lock)."""
    found: dict[tuple[str, str], int] = {}
    for ids in in_chunks(sorted(interventions)):
        for seq, intervention, ts in session.execute(
            select(JournalEntry.seq, JournalEntry.intervention, JournalEntry.ts).where(
                JournalEntry.intervention.in_(ids),  # type: ignore[union-attr]
                JournalEntry.action == "verification",
            )
        ).all():
            found[(intervention, ts)] = seq
    return found


LOGIN_LOCK_ENTRIES = 100
"""The refused logins an operator's lock alert lists, at most (the newest): an address
rotating through a /64 may have written thousands."""


def _login_locks(session: Session, now: datetime) -> list[rules.LoginLock]:
    """The active operators whose logins are locked now, on the whole account or from
    some origins, each with the refused logins of the hour before the oldest lock."""
    accounts = dict(
        session.execute(
            select(Operator.login, Operator.locked_until).where(
                Operator.active == True,  # noqa: E712
                Operator.locked_until > now,  # type: ignore[operator]
            )
        ).all()
    )
    origins: dict[str, list[datetime]] = {}
    for login, until in session.execute(
        select(LoginFailures.login, LoginFailures.locked_until)
        .join(Operator, Operator.login == LoginFailures.login)
        .where(
            Operator.active == True,  # noqa: E712
            LoginFailures.locked_until > now,  # type: ignore[operator]
        )
    ).all():
        origins.setdefault(login, []).append(until)
    locks = []
    lasting = timedelta(minutes=LOCK_MINUTES)
    for login in sorted(set(accounts) | set(origins)):
        ends = [*origins.get(login, ()), *([accounts[login]] if login in accounts else [])]
        since = max(ends) - lasting
        entries = session.execute(
            select(JournalEntry.seq)
            .where(
                JournalEntry.operator == login,
                JournalEntry.action == "login",
                JournalEntry.outcome.in_(("refusé", "verrouillé")),  # type: ignore[attr-defined]
                JournalEntry.ts >= rfc3339(min(ends) - lasting - LOGIN_LOCK_LOOKBACK),
                JournalEntry.ts <= rfc3339(now),
            )
            .order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
            .limit(LOGIN_LOCK_ENTRIES)
        ).scalars().all()
        locks.append(
            rules.LoginLock(
                login=login,
                since=since,
                account_until=accounts.get(login),
                origins=len(origins.get(login, ())),
                origins_until=max(origins[login]) if login in origins else None,
                seqs=tuple(sorted(entries)),
            )
        )
    return locks


LOGIN_LOCK_LOOKBACK = timedelta(hours=1)
"""How long before its oldest lock an operator's refused logins are listed."""


def _contact_uses(session: Session, key: bytes, now: datetime) -> list[rules.ContactUse]:
    """Uses of the numbers and addresses seen for two voters or more in the window:
    the callers' numbers (a president's calls aside: they call for the voters of their
    bureau), the recipients typed for a delivery, and the addresses of substitution
    requests still waiting for a decision (before a supervisor grants one)."""
    since = now - rules.CONTACT_WINDOW
    pending = _pending_requests(session, key, since)
    callers = select(
        Intervention.caller_hash.label("contact"),  # type: ignore[union-attr]
        Intervention.voter_id.label("voter"),  # type: ignore[union-attr]
    ).where(
        Intervention.caller_hash.is_not(None),  # type: ignore[union-attr]
        Intervention.channel != "president",
        Intervention.opened_at >= since,
    )
    typed = select(
        OutboundMessage.recipient_hash.label("contact"),  # type: ignore[union-attr]
        OutboundMessage.voter_id.label("voter"),
    ).where(
        OutboundMessage.recipient_hash.is_not(None),  # type: ignore[union-attr]
        OutboundMessage.created_at >= since,
    )
    uses = union_all(callers, typed).subquery()
    shared = (
        session.execute(
            select(uses.c.contact)
            .group_by(uses.c.contact)
            .having(func.count(func.distinct(uses.c.voter)) >= literal(2))
        )
        .scalars()
        .all()
    )
    found: list[rules.ContactUse] = list(pending)
    for part in in_chunks(sorted({*shared, *(use.contact_hash for use in pending)})):
        found.extend(_caller_uses(session, part, since))
        found.extend(_typed_uses(session, part, since))
    return found


def _pending_requests(session: Session, key: bytes, since: datetime) -> list[rules.ContactUse]:
    """The addresses of pending substitution requests: sealed until decided, so they
    are unsealed here, hashed, and forgotten (there are few: a supervisor decides them
    within the day). Each with its "substitution_request" entry."""
    rows = session.execute(
        select(
            SubstitutionRequest.intervention_id,
            SubstitutionRequest.requested_at,
            SubstitutionRequest.voter_id,
            SubstitutionRequest.email_sealed,
            SubstitutionRequest.email_masked,
        ).where(
            SubstitutionRequest.state == PENDING,
            SubstitutionRequest.requested_at >= since,
            SubstitutionRequest.email_sealed.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    entries = _seqs_of(session, [row[0] for row in rows], "substitution_request")
    uses = []
    for intervention, at, voter_id, sealed, masked in rows:
        address = sealing.unseal(key, SUBSTITUTION_SEAL, sealed or "")
        for seq in entries.get(intervention, [])[-1:]:
            uses.append(
                rules.ContactUse(
                    seq=seq,
                    at=at,
                    contact_hash=rules.contact_hash(key, "email", address),
                    voter_id=voter_id,
                    typed=True,
                    masked=masked,
                )
            )
    return uses


def _caller_uses(
    session: Session, contacts: Sequence[str], since: datetime
) -> list[rules.ContactUse]:
    rows = session.execute(
        select(
            Intervention.id,
            Intervention.opened_at,
            Intervention.caller_hash,
            Intervention.voter_id,
            Intervention.caller_masked,
        ).where(
            Intervention.caller_hash.in_(contacts),  # type: ignore[union-attr]
            Intervention.channel != "president",
            Intervention.opened_at >= since,
        )
    ).all()
    opened = _seqs_of(session, [row[0] for row in rows], "intervention_open")
    return [
        rules.ContactUse(
            seq=seq,
            at=at,
            contact_hash=contact or "",
            voter_id=voter_id or 0,
            typed=False,
            masked=masked or "",
        )
        for intervention, at, contact, voter_id, masked in rows
        for seq in opened.get(intervention, [])[:1]
    ]


def _typed_uses(
    session: Session, contacts: Sequence[str], since: datetime
) -> list[rules.ContactUse]:
    rows = session.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.intervention_id,
            OutboundMessage.created_at,
            OutboundMessage.recipient_hash,
            OutboundMessage.voter_id,
            OutboundMessage.recipient_masked,
        ).where(
            OutboundMessage.recipient_hash.in_(contacts),  # type: ignore[union-attr]
            OutboundMessage.created_at >= since,
        )
    ).all()
    # The entry of each message is the "message_queue" entry of its intervention that
    # names it (its details, read from the hashed body).
    queued = _seqs_of(session, [row[1] for row in rows if row[1]], "message_queue", True)
    uses = []
    for message_id, intervention, at, contact, voter_id, masked in rows:
        seq = queued.get(f"{intervention}:{message_id}", [None])[0]
        if seq is not None:
            uses.append(
                rules.ContactUse(
                    seq=seq,
                    at=at,
                    contact_hash=contact or "",
                    voter_id=voter_id,
                    typed=True,
                    masked=masked,
                )
            )
    return uses


def _seqs_of(
    session: Session, interventions: Iterable[str], action: str, by_message: bool = False
) -> dict[str, list[int]]:
    """Seqs of the entries of ``action`` in these interventions, by intervention (or by
    ``intervention:message`` for message entries), oldest first."""
    found: dict[str, list[int]] = {}
    for part in in_chunks(sorted(set(interventions))):
        columns = (JournalEntry.seq, JournalEntry.intervention, JournalEntry.body)
        rows = session.execute(
            select(*columns)
            .where(
                JournalEntry.intervention.in_(part),  # type: ignore[union-attr]
                JournalEntry.action == action,
            )
            .order_by(JournalEntry.seq)  # type: ignore[arg-type]
        ).all()
        for seq, intervention, body in rows:
            key = intervention or ""
            if by_message:
                details = journal.body_fields(seq, body, "").get("details") or {}
                message = details.get("message") if isinstance(details, dict) else None
                key = f"{intervention}:{message}"
            found.setdefault(key, []).append(seq)
    return found

