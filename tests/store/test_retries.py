"""Retrying a whole service when its transaction meets a failure that a new attempt
cures, provoked for real: a SQLite file locked by another connection, a lock timeout
and a deadlock on PostgreSQL's journal head, a connection killed by the server, and a
connection lost during COMMIT (never retried: nobody knows whether it committed).
Then issue 16: a deadlock in the delivery of a notice after its key was issued, and
the lock order that keeps an issue and a verification of the same voter apart.

The journal head is locked by actions only with the direct append
(``CSU_JOURNAL_APPEND=direct``; by default PostgreSQL queues entries for the
sequencer): the tests built on it run that way (``direct_append``); a deadlock with
the queued append is forced on a row instead."""

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from csu.delivery import Message
from csu.domain.clock import fixed_clock
from csu.services.context import (
    Deps,
    OutcomeUnknown,
    PartlyRecorded,
    ServiceError,
    StoreBusy,
    retried,
)
from csu.services.credentials import issue_credential
from csu.services.outbox import STALE_CLAIM, deliver_due
from csu.services.verification import verify_identity
from csu.services.voters import search_voters
from csu.store import journal, sequencer
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from csu.store.tables import Credential, JournalEntry, OutboundMessage
from tests.conftest import AGENT, NOW, TEST_KEY, PostgresServer
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    Outbox,
    desk_fixture,
    entries,
    open_call,
    verified_call,
)

KEY = "security_key"


def count(deps: Deps) -> int:
    """How many journal entries the store holds."""
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
    assert count(deps) == 1


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
    assert count(deps) == 0


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

    with pytest.raises(PartlyRecorded, match="enregistrée qu'en partie") as raised:
        two_steps()

    holder[0].rollback()
    assert "database is locked" in str(raised.value.__cause__)
    assert attempts == [1]
    assert count(deps) == 1


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
    assert count(deps) == 2


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
def direct_append(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every action locks the journal head, as before the queue (issue 16)."""
    monkeypatch.setattr(journal, "QUEUED", False)


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.fresh_database()
    yield url
    postgres_server.drop(make_url(url).database or "")


def pg_engine(url: str, **options: int | str) -> Engine:
    """The engine of the workstation under test, named so that the test finds its
    backends on the server."""
    connect_args = {"application_name": "csu-retry-test"}
    if "deadlock_timeout" in options:
        connect_args["options"] = (
            f"-c lock_timeout=0 -c deadlock_timeout={options.pop('deadlock_timeout')}"
        )
    return make_engine(url, connect_args=connect_args, **options)  # type: ignore[arg-type]


def pg_deps(url: str, **options: int | str) -> Deps:
    return Deps(engine=pg_engine(url, **options), key=TEST_KEY, clock=fixed_clock(NOW))


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def hold_head(url: str) -> psycopg.Connection:
    """Another workstation in the middle of an append: the chain head locked."""
    other = psycopg.connect(libpq(url))
    other.execute("SET deadlock_timeout = '30s'")  # the other side is the victim
    other.execute("SELECT seq FROM journal_head WHERE id = 1 FOR UPDATE")
    return other


def waiting_pid(url: str, timeout: float = 10, backends: int = 1) -> int:
    """The backend of the service under test once it waits for a lock (once
    ``backends`` of its backends wait). In its own database: another test of the same
    kind, on another xdist worker, may have a backend waiting at the same moment."""
    with psycopg.connect(libpq(url), autocommit=True) as probe:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = probe.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'csu-retry-test' "
                "AND datname = current_database() AND wait_event_type = 'Lock' ORDER BY pid"
            ).fetchall()
            if len(rows) >= backends:
                return int(rows[0][0])
            time.sleep(0.01)
    raise AssertionError("the service never waited for the lock")


@pytest.mark.postgres
@pytest.mark.usefixtures("direct_append")
def test_a_lock_timeout_on_the_journal_head_is_retried(
    pg_url: str, on_first_retry: Callable[[Callable[[], None]], None]
) -> None:
    deps = pg_deps(pg_url, lock_timeout_ms=100)
    other = hold_head(pg_url)
    on_first_retry(other.rollback)

    hits = retried(search_voters)(deps, AGENT, "dupont")

    other.close()
    assert hits == []
    assert count(deps) == 1
    deps.engine.dispose()


@pytest.mark.postgres
@pytest.mark.usefixtures("direct_append")
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
    assert count(deps) == 1
    deps.engine.dispose()


@pytest.mark.postgres
def test_the_victim_of_a_deadlock_with_a_queued_entry_is_retried_and_journalled_once(
    pg_url: str,
) -> None:
    """The default append on PostgreSQL: the entry of the cancelled attempt is rolled
    back with it, the retry's entry is chained once."""
    deps = pg_deps(pg_url, deadlock_timeout="100ms")
    with deps.writing() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO csu_meta (key, value) VALUES ('contended', 'x')")
    other = psycopg.connect(libpq(pg_url))
    other.execute("SET deadlock_timeout = '30s'")  # the other side is the victim
    other.execute("SELECT key FROM csu_meta WHERE key = 'contended' FOR UPDATE")

    def close_the_cycle() -> None:
        waiting_pid(pg_url)  # the service holds the advisory lock, waits for the row
        other.execute("SELECT pg_advisory_xact_lock(7)")  # granted once it is the victim
        other.rollback()

    @retried
    def lock_then_append(attempts: list[int]) -> None:
        attempts.append(1)
        with deps.writing() as session:
            connection = session.connection()
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7)")
            journal.append(session, actor=AGENT.actor, action="note", outcome="ok",
                           at=deps.clock())
            connection.exec_driver_sql(
                "SELECT key FROM csu_meta WHERE key = 'contended' FOR UPDATE")

    closer = threading.Thread(target=close_the_cycle)
    closer.start()
    attempts: list[int] = []
    lock_then_append(attempts)
    closer.join()

    other.close()
    assert attempts == [1, 1]
    assert count(deps) == 1
    with deps.reading() as session:
        assert sequencer.pending(session).count == 0
    deps.engine.dispose()


