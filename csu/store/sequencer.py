"""The journal's sequencer on PostgreSQL: queued entries chained in batches.

An action no longer waits for the chain head. Its transaction inserts its entry
into ``journal_queue`` (the canonical body, no position, no hash) and commits it
with its change, as before; that is the "add" of transparency logs (Trillian,
Tessera). Integrating is a separate step: one transaction takes a batch of queued
entries, gives them the next positions, chains their hashes, inserts them into
``journal_entry``, deletes them from the queue and moves the head, all or nothing.
That transaction is one statement, the server's function ``csu_journal_integrate``
(migration 0019): one round trip from the sequencer's process, where a saturated cell
made each of three wait for a core (batches of 144 ms at the median, 922 ms at the
95th percentile, for 5 ms of work). A batch is never half done: a sequencer's process
killed mid-batch leaves the server to finish its statement or roll it back, whole; a
server process killed, or a server crash, leaves the whole batch queued.

Who integrates: whoever wins ``pg_try_advisory_xact_lock`` (never waits for it;
each integrating transaction takes it with the chain head and loses it when it
ends, or when the server sees the process die). In a quiet cell every workstation
integrates right after committing an entry, on the connection that committed it
(``integrate_quietly``); in a busy one (tries lost, or a queue that never empties)
one workstation is on duty for the whole cell (a session advisory lock, taken by
whichever busy workstation tries first): every ``WATCH_EVERY`` s it chains what waits,
in batches, off the actions' path, and the others leave their entries to it.
``csu audit integrate`` runs it by hand, or on duty (``--suivre``). So the cell keeps
its journal moving whichever workstation stops.

Durability. The entry is durable when its action commits (a synchronous commit, as
before). The integrating transaction commits asynchronously (``synchronous_commit
off``): a server crash may undo the last few integrations, which only puts their
entries back in the queue, whole, to be chained again. Anything that builds on a
position durably commits after it, which flushes the WAL up to it (a checkpoint
row, an export's or a search's entry).

Order. Queue ids come from a sequence at insert time, and transactions commit in
another order: id 7 may commit after id 8. There is no watermark here to skip past
an id: an entry leaves the queue only by being integrated, so a late commit is
simply in a later batch, never lost, never duplicated (the batch deletes what it
chains, in the same transaction, under the head lock). Within what a batch sees
(committed rows only), entries go in id order. This respects every order an
auditor can rely on: if A's transaction committed before B's inserted its entry,
A's id is lower (its nextval came before its commit) and no batch can see B
without A, so A's position is lower. Entries of transactions that overlapped have
no such order, and get one. Waiting for every older transaction to end instead
(an xmin horizon) would let one long import stall the journal of the whole cell.

A queued row that cannot be chained (not an entry: written into the queue by hand,
before the queue's check of migration 0021 or with its triggers disabled) no longer
stops the chain: the batch is done again entry by entry, and the server chains in that
row's place an entry of its own, ``SET_ASIDE`` (« refusé », its reason, the row's
length, SHA-256 and first 64 KiB), which ``csu audit verify`` reports. So is a row that
JSON readers would read otherwise than the server (migration 0023: a key twice in one
object, a number such as ``1e999`` that a float cannot hold, nesting deeper than 32
levels): the batch at once checks each body (``csu_journal_body_problem``, a few cheap
tests for the usual entry) and leaves such a row to the entry-by-entry pass, rather
than chaining a body whose readers disagree on what it says.

No lost wake-up. A workstation whose try failed while another held the role had
committed its entry before: it leaves the entry to its process's duty thread (see
below), started then if it was not running, which chains it within ``WATCH_EVERY`` s
or sees a sequencer on duty that will. And a sequencer run by hand, or until the queue
is empty (``integrate``, ``settle``, a server's resident one), looks at the queue again
after its last batch, once its commit released the role.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

_log = logging.getLogger(__name__)

# The advisory lock of the sequencer's role ("csu_jrnl" in ASCII).
LOCK_KEY = 0x6373755F6A726E6C
BATCH = 2_000  # entries per integrating transaction: short, even after a backlog
# The batch, on the server (migration 0019): the role, the head, the queue in id order,
# the chain hashes, the insert, the queue's delete and the head's move, in the one
# transaction of this statement.
_INTEGRATE = "SELECT csu_journal_integrate(%s, %s)"
# By the primary key's index, not a scan of the table: a queue emptied of a million
# entries holds as many dead rows until a vacuum, and a scan reads them all (75 ms).
_WAITING = "SELECT min(id) IS NOT NULL FROM journal_queue"


@dataclass(frozen=True, slots=True)
class Pending:
    """Entries committed but not yet chained: how many, when the oldest was queued,
    and how long it has waited by the database's clock (seconds)."""

    count: int
    oldest: datetime | None
    waited: float = 0.0


