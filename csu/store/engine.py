"""Engine and transactions for SQLite (one workstation) and PostgreSQL (a cell).

Also what a retry of a whole service needs to know from the store (see
``csu.services.context.retried``): which failures a new attempt can cure
(``transient``), and whether a write transaction of the attempt committed, or
failed while its COMMIT was in flight (``Attempt``).
"""

import math
import os
import re
import select
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 131_072
# One workstation runs one service at a time, plus the odd side thread (the journal
# check, a delivery): a small pool, so that tens of workstations stay well under
# the server's max_connections (docs/postgresql.md).
PG_POOL_SIZE = 2
PG_MAX_OVERFLOW = 3
# A transaction waiting longer than this for a lock (the journal head, a voter's
# row) gives up and is retried. Not shorter: waiting for the journal head is the
# normal queue of a busy cell (p99 2.7 s with 32 workstations on 2 cores in
# bench/load.py), and a timeout sends the retry to the back of it. A workstation
# that stalls inside a transaction loses it after the idle timeout, so that it cannot
# hold the journal head, and the whole cell, for longer.
PG_LOCK_TIMEOUT_MS = 15_000
PG_IDLE_IN_TRANSACTION_MS = 60_000
PG_CONNECT_TIMEOUT_S = 5
PG_POOL_RECYCLE_S = 600
# Where an engine keeps its write twin (``write_session``). On the engine itself: a map
# from engine to twin would keep both alive for ever, as the twin refers to its engine.
_WRITER = "_csu_writer"


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here, the driver the project ships."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "NORMAL",
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    pool_size: int = PG_POOL_SIZE,
    max_overflow: int = PG_MAX_OVERFLOW,
    lock_timeout_ms: int = PG_LOCK_TIMEOUT_MS,
    idle_in_transaction_ms: int = PG_IDLE_IN_TRANSACTION_MS,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url``.

    SQLite runs in WAL mode where ``NORMAL`` keeps every commit through a crash of
    the program or of a workstation session, and ``FULL`` also through a power cut,
    at the cost of one disk flush per commit (about 7 ms here).

    PostgreSQL connections come from a pool of ``pool_size`` (+ ``max_overflow``)
    and wait at most ``lock_timeout_ms`` for a lock (0: forever).
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # The connection used last comes out first. In WAL mode a connection drops its
        # whole page cache when another one wrote since its last transaction: handed
        # out in turn (the pool's default, FIFO), each of a desk's connections re-read
        # every page a search needs after each journalled action (bench.search). Only
        # a file's queue of connections has an order (a database in memory has one).
        on_file = bool(database) and database != ":memory:" and not database.startswith("file:")
        if on_file and not {"poolclass", "pool"} & set(kwargs):
            kwargs.setdefault("pool_use_lifo", True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, sqlite_synchronous, sqlite_busy_timeout_ms)
        _bound_lock_waits(engine, sqlite_busy_timeout_ms, _set_busy_timeout)
        if on_file:
            # Before each connection, as SQLite would create the file on the first.
            path = Path(database)
            event.listen(engine, "do_connect", lambda *_: private_sqlite_files(path))
        return engine
    # A connection the server dropped (restart, idle timeout) is replaced at checkout
    # instead of failing the next service: told by its socket, without a round trip
    # (a pre-ping costs one per transaction, a fifth of a login check's). One dropped
    # silently (a firewall) is not seen there: connections are renewed every
    # PG_POOL_RECYCLE_S, and a service that meets a dead one is retried (``transient``).
    kwargs.setdefault("pool_recycle", PG_POOL_RECYCLE_S)
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", max_overflow)
    connect_args = {
        "connect_timeout": PG_CONNECT_TIMEOUT_S,
        "options": f"-c lock_timeout={lock_timeout_ms} "
        f"-c idle_in_transaction_session_timeout={idle_in_transaction_ms}",
        **kwargs.pop("connect_args", {}),
    }
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _check_alive)
    if engine.dialect.driver == "psycopg":
        _bound_lock_waits(engine, lock_timeout_ms, _set_lock_timeout)
    return engine


def _check_alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """An idle connection has nothing to read: if its socket has (the server's notice
    that it ends the session, or the end of the stream), or it is closed, the pool
    drops it and checks out another."""
    try:
        closed = dbapi_connection.closed or bool(
            select.select([dbapi_connection.fileno()], [], [], 0)[0]
        )
    except (OSError, ValueError):
        closed = True
    if closed:
        raise sa_exc.DisconnectionError("connection closed by the server")


