"""The supervisors' dashboard: what the cell did today and since the election's support
began (among it the calls redirected to self-service, issue 14 §2), what waits now (the
election's escalated cases, issue 14 §5), the émargements per hour since the vote
opened, and when each voting platform last called. Counts only, no voter named: reading
it is not journalled (the screen refreshes it every 30 s).

The journal may hold millions of entries: every query is bounded by time on the
indexed ``ts`` column and groups in the database, so only counts come back.
"""

import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, Select, case, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from csu.domain.alerts import is_silent
from csu.domain.clock import PARIS, rfc3339, to_paris
from csu.domain.election import ElectionDefinition
from csu.domain.interventions import REDIRECTED
from csu.domain.roles import Role
from csu.services.alerts import read_feeds
from csu.services.context import Deps, OperatorContext, require_role
from csu.services.elections import election_in_focus, list_elections
from csu.services.sessions import require_live_session
from csu.store.tables import (
    Emargement,
    Escalation,
    Intervention,
    JournalEntry,
    OutboundMessage,
    SubstitutionRequest,
    Voter,
)

READERS: tuple[Role, ...] = ("superviseur", "admin")
HOUR_PREFIX = 13  # "2022-12-02T10": an RFC 3339 UTC stamp cut to its hour


@dataclass(frozen=True, slots=True)
class Period:
    """The figures of one period, for one election."""

    label: str  # "Aujourd'hui", "Depuis le 28/11"
    since: datetime  # aware, Europe/Paris
    until: datetime
    interventions: int
    per_hour: tuple[tuple[datetime, int], ...]  # (hour, Europe/Paris; opened in it)
    by_action: tuple[tuple[str, int], ...]  # (action code, entries), most first
    by_outcome: tuple[tuple[str, int], ...]  # (outcome code, interventions closed)
    by_operator: tuple[tuple[str, int], ...]  # (login, interventions opened)
    closed: int  # interventions closed, whatever their outcome
    redirected: int  # ...of which closed « redirigé vers le libre-service »

    @property
    def redirected_share(self) -> float | None:
        """The share of the closed interventions redirected to self-service (None: none
        closed)."""
        return self.redirected / self.closed if self.closed else None


@dataclass(frozen=True, slots=True)
class Escalations:
    """An election's escalated cases now: untaken before and past their deadline, taken
    and still open, and closed since midnight (Paris)."""

    waiting: int
    overdue: int
    taken: int
    closed_today: int


@dataclass(frozen=True, slots=True)
class Votes:
    """The émargements of an election since its vote opened, by hour of the vote."""

    since: datetime  # the opening, Europe/Paris
    until: datetime  # now, or the closing once past
    total: int
    per_hour: tuple[tuple[datetime, int], ...]  # (hour, Europe/Paris; votes cast in it)


@dataclass(frozen=True, slots=True)
class PlatformActivity:
    """A voting platform reaching the election: its last call of the API (any call, to
    SEEN_PRECISION), the last batch of émargements accepted from it, and whether its
    feed is silent past the election's threshold while the vote is open."""

    name: str
    last_call: datetime | None  # Europe/Paris
    last_batch: datetime | None
    silent: bool
    silence_minutes: int  # the election's threshold


@dataclass(frozen=True, slots=True)
class Dashboard:
    at: datetime  # aware, Europe/Paris
    election_id: str | None
    today: Period | None  # None: no election loaded
    election: Period | None
    open_interventions: int
    locked_voters: int
    pending_approvals: int
    failed_messages: int
    votes: Votes | None = None  # None: no election, or its vote not open yet
    platforms: tuple[PlatformActivity, ...] = ()
    elections: tuple[str, ...] = ()  # every election loaded, by opening: the screen's choice
    escalations: Escalations | None = None  # None: no election loaded
    definition: ElectionDefinition | None = None  # the election shown (election_id's)


