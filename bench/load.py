"""The cell under load: N workstations (processes) on one PostgreSQL database, each
running the call mix of a busy election day (look-up 60 %, identity verification 25 %
with some failures, security key reissue 10 %, substitution request 5 %) for a given
time; then throughput, latency percentiles per action, and the invariants checked
(see bench/workload.py)::

    python -m bench.load [--workstations 32] [--duration 120] [--voters 20000] [--url URL]
                         [--pace SECONDS | --pace LOW-HIGH] [--append queue|direct|both]

Without ``--pace`` every workstation runs flat out: a saturated cell. With it, each
waits that long between two actions (drawn in the range, e.g. ``--pace 10-20``), as
an agent on the phone does: the latency an agent meets in a cell at its real pace.

Before the load, a bare anchor on the same server: as many processes doing nothing
but the head-lock append CSU's journal had before issue 16 (``head_lock_anchor``).
``--append both`` runs the load with the queued append (the default) and again with
the direct one, each beside its own anchor.

Without ``--url`` the load runs on a private PostgreSQL server started for it (a
temporary directory, a free port): 32 workstations would take a good share of the
connections of a shared server.
"""

import argparse
import hashlib
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.common import KEY, line, settled
from bench.workload import (
    CALL_MIX,
    FAST,
    Checked,
    Ledgers,
    PrivatePostgres,
    check,
    drop,
    percentile,
    postgres_bin,
    prepare,
    process_context,
    report,
    specs,
    start_together,
)
from csu.services.context import Deps
from csu.store import journal, sequencer
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
        self.journal_waits = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.2):
                # A wait for a lock by a statement on the journal's tables: the chain
                # head (the direct append, the sequencer) or the queue.
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, state), "
                    "count(*), count(*) FILTER (WHERE wait_event_type = 'Lock' "
                    "AND query ~ 'journal_(head|queue|entry)') "
                    "FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state <> 'idle' "
                    "AND backend_type = 'client backend' GROUP BY 1, 2"
                ).fetchall()
                self.samples += 1
                for kind, event, count, journal in rows:
                    self.counts[f"{kind}:{event}"] += count
                    self.journal_waits += journal

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
        busy = sum(self.counts.values())
        share = self.journal_waits / busy if busy else 0.0
        line("busy backends waiting on a journal lock", f"{share:.1%}", "target < 10 %")


class IntegrationSampler:
    """How long entries wait in the journal's queue (PostgreSQL, csu/store/sequencer.py):
    the queue is read every ``interval`` s; an entry seen there and gone at the next
    reading waited at most its age then plus one interval; an entry never seen waited
    less than one interval. Upper bounds, so the percentiles are pessimistic."""

    def __init__(self, url: str, interval: float = 0.05) -> None:
        self.url = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.interval = interval
        self.waits: list[float] = []
        self.oldest = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            if conn.execute("SELECT to_regclass('journal_queue')").fetchone()[0] is None:
                return  # a store of before the queue (migration 0015)
            seen: dict[int, float] = {}
            first = last = conn.execute("SELECT seq FROM journal_head").fetchone()[0]
            while not self.stop.wait(self.interval):
                rows = dict(conn.execute(
                    "SELECT id, extract(epoch FROM clock_timestamp() - queued_at)::float8 "
                    "FROM journal_queue").fetchall())
                last = conn.execute("SELECT seq FROM journal_head").fetchone()[0]
                for gone in set(seen) - set(rows):
                    self.waits.append(seen.pop(gone) + self.interval)
                seen.update(rows)
                self.oldest = max([self.oldest, *rows.values()])
            unseen = (last - first) - len(self.waits)
            self.waits.extend([self.interval] * max(0, unseen))

    def __enter__(self) -> "IntegrationSampler":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def report(self) -> None:
        if not self.waits:
            return
        line("integration delay p50 / p95 / p99",
             " / ".join(f"{percentile(self.waits, q) * 1000:.0f}" for q in (50, 95, 99))
             + " ms", f"target p95 < 1 s; oldest seen {self.oldest * 1000:.0f} ms")


