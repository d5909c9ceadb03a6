"""The cell through crashes, in short (bench/crash.py): workstations and a sequencer
killed with SIGKILL during the load and restarted, the PostgreSQL server stopped once
with ``pg_ctl stop -m immediate`` and restarted. Runs on a private server of its own,
never on the shared one; skipped when the PostgreSQL server programs are not installed.
Then a sequencer killed in the middle of a batch, at a chosen moment."""

import multiprocessing
import os
import signal

import psycopg
import pytest
from sqlalchemy import Engine, func, select

from bench import crash
from bench.workload import postgres_bin
from csu.services.audit import verify_journal
from csu.services.context import Deps
from csu.store import journal, sequencer
from csu.store.engine import make_engine, read_session, write_session
from csu.store.journal import Actor
from csu.store.tables import JournalEntry
from tests.conftest import NOW, SUPERVISOR, TEST_KEY
from tests.waiting import until

ACTOR = Actor(operator="agent", role="agent", workstation="poste-1")
needs_server_programs = pytest.mark.skipif(
    postgres_bin() is None,
    reason="PostgreSQL server programs (initdb, pg_ctl) not installed; set CSU_PG_BIN to "
    "their folder",
)
pytestmark = pytest.mark.postgres


@needs_server_programs
def test_nothing_acknowledged_is_lost_through_kills_and_a_server_crash() -> None:
    crashes = crash.run(workstations=4, duration=12, kills=4, voters=3_000, seed=7, quiet=True)

    checked = crashes.checked
    assert crashes.ledgers.incarnations > 4  # killed workstations came back
    assert crashes.sequencer_kills >= 1  # and so did a killed sequencer
    assert checked.acknowledged > 100
    assert checked.missing == []
    assert checked.repeated == []
    assert checked.mismatched == []
    assert checked.untried == []
    assert checked.journal_ok and checked.gap_free
    assert checked.doubles == [] and checked.stale == 0


def _sequencer_process(url: str) -> None:
    """A sequencer in a process of its own, to be killed mid-batch."""
    engine = make_engine(url, connect_args={"application_name": "csu-killed-sequencer"})
    sequencer.integrate(engine)


def _backends(admin: psycopg.Connection, condition: str = "true") -> list[int]:
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'csu-killed-sequencer' "
        f"AND datname = current_database() AND {condition}"
    ).fetchall()
    return [row[0] for row in rows]


class StoppedBatch:
    """A sequencer in a process of its own, stopped in the middle of a batch of five
    entries: after its INSERT into the chain, at its DELETE from the queue, whose last
    entry another transaction (``blocker``) holds locked."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url.render_as_string(hide_password=False)
        libpq = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.admin = psycopg.connect(libpq, autocommit=True)
        self.admin.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))  # a backlog
        for number in range(5):
            with write_session(engine) as session:
                journal.append(session, actor=ACTOR, action="note", outcome="ok", at=NOW,
                               details={"number": number})
        self.blocker = psycopg.connect(libpq)
        self.blocker.execute("SELECT id FROM journal_queue ORDER BY id DESC LIMIT 1 FOR UPDATE")
        self.admin.execute("SELECT pg_advisory_unlock(%s)", (sequencer.LOCK_KEY,))
        self.child = multiprocessing.get_context("fork").Process(
            target=_sequencer_process, args=(url,))
        self.child.start()
        until(lambda: bool(self.backend()))

    def backend(self) -> list[int]:
        """The batch's server process, while it waits at the DELETE (csu_journal_integrate,
        one statement)."""
        return _backends(
            self.admin, "wait_event_type = 'Lock' AND query LIKE '%csu_journal_integrate%'")

    def kill_process(self) -> None:
        os.kill(self.child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        self.child.join()

    def finish(self) -> None:
        """Let the DELETE go on, and wait until the batch's server process is gone."""
        self.blocker.rollback()
        until(lambda: not _backends(self.admin))
        self.blocker.close()
        self.admin.close()


def chain_and_queue(engine: Engine) -> tuple[int, int, int]:
    """The head's position, the entries chained, the entries queued."""
    with read_session(engine) as session:
        return (
            journal.head(session)[0],
            session.execute(select(func.count()).select_from(JournalEntry)).scalar_one(),
            sequencer.pending(session).count,
        )


def test_a_sequencer_killed_mid_batch_leaves_nothing_half_integrated(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)  # this process waits
    stopped = StoppedBatch(postgres_store)
    stopped.kill_process()
    stopped.finish()

    # The batch is one statement on the server: it no longer needs its sequencer's
    # process, and commits whole once the lock it waited for is free.
    assert chain_and_queue(postgres_store) == (5, 5, 0)
    assert sequencer.integrate(postgres_store) == 0
    deps = Deps(engine=postgres_store, key=TEST_KEY)
    assert verify_journal(deps, SUPERVISOR).describe() == "journal intègre : 5 entrées"


def test_a_batch_whose_server_process_dies_leaves_the_whole_batch_queued(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)  # this process waits
    stopped = StoppedBatch(postgres_store)
    (pid,) = stopped.backend()
    stopped.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    stopped.child.join()
    stopped.finish()

    assert chain_and_queue(postgres_store) == (0, 0, 5)  # its inserts rolled back with it
    assert sequencer.integrate(postgres_store) == 5
    deps = Deps(engine=postgres_store, key=TEST_KEY)
    assert verify_journal(deps, SUPERVISOR).describe() == "journal intègre : 5 entrées"