@pytest.mark.postgres
@pytest.mark.usefixtures("direct_append")
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
    assert count(deps) == 1
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


# ------------------------------------------------- issue 16: deliveries, lock order


class Courier(Outbox):
    """The outbox folder, and what another workstation does while a message is sent
    (between the claim of the message and its settlement, two transactions)."""

    def __init__(self, folder: Path, meanwhile: Callable[[], None]) -> None:
        super().__init__(folder)
        self.meanwhile = meanwhile

    def send(self, message: Message) -> str:
        self.meanwhile()
        return super().send(message)


def retries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "csu.services.context" and "retrying" in r.getMessage()]


def message_states(deps: Deps) -> list[str]:
    with deps.reading() as session:
        return list(session.execute(
            select(col(OutboundMessage.state)).order_by(col(OutboundMessage.id))
        ).scalars())


def active_key(deps: Deps, material_id: int) -> int | None:
    with deps.reading() as session:
        return session.execute(
            select(col(Credential.id)).where(col(Credential.material_id) == material_id,
                                             col(Credential.kind) == KEY,
                                             col(Credential.status) == "active")
        ).scalar_one_or_none()


def desk_url(desk: Desk) -> str:
    return desk.deps.engine.url.render_as_string(hide_password=False)


@pytest.mark.postgres
@pytest.mark.parametrize("desk", ["postgresql"], indirect=True)
@pytest.mark.usefixtures("direct_append")
def test_a_deadlock_in_the_notice_delivery_after_the_issue_is_retried_and_the_key_given(
    desk: Desk, caplog: pytest.LogCaptureFixture,
) -> None:
    """The two rows of the settlement (the message, then the journal head), locked in
    the opposite order by another workstation: PostgreSQL cancels the settlement after
    the server's deadlock_timeout, and it is retried on its own, as the key committed."""
    url = desk_url(desk)
    closer: list[threading.Thread] = []

    def another_workstation_appends() -> None:
        if closer:
            return
        other = hold_head(url)  # the head first (its victim: the service)
        message = other.execute(
            "SELECT id FROM outbound_message WHERE state = 'sending'").fetchone()
        assert message is not None

        def close_the_cycle() -> None:
            waiting_pid(url)  # the settlement locked the message, waits for the head
            other.execute("SELECT id FROM outbound_message WHERE id = %s FOR UPDATE", message)
            other.rollback()  # granted once the settlement was cancelled
            other.close()

        closer.append(threading.Thread(target=close_the_cycle))
        closer[0].start()

    courier = Courier(desk.tmp_path / "courier", another_workstation_appends)
    deps = replace(desk.deps, engine=pg_engine(url), delivery=courier)
    call = verified_call(desk, desk.caller)
    caplog.set_level(logging.WARNING, logger="csu.services.context")

    issued = issue_credential(deps, AGENT, call, desk.caller.material_id, KEY)

    closer[0].join(timeout=30)
    assert not closer[0].is_alive()
    # Under a heavy load the server may report the cycle from another statement, as
    # the driver's generic OperationalError: retried the same way (seen once in CI).
    assert retries(caplog) in (
        ["_settle: attempt 1 failed (DeadlockDetected), retrying"],
        ["_settle: attempt 1 failed (OperationalError), retrying"],
    )
    assert active_key(deps, desk.caller.material_id) == issued.credential_id
    assert len(courier.sent) == 1  # the notice went out once
    assert message_states(deps) == ["sent"]
    assert len(entries(deps, "credential_issue")) == 1
    assert len(entries(deps, "message_sent")) == 1
    deps.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("desk", ["postgresql"], indirect=True)