def private_sqlite_files(path: Path) -> None:
    """A SQLite database holds names, birth dates and contacts: readable by its owner
    only (0600), like its key file. SQLite gives the -wal and -shm files the database
    file's mode, so creating that file 0600 before SQLite does covers them; files an
    older version left readable by others are tightened."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return  # SQLite reports the same problem in its own words
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            mode = stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode)
            if mode & 0o077:
                os.chmod(f"{path}{suffix}", mode & 0o600)
        except OSError:  # absent, or another account's file
            pass


def _configure_sqlite(engine: Engine, synchronous: str, busy_timeout_ms: int) -> None:
    if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"unknown SQLite synchronous mode: {synchronous}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        # Indexes of a million voters do not fit the default 2 MiB page cache.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE) so that two
        # workstations never interleave journal appends or fail on lock upgrade.
        if connection.get_execution_options().get("csu_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error.

    Under a retried service (``Attempt`` current) it records whether it committed,
    or failed during the COMMIT itself: then nobody knows whether it took effect.
    """
    writer = engine.__dict__.get(_WRITER)
    if writer is None:  # one option engine per engine: building it costs per call
        writer = engine.__dict__[_WRITER] = engine.execution_options(csu_write=True)
    attempt = _attempt.get()
    if attempt is not None:
        attempt.open += 1
    try:
        with Session(writer, expire_on_commit=False) as session:
            session.begin()
            yield session  # an error in the body: closing the session rolls back
            # Pending changes first: a failed flush is a plain failure, nothing committed.
            session.flush()
            try:
                session.commit()
            except BaseException:
                if attempt is not None:
                    attempt.failed_at_commit = True
                raise
            if attempt is not None:
                attempt.committed += 1
    finally:
        if attempt is not None:
            attempt.open -= 1


@contextmanager
def write_cursor(
    engine: Engine, after_commit: Callable[[Any], None] | None = None
) -> Iterator[Any]:
    """One write transaction on the driver's cursor, committed on success and rolled
    back on any error; for a service whose reads run on the driver's cursor and whose
    one write is its entry (``journal.entry_cursor``): a Session's unit of work costs
    more than such a whole transaction (on PostgreSQL, a third of a journalled search's
    client CPU). SQLite takes its write lock up front, as ``write_session`` does (BEGIN
    IMMEDIATE); psycopg begins with the first statement. ``after_commit`` gets the
    driver's connection once committed, before it goes back to the pool. Under a
    retried service it records its commit, or a failed COMMIT, as ``write_session``
    does."""
    sqlite = engine.dialect.name == "sqlite"
    attempt = _attempt.get()
    if attempt is not None:
        attempt.open += 1
    try:
        pooled = engine.raw_connection()
        try:
            cursor = pooled.cursor()
            try:
                if sqlite:
                    cursor.execute("BEGIN IMMEDIATE")  # the write lock up front
                yield cursor
                try:
                    if sqlite:
                        cursor.execute("COMMIT")
                    else:
                        pooled.commit()
                except BaseException:
                    if attempt is not None:
                        attempt.failed_at_commit = True
                    raise
            finally:
                cursor.close()
            if attempt is not None:
                attempt.committed += 1
        except BaseException:
            try:
                pooled.rollback()  # the driver's ROLLBACK, if a transaction is still open
            except Exception:  # the connection is gone: the error to tell is the first one
                pooled.invalidate()
            raise
        else:
            if after_commit is not None:
                after_commit(pooled.driver_connection)
        finally:
            pooled.close()
    finally:
        if attempt is not None:
            attempt.open -= 1


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


# ------------------------------------------------------------------ retries

# PostgreSQL error codes after which the transaction surely did not take effect and a
# new attempt may succeed: serialization failure, deadlock, lock timeout, the server
# shutting down or starting, too many connections, connection failures, and the
# session killed for idling inside its transaction.
RETRY_SQLSTATES = frozenset({
    "40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300",
    "08000", "08001", "08003", "08004", "08006", "25P03",
})
# The server rolled the transaction back: even during COMMIT, the outcome is known.
ROLLED_BACK_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")


@dataclass(slots=True)
class Attempt:
    """What the write transactions of one attempt at a service did."""

    committed: int = 0  # write transactions committed
    failed_at_commit: bool = False  # an error escaped the COMMIT itself
    open: int = 0  # write transactions open now


_attempt: ContextVar[Attempt | None] = ContextVar("csu_attempt", default=None)


class _AttemptBlock:
    """:func:`attempt`'s block: a class, not a generator (every service call enters
    one; a generator's context manager costs it a few times more)."""

    __slots__ = ("outer", "state", "token")

    def __enter__(self) -> Attempt:
        self.outer = _attempt.get()
        self.state = Attempt()
        self.token = _attempt.set(self.state)
        return self.state

    def __exit__(self, *_: object) -> None:
        _attempt.reset(self.token)
        if self.outer is not None:
            self.outer.committed += self.state.committed


def attempt() -> _AttemptBlock:
    """Record the write transactions run inside the block (in this thread); an
    attempt inside another one adds its commits to the outer one's."""
    return _AttemptBlock()


def in_transaction() -> bool:
    """True while a write transaction of the current attempt is open: a service
    called there is part of that transaction, and only retried with it."""
    state = _attempt.get()
    return state is not None and state.open > 0


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception: SQLAlchemy wraps it, but the journal's append runs
    on the driver's cursor and lets it through bare."""
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        return error.orig
    return error


def _psycopg(error: BaseException) -> bool:
    return type(error).__module__.startswith("psycopg")