def dashboard(deps: Deps, who: OperatorContext, election_id: str | None = None) -> Dashboard:
    """The figures of ``election_id`` (default: the election in focus) and of the cell."""
    require_role(deps, who, *READERS)
    require_live_session(deps, who)  # a disabled account reads nothing more
    now = deps.clock()
    loaded = list_elections(deps)
    definition = _definition(deps, election_id, loaded)
    with deps.reading() as session:
        today = election = votes = escalations = None
        platforms: tuple[PlatformActivity, ...] = ()
        if definition is not None:
            votes = _votes(session, definition, now)
            platforms = _platforms(session, definition, now)
            midnight = datetime.combine(to_paris(now).date(), time(), PARIS)
            escalations = _escalations(session, definition.id, now, midnight)
            start = support_start(definition)
            buckets = _tally(session, definition.id, min(start, midnight))
            today = _period(buckets, "Aujourd'hui", midnight, now)
            if start < now:
                label = f"Depuis le {to_paris(start):%d/%m}"
                election = _period(buckets, label, start, now)
        return Dashboard(
            at=to_paris(now),
            election_id=definition.id if definition else None,
            today=today,
            election=election,
            votes=votes,
            platforms=platforms,
            elections=tuple(d.id for d in loaded),
            escalations=escalations,
            definition=definition,
            open_interventions=_count(
                session,
                select(func.count())
                .select_from(Intervention)
                .where(
                    Intervention.closed_at.is_(None)  # type: ignore[union-attr]
                ),
            ),
            locked_voters=_count(
                session,
                select(func.count())
                .select_from(Voter)
                .where(
                    Voter.locked_until > now  # type: ignore[operator]
                ),
            ),
            pending_approvals=_count(
                session,
                select(func.count())
                .select_from(SubstitutionRequest)
                .where(SubstitutionRequest.state == "pending"),
            ),
            failed_messages=_count(
                session,
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.state == "failed"),
            ),
        )


def support_start(definition: ElectionDefinition) -> datetime:
    """When the cell starts answering for an election: the Paris midnight of its first
    support day (``support.starts_on``, else the opening day), as aware UTC."""
    day = definition.support_starts_on or definition.first_vote_day
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


def _definition(
    deps: Deps, election_id: str | None, loaded: list[ElectionDefinition]
) -> ElectionDefinition | None:
    if election_id is None:
        return election_in_focus(deps)
    return next((d for d in loaded if d.id == election_id), None)


def _votes(session: Session, definition: ElectionDefinition, now: datetime) -> Votes | None:
    """Émargements per hour of the vote, counted in the database through the index on
    (election, vote time): only an hour's key and a count per hour come back."""
    if now < definition.opens_at:
        return None
    since, until = definition.opens_at, min(now, definition.closes_at)
    hour = _vote_hour(session)
    rows = session.execute(
        select(hour, func.count())
        .where(
            Emargement.election_id == definition.id,
            Emargement.voted_at >= since,  # type: ignore[operator]
            Emargement.voted_at <= until,  # type: ignore[operator]
        )
        .group_by(hour)
    ).all()
    counts: Counter[str] = Counter()
    for hour_key, count in rows:  # PostgreSQL: an aware datetime; SQLite: the text key
        key = hour_key if isinstance(hour_key, str) else rfc3339(hour_key)[:HOUR_PREFIX]
        counts[key] += count
    return Votes(
        since=to_paris(since),
        until=to_paris(until),
        total=sum(counts.values()),
        per_hour=_hourly(counts, since, until),
    )