@pytest.mark.usefixtures("direct_append")
def test_an_issue_and_a_verification_of_the_same_voter_at_once_do_not_deadlock(
    desk: Desk, caplog: pytest.LogCaptureFixture,
) -> None:
    """One agent issues a key (then queues a notice naming the voter, holding the
    journal head) while another verifies the same voter (the voter's row locked, waiting
    for the head): the verification's lock lets the notice's insert through."""
    url = desk_url(desk)
    deps = replace(desk.deps, engine=pg_engine(url))
    issuing = verified_call(desk, desk.caller)
    checking = open_call(desk, desk.caller, AGENT_2).id
    caplog.set_level(logging.WARNING, logger="csu.services.context")
    gate = hold_head(url)  # both queue behind it, the issue first

    with ThreadPoolExecutor(2) as pool:
        issue = pool.submit(issue_credential, deps, AGENT, issuing,
                            desk.caller.material_id, KEY)
        waiting_pid(url)
        verification = pool.submit(verify_identity, deps, AGENT_2, checking,
                                   desk.caller.phone_answers())
        waiting_pid(url, backends=2)
        gate.rollback()
        issued = issue.result(timeout=30)
        checked = verification.result(timeout=30)

    gate.close()
    assert retries(caplog) == []
    assert checked.verified
    assert active_key(deps, desk.caller.material_id) == issued.credential_id
    assert len(entries(deps, "credential_issue", issuing)) == 1
    assert [e["outcome"] for e in entries(deps, "verification", checking)] == ["vérifié"]
    deps.engine.dispose()


@pytest.mark.parametrize("desk", ["sqlite"], indirect=True)
def test_a_store_out_of_reach_during_the_notice_leaves_it_queued_and_the_key_given(
    desk: Desk,
) -> None:
    """The key committed: the store busy past every attempt of the notice's settlement
    changes nothing for the agent; the claimed notice goes out on a later pass."""
    path = Path(desk.deps.engine.url.database or "")
    holder: list[sqlite3.Connection] = []

    def another_workstation_writes() -> None:
        if not holder:
            holder.append(write_lock(path))

    courier = Courier(desk.tmp_path / "courier", another_workstation_writes)
    engine = make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=20)
    deps = replace(desk.deps, engine=engine, delivery=courier)
    call = verified_call(desk, desk.caller)

    issued = issue_credential(deps, AGENT, call, desk.caller.material_id, KEY)

    holder[0].rollback()
    assert active_key(deps, desk.caller.material_id) == issued.credential_id
    assert message_states(deps) == ["sending"]  # sent, not yet settled
    desk.clock.advance(seconds=STALE_CLAIM.total_seconds() + 1)
    deliver_due(deps)
    assert message_states(deps) == ["sent"]
    assert len(courier.sent) == 2  # at least once: the voter may read it twice
    engine.dispose()
