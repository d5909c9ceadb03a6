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


def test_a_sequencer_killed_mid_batch_leaves_the_whole_batch_queued(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)  # this process waits
    url = postgres_store.url.render_as_string(hide_password=False)
    libpq = postgres_store.url.set(drivername="postgresql").render_as_string(
        hide_password=False)
    admin = psycopg.connect(libpq, autocommit=True)
    admin.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))  # a backlog builds up
    for number in range(5):
        with write_session(postgres_store) as session:
            journal.append(session, actor=ACTOR, action="note", outcome="ok", at=NOW,
                           details={"number": number})
    # The last queued entry locked: the sequencer's batch stops at its DELETE, after
    # its INSERT into the chain.
    blocker = psycopg.connect(libpq)
    blocker.execute("SELECT id FROM journal_queue ORDER BY id DESC LIMIT 1 FOR UPDATE")
    admin.execute("SELECT pg_advisory_unlock(%s)", (sequencer.LOCK_KEY,))
    child = multiprocessing.get_context("fork").Process(target=_sequencer_process, args=(url,))
    child.start()
    until(lambda: bool(_backends(
        admin, "wait_event_type = 'Lock' AND query LIKE '%DELETE FROM journal_queue%'")))

    os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    child.join()
    blocker.rollback()
    until(lambda: not _backends(admin))  # its server process saw it go, and rolled back

    with read_session(postgres_store) as session:
        assert journal.head(session)[0] == 0
        assert session.execute(select(func.count()).select_from(JournalEntry)).scalar_one() == 0
        assert sequencer.pending(session).count == 5
    assert sequencer.integrate(postgres_store) == 5
    deps = Deps(engine=postgres_store, key=TEST_KEY)
    assert verify_journal(deps, SUPERVISOR).describe() == "journal intègre : 5 entrées"
    blocker.close()
    admin.close()