def transient(error: BaseException) -> bool:
    """A failure of the database that a new attempt of the whole unit of work may
    cure: a lock or serialization conflict, a busy SQLite file, a dropped or
    refused connection, an exhausted pool."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection free in time
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    orig = _driver_error(error)
    if isinstance(orig, sqlite3.OperationalError):
        return any(message in str(orig) for message in SQLITE_BUSY_MESSAGES)
    if not _psycopg(orig):
        return False
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return state in RETRY_SQLSTATES
    import psycopg  # loaded already: the error comes from it

    # psycopg reports a connection lost or refused without an error code.
    return isinstance(orig, psycopg.OperationalError)


def too_long(error: BaseException) -> int | None:
    """For PostgreSQL's refusal of a value wider than its column (SQLSTATE 22001): the
    column's width, 0 if unsaid; None for any other error. SQLite stores any length."""
    orig = _driver_error(error)
    if not (_psycopg(orig) and getattr(orig, "sqlstate", None) == "22001"):
        return None
    width = re.search(r"\((\d+)\)", str(orig))
    return int(width.group(1)) if width else 0


def surely_rolled_back(error: BaseException) -> bool:
    """After a failed COMMIT: True when the database certainly did not commit."""
    orig = _driver_error(error)
    if isinstance(orig, sqlite3.Error):
        return True  # a local file: SQLite reports its own COMMIT's failure exactly
    return _psycopg(orig) and getattr(orig, "sqlstate", None) in ROLLED_BACK_SQLSTATES


# ------------------------------------------------------------------ bounded waits

# How long a unit of work (a retried service, csu.services.context.retried) may wait
# for the store in all, every attempt and its lock waits included; None: each attempt
# waits as long as the engine's timeouts say (SQLite's busy timeout, PostgreSQL's lock
# timeout), five times over. The API sets one for its calls: a platform waiting 51 s
# for a 503 had long given up (its timeout), and held one of the API's threads.
_wait_cap: ContextVar[float | None] = ContextVar("csu_store_wait_cap", default=None)
# When the unit of work running now stops waiting (time.monotonic()); None: no cap.
_deadline: ContextVar[float | None] = ContextVar("csu_store_deadline", default=None)
# A connection's lock wait now, in milliseconds, kept in its pool record's info.
_LOCK_WAIT = "csu_lock_wait_ms"


@contextmanager
def wait_cap(seconds: float | None) -> Iterator[None]:
    """Units of work started inside the block (in this context, and the worker threads
    it is copied to) wait for the store ``seconds`` at most in all; None: no cap."""
    token = _wait_cap.set(seconds)
    try:
        yield
    finally:
        _wait_cap.reset(token)


class _DeadlineBlock:
    """:func:`unit_deadline`'s block (a class: entered by every service call)."""

    __slots__ = ("token",)

    def __enter__(self) -> float | None:
        self.token = None
        running = _deadline.get()
        cap = _wait_cap.get()
        if running is not None or cap is None:
            return running
        deadline = time.monotonic() + cap
        self.token = _deadline.set(deadline)
        return deadline

    def __exit__(self, *_: object) -> None:
        if self.token is not None:
            _deadline.reset(self.token)


def unit_deadline() -> _DeadlineBlock:
    """The deadline (time.monotonic()) of the unit of work run inside the block: the
    one already running (a unit inside another shares its wait), else now plus the cap
    (:func:`wait_cap`), else None."""
    return _DeadlineBlock()


def _lock_wait_ms(default_ms: int, *, zero_is_forever: bool) -> int:
    """What a connection checked out now may wait for a lock: the engine's timeout, or
    less, the time left before the unit's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return default_ms
    # Rounded up to a tenth of a second: every call of one cap asks for the same value,
    # set on a connection once rather than before each transaction.
    left = max(1, math.ceil((deadline - time.monotonic()) * 10) * 100)
    if default_ms == 0 and zero_is_forever:
        return left
    return min(default_ms, left)


def _bound_lock_waits(
    engine: Engine, default_ms: int, set_wait: Callable[[Any, int], bool]
) -> None:
    """At checkout, a connection's lock wait is set to what its unit of work has left
    (:func:`_lock_wait_ms`), and back to the engine's own once no cap applies; only
    when it changes, as a setting costs a statement (PostgreSQL: a round trip)."""
    zero_is_forever = engine.dialect.name != "sqlite"  # PostgreSQL's lock_timeout=0

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        wanted = _lock_wait_ms(default_ms, zero_is_forever=zero_is_forever)
        if record.info.get(_LOCK_WAIT, default_ms) != wanted and set_wait(dbapi_connection, wanted):
            record.info[_LOCK_WAIT] = wanted


def _set_busy_timeout(dbapi_connection: Any, milliseconds: int) -> bool:
    dbapi_connection.execute(f"PRAGMA busy_timeout={int(milliseconds)}")
    return True


def _set_lock_timeout(dbapi_connection: Any, milliseconds: int) -> bool:
    """PostgreSQL's lock_timeout for the session, set outside any transaction (a SET in
    one that rolls back is undone with it). False: not set, the connection being in a
    transaction (never so at checkout: the pool rolled it back on return)."""
    import psycopg  # the driver of this engine: loaded already

    if dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(f"SET lock_timeout = {int(milliseconds)}")
    finally:
        dbapi_connection.autocommit = False
    return True
