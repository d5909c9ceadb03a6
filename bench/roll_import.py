"""Import a roll of N voters into SQLite; cost of each stage per row; a bare sqlite3
executemany of the same rows for comparison."""

import csv
import sqlite3
import sys
import time

from bench.common import ADMIN, CACHE, fresh_sqlite, line, load, roll_file
from csu.services.context import Deps
from csu.services.rolls import import_voters

ELECTION = "minint-2022"


def bare_sqlite(path_csv: object, rows: int) -> float:
    db = CACHE / "bare.sqlite"
    db.unlink(missing_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE roll (" + ", ".join(f"c{i} TEXT" for i in range(16)) + ")")
    with open(path_csv, encoding="utf-8", newline="") as handle:  # type: ignore[call-overload]
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        values = list(reader)
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO roll VALUES (" + ",".join("?" * 16) + ")", values)
    elapsed = time.perf_counter() - started
    conn.close()
    db.unlink(missing_ok=True)
    return elapsed


def main(voters: int = 1_000_000) -> Deps:
    print(f"Roll import, {voters:,} voters ({ELECTION}), SQLite")
    path = roll_file(ELECTION, voters)
    deps = fresh_sqlite("import")
    load(deps, ELECTION)
    report = import_voters(deps, ADMIN, path, ELECTION)
    if not report.committed:
        print("  import refused:", [e.describe() for e in report.errors[:5]])
        sys.exit(1)
    rows = report.rows
    line("rows", f"{rows:,}")
    line("elapsed", f"{report.elapsed:.1f} s", "target <= 100 s")
    line("throughput", f"{rows / report.elapsed:,.0f} rows/s", "target >= 10,000 rows/s")
    for stage, seconds in report.stages.items():
        where = "main process" if stage in ("parsing", "writing") else "summed over workers"
        line(f"  {stage} ({where})", f"{seconds / rows * 1e6:.1f} us/row")
    bare = bare_sqlite(path, rows)
    line("bare sqlite3 executemany of the same rows", f"{bare:.1f} s")
    line("ratio import / bare", f"{report.elapsed / bare:.1f} x")
    return deps


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
