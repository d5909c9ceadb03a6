"""The journal's queue and sequencer on PostgreSQL (issue 16): an action commits its
entry unsequenced, a sequencer chains committed entries in batches; SQLite keeps the
direct append."""

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from csu.domain.journal import ENTRY_FIELDS, GENESIS_HASH, canonical_form, chain_hash
from csu.services.audit import (
    describe_backlog,
    export_journal,
    integrate_journal,
    journal_backlog,
    pending_entries,
    verify_journal,
)
from csu.services.context import Deps
from csu.services.journal_review import ReviewFilter
from csu.store import journal, sequencer
from csu.store.engine import read_session, write_session
from csu.store.journal import Actor, Appended
from csu.store.tables import JournalEntry, JournalQueued
from tests.cli_support import assert_done, clean_environment, csu, said
from tests.conftest import NOW, SUPERVISOR, TEST_KEY
from tests.waiting import until

ACTOR = Actor(operator="agent", role="agent", workstation="poste-1")

pytestmark = pytest.mark.postgres


def note(session: Session, number: int = 0, operator: str = "agent") -> Appended:
    return journal.append(
        session,
        actor=Actor(operator=operator, role="agent", workstation="poste-1"),
        action="consultation",
        outcome="ok",
        at=NOW,
        details={"number": number},
    )


def append_entries(engine: Engine, count: int) -> list[Appended]:
    found = []
    for number in range(count):
        with write_session(engine) as session:
            found.append(note(session, number))
    return found


def chain(engine: Engine) -> list[tuple[int, str]]:
    """``(seq, event_id)`` of the chained entries."""
    with read_session(engine) as session:
        return [
            (row[0], row[1])
            for row in session.execute(
                select(JournalEntry.seq, JournalEntry.event_id).order_by(JournalEntry.seq)
            )
        ]


def queued(engine: Engine) -> int:
    with read_session(engine) as session:
        return session.execute(select(func.count()).select_from(JournalQueued)).scalar_one()


def libpq(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def role_held(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[psycopg.Connection]:
    """Another sequencer at work: it holds the role, this process cannot integrate
    (and its background sequencer, started on seeing the cell busy, waits)."""
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)
    other = psycopg.connect(libpq(postgres_store), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))
    yield other
    other.close()


def release(other: psycopg.Connection) -> None:
    other.execute("SELECT pg_advisory_unlock(%s)", (sequencer.LOCK_KEY,))


def test_an_entry_is_queued_with_its_change_and_chained_after_the_commit(
    postgres_store: Engine,
) -> None:
    with write_session(postgres_store) as session:
        appended = note(session)
        inside = session.execute(select(func.count()).select_from(JournalQueued)).scalar_one()
        assert (appended.seq, appended.hash, inside) == (None, None, 1)
    assert chain(postgres_store) == [(1, appended.event_id)]
    assert queued(postgres_store) == 0


def test_an_entry_waits_while_another_sequencer_holds_the_role(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    append_entries(postgres_store, 2)
    assert chain(postgres_store) == []
    assert queued(postgres_store) == 2
    release(role_held)
    assert sequencer.integrate(postgres_store) == 2
    assert [seq for seq, _ in chain(postgres_store)] == [1, 2]


def test_an_entry_whose_try_was_lost_is_chained_by_its_process_with_no_other_commit(
    postgres_store: Engine, role_held: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No lost wake-up: the holder of the role does not look at the queue again after its
    batch; the workstation whose try it lost leaves its entry to its own duty thread."""
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 0.0)  # as in production
    (appended,) = append_entries(postgres_store, 1)
    assert queued(postgres_store) == 1
    release(role_held)  # and nothing is committed after it
    until(lambda: queued(postgres_store) == 0, timeout=5)
    assert chain(postgres_store) == [(1, appended.event_id)]


def test_a_workstation_at_its_bound_of_full_batches_hands_the_rest_to_the_background(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After its commit a workstation chains at most a few batches, and does not look at
    the queue again: a full last batch says more waits, for its duty thread."""
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 0.0)  # as in production
    raw = postgres_store.raw_connection()
    try:
        driver = raw.driver_connection
        for number in range(7):  # queued as a backlog is, with no commit chaining them
            stored, body = journal._entry(
                ACTOR, "note", "ok", NOW, None, None, None, {"number": number}
            )
            driver.execute(
                "INSERT INTO journal_queue (event_id, body) VALUES (%s, %s)",
                (stored["event_id"], body),
            )
        driver.commit()
        chained, lost = sequencer._integrate_on(driver, postgres_store, 2, batch=2, look=False)
    finally:
        raw.close()
    assert (chained, lost) == (4, False)
    until(lambda: queued(postgres_store) == 0, timeout=5)
    assert len(chain(postgres_store)) == 7


def test_verify_checks_the_chain_and_tells_what_waits(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    deps = Deps(engine=postgres_store, key=TEST_KEY)
    release(role_held)
    append_entries(postgres_store, 3)
    role_held.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))
    append_entries(postgres_store, 2)
    time.sleep(0.05)

    assert verify_journal(deps, SUPERVISOR).describe() == "journal intègre : 3 entrées"
    backlog = journal_backlog(deps, SUPERVISOR)
    assert backlog.count == 2 and backlog.waited >= 0.05
    assert describe_backlog(backlog).startswith("2 entrées en attente d'intégration")


