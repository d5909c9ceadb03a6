"""Journal: appends per second from one process, and verification of N entries, on
SQLite; on PostgreSQL (a private server, bench/workload.py), the CPU and time of one
journalled transaction whose entry is queued and then chained by the workstation that
committed it (csu/store/sequencer.py): the journal's share of every action there; and
a backlog of N entries chained by the server's batch, then verified."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bench.common import ADMIN, fresh_sqlite, line
from bench.workload import PrivatePostgres, postgres_bin
from csu.services.audit import verify_journal
from csu.services.context import Deps
from csu.store import journal, sequencer
from csu.store.engine import make_engine
from csu.store.journal import Actor
from csu.store.migrate import upgrade

ACTOR = Actor(operator="agent", role="agent", workstation="poste-bench")
PSEUDONYM = "ab" * 32
AT = datetime(2026, 12, 5, 3, tzinfo=UTC)


def consultation(session: Session, deps: Deps, number: int) -> None:
    """A typical entry: a consultation of one voter."""
    journal.append(
        session,
        actor=ACTOR,
        action="consultation",
        outcome="ok",
        at=deps.clock(),
        election="minint-2022",
        subject=PSEUDONYM,
        details={"query": "AB***", "results": number},
    )


def append_rate(deps: Deps | None = None, count: int = 5_000, into: str = "") -> None:
    """Appends, one transaction each (checkpoints of the WAL included), into a new
    journal or, given ``deps``, into the journal it holds (``into`` says how big)."""
    deps = deps or fresh_sqlite("append")
    started = time.perf_counter()
    for number in range(count):
        with deps.writing() as session:
            consultation(session, deps, number)
    elapsed = time.perf_counter() - started
    line(f"append, one transaction each ({count:,}{into})", f"{count / elapsed:,.0f} /s",
         ">= 2,000 /s")


def verify_rate(entries: int) -> None:
    deps = fresh_sqlite("verify")
    started = time.perf_counter()
    batch = 10_000
    for start in range(0, entries, batch):
        with deps.writing() as session:
            for number in range(start, min(entries, start + batch)):
                consultation(session, deps, number)
    line(f"(filled {entries:,} entries)", f"{time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    check = verify_journal(deps, ADMIN)
    elapsed = time.perf_counter() - started
    assert check.ok, check.describe()
    line(f"verify {entries:,} entries", f"{elapsed:.2f} s", "target < 3 s for 1,000,000")
    # A national cell's journal: each index as large as the entries (event ids included).
    append_rate(deps, into=f" into {entries:,}")


@contextmanager
def private_store(label: str) -> Iterator[Engine | None]:
    """A migrated store on a private PostgreSQL server of its own; None, said so, when
    the server programs are not installed."""
    if postgres_bin() is None:
        line(label, "skipped", "no initdb / pg_ctl")
        yield None
        return
    server = PrivatePostgres()
    server.start()
    try:
        engine = make_engine(server.url)
        upgrade(engine)
        yield engine
        engine.dispose()
    finally:
        server.destroy()


def queued_append_cost(count: int = 1_000, rounds: int = 5) -> None:
    """One process, one transaction per entry, its integration after the commit: the
    best of ``rounds`` rounds (a shared machine only ever slows a round down)."""
    label = "PostgreSQL: queued append + integration"
    with private_store(label) as engine:
        if engine is None:
            return
        deps = Deps(engine=engine, key=b"k" * 32)
        for number in range(200):  # warm: connections, statements, the sequencer's path
            with deps.writing() as session:
                consultation(session, deps, number)
        cpu, wall = [], []
        for _ in range(rounds):
            started, used = time.perf_counter(), time.process_time()
            for number in range(count):
                with deps.writing() as session:
                    consultation(session, deps, number)
            wall.append((time.perf_counter() - started) / count * 1000)
            cpu.append((time.process_time() - used) / count * 1000)
        with deps.reading() as session:
            chained, waiting = journal.head(session)[0], sequencer.pending(session).count
        assert chained == 200 + rounds * count and waiting == 0, (chained, waiting)
    line(f"{label}, client CPU", f"{min(cpu):.3f} ms", "per transaction, best round")
    line(f"{label}, time", f"{min(wall):.3f} ms", "per transaction, best round")


def postgres_backlog_and_verify(entries: int) -> None:
    """A backlog of ``entries`` queued entries (a cell whose sequencer was stopped)
    chained by ``csu_journal_integrate``, then ``csu audit verify`` of the whole chain:
    the hashes in Python, the indexed columns against the bodies on the server."""
    with private_store("PostgreSQL: backlog and verify") as engine:
        if engine is None:
            return
        driver = engine.raw_connection()
        try:
            connection = driver.driver_connection
            queue = "COPY journal_queue (event_id, body) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(queue) as copy:
                for number in range(entries):
                    stored, body = journal._entry(  # as ``consultation`` journals it
                        ACTOR, "consultation", "ok", AT, "minint-2022", PSEUDONYM, None,
                        {"query": "AB***", "results": number},
                    )
                    copy.write_row((stored["event_id"], body))
            connection.commit()
            started = time.perf_counter()
            while sequencer.integrate_batch(connection, 20_000):
                pass
            elapsed = time.perf_counter() - started
        finally:
            driver.close()
        line(f"chain a backlog of {entries:,} entries", f"{elapsed:.1f} s",
             f"{entries / elapsed:,.0f} entries/s")
        started = time.perf_counter()
        check = verify_journal(Deps(engine=engine, key=b"k" * 32), ADMIN)
        elapsed = time.perf_counter() - started
        assert check.ok and check.count == entries, check.describe()
        line(f"verify {entries:,} entries", f"{elapsed:.2f} s", "the columns read once a body")


def main(entries: int = 1_000_000) -> None:
    print("Journal, SQLite")
    append_rate()
    verify_rate(entries)
    print("Journal, PostgreSQL")
    queued_append_cost()
    postgres_backlog_and_verify(entries)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
