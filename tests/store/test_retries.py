"""Retrying a whole service when its transaction meets a failure that a new attempt
cures, provoked for real: a SQLite file locked by another connection, a lock timeout
and a deadlock on PostgreSQL's journal head, a connection killed by the server, and a
connection lost during COMMIT (never retried: nobody knows whether it committed)."""

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from csu.domain.clock import fixed_clock
from csu.services.context import (
    Deps,
    OutcomeUnknown,
    ServiceError,
    StoreBusy,
    retried,
)
from csu.services.voters import search_voters
from csu.store import journal
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from csu.store.tables import JournalEntry
from tests.conftest import AGENT, NOW, TEST_KEY, PostgresServer


def entries(deps: Deps) -> int:
    with deps.reading() as session:
        return session.execute(select(func.count()).select_from(JournalEntry)).scalar_one()


@retried
def note(deps: Deps, attempts: list[int], before: Callable[[int], None] | None = None) -> int:
    """A unit of work of the shape of every service: one transaction ending with its
    journal entry; ``before`` runs at the start of each attempt."""
    attempts.append(len(attempts) + 1)
    if before is not None:
        before(len(attempts))
    with deps.writing() as session:
        return journal.append(session, actor=AGENT.actor, action="note", outcome="ok",
                              at=deps.clock()).seq


@pytest.fixture
def on_first_retry() -> Iterator[Callable[[Callable[[], None]], None]]:
    """Run a callback when the first retry is announced (its log line), so that a
    test releases a lock exactly between the failed attempt and the next one."""
    logger = logging.getLogger("csu.services.context")
    handlers: list[logging.Handler] = []

    def install(callback: Callable[[], None]) -> None:
        class Once(logging.Handler):
            fired = False

            def emit(self, record: logging.LogRecord) -> None:
                if not self.fired:
                    self.fired = True
                    callback()

        handler = Once(level=logging.WARNING)
        handlers.append(handler)
        logger.addHandler(handler)

    yield install
    for handler in handlers:
        logger.removeHandler(handler)


# --------------------------------------------------------------------- SQLite


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Deps, Path]]:
    path = tmp_path / "csu.sqlite"
    engine = make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=20)
    upgrade(engine)
    yield Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW)), path
    engine.dispose()