class IntegrationRefused(RuntimeError):
    """The server's batch refused to run (its message, in French): the chain head
    missing, say. The batch stays queued, whole. (A queued row it cannot chain is set
    aside instead, since migration 0021: see ``SET_ASIDE``.)"""


# The SQLSTATE of a PL/pgSQL RAISE EXCEPTION: the batch's own refusals.
_RAISED = "P0001"
# The action of the entry the server chains in place of a queued row it cannot chain
# (migration 0021, csu_journal_set_aside).
SET_ASIDE = "journal_queue_rejected"


def integrate_batch(driver: Any, batch: int = BATCH) -> int | None:
    """One integrating transaction on a psycopg connection outside any transaction: the
    number of entries it chained, or None when another sequencer holds the role. The
    batch is the server's function ``csu_journal_integrate`` (migration 0019), called
    alone in its own transaction: one round trip, the commit included. It takes the
    role for itself (``pg_try_advisory_xact_lock``, released when it ends), and any
    error rolls the whole batch back (it stays queued). An empty queue answers 0 at
    once, locking nothing. Its refusals are :class:`IntegrationRefused`."""
    try:
        return _autocommit(driver, _INTEGRATE, (LOCK_KEY, batch))
    except Exception as error:
        if getattr(error, "sqlstate", None) != _RAISED:
            raise
        refusal = getattr(getattr(error, "diag", None), "message_primary", None)
        raise IntegrationRefused(refusal or str(error)) from None