class ServerCpu:
    """CPU seconds the PostgreSQL server has spent: the postmaster and every process of
    it, those ended included (a parent is credited with the children it reaped). The
    server's own share of a call, whatever the workstations on the same cores cost.
    Read from /proc: a server on this machine only (None otherwise)."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, url: str) -> None:
        plain = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        with psycopg.connect(plain, autocommit=True) as conn:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        found = self._stat(backend)
        self.postmaster = found[1] if found else None  # the backend's parent

    @staticmethod
    def _stat(pid: int) -> tuple[int, int, list[int]] | None:
        """(pid, parent, the CPU fields utime stime cutime cstime) of a process."""
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = text[text.rindex(")") + 2:].split()  # after the command's name
        return pid, int(fields[1]), [int(value) for value in fields[11:15]]

    def seconds(self) -> float | None:
        if self.postmaster is None:
            return None
        own = self._stat(self.postmaster)
        if own is None:
            return None
        ticks = sum(own[2])  # its own, and its reaped children's
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                found = self._stat(int(entry.name))
                if found is not None and found[1] == self.postmaster:
                    ticks += found[2][0] + found[2][1]
        return ticks / self.TICK


# ------------------------------------------------------------------ anchors

ANCHOR_BODY = (b'{"action":"consultation","details":{"query":"AB***","results":1},'
               b'"election":"minint-2022","event_id":"00000000-0000-4000-8000-000000000000",'
               b'"intervention":null,"operator":"poste01","outcome":"ok","role":"agent",'
               b'"subject":"' + b"ab" * 32 + b'","ts":"2022-12-01T10:00:00.000000Z",'
               b'"workstation":"poste-poste01"}')


def _anchor_process(url: str, duration: float, go: Any, counts: Any, index: int) -> None:
    """One process of the anchor: nothing but the head-lock append, flat out."""
    with psycopg.connect(url, autocommit=True) as conn:
        go.wait(timeout=120)
        done = 0
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            with conn.transaction():
                seq, previous = conn.execute(
                    "SELECT seq, hash FROM anchor_head WHERE id = 1 FOR UPDATE").fetchone()
                digest = hashlib.sha256(previous.encode() + ANCHOR_BODY).hexdigest()
                conn.execute("INSERT INTO anchor_entry VALUES (%s, %s, %s)",
                             (seq + 1, ANCHOR_BODY, digest))
                conn.execute("UPDATE anchor_head SET seq = %s, hash = %s WHERE id = 1",
                             (seq + 1, digest))
            done += 1
        counts[index] = done


@dataclass(frozen=True, slots=True)
class Anchor:
    rate: float  # appends/s
    server_cpu: float | None  # the server's CPU seconds per append (None: not local)


def head_lock_anchor(url: str, processes: int, duration: float) -> Anchor:
    """Appends/s of the bare design CSU's journal had: ``processes`` processes each
    locking one head row FOR UPDATE, inserting an entry, moving the head, committing.
    What the head lock alone allows on this server, measured in the same run."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS anchor_entry, anchor_head")
        conn.execute("CREATE TABLE anchor_head (id int PRIMARY KEY, seq bigint NOT NULL, "
                      "hash text NOT NULL)")
        conn.execute("INSERT INTO anchor_head VALUES (1, 0, repeat('0', 64))")
        conn.execute("CREATE TABLE anchor_entry (seq bigint PRIMARY KEY, body bytea NOT NULL,"
                      " hash text NOT NULL)")
    context = multiprocessing.get_context("fork")
    go, counts = context.Event(), context.Array("l", processes)
    workers = [context.Process(target=_anchor_process, args=(plain, duration, go, counts, n))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # connected
    server = ServerCpu(plain)
    before = server.seconds()
    started = time.perf_counter()
    go.set()
    for worker in workers:
        worker.join(timeout=duration + 60)
    elapsed = time.perf_counter() - started
    after = server.seconds()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP TABLE anchor_entry, anchor_head")
    appends = sum(counts)
    per_append = ((after - before) / appends
                  if before is not None and after is not None and appends else None)
    return Anchor(appends / elapsed, per_append)


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
        shared: int = 2_000, pause: tuple[float, float] = (0.0, 0.0),
        anchor_duration: float = 20.0, append: str = "queue") -> Checked:
    """Prepare a database on the server at ``url``, run the load, report, check.
    ``shared``: how many voters the workstations call about (besides substitutions);
    ``pause``: the range of seconds each workstation waits between two actions;
    ``append``: ``queue`` (the sequencer, csu/store/sequencer.py) or ``direct`` (every
    action locks the chain head, as before issue 16)."""
    mix = mix or CALL_MIX
    journal.QUEUED = append == "queue"  # the workstations are forked from here
    store = prepare(url, database, voters, workstations, shared=shared,
                    with_substitution="substitution" in mix)
    # The anchor is a flat-out rate: beside a cell at an agent's pace it says nothing.
    paced = pause[1] > 0
    anchor = head_lock_anchor(store.url, workstations, anchor_duration) \
        if anchor_duration and not paced else None
    logins = [f"poste{n:02d}" for n in range(1, workstations + 1)]
    with tempfile.TemporaryDirectory(prefix="csu-ledgers-") as folder:
        # The samplers' threads and connections start after the fork of the workstations.
        server = ServerCpu(store.url)
        processes = start_together(process_context(),
                                   specs(store, logins, mix, duration, Path(folder),
                                         pause=pause))
        before = server.seconds()
        try:
            with WaitSampler(store.url) as waits, IntegrationSampler(store.url) as delays:
                for process in processes.values():
                    process.join(timeout=duration + 300)
        finally:
            for process in processes.values():
                if process.is_alive():
                    process.kill()
        after = server.seconds()
        stopped = sorted(login for login, process in processes.items() if process.exitcode)
        ledgers = Ledgers.read(Path(folder))
    span = (max(d["end"] for d in ledgers.done) - min(d["start"] for d in ledgers.done)
            if ledgers.done else duration)
    report(ledgers, span)
    line("workstations stopped by an error of the bench", f"{len(stopped)}",
         ", ".join(stopped[:8]))
    waits.report()
    delays.report()
    if anchor:
        calls = len(ledgers.acks) / span
        line(f"anchor: bare head-lock appends, {workstations} processes",
             f"{anchor.rate:,.0f} /s", "same server, just before the load")
        line("journalled calls/s / anchor", f"{calls / anchor.rate:.2f}x", "target >= 1")
    if anchor and before is not None and after is not None and ledgers.acks:
        # The server's share alone: on a real cell the workstations have their own CPUs
        # (flat out only: at an agent's pace its background work is most of it).
        own = (after - before) / len(ledgers.acks) * 1000
        versus = (f"anchor: {anchor.server_cpu * 1000:.2f} ms an append"
                  if anchor.server_cpu else "")
        line("server's CPU per journalled call", f"{own:.2f} ms", versus)
    engine = make_engine(store.url)
    try:
        deps = Deps(engine=engine, key=KEY, clock=lambda: NOW, hasher=FAST)
        with deps.reading() as session:
            left = sequencer.pending(session).count
        line("entries still queued when the load stopped", f"{left:,}",
             "integrated now, then everything is checked")
        sequencer.settle(engine)
        return check(deps, ledgers, set(logins))
    finally:
        engine.dispose()
        drop(url, database)


