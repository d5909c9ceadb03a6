"""The cell under load: N workstations (processes) on one PostgreSQL database, each
running the call mix of a busy election day (look-up 60 %, identity verification 25 %
with some failures, security key reissue 10 %, substitution request 5 %) for a given
time; then throughput, latency percentiles per action, and the invariants checked
(see bench/workload.py)::

    python -m bench.load [--workstations 32] [--duration 120] [--voters 20000] [--url URL]
                         [--pace SECONDS | --pace LOW-HIGH]

Without ``--pace`` every workstation runs flat out: a saturated cell. With it, each
waits that long between two actions (drawn in the range, e.g. ``--pace 10-20``), as
an agent on the phone does: the latency an agent meets in a cell at its real pace.

Without ``--url`` the load runs on a private PostgreSQL server started for it (a
temporary directory, a free port): 32 workstations would take a good share of the
connections of a shared server.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.common import KEY, line
from bench.workload import (
    CALL_MIX,
    FAST,
    Checked,
    Ledgers,
    PrivatePostgres,
    check,
    drop,
    postgres_bin,
    prepare,
    process_context,
    report,
    specs,
    start_together,
)
from csu.services.context import Deps
from csu.store.engine import make_engine
from tests.conftest import NOW

DATABASE = "csu_bench_load"


class WaitSampler:
    """What the server's backends of the database are doing, sampled every 0.2 s
    during the load: running, waiting for a lock (the journal head, a row), for the
    disk (the WAL flush of a commit), or for the workstation's next statement."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.samples = 0
        self.counts: Counter[str] = Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.2):
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, state), "
                    "count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state <> 'idle' GROUP BY 1, 2"
                ).fetchall()
                self.samples += 1
                for kind, event, count in rows:
                    self.counts[f"{kind}:{event}"] += count

    def __enter__(self) -> "WaitSampler":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def report(self) -> None:
        if not self.samples:
            return
        total = sum(self.counts.values()) / self.samples
        line("backends busy in a transaction (mean)", f"{total:.1f}",
             "sampled every 0.2 s: what they wait for")
        for event, count in self.counts.most_common(6):
            print(f"    {count / self.samples:>6.1f}  {event}")


def pace(text: str) -> tuple[float, float]:
    """``"12"`` or ``"10-20"``: the seconds a workstation waits between two actions."""
    low, _, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a number of seconds or a range LOW-HIGH: {text!r}") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"expected 0 <= LOW <= HIGH: {text!r}")
    return bounds


def describe(pause: tuple[float, float]) -> str:
    low, high = pause
    if not high:
        return "flat out"
    return f"{low:g} s between actions" if low == high else f"{low:g}-{high:g} s between actions"


def run(url: str, workstations: int, duration: float, voters: int,
        mix: dict[str, float] | None = None, database: str = DATABASE,
        shared: int = 2_000, pause: tuple[float, float] = (0.0, 0.0)) -> Checked:
    """Prepare a database on the server at ``url``, run the load, report, check.
    ``shared``: how many voters the workstations call about (besides substitutions);
    ``pause``: the range of seconds each workstation waits between two actions."""
    mix = mix or CALL_MIX
    store = prepare(url, database, voters, workstations, shared=shared,
                    with_substitution="substitution" in mix)
    logins = [f"poste{n:02d}" for n in range(1, workstations + 1)]
    with tempfile.TemporaryDirectory(prefix="csu-ledgers-") as folder:
        # The sampler's thread and connection start after the fork of the workstations.
        processes = start_together(process_context(),
                                   specs(store, logins, mix, duration, Path(folder),
                                         pause=pause))
        try:
            with WaitSampler(store.url) as waits:
                for process in processes.values():
                    process.join(timeout=duration + 300)
        finally:
            for process in processes.values():
                if process.is_alive():
                    process.kill()
        stopped = sorted(login for login, process in processes.items() if process.exitcode)
        ledgers = Ledgers.read(Path(folder))
    span = (max(d["end"] for d in ledgers.done) - min(d["start"] for d in ledgers.done)
            if ledgers.done else duration)
    report(ledgers, span)
    line("workstations stopped by an error of the bench", f"{len(stopped)}",
         ", ".join(stopped[:8]))
    waits.report()
    engine = make_engine(store.url)
    try:
        return check(Deps(engine=engine, key=KEY, clock=lambda: NOW, hasher=FAST),
                     ledgers, set(logins))
    finally:
        engine.dispose()
        drop(url, database)


def main(workstations: int = 32, duration: float = 120, voters: int = 20_000,
         url: str | None = None, pause: tuple[float, float] = (0.0, 0.0)) -> Checked | None:
    mix = ", ".join(f"{name} {share:.0%}" for name, share in CALL_MIX.items())
    print(f"Cell under load: {workstations} workstations x {duration:g} s on PostgreSQL, "
          f"{describe(pause)}, {voters:,} voters ({mix})")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"  (machine: {os.cpu_count()} cores, load average {load} before the run)")
    server = None
    if url is None and postgres_bin() is None:
        print("  skipped: no PostgreSQL server programs (initdb, pg_ctl) to start a private "
              "server; give --url of a server, or set CSU_PG_BIN")
        return None
    if url is None:
        server = PrivatePostgres(max_connections=workstations * 6 + 20)
        server.start()
        url = server.url
        print(f"  (private PostgreSQL server on port {server.port})")
    started = time.perf_counter()
    try:
        checked = run(url, workstations, duration, voters, pause=pause)
    finally:
        if server is not None:
            server.destroy()
    line_ok = "all invariants hold" if checked.ok else "INVARIANTS BROKEN"
    print(f"  {line_ok} ({time.perf_counter() - started:.0f} s in all)")
    return checked


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, default=32)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--voters", type=int, default=20_000)
    parser.add_argument("--url", help="an existing server (the database is created)")
    parser.add_argument("--pace", type=pace, default=(0.0, 0.0), metavar="SECONDS",
                        help="seconds each workstation waits between two actions, or a "
                        "range LOW-HIGH drawn from (an agent's pace); default: none")
    arguments = parser.parse_args()
    result = main(arguments.workstations, arguments.duration, arguments.voters, arguments.url,
                  arguments.pace)
    sys.exit(0 if result is None or result.ok else 1)