def _vote_hour(session: Session) -> ColumnElement[Any]:
    """The hour of a vote: on PostgreSQL its start in UTC (date_trunc, cheaper than
    text), on SQLite the UTC text "2022-12-02T10" like the journal's buckets."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", Emargement.voted_at, "UTC")
    # SQLite keeps "2022-12-02 10:15:00.000000", in UTC.
    return func.replace(func.substr(Emargement.voted_at, 1, HOUR_PREFIX), " ", "T")


def _escalations(
    session: Session, election_id: str, now: datetime, midnight: datetime
) -> Escalations:
    """The election's cases in one query: the queue holds the open cases and those
    closed (a few a day, never the journal's millions), so counting them is a scan of a
    small table. Waiting and overdue as csu.domain.escalation.case_state says."""
    untaken = col(Escalation.taken_at).is_(None) & col(Escalation.closed_at).is_(None)
    row = session.execute(
        select(
            func.count().filter(untaken & (col(Escalation.deadline_at) > now)),
            func.count().filter(untaken & (col(Escalation.deadline_at) <= now)),
            func.count().filter(
                col(Escalation.taken_at).is_not(None) & col(Escalation.closed_at).is_(None)
            ),
            func.count().filter(col(Escalation.closed_at) >= midnight),
        ).where(col(Escalation.election_id) == election_id)
    ).one()
    return Escalations(*(int(count) for count in row))


def _platforms(
    session: Session, definition: ElectionDefinition, now: datetime
) -> tuple[PlatformActivity, ...]:
    return tuple(
        PlatformActivity(
            name=reading.feed.platform,
            last_call=to_paris(reading.last_seen_at) if reading.last_seen_at else None,
            last_batch=to_paris(reading.feed.last_at) if reading.feed.last_at else None,
            silent=is_silent(reading.feed, now),
            silence_minutes=definition.platform.feed_silence_minutes,
        )
        for reading in read_feeds(session, [definition])
    )


def _period(buckets: "Buckets", label: str, since: datetime, until: datetime) -> Period:
    first, last = rfc3339(since)[:HOUR_PREFIX], rfc3339(until)[:HOUR_PREFIX]
    by_action: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    by_operator: Counter[str] = Counter()
    hours: Counter[str] = Counter()
    for (hour, action, outcome, operator), count in buckets.items():
        if not first <= hour <= last:
            continue
        by_action[action] += count
        if action == "intervention_close":
            by_outcome[outcome] += count
        elif action == "intervention_open":
            by_operator[operator or "?"] += count
            hours[hour] += count
    return Period(
        label=label,
        since=to_paris(since),
        until=to_paris(until),
        interventions=sum(by_operator.values()),
        per_hour=_hourly(hours, since, until),
        by_action=tuple(by_action.most_common()),
        by_outcome=tuple(by_outcome.most_common()),
        by_operator=tuple(sorted(by_operator.items(), key=lambda item: (-item[1], item[0]))),
        # From the same buckets as the outcomes: no query of its own, and the two agree.
        closed=sum(by_outcome.values()),
        redirected=by_outcome[REDIRECTED],
    )


# (hour "2022-12-02T10" UTC, action, outcome, operator) -> entries
Buckets = dict[tuple[str, str, str, str], int]


@dataclass
class _Tally:
    """An election's entries since a moment counted by hour, action, outcome and
    operator, up to ``seq`` (whose hash is ``hash``). The journal is append-only and
    its seqs have no gaps, so a refresh only reads the entries after ``seq``: the
    election's support period is read once per process (the ts index finds where it
    starts), then each refresh costs what was appended since."""

    seq: int = 0
    hash: str = ""
    buckets: Buckets = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# Per store (dropped with its engine), election and start.
_tallies: "weakref.WeakKeyDictionary[Engine, dict[tuple[str, str], _Tally]]" = (
    weakref.WeakKeyDictionary()
)
_tallies_lock = threading.Lock()


def _tally(session: Session, election: str, since: datetime) -> Buckets:
    engine = session.get_bind()
    start = rfc3339(since)
    with _tallies_lock:
        tallies = _tallies.setdefault(engine, {})  # type: ignore[arg-type]
        tally = tallies.setdefault((election, start), _Tally())
    with tally.lock:
        if tally.seq and _hash_at(session, tally.seq) != tally.hash:
            # Not the journal counted before (a store restored from a copy): recount.
            tally.seq, tally.hash, tally.buckets = 0, "", {}
        if not tally.seq:
            first = session.execute(
                select(JournalEntry.seq)
                .where(JournalEntry.ts >= start)
                .order_by(JournalEntry.ts, JournalEntry.seq)  # type: ignore[arg-type]
                .limit(1)
            ).scalar_one_or_none()
            if first is None:
                return {}
            tally.seq, tally.hash = first - 1, _hash_at(session, first - 1)
        hour = func.substr(JournalEntry.ts, 1, HOUR_PREFIX)
        # Operators are counted for the interventions they open only: a bucket per
        # operator and action would multiply the buckets by the size of the cell.
        operator = case(
            (JournalEntry.action == "intervention_open", JournalEntry.operator), else_=""
        )
        rows = session.execute(
            select(
                hour, JournalEntry.action, JournalEntry.outcome, operator,
                func.count(), func.max(JournalEntry.seq),
            )
            .where(
                JournalEntry.election == election,
                JournalEntry.seq > tally.seq,
                JournalEntry.ts >= start,
            )
            .group_by(hour, JournalEntry.action, JournalEntry.outcome, operator)
        ).all()  # fmt: skip
        buckets = dict(tally.buckets)
        last = tally.seq
        for hour_key, action, outcome, login, count, top in rows:
            key = (hour_key, action, outcome, login or "")
            buckets[key] = buckets.get(key, 0) + count
            last = max(last, top)
        if last != tally.seq:
            tally.seq, tally.hash, tally.buckets = last, _hash_at(session, last), buckets
        return tally.buckets


def _hash_at(session: Session, seq: int) -> str:
    return (
        session.execute(
            select(JournalEntry.hash).where(JournalEntry.seq == seq)
        ).scalar_one_or_none()
        or ""
    )


def _hourly(
    counts: Counter[str], since: datetime, until: datetime
) -> tuple[tuple[datetime, int], ...]:
    """Every hour of the period with its count, zeros included (a chart needs them).
    UTC and Paris hours coincide (whole-hour offsets), so UTC buckets are Paris hours."""
    # Stepping in UTC: a Paris day of a DST change has 23 or 25 hours.
    moment = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = []
    while moment <= until:
        hours.append((to_paris(moment), counts.get(rfc3339(moment)[:HOUR_PREFIX], 0)))
        moment += timedelta(hours=1)
    return tuple(hours)


def _count(session: Session, query: "Select[int]") -> int:
    return int(session.execute(query).scalar_one())