def test_a_lower_id_committed_later_is_chained_after_and_never_skipped(
    postgres_store: Engine,
) -> None:
    slow = Session(postgres_store)
    slow.begin()
    late = note(slow, 1)  # queued first: the lower id, not committed yet
    with write_session(postgres_store) as session:
        early = note(session, 2)
    assert chain(postgres_store) == [(1, early.event_id)]  # the invisible one waits
    slow.commit()
    slow.close()
    assert chain(postgres_store) == [(1, early.event_id), (2, late.event_id)]
    deps = Deps(engine=postgres_store, key=TEST_KEY)
    assert verify_journal(deps, SUPERVISOR).ok


def test_a_backlog_is_chained_in_batches_in_queue_order(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    appended = append_entries(postgres_store, 7)
    release(role_held)
    assert sequencer.integrate(postgres_store, batch=3) == 7
    assert chain(postgres_store) == [(n + 1, a.event_id) for n, a in enumerate(appended)]
    assert verify_journal(Deps(engine=postgres_store, key=TEST_KEY), SUPERVISOR).ok


# A workstation's name may hold, as typed, a backslash followed by "u0000": read exactly,
# beside a detail holding U+0000 itself.
WORKSTATION = "poste «1» \\u0000"
HOSTILE_DETAILS = [
    {"reason": "nul \x00 octet, « guillemets » \"doubles\" et \\ barre"},
    {"note": "émoji 🗳️, e\u0301 décomposé, \u202e à rebours, \ud7ff"},
    {"ligne": "deux\nlignes\ttabulées", "nombre": 2**53 + 1, "vrai": True, "rien": None},
]


def test_the_servers_batch_chains_as_the_domain_hashes_whatever_the_entry_holds(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    """The batch runs on the server (csu_journal_integrate, migration 0019): its chain
    hash and the entry's indexed columns are those csu.domain.journal gives the body,
    whatever bytes a free-text detail holds."""
    appended = []
    for details in HOSTILE_DETAILS:
        with write_session(postgres_store) as session:
            appended.append(journal.append(
                session, actor=Actor(operator="agent", role="agent", workstation=WORKSTATION),
                action="note", outcome="ok", at=NOW, subject="p-1", details=details,
            ))  # fmt: skip
    release(role_held)
    assert sequencer.integrate(postgres_store) == len(HOSTILE_DETAILS)

    with read_session(postgres_store) as session:
        rows = session.execute(select(JournalEntry).order_by(JournalEntry.seq)).scalars().all()
    previous = GENESIS_HASH
    for row, queued_entry, details in zip(rows, appended, HOSTILE_DETAILS, strict=True):
        assert row.event_id == queued_entry.event_id
        assert row.hash == chain_hash(row.seq, previous, row.body)
        fields = json.loads(row.body)
        assert fields["details"] == canonical_form({"details": details})[0]["details"]
        for name in ENTRY_FIELDS[:-1]:  # every field but the details is a column too
            assert getattr(row, name) == fields[name], name
        previous = row.hash
    assert verify_journal(Deps(engine=postgres_store, key=TEST_KEY), SUPERVISOR).ok


def test_a_busy_cell_is_integrated_in_the_background(
    postgres_store: Engine, role_held: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tries lost to the holder of the role, many in a second: the cell is seen busy.
    appended = append_entries(postgres_store, sequencer.BUSY_FAILURES)
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 0.0)
    release(role_held)
    with write_session(postgres_store) as session:
        last = note(session, 3)  # busy: left to the background sequencer
    deadline = time.monotonic() + 10
    while queued(postgres_store) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chain(postgres_store) == [
        (n + 1, a.event_id) for n, a in enumerate([*appended, last])
    ]


def made_busy(engine: Engine, holder: psycopg.Connection) -> list[Appended]:
    """Entries appended while another sequencer holds the role: their tries, lost,
    make this process see the cell busy (its duty thread starts). The role is then
    free again."""
    appended = append_entries(engine, sequencer.BUSY_FAILURES)
    release(holder)
    return appended


def duty_holders(admin: psycopg.Connection) -> list[int]:
    """The server processes holding the duty's session lock in this database."""
    rows = admin.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND ((classid::bigint << 32) | objid::bigint) = %s",
        (sequencer.DUTY_KEY,),
    ).fetchall()
    return [row[0] for row in rows]


def test_a_busy_process_takes_the_duty_and_chains_what_it_left(
    postgres_store: Engine, role_held: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    appended = made_busy(postgres_store, role_held)
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 0.0)
    until(lambda: duty_holders(role_held))  # this process's duty thread holds it
    until(lambda: not queued(postgres_store))
    assert chain(postgres_store) == [(n + 1, a.event_id) for n, a in enumerate(appended)]


def test_while_another_process_is_on_duty_a_commit_leaves_its_entry_to_it(
    postgres_store: Engine, role_held: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer, "STALE", 3600.0)
    role_held.execute("SELECT pg_advisory_lock(%s)", (sequencer.DUTY_KEY,))  # on duty
    made_busy(postgres_store, role_held)
    until(lambda: sequencer._duty_seen.get(postgres_store, 0.0) > time.monotonic())

    with write_session(postgres_store) as session:
        note(session, 99)
    # The role is free, yet the commit returned without a try: the one on duty chains.
    assert queued(postgres_store) == sequencer.BUSY_FAILURES + 1
    assert sequencer.integrate(postgres_store) == sequencer.BUSY_FAILURES + 1


def test_entries_left_to_a_holder_that_no_longer_chains_are_chained_by_another(
    postgres_store: Engine, role_held: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The holder of the duty is stopped (it keeps its lock, and does nothing).
    monkeypatch.setattr(sequencer, "STALE", 0.3)
    role_held.execute("SELECT pg_advisory_lock(%s)", (sequencer.DUTY_KEY,))
    appended = made_busy(postgres_store, role_held)
    until(lambda: not queued(postgres_store))
    assert chain(postgres_store) == [(n + 1, a.event_id) for n, a in enumerate(appended)]
    assert duty_holders(role_held) == [role_held.info.backend_pid]


def test_the_duty_is_taken_again_after_its_connection_is_lost(
    postgres_store: Engine, role_held: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    made_busy(postgres_store, role_held)
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 0.0)
    until(lambda: duty_holders(role_held))
    [first] = duty_holders(role_held)
    role_held.execute("SELECT pg_terminate_backend(%s)", (first,))
    with write_session(postgres_store) as session:
        last = note(session, 99)  # left to the duty, which has to come back for it
    until(lambda: not queued(postgres_store))
    assert chain(postgres_store)[-1][1] == last.event_id
    assert duty_holders(role_held) not in ([], [first])


def test_a_server_s_resident_sequencer_chains_what_its_requests_queue(
    postgres_store: Engine,
) -> None:
    with sequencer.resident(postgres_store, every=3600):  # never wakes before the end
        appended = append_entries(postgres_store, 3)
        # The commits returned without integrating: off the requests' path.
        assert (chain(postgres_store), queued(postgres_store)) == ([], 3)
    assert chain(postgres_store) == [(n + 1, a.event_id) for n, a in enumerate(appended)]


def test_a_resident_sequencer_chains_within_a_fraction_of_a_second(
    postgres_store: Engine,
) -> None:
    with sequencer.resident(postgres_store):
        [appended] = append_entries(postgres_store, 1)
        deadline = time.monotonic() + 10
        while queued(postgres_store) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert chain(postgres_store) == [(1, appended.event_id)]


def test_a_sequencer_finds_nothing_to_do_while_another_holds_the_role(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    append_entries(postgres_store, 1)
    assert sequencer.integrate(postgres_store) == 0
    assert queued(postgres_store) == 1


def prepared_after_six_batches(engine: Engine) -> list[str]:
    """The statements psycopg keeps prepared on a connection after six batches, each
    ending without chaining anything (psycopg prepares a statement on its fifth run,
    and throws them all away after a ROLLBACK, by DEALLOCATE ALL)."""
    with psycopg.connect(libpq(engine)) as driver:
        for _ in range(6):
            assert not sequencer.integrate_batch(driver)
        return [row[0] for row in driver.execute("SELECT statement FROM pg_prepared_statements")]


def test_a_batch_finding_the_queue_empty_keeps_the_connections_prepared_statements(
    postgres_store: Engine,
) -> None:
    assert any("csu_journal_integrate" in statement for statement in prepared_after_six_batches(
        postgres_store
    ))


def test_a_batch_finding_the_role_taken_keeps_the_connections_prepared_statements(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    assert any("csu_journal_integrate" in statement for statement in prepared_after_six_batches(
        postgres_store
    ))


def test_the_queue_refuses_edits_and_deleting_an_entry_not_chained(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    append_entries(postgres_store, 1)
    for statement in (
        "UPDATE journal_queue SET body = 'x'",
        "DELETE FROM journal_queue",
        "TRUNCATE journal_queue",
    ):
        with pytest.raises(DBAPIError), postgres_store.begin() as conn:
            conn.exec_driver_sql(statement)
    assert queued(postgres_store) == 1


def test_the_head_moves_only_onto_a_chained_entry(postgres_store: Engine) -> None:
    append_entries(postgres_store, 2)
    refused = pytest.raises(DBAPIError, match="n'avance que sur une entrée")
    with refused, postgres_store.begin() as conn:
        conn.exec_driver_sql("UPDATE journal_head SET seq = 5")


def test_the_position_of_a_queued_entry_is_known_once_chained(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    with write_session(postgres_store) as session:
        appended = note(session)
    threading.Timer(0.2, release, (role_held,)).start()
    assert journal.position(postgres_store, appended, timeout=5) == 1


def test_the_review_and_the_export_show_waiting_entries(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    deps = Deps(engine=postgres_store, key=TEST_KEY)
    with write_session(postgres_store) as session:
        note(session, 1, operator="alice")
        note(session, 2, operator="bruno")

    shown = pending_entries(deps, SUPERVISOR, ReviewFilter(operator="bruno"))
    assert [(e.operator, e.details) for e in shown] == [("bruno", {"number": 2})]

    lines: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            lines.append(text)

    assert export_journal(deps, SUPERVISOR, Out(), where=ReviewFilter(operator="alice")) == 1  # type: ignore[arg-type]
    assert '"seq": null' in lines[0] and '"operator": "alice"' in lines[0]


def test_the_waiting_entries_of_an_intervention_are_read_from_their_bodies(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    with write_session(postgres_store) as session:
        for intervention in ("i-1", "i-2", "i-1"):
            journal.append(session, actor=ACTOR, action="note", outcome="ok", at=NOW,
                           intervention=intervention)
    with read_session(postgres_store) as session:
        found = journal.waiting(session, intervention="i-1")
    assert [(f["intervention"], f["seq"], f["hash"]) for f in found] == [
        ("i-1", None, None), ("i-1", None, None)
    ]


def test_integrate_by_hand_chains_what_waits(
    postgres_store: Engine, role_held: psycopg.Connection
) -> None:
    deps = Deps(engine=postgres_store, key=TEST_KEY)
    append_entries(postgres_store, 3)
    release(role_held)
    assert integrate_journal(deps, SUPERVISOR) == 3
    assert journal_backlog(deps, SUPERVISOR).count == 0


def test_the_direct_append_still_chains_at_once(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal, "QUEUED", False)
    with write_session(postgres_store) as session:
        appended = note(session)
        assert appended.seq == 1
    assert queued(postgres_store) == 0


def test_csu_audit_integrate_chains_what_waits_and_verify_tells_the_rest(
    postgres_store: Engine,
    role_held: psycopg.Connection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", "une-clé-de-déploiement-assez-longue")
    url = postgres_store.url.render_as_string(hide_password=False)
    append_entries(postgres_store, 2)

    verified = csu("audit", "verify", "--db", url)
    assert_done(verified)
    assert "journal intègre : 0 entrée" in said(verified)
    assert "2 entrées en attente d'intégration à la chaîne" in said(verified)

    release(role_held)
    integrated = csu("audit", "integrate", "--db", url)
    assert_done(integrated)
    assert "2 entrées intégrées ; aucune entrée en attente d'intégration" in said(integrated)
    assert queued(postgres_store) == 0


def test_csu_audit_integrate_says_in_french_why_the_batch_is_refused(
    postgres_store: Engine,
    role_held: psycopg.Connection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server's batch refuses to run (its chain head gone, by hand in the database):
    the command says why, without a traceback. (A queued row that is no entry is set
    aside instead: tests/store/test_journal_queue_checks.py.)"""
    clean_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", "une-clé-de-déploiement-assez-longue")
    append_entries(postgres_store, 1)
    with psycopg.connect(libpq(postgres_store), autocommit=True) as conn:
        conn.execute("ALTER TABLE journal_head DISABLE TRIGGER USER")
        conn.execute("DELETE FROM journal_head")
        conn.execute("ALTER TABLE journal_head ENABLE TRIGGER USER")
    release(role_held)
    url = postgres_store.url.render_as_string(hide_password=False)

    refused = csu("audit", "integrate", "--db", url)
    assert refused.exit_code == 1
    assert (
        "Intégration refusée : tête du journal absente : lancez « csu init » ; les entrées "
        "restent en attente."
    ) in said(refused)
    assert "Traceback" not in said(refused)
    assert queued(postgres_store) == 1