def _autocommit(driver: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """One statement outside any transaction (one round trip, nothing to end)."""
    return _autocommit_row(driver, sql, params)[0]


def _autocommit_row(driver: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """:func:`_autocommit`, the whole row."""
    if driver.info.transaction_status != 0:  # not idle: what the pool left open
        driver.rollback()
    driver.autocommit = True
    try:
        with driver.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    finally:
        driver.autocommit = False


def _waiting(driver: Any) -> bool:
    return bool(_autocommit(driver, _WAITING))


def integrate(engine: Engine, *, rounds: int | None = None, batch: int = BATCH) -> int:
    """Integrate what is queued, if no other sequencer is at work; returns how many
    entries this call chained. ``rounds`` bounds the batches (None: until the queue
    is seen empty or another sequencer holds the role, who then looks again); what a
    bounded call leaves goes to this process's background sequencer."""
    raw = engine.raw_connection()
    try:
        return _integrate_on(raw.driver_connection, engine, rounds, batch)[0]
    finally:
        raw.close()


def _integrate_on(
    driver: Any, engine: Engine, rounds: int | None, batch: int = BATCH, *, look: bool = True
) -> tuple[int, bool]:
    """:func:`integrate` on a psycopg connection outside any transaction: how many
    entries it chained, and whether another sequencer held the role. Without ``look``,
    no look at the queue after the last batch (a workstation after its commit: one
    round trip a call; what a lost try left is its own duty thread's)."""
    if driver.info.transaction_status != 0:  # not idle: what the pool left open
        driver.rollback()
    done = 0
    count = 0
    while True:
        chained = integrate_batch(driver, batch)
        if chained is None:
            _note_failure(engine)  # what waits is this process's duty thread's now
            return done, True
        done += chained
        count += 1
        # After a full batch more surely waits; after another, the role went with the
        # commit: look again (see "No lost wake-up" above), if asked to.
        if chained != batch and not (look and _waiting(driver)):
            return done, False
        if rounds is not None and count >= rounds:
            _busy(engine)  # a busy cell: the background sequencer goes on
            return done, False


def integrate_quietly(engine: Engine, driver: Any = None) -> None:
    """After a commit (``journal``). A quiet cell: on the connection that committed
    (a second one from a small pool could wait for the others' forever), chain what
    waits, in batches while they come full, until one is not or another sequencer holds
    the role (this process's duty thread then takes the entry over: "No lost wake-up");
    so when the action returns, its entry is chained or about to be. A busy cell
    (``BUSY_ROUNDS`` rounds in a row, or ``BUSY_FAILURES`` tries lost within a second),
    or one with a sequencer on duty:
    nothing here, the sequencer on duty chains it within ``WATCH_EVERY`` s, in larger
    batches, off the actions' path. Never raises: the action is recorded, its entry
    queued."""
    engine = getattr(engine, "_proxied", engine)  # a session's bind: the store's writers
    if _has_resident(engine):
        return  # the process's resident sequencer chains it within RESIDENT_EVERY s
    now = time.monotonic()
    if _contended.get(engine, 0.0) > now or _duty_seen.get(engine, 0.0) > now:
        with _helpers_lock:
            _deferred[engine] = now  # keeps this process's duty thread going
        _ensure_duty(engine)
        return
    try:
        if driver is None:
            raw = engine.raw_connection()
            try:
                _integrate_on(raw.driver_connection, engine, BUSY_ROUNDS, look=False)
            finally:
                raw.close()
        else:
            _integrate_on(driver, engine, BUSY_ROUNDS, look=False)
    except Exception as error:  # logged: the entry is safe in the queue
        _log.warning("journal integration deferred (%s: %s)", type(error).__name__, error)
        _busy(engine)  # the sequencer on duty tries again


# A busy cell: one sequencer on duty for the whole cell. Every busy process runs a
# duty thread, and the one that holds the session advisory lock DUTY_KEY is on duty:
# every WATCH_EVERY s it chains what waits, one batch a tick. The others only try the
# role every CANDIDATE_EVERY s and, while someone holds it, leave their entries to it:
# when every busy workstation integrated after its commits (tiny batches of seven
# round trips, or tries lost), 32 workstations made 289 journalled calls/s, not 418.
# The role goes with its connection: a process that stops, or is killed, frees it for
# the next try of another. A holder that no longer integrates (a stopped process) is
# covered too: whoever sees an entry waiting STALE s chains it itself. A thread ends
# WATCH_IDLE s after its process last deferred an entry or saw the cell busy.
BUSY_FOR = 2.0
BUSY_ROUNDS = 8
BUSY_FAILURES = 8
WATCH_EVERY = 0.1
WATCH_SETTLE = 0.0  # the others leave their entries: none is the duty's to wait for
WATCH_IDLE = 5.0
WATCH_FAILURES = 5
CANDIDATE_EVERY = 0.5
DUTY_SEEN_FOR = 3 * CANDIDATE_EVERY  # a holder seen lately: entries are left to it
STALE = 2.0
# The sequencer on duty's session lock ("csu_duty" in ASCII), beside LOCK_KEY, which
# each integrating transaction still takes: the duty only says who looks, not who may.
DUTY_KEY = 0x6373755F64757479
_contended: "WeakKeyDictionary[Engine, float]" = WeakKeyDictionary()
_duty_seen: "WeakKeyDictionary[Engine, float]" = WeakKeyDictionary()
_deferred: "WeakKeyDictionary[Engine, float]" = WeakKeyDictionary()
_duties: "WeakKeyDictionary[Engine, threading.Thread]" = WeakKeyDictionary()
_failures: "WeakKeyDictionary[Engine, list[float]]" = WeakKeyDictionary()
_helpers_lock = threading.Lock()


def _note_failure(engine: Engine) -> None:
    """A try lost to another sequencer: what this process queued is left to its duty
    thread (no lost wake-up); many such tries within a second, and the cell is busy."""
    now = time.monotonic()
    with _helpers_lock:
        recent = [t for t in _failures.get(engine, []) if t > now - 1.0]
        recent.append(now)
        _failures[engine] = recent
        busy = len(recent) >= BUSY_FAILURES
        _deferred[engine] = now
    if busy:
        _busy(engine)
    else:
        _ensure_duty(engine)


def _busy(engine: Engine) -> None:
    with _helpers_lock:
        _contended[engine] = time.monotonic() + BUSY_FOR
    _ensure_duty(engine)


def _ensure_duty(engine: Engine) -> None:
    with _helpers_lock:
        thread = _duties.get(engine)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(
            target=_duty, args=(engine,), name="csu-journal-sequencer", daemon=True
        )
        _duties[engine] = thread
        thread.start()


def _wanted(engine: Engine) -> bool:
    """Whether this process still needs its duty thread: it saw the cell busy, or left
    an entry to the sequencer on duty, within the last WATCH_IDLE s."""
    last = max(_contended.get(engine, 0.0), _deferred.get(engine, 0.0))
    return time.monotonic() < last + WATCH_IDLE


# The duty's try and a look at the queue in one round trip: whether this connection
# now holds the role (or already did), and whether an entry has waited STALE s.
_TRY_DUTY = (
    "SELECT pg_try_advisory_lock(%s), "
    "coalesce(min(queued_at) < clock_timestamp() - make_interval(secs => %s), false) "
    "FROM journal_queue"
)


def _duty(engine: Engine) -> None:
    """The duty thread of a busy process (see above)."""
    failures = 0
    held: Any = None  # the pool's connection that holds the role, while it does
    next_try = 0.0
    tick = time.monotonic()
    chained: int | None = 0
    try:
        while _wanted(engine):
            # One batch a tick, a tick every WATCH_EVERY s from the start of the last: a
            # steady stream makes batches, not a busy loop, and a batch slowed by a busy
            # machine is not followed by a full pause.
            time.sleep(max(0.0, tick + WATCH_EVERY - time.monotonic()))
            tick = time.monotonic()
            try:
                if held is None and time.monotonic() >= next_try:
                    next_try = time.monotonic() + CANDIDATE_EVERY
                    held = _try_duty(engine)
                if held is not None:
                    _seen(engine)
                    driver = held.driver_connection
                    # After a batch, more surely waits: the look (one round trip) is
                    # for a quiet queue. No look again after the batch either.
                    if chained or _autocommit(driver, _LATE, (WATCH_SETTLE,)):
                        chained = integrate_batch(driver)
                        if chained:
                            _busy(engine)  # entries waited: still busy
                        elif chained is None:  # a workstation chaining its own
                            _note_failure(engine)
                failures = 0
            except Exception as error:
                failures += 1
                if held is not None:  # the connection may be gone: the role with it
                    _let_go(held)
                    held = None
                if failures == WATCH_FAILURES:  # the store gone or restarting: the next
                    # commit starts another duty thread
                    _log.warning(
                        "journal integration deferred (%s: %s)", type(error).__name__, error
                    )
                    break
    finally:
        if held is not None:
            _let_go(held)
        with _helpers_lock:
            if _duties.get(engine) is threading.current_thread():
                del _duties[engine]
        # No lost wake-up: what this process left to the duty is chained by now, or
        # whoever holds the role looks again after its batch.
        with contextlib.suppress(Exception):
            integrate(engine)


def _try_duty(engine: Engine) -> Any:
    """Try the role: the connection that holds it now, or None (held elsewhere: this
    process leaves its entries to that holder, unless one waits too long)."""
    raw = engine.raw_connection()
    try:
        won, stale = _autocommit_row(raw.driver_connection, _TRY_DUTY, (DUTY_KEY, STALE))
    except BaseException:
        raw.invalidate()
        raise
    if won:
        return raw
    raw.close()
    _seen(engine)
    if stale:  # the holder does not integrate (a stopped process): do it here
        integrate(engine)
    return None


def _seen(engine: Engine) -> None:
    with _helpers_lock:
        _duty_seen[engine] = time.monotonic() + DUTY_SEEN_FOR


def _let_go(held: Any) -> None:
    """Give the role up: closing the connection ends its session, and the lock."""
    with contextlib.suppress(Exception):
        held.invalidate()


def _late(engine: Engine, settle: float) -> bool:
    """Whether an entry has waited ``settle`` s or more."""
    raw = engine.raw_connection()
    try:
        return bool(_autocommit(raw.driver_connection, _LATE, (settle,)))
    finally:
        raw.close()


_LATE = (
    "SELECT coalesce(min(queued_at) < clock_timestamp() - make_interval(secs => %s), false)"
    " FROM journal_queue"
)


def pending(session: Any) -> Pending:
    """How many entries wait, and since when (on SQLite: none, ever)."""
    from sqlalchemy import func, select

    from csu.store.tables import JournalQueued

    if session.get_bind().dialect.name != "postgresql":
        # SQLite chains each entry as it is written: a row in the queue is none of CSU's,
        # never to be integrated, its date whatever a hand wrote (not read as one here:
        # csu.services.audit.foreign_queue_rows names it).
        return Pending(0, None)
    count, oldest = session.execute(select(func.count(), func.min(JournalQueued.queued_at))).one()
    waited = 0.0
    if count:
        waited = session.execute(
            select(func.extract("epoch", func.clock_timestamp() - oldest))
        ).scalar_one()
    return Pending(count, oldest, float(waited))


def queued_bodies(
    session: Any, limit: int | None = None, containing: bytes | None = None
) -> Iterable[tuple[int, bytes]]:
    """``(queue id, body)`` of the waiting entries, oldest first; only those whose body
    holds ``containing`` when given (a prefilter: the caller still reads each body)."""
    from sqlalchemy import select

    from csu.store.tables import JournalQueued

    query = select(JournalQueued.id, JournalQueued.body).order_by(JournalQueued.id)
    if containing is not None:
        # The caller's bytes hold no « % », « _ » nor « \\ » (journal._needle).
        query = query.where(JournalQueued.body.op("LIKE")(b"%" + containing + b"%"))
    if limit is not None:
        query = query.limit(limit)
    return [(row[0], bytes(row[1])) for row in session.execute(query)]


def watch(
    engine: Engine, stop: threading.Event, *, every: float = 0.25, settle: float = 0.2
) -> None:
    """Sequencer on duty until ``stop``: every ``every`` s, integrate entries that have
    waited ``settle`` s or more (the workstations integrate the others themselves
    after their commits). For ``csu audit integrate --suivre`` and long-lived
    processes (``csu serve``, ``csu api``)."""
    while not stop.wait(every):
        try:
            if _late(engine, settle):
                integrate(engine)
        except Exception as error:  # the server restarting: try again next time
            _log.warning("journal sequencer: %s: %s", type(error).__name__, error)


# A server process (``csu api``) answers many short requests: integrating after each
# commit, on the request's own connection, doubled what a login check cost (8 more
# round trips, half its time). Its resident sequencer takes integration off every
# request's path: a thread that looks at the queue every RESIDENT_EVERY s.
RESIDENT_EVERY = 0.05
_residents: "WeakKeyDictionary[Engine, threading.Thread]" = WeakKeyDictionary()


def _has_resident(engine: Engine) -> bool:
    # A session's bind may be an option engine over it (the store's writers).
    thread = _residents.get(getattr(engine, "_proxied", engine))
    return thread is not None and thread.is_alive()


@contextlib.contextmanager
def resident(engine: Engine, every: float = RESIDENT_EVERY) -> Iterator[None]:
    """The process's own sequencer for as long as the block runs: commits on ``engine``
    leave their entries to it instead of integrating them in the request. What waits
    when the block ends is integrated then (unless another sequencer holds the
    role: it looks at the queue again). Nothing on SQLite, which chains at once."""
    if engine.dialect.name != "postgresql":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_reside, args=(engine, stop, every), name="csu-journal-resident", daemon=True
    )
    with _helpers_lock:
        _residents[engine] = thread
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        with _helpers_lock:
            if _residents.get(engine) is thread:
                del _residents[engine]
        with contextlib.suppress(Exception):  # the store gone: entries stay queued
            integrate(engine)


def _reside(engine: Engine, stop: threading.Event, every: float) -> None:
    failures = 0
    while not stop.wait(every):
        try:
            raw = engine.raw_connection()
            try:
                if _waiting(raw.driver_connection):  # one round trip when idle
                    _integrate_on(raw.driver_connection, engine, None)
            finally:
                raw.close()
            failures = 0
        except Exception as error:  # the server restarting: try again next time
            failures += 1
            if failures == 1 or failures % 100 == 0:
                _log.warning("journal resident sequencer: %s: %s", type(error).__name__, error)


def settle(engine: Engine, timeout: float = 30.0) -> bool:
    """Integrate until nothing waits (whoever holds the role); False if entries
    still wait after ``timeout`` s. For the end of a load, and tests."""
    deadline = time.monotonic() + timeout
    while True:
        integrate(engine)
        raw = engine.raw_connection()
        try:
            if not _waiting(raw.driver_connection):
                return True
        finally:
            raw.close()
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def wait_integrated(engine: Engine, event_id: str, timeout: float = 5.0) -> int | None:
    """The position of the entry ``event_id`` once chained (integrating if this
    process may), or None if it is still queued after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            with driver.cursor() as cursor:
                cursor.execute("SELECT seq FROM journal_entry WHERE event_id = %s", (event_id,))
                row = cursor.fetchone()
            # COMMIT, not ROLLBACK: psycopg follows a ROLLBACK with DEALLOCATE ALL, and the
            # connection would plan every statement again.
            driver.commit()
        finally:
            raw.close()
        if row is not None:
            return int(row[0])
        if time.monotonic() >= deadline:
            return None
        try:
            integrate(engine, rounds=1)
        except Exception as error:  # the entry stays queued: wait for another sequencer
            _log.warning("journal integration deferred (%s: %s)", type(error).__name__, error)
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
