"""The platform's émargement feed on PostgreSQL: batches of 1,000 events (one vote per
material and scrutin) through the service, then through the HTTP API (uvicorn on
loopback, httpx), with the events stored and the journal checked afterwards; then the
feed while agents work (:func:`with_agents`).

``python -m bench.emargement [VOTERS] [--agents 8] [--duration 30] [--rate 5000]
[--pace 1-3] [--only agents]`` (default 50,000 minint-2022 voters, two scrutins
each: 100,000 events); ``CSU_BENCH_POSTGRES_URL`` names the server (default: the
tests' one). Targets: at least 5,000 events/s, one journal entry a batch, while 8
agents work; the agents' p95 at most 1.5 times what it is without the feed, measured
in the same run."""

import argparse
import os
import shutil
import socket
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from bench import workload
from bench.common import ADMIN, ELECTIONS, KEY, line, median_ms, roll_file, timed
from bench.load import WaitSampler
from csu.api.server import config
from csu.domain.clock import fixed_clock
from csu.services.audit import verify_journal
from csu.services.context import Deps, OperatorContext
from csu.services.elections import load_election
from csu.services.emargement import EmargementEvent, ingest_emargements
from csu.services.platform_clients import add_platform_client
from csu.services.rolls import import_voters
from csu.store.engine import make_engine, normalise_url
from csu.store.migrate import upgrade
from csu.store.tables import Emargement, JournalEntry, Material
from tests.conftest import NOW, POSTGRES_URL

ELECTION = "minint-2022"
DATABASE = "csu_bench_emargement"
BATCH = 1_000
VOTED = "2022-12-02T09:15:00Z"
SUPERVISOR = OperatorContext(login="bench-sup", role="superviseur", workstation="bench")


