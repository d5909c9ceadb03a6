"""Signed checkpoints on a long journal: signing the first one (every entry hashed),
signing the next (again every entry, and every earlier checkpoint held up against the
chain: a rewrite before the last checkpoint must not be signed), and ``csu audit
verify`` held up against a checkpoint (chain, Merkle tree head and signature in one
pass, two processes)."""

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.common import ADMIN, CACHE, KEY, fresh_sqlite, line
from bench.journal import consultation
from csu.domain.checkpoint import NoteSigner
from csu.domain.clock import fixed_clock
from csu.services.checkpoints import sign_checkpoint, verify_checkpoint
from csu.services.context import Deps
from csu.store import journal
from csu.store.engine import make_engine
from tests.conftest import NOW

SIGNER = NoteSigner.generate("bench.csu/journal")
T = TypeVar("T")


def filled(entries: int) -> Deps:
    """A journal of ``entries`` consultations, kept between runs (filling is not what
    is measured) and copied so that each run starts from the same journal."""
    kept = CACHE / f"checkpoint-{entries}.sqlite"
    if not kept.exists():
        deps = fresh_sqlite(f"checkpoint-{entries}-fill")
        started = time.perf_counter()
        for start in range(0, entries, 10_000):
            with deps.writing() as session:
                for number in range(start, min(entries, start + 10_000)):
                    consultation(session, deps, number)
        with deps.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        deps.engine.dispose()
        line(f"(filled {entries:,} entries)", f"{time.perf_counter() - started:.1f} s")
        shutil.move(str(CACHE / f"checkpoint-{entries}-fill.sqlite"), kept)
    work = CACHE / "checkpoint.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copy(kept, work)
    return Deps(make_engine(f"sqlite:///{work}"), KEY, fixed_clock(NOW))


def timed(label: str, target: str, call: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = call()
    line(label, f"{time.perf_counter() - started:.2f} s", target)
    return result


def main(entries: int = 1_000_000) -> None:
    print("Signed checkpoints, SQLite")
    deps = filled(entries)
    first = timed(
        f"sign the first checkpoint ({entries:,} entries)",
        "every entry hashed once",
        lambda: sign_checkpoint(deps, ADMIN, SIGNER),
    )
    with deps.writing() as session:
        for number in range(1000):
            consultation(session, deps, number)
    timed(
        "sign the next one (1,000 entries later)",
        "< 5 s: the whole chain checked again",
        lambda: sign_checkpoint(deps, ADMIN, SIGNER),
    )
    proof = timed(
        f"verify {entries + 1002:,} entries against the first checkpoint",
        "target < 5 s for 1,000,000",
        lambda: verify_checkpoint(deps, ADMIN, first.note, SIGNER.verifier),
    )
    assert proof.ok, proof.describe()
    with deps.reading() as session:
        assert journal.head(session)[0] == entries + 1002


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
