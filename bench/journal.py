"""Journal: appends per second from one process, and verification of N entries."""

import sys
import time

from sqlmodel import Session

from bench.common import ADMIN, fresh_sqlite, line
from csu.services.audit import verify_journal
from csu.services.context import Deps
from csu.store import journal
from csu.store.journal import Actor

ACTOR = Actor(operator="agent", role="agent", workstation="poste-bench")
PSEUDONYM = "ab" * 32


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


def append_rate(count: int = 5_000) -> None:
    deps = fresh_sqlite("append")
    started = time.perf_counter()
    for number in range(count):
        with deps.writing() as session:
            consultation(session, deps, number)
    elapsed = time.perf_counter() - started
    line(f"append, one transaction each ({count:,})", f"{count / elapsed:,.0f} /s", ">= 2,000 /s")


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


def main(entries: int = 1_000_000) -> None:
    print("Journal, SQLite")
    append_rate()
    verify_rate(entries)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