def fresh_postgres(url: str) -> Deps:
    server = make_url(normalise_url(url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    admin.dispose()
    engine = make_engine(server.set(database=DATABASE).render_as_string(hide_password=False))
    upgrade(engine)
    return Deps(engine=engine, key=KEY, clock=fixed_clock(NOW))


def events(path_rows: list[tuple[str, str]], tag: str) -> Iterator[list[EmargementEvent]]:
    """Batches of BATCH events, one per (identifier, scrutin)."""
    batch: list[EmargementEvent] = []
    for identifier, scrutin in path_rows:
        batch.append(EmargementEvent(f"{tag}-{identifier}-{scrutin}", identifier, scrutin, VOTED))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def votes_of(voters: int) -> list[tuple[str, str]]:
    """(identifier, scrutin) of every vote of the generated roll."""
    found = []
    with roll_file(ELECTION, voters).open(encoding="utf-8") as roll:
        header = roll.readline().rstrip("\n").split(";")
        at_identifier = header.index("identifiant")
        at_scrutins = header.index("scrutins") if "scrutins" in header else None
        for text in roll:
            values = text.rstrip("\n").split(";")
            scrutins = values[at_scrutins] if at_scrutins is not None else ""
            for scrutin in scrutins.split("|") if scrutins else ["csa"]:
                found.append((values[at_identifier], scrutin))
    return found


BARE_BATCHES = 10


def bare_inserts(deps: Deps, votes: list[tuple[str, str]]) -> float:
    """The anchor of the service's rate: the rows of BARE_BATCHES batches written by one
    bare INSERT each (no check, no lock, no journal), each rolled back. Events/s."""
    import json

    by_identifier = {}
    with deps.reading() as session:
        for identifier, material_id in session.execute(
            select(Material.identifier, Material.id).where(Material.election_id == ELECTION)
        ):
            by_identifier[identifier] = material_id
    spent, count = 0.0, 0
    for number, batch in enumerate(events(votes, "bare")):
        if number == BARE_BATCHES:
            break
        with deps.engine.connect() as connection:
            began = time.perf_counter()
            rows = json.dumps([{"m": by_identifier[e.identifier], "s": e.scrutin,
                                "t": e.voted_at, "e": e.event_id} for e in batch])  # fmt: skip
            connection.exec_driver_sql(
                "INSERT INTO emargement (election_id, source, recorded_at, recorded_by, "
                "material_id, scrutin_id, voted_at, event_id) "
                "SELECT %s, 'plateforme', now(), 'bench', v.m, v.s, v.t, v.e "
                "FROM json_to_recordset(%s::json) AS v(m int4, s varchar, t timestamptz, "
                "e varchar)",
                (ELECTION, rows),
            )
            connection.commit()
            spent += time.perf_counter() - began
            count += len(batch)
            connection.exec_driver_sql(
                "DELETE FROM emargement WHERE event_id LIKE 'bare-%%'"
            )
            connection.commit()
    return count / spent if spent else 0.0


def main(voters: int = 50_000) -> None:
    url = os.environ.get("CSU_BENCH_POSTGRES_URL", POSTGRES_URL)
    print(f"émargement feed, PostgreSQL, {voters:,} voters")
    deps = fresh_postgres(url)
    text = (ELECTIONS / f"{ELECTION}.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text, f"{ELECTION}.toml")
    report = import_voters(deps, ADMIN, roll_file(ELECTION, voters), ELECTION)
    assert report.committed, report.errors[:3]
    new = add_platform_client(deps, ADMIN, "bench-vote", [ELECTION])
    platform_key = new.key
    from csu.services.platform_clients import authenticate

    platform = authenticate(deps, platform_key)
    votes = votes_of(voters)
    half = len(votes) // 2

    # 1. The service, in this process.
    started = time.perf_counter()
    accepted = sum(
        ingest_emargements(deps, platform, ELECTION, batch).accepted
        for batch in events(votes[:half], "svc")
    )
    elapsed = time.perf_counter() - started
    floor = bare_inserts(deps, votes[half:])
    line(f"service: {accepted:,} events, batches of {BATCH:,}",
         f"{accepted / elapsed:,.0f} ev/s",
         f"≥ 5,000 ev/s; the same rows by a bare INSERT: {floor:,.0f} ev/s")  # fmt: skip
    started = time.perf_counter()
    replayed = sum(
        ingest_emargements(deps, platform, ELECTION, batch).duplicates
        for batch in events(votes[:half], "svc")
    )
    elapsed = time.perf_counter() - started
    line(f"service: the same {replayed:,} events again (duplicates)",
         f"{replayed / elapsed:,.0f} ev/s")  # fmt: skip

    # 2. The HTTP API, through uvicorn on loopback.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config(deps, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with httpx.Client(
            base_url=base, timeout=120, headers={"Authorization": f"Bearer {platform_key}"}
        ) as client:
            started = time.perf_counter()
            posted = 0
            for batch in events(votes[half:], "api"):
                body = {"events": [{"event_id": e.event_id, "identifier": e.identifier,
                                    "scrutin": e.scrutin, "voted_at": e.voted_at}
                                   for e in batch]}  # fmt: skip
                answer = client.post(f"/v1/elections/{ELECTION}/emargements", json=body)
                answer.raise_for_status()
                posted += answer.json()["accepted"]
            elapsed = time.perf_counter() - started
        line(f"HTTP API: {posted:,} events, batches of {BATCH:,}",
             f"{posted / elapsed:,.0f} ev/s", "≥ 5,000 ev/s")  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()

    with deps.reading() as session:
        stored = session.execute(select(func.count()).select_from(Emargement)).scalar_one()
    assert stored == len(votes), (stored, len(votes))
    assert verify_journal(deps, SUPERVISOR).ok
    line("after: every event stored once, journal verifies", f"{stored:,} rows")
    deps.engine.dispose()
    workload.drop(url, DATABASE)  # the shared server keeps nothing of the bench


# ------------------------------------------------------------------ with agents

AGENTS_DATABASE = "csu_bench_emargement_agents"
RATE = 5_000  # events a second: the target, one batch every 0.2 s
# Seconds between an agent's actions (bench/workload.py): busier than a real agent
# (10-20 s, README), so that a short run still gives each phase a p95 worth reading.
AGENT_PACE = (1.0, 3.0)


def feed(url: str, key: str, batches: list[list[EmargementEvent]], rate: float,
         duration: float, out: Any) -> None:  # fmt: skip
    """The body of the platform's process: batches at ``rate`` events a second (0: as
    fast as they go) for ``duration`` seconds at most; its figures put on ``out``."""
    from csu.services.platform_clients import authenticate

    engine = make_engine(url)
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW))
    platform = authenticate(deps, key)
    times, accepted = [], 0
    started = time.perf_counter()
    for number, batch in enumerate(batches):
        if time.perf_counter() - started >= duration:
            break
        if rate:
            time.sleep(max(0.0, started + number * BATCH / rate - time.perf_counter()))
        began = time.perf_counter()
        accepted += ingest_emargements(deps, platform, ELECTION, batch).accepted
        times.append(time.perf_counter() - began)
    out.put({"accepted": accepted, "elapsed": time.perf_counter() - started, "times": times})
    engine.dispose()