def main(workstations: int = 32, duration: float = 120, voters: int = 20_000,
         url: str | None = None, pause: tuple[float, float] = (0.0, 0.0),
         append: str = "queue") -> Checked | None:
    mix = ", ".join(f"{name} {share:.0%}" for name, share in CALL_MIX.items())
    print(f"Cell under load: {workstations} workstations x {duration:g} s on PostgreSQL, "
          f"{describe(pause)}, {voters:,} voters ({mix})")
    waited = settled()  # a run right after a saturated one would measure its tail
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"  (machine: {os.cpu_count()} cores, load average {load} before the run, "
          f"calm after {waited:.0f} s)")
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
        modes = ("queue", "direct") if append == "both" else (append,)
        for mode in modes:
            print(f"  -- journal append: {mode} "
                  + ("(queued, chained by the sequencer)" if mode == "queue"
                     else "(every action locks the chain head)"))
            checked = run(url, workstations, duration, voters, pause=pause, append=mode)
            if not checked.ok:
                break
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
    parser.add_argument("--append", choices=("queue", "direct", "both"), default="queue",
                        help="the journal's append on PostgreSQL: queued for the sequencer "
                        "(default), direct (the head locked by every action, as before), "
                        "or both, one after the other, each beside its own anchor")
    arguments = parser.parse_args()
    result = main(arguments.workstations, arguments.duration, arguments.voters, arguments.url,
                  arguments.pace, arguments.append)
    sys.exit(0 if result is None or result.ok else 1)
