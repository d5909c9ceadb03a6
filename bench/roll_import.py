"""Import a roll of N voters; cost of each stage per row; beside it, a bare executemany of
the same rows (no validation, no index) into the same kind of store, measured in the
same run. SQLite always; PostgreSQL too when CSU_BENCH_POSTGRES_URL names a server (a
scratch database is created there and dropped)."""

import csv
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bench.common import ADMIN, CACHE, KEY, fresh_sqlite, line, load, roll_file
from csu.domain.clock import fixed_clock
from csu.services.context import Deps
from csu.services.rolls import ImportReport, import_voters
from csu.store.engine import make_engine, normalise_url
from csu.store.migrate import upgrade
from tests.conftest import NOW

ELECTION = "minint-2022"
# One scratch database per run: two runs at once must not drop each other's.
PG_DATABASE = f"csu_bench_import_{os.getpid()}"


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        return list(reader)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the import's workers):
    less sensitive than elapsed time to the other loads of a shared machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def imported(deps: Deps, path: Path) -> tuple[ImportReport, float]:
    """The report of importing ``path`` and the CPU seconds it took, all processes."""
    before = cpu_seconds()
    report = import_voters(deps, ADMIN, path, ELECTION)
    if not report.committed:
        print("  import refused:", [e.describe() for e in report.errors[:5]])
        sys.exit(1)
    return report, cpu_seconds() - before


def bare_sqlite(values: list[list[str]]) -> tuple[float, float]:
    db = CACHE / "bare.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    width = len(values[0])
    conn.execute("CREATE TABLE roll (" + ", ".join(f"c{i} TEXT" for i in range(width)) + ")")
    started, cpu = time.perf_counter(), cpu_seconds()
    with conn:
        conn.executemany("INSERT INTO roll VALUES (" + ",".join("?" * width) + ")", values)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    conn.close()
    db.unlink(missing_ok=True)
    return elapsed, cpu


def bare_postgres(url: str, values: list[list[str]]) -> tuple[float, float]:
    import psycopg

    width = len(values[0])
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_roll")
        conn.execute(
            "CREATE TABLE bench_roll (" + ", ".join(f"c{i} text" for i in range(width)) + ")"
        )
        conn.commit()
        started, cpu = time.perf_counter(), cpu_seconds()
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_roll VALUES (" + ",".join(["%s"] * width) + ")", values
            )
        conn.commit()
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        conn.execute("DROP TABLE bench_roll")
    return elapsed, cpu


def report_lines(
    report: ImportReport, cpu: float, bare: tuple[float, float], what: str, target: str
) -> None:
    rows = report.rows
    line("rows", f"{rows:,}")
    line("elapsed", f"{report.elapsed:.1f} s", target)
    line("throughput", f"{rows / report.elapsed:,.0f} rows/s")
    for stage, seconds in report.stages.items():
        where = "main process" if stage in ("parsing", "writing") else "summed over workers"
        line(f"  {stage} ({where})", f"{seconds / rows * 1e6:.1f} us/row")
    line(f"anchor: bare {what} executemany of the same rows", f"{bare[0]:.1f} s")
    line("ratio import / bare, elapsed", f"{report.elapsed / bare[0]:.1f} x", "target <= 15 x")
    line("CPU of the import, all processes", f"{cpu:.1f} s")
    line("anchor: CPU of the bare executemany (client side)", f"{bare[1]:.1f} s")
    line("ratio import / bare, CPU", f"{cpu / bare[1]:.1f} x")


def scratch_postgres(url: str) -> Deps:
    parsed = make_url(normalise_url(url))
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{PG_DATABASE}"')
    admin.dispose()
    engine = make_engine(parsed.set(database=PG_DATABASE).render_as_string(hide_password=False))
    upgrade(engine)
    return Deps(engine=engine, key=KEY, clock=fixed_clock(NOW))


def drop_postgres(url: str, deps: Deps) -> None:
    deps.engine.dispose()
    admin = create_engine(make_url(normalise_url(url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    admin.dispose()


def main(voters: int = 1_000_000, postgres: str | None = None) -> Deps:
    path = roll_file(ELECTION, voters)
    values = read_rows(path)
    print(f"Roll import, {voters:,} voters ({ELECTION}), SQLite, {os.cpu_count()} cores")
    deps = fresh_sqlite("import")
    load(deps, ELECTION)
    report, cpu = imported(deps, path)
    report_lines(report, cpu, bare_sqlite(values), "sqlite3", "target <= 100 s at 1,000,000")
    postgres = postgres or os.environ.get("CSU_BENCH_POSTGRES_URL")
    if postgres:
        on_postgres(voters, postgres, path, values)
    return deps


def on_postgres(voters: int, url: str, path: Path, values: list[list[str]]) -> None:
    print(
        f"Roll import, {voters:,} voters ({ELECTION}), PostgreSQL (COPY), "
        f"{os.cpu_count()} cores, load average {load_average()}"
    )
    pg = scratch_postgres(url)
    try:
        load(pg, ELECTION)
        report, cpu = imported(pg, path)
        bare = bare_postgres(pg.engine.url.render_as_string(hide_password=False), values)
        report_lines(report, cpu, bare, "psycopg", "target <= 60 s at 1,000,000")
        print(f"  load average after: {load_average()}")
    finally:
        drop_postgres(url, pg)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    # python -m bench.roll_import [VOTERS] [--postgres-only]
    arguments = [argument for argument in sys.argv[1:] if argument != "--postgres-only"]
    size = int(arguments[0]) if arguments else 1_000_000
    if "--postgres-only" in sys.argv:
        url = os.environ.get("CSU_BENCH_POSTGRES_URL")
        if not url:
            sys.exit("--postgres-only needs CSU_BENCH_POSTGRES_URL")
        roll = roll_file(ELECTION, size)
        on_postgres(size, url, roll, read_rows(roll))
    else:
        main(size)