def agents_run(store: workload.Store, logins: list[str], duration: float,
               pace: tuple[float, float], folder: Path, incarnation: int,
               feeding: tuple[str, list[list[EmargementEvent]], float] | None = None,
               ) -> dict[str, Any] | None:  # fmt: skip
    """The workstations of bench/workload.py for ``duration`` seconds, with the
    platform's feed (key, batches, rate) in a process of its own when given."""
    specs = [
        replace(spec, incarnation=incarnation)
        for spec in workload.specs(store, logins, workload.CALL_MIX, duration, folder,
                                   pause=pace)
    ]  # fmt: skip
    context = workload.process_context()
    processes = workload.start_together(context, specs)
    platform, out = None, context.Queue()
    if feeding is not None:
        key, batches, rate = feeding
        platform = context.Process(target=feed, args=(store.url, key, batches, rate, duration,
                                                      out))  # fmt: skip
        platform.start()
    try:
        with WaitSampler(store.url) as waits:
            for process in processes.values():
                process.join(timeout=duration + 300)
        waits.report()
        figures = out.get(timeout=duration + 300) if platform is not None else None
        if platform is not None:
            platform.join(timeout=60)
    finally:
        for process in [*processes.values(), *([platform] if platform else [])]:
            if process.is_alive():
                process.kill()
    return figures


def p95s(folder: Path) -> tuple[list[float], dict[str, list[float]]]:
    """The agents' completed actions (ms), all together and by action."""
    ledgers = workload.Ledgers.read(folder)
    by_action: dict[str, list[float]] = defaultdict(list)
    for done in ledgers.done:
        if done["outcome"] == "ok":
            by_action[done["action"]].append(done["ms"])
    return [ms for samples in by_action.values() for ms in samples], by_action


def merged(folders: list[Path], into: Path) -> Path:
    """Every phase's ledgers, one file per workstation (for workload.check)."""
    into.mkdir()
    for folder in folders:
        for path in folder.glob("*.jsonl"):
            with (into / path.name).open("ab") as target:
                target.write(path.read_bytes())
    return into