def write_lock(path: Path) -> sqlite3.Connection:
    """Another workstation's write transaction, holding the file's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_locked_sqlite_file_is_retried_once_released(
    sqlite_file: tuple[Deps, Path],
) -> None:
    deps, path = sqlite_file
    other = write_lock(path)
    attempts: list[int] = []

    note(deps, attempts, before=lambda n: other.rollback() if n == 2 else None)

    assert attempts == [1, 2]
    assert entries(deps) == 1


def test_a_sqlite_file_locked_past_every_attempt_records_nothing(
    sqlite_file: tuple[Deps, Path],
) -> None:
    deps, path = sqlite_file
    other = write_lock(path)
    attempts: list[int] = []

    with pytest.raises(StoreBusy, match="rien n'a été enregistré"):
        note(deps, attempts)

    other.rollback()
    assert len(attempts) == 5
    assert entries(deps) == 0


def test_a_service_whose_first_transaction_committed_is_not_run_again(
    sqlite_file: tuple[Deps, Path],
) -> None:
    deps, path = sqlite_file
    attempts: list[int] = []
    holder: list[sqlite3.Connection] = []

    @retried
    def two_steps() -> None:
        attempts.append(1)
        with deps.writing() as session:
            journal.append(session, actor=AGENT.actor, action="step1", outcome="ok",
                           at=deps.clock())
        holder.append(write_lock(path))
        with deps.writing() as session:
            journal.append(session, actor=AGENT.actor, action="step2", outcome="ok",
                           at=deps.clock())

    with pytest.raises(Exception, match="database is locked"):
        two_steps()

    holder[0].rollback()
    assert attempts == [1]
    assert entries(deps) == 1


def test_a_service_called_after_another_committed_is_retried_on_its_own(
    sqlite_file: tuple[Deps, Path],
) -> None:
    deps, path = sqlite_file
    outer: list[int] = []
    inner: list[int] = []
    holder: list[sqlite3.Connection] = []

    @retried
    def issue_then_deliver() -> None:
        outer.append(1)
        with deps.writing() as session:
            journal.append(session, actor=AGENT.actor, action="issue", outcome="ok",
                           at=deps.clock())
        holder.append(write_lock(path))  # another workstation, between the two
        note(deps, inner, before=lambda n: holder[0].rollback() if n == 2 else None)

    issue_then_deliver()

    assert outer == [1]
    assert inner == [1, 2]
    assert entries(deps) == 2


def test_a_refusal_is_not_retried(sqlite_file: tuple[Deps, Path]) -> None:
    deps, _ = sqlite_file
    attempts: list[int] = []

    @retried
    def refused() -> None:
        attempts.append(1)
        with deps.writing():
            raise ServiceError("Refusé.")

    with pytest.raises(ServiceError, match="Refusé"):
        refused()
    assert attempts == [1]


# ----------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.fresh_database()
    yield url
    postgres_server.drop(make_url(url).database or "")


def pg_deps(url: str, **options: int | str) -> Deps:
    connect_args = {"application_name": "csu-retry-test"}
    if "deadlock_timeout" in options:
        connect_args["options"] = (
            f"-c lock_timeout=0 -c deadlock_timeout={options.pop('deadlock_timeout')}"
        )
    engine = make_engine(url, connect_args=connect_args, **options)  # type: ignore[arg-type]
    return Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW))


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def hold_head(url: str) -> psycopg.Connection:
    """Another workstation in the middle of an append: the chain head locked."""
    other = psycopg.connect(libpq(url))
    other.execute("SET deadlock_timeout = '30s'")  # the other side is the victim
    other.execute("SELECT seq FROM journal_head WHERE id = 1 FOR UPDATE")
    return other


def waiting_pid(url: str, timeout: float = 10) -> int:
    """The backend of the service under test once it waits for a lock."""
    with psycopg.connect(libpq(url), autocommit=True) as probe:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = probe.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'csu-retry-test' "
                "AND wait_event_type = 'Lock'"
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.01)
    raise AssertionError("the service never waited for the lock")


@pytest.mark.postgres
def test_a_lock_timeout_on_the_journal_head_is_retried(
    pg_url: str, on_first_retry: Callable[[Callable[[], None]], None]
) -> None:
    deps = pg_deps(pg_url, lock_timeout_ms=100)
    other = hold_head(pg_url)
    on_first_retry(other.rollback)

    hits = retried(search_voters)(deps, AGENT, "dupont")

    other.close()
    assert hits == []
    assert entries(deps) == 1
    deps.engine.dispose()


@pytest.mark.postgres
def test_the_victim_of_a_deadlock_is_retried(pg_url: str) -> None:
    deps = pg_deps(pg_url, deadlock_timeout="100ms")
    other = hold_head(pg_url)

    def close_the_cycle() -> None:
        waiting_pid(pg_url)  # the service holds the advisory lock, waits for the head
        other.execute("SELECT pg_advisory_xact_lock(7)")  # granted once it is the victim
        other.rollback()

    @retried
    def lock_then_append(attempts: list[int]) -> None:
        attempts.append(1)
        with deps.writing() as session:
            session.connection().exec_driver_sql("SELECT pg_advisory_xact_lock(7)")
            journal.append(session, actor=AGENT.actor, action="note", outcome="ok",
                           at=deps.clock())

    closer = threading.Thread(target=close_the_cycle)
    closer.start()
    attempts: list[int] = []
    lock_then_append(attempts)
    closer.join()

    other.close()
    assert attempts == [1, 1]
    assert entries(deps) == 1
    deps.engine.dispose()


@pytest.mark.postgres
def test_a_connection_killed_during_the_service_is_retried(pg_url: str) -> None:
    deps = pg_deps(pg_url, lock_timeout_ms=30_000)
    other = hold_head(pg_url)

    def kill_then_release() -> None:
        pid = waiting_pid(pg_url)
        with psycopg.connect(libpq(pg_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        other.rollback()

    killer = threading.Thread(target=kill_then_release)
    killer.start()
    hits = retried(search_voters)(deps, AGENT, "dupont")
    killer.join()

    other.close()
    assert hits == []
    assert entries(deps) == 1
    deps.engine.dispose()


@pytest.mark.postgres
def test_a_connection_lost_during_commit_is_not_retried(pg_url: str) -> None:
    deps = pg_deps(pg_url)
    attempts: list[int] = []

    @retried
    def cut_before_commit() -> None:
        attempts.append(1)
        with deps.writing() as session:
            journal.append(session, actor=AGENT.actor, action="note", outcome="ok",
                           at=deps.clock())
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with psycopg.connect(libpq(pg_url), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))

    with pytest.raises(OutcomeUnknown, match="consultez le dossier"):
        cut_before_commit()
    assert attempts == [1]
    deps.engine.dispose()