def with_agents(url: str, voters: int, workstations: int = 8, duration: float = 30,
                rate: float = RATE, pace: tuple[float, float] = AGENT_PACE) -> None:  # fmt: skip
    """Agents alone, then agents while the platform's feed ingests batches of 1,000
    at ``rate`` events/s, then agents alone again: the agents' p95 with the feed is
    compared with the one without it, from the same store and the same run."""
    print(
        f"émargement feed while {workstations} agents work ({duration:g} s a phase, "
        f"{pace[0]:g}-{pace[1]:g} s between an agent's actions, feed at "
        f"{rate:,.0f} ev/s{' (as fast as it goes)' if not rate else ''})"
    )
    store = workload.prepare(url, AGENTS_DATABASE, voters, workstations)
    busy = {caller.identifier for caller in [*store.shared, *store.substitution]}
    votes = [vote for vote in votes_of(voters) if vote[0] not in busy]
    batches = list(events(votes, "agents"))
    engine = make_engine(store.url)
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW))
    key = add_platform_client(deps, ADMIN, "bench-vote", [ELECTION]).key
    engine.dispose()  # no connection of the parent crosses the forks
    logins = [f"poste{n:02d}" for n in range(1, workstations + 1)]
    root = Path(tempfile.mkdtemp(prefix="csu-emargement-"))
    try:
        folders = [root / name for name in ("alone", "fed", "alone-again")]
        for folder in folders:
            folder.mkdir()
        agents_run(store, logins, duration, pace, folders[0], 1)
        fed = agents_run(store, logins, duration, pace, folders[1], 2, (key, batches, rate))
        agents_run(store, logins, duration, pace, folders[2], 3)
        assert fed is not None
        alone, alone_by = p95s(folders[0])
        again, again_by = p95s(folders[2])
        with_feed, fed_by = p95s(folders[1])
        without = alone + again
        ingest_time = sum(fed["times"])
        line(f"feed: {fed['accepted']:,} events in {len(fed['times'])} batches of {BATCH:,}",
             f"{fed['accepted'] / fed['elapsed']:,.0f} ev/s",
             f"≥ 5,000 ev/s (offered {rate:,.0f})" if rate else "≥ 5,000 ev/s")  # fmt: skip
        line("feed: its batches' own time (capacity)",
             f"{fed['accepted'] / ingest_time:,.0f} ev/s" if ingest_time else "-",
             "p50 / p95 a batch: " + " / ".join(
                 f"{workload.percentile([t * 1000 for t in fed['times']], q):.0f}"
                 for q in (50, 95)) + " ms")  # fmt: skip
        base, loaded = workload.percentile(without, 95), workload.percentile(with_feed, 95)
        line(f"agents' actions p95 without the feed ({len(without):,})", f"{base:.0f} ms",
             f"before {workload.percentile(alone, 95):.0f}, "
             f"after {workload.percentile(again, 95):.0f} ms")  # fmt: skip
        line(f"agents' actions p95 with the feed ({len(with_feed):,})", f"{loaded:.0f} ms",
             f"x{loaded / base:.2f} (target ≤ x1.5)")  # fmt: skip
        for action in sorted(fed_by, key=lambda name: -len(fed_by[name])):
            plain = alone_by.get(action, []) + again_by.get(action, [])
            if plain:
                line(f"  {action} p95 without / with",
                     f"{workload.percentile(plain, 95):.0f} / "
                     f"{workload.percentile(fed_by[action], 95):.0f} ms")  # fmt: skip
        engine = make_engine(store.url)
        deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW), hasher=workload.FAST)
        with deps.reading() as session:
            stored = session.execute(select(func.count()).select_from(Emargement)).scalar_one()
            entries = session.execute(
                select(func.count()).select_from(JournalEntry)
                .where(JournalEntry.action == "emargement_feed")
            ).scalar_one()  # fmt: skip
        line("after: émargements stored, feed entries in the journal",
             f"{stored:,} / {entries:,}", "one entry a batch")  # fmt: skip
        from csu.services.dashboard import dashboard

        shown = timed(lambda: dashboard(deps, SUPERVISOR, ELECTION), 3)
        line(f"dashboard with {stored:,} émargements (per hour, platforms)",
             f"{median_ms(shown):.0f} ms", "median of 3")  # fmt: skip
        checked = workload.check(deps, workload.Ledgers.read(merged(folders, root / "all")),
                                 set(logins))  # fmt: skip
        print(f"  {'all invariants hold' if checked.ok else 'INVARIANTS BROKEN'}")
        engine.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
        workload.drop(url, AGENTS_DATABASE)


def run(voters: int = 50_000, agents: int = 8, duration: float = 30, rate: float = RATE,
        pace: tuple[float, float] = AGENT_PACE, only: str | None = None) -> None:  # fmt: skip
    url = os.environ.get("CSU_BENCH_POSTGRES_URL", POSTGRES_URL)
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"  (machine: {os.cpu_count()} cores, load average {load_average} before the run)")
    if only in (None, "feed"):
        main(voters)
    if only in (None, "agents"):
        with_agents(url, voters, agents, duration, rate, pace)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("voters", type=int, nargs="?", default=50_000)
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30, help="seconds a phase")
    parser.add_argument("--rate", type=float, default=RATE, help="events/s (0: flat out)")
    parser.add_argument("--pace", default="1-3", help="seconds between an agent's actions")
    parser.add_argument("--only", choices=("feed", "agents"))
    arguments = parser.parse_args()
    low, _, high = arguments.pace.partition("-")
    run(
        arguments.voters,
        arguments.agents,
        arguments.duration,
        arguments.rate,
        (float(low), float(high or low)),
        arguments.only,
    )
