"""The platform's login checks through the real API: uvicorn on loopback in a process of
its own, over PostgreSQL, called with httpx at a fixed rate (open loop: a request
leaves at its time whether or not the earlier ones were answered), while
``/v1/health`` is probed by a process of its own (a monitoring probe's view: the same
probe in the load's event loop measured mostly that loop, busy with the checks, and
its figure is shown beside for comparison).

Two phases, each on a fresh database with credentials issued through the desk:

1. credentials kept by keyed hash (minint-2022 with a 14-character password: 81 bits,
   above the HMAC threshold): target p95 < 20 ms at 50 checks/s;
2. the shipped minint-2022, whose 12-character password is kept by argon2id (the
   settings' cost): those checks wait in a bounded pool, those beyond its queue are
   refused at once (« saturated »: 503 with Retry-After), and ``/v1/health`` must stay
   under 10 ms p95 meanwhile.

Latencies count from the moment a request was due, so a server that falls behind
shows it. ``python -m bench.platform_login [--rate 50] [--duration 15] [--url URL]``
(default: the tests' server, ``CSU_BENCH_POSTGRES_URL`` otherwise)."""

import argparse
import asyncio
import http.client
import multiprocessing
import os
import re
import socket
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import bindparam, create_engine, event, select
from sqlalchemy.engine import make_url

from bench.common import ADMIN, ELECTIONS, KEY, line, roll_file
from bench.workload import ELECTION, callers, percentile
from csu.api.app import THREADS
from csu.config import Settings
from csu.domain.clock import fixed_clock
from csu.services.context import Deps, OperatorContext
from csu.services.credentials import confirm_read_out, issue_credential
from csu.services.elections import load_election
from csu.services.interventions import close_intervention, open_intervention
from csu.services.platform import ARGON2_QUEUED, ARGON2_WORKERS
from csu.services.platform_clients import add_platform_client
from csu.services.rolls import import_voters
from csu.services.verification import verify_identity
from csu.store import sequencer
from csu.store.engine import make_engine, normalise_url
from csu.store.migrate import upgrade
from csu.store.tables import Material
from tests.conftest import NOW, POSTGRES_URL

DATABASE = "csu_bench_platform_login"
VOTERS = 2_000
LOGINS = 40  # materials with issued credentials, checked in turn
HEALTH_EVERY = 0.05  # s: /v1/health probed 20 times a second
IDLE_PROBES = 40  # /v1/health probes before the load: the anchor of those under it
IN_PROCESS = 100  # checks through the service alone, and as many bare point queries
AGENT = OperatorContext(login="bench-agent", role="agent", workstation="poste-bench")
PATH = f"/v1/elections/{ELECTION}/logins/check"


def keyed_hash_election() -> str:
    """minint-2022 with a 14-character password (55 symbols: 81 bits), so that both of
    its credentials are kept by keyed hash."""
    text = (ELECTIONS / f"{ELECTION}.toml").read_text(encoding="utf-8")
    text, found = re.subn(r"(\[credentials\.password\]\n(?:#.*\n)*alphabet = .*\n)length = 12",
                          r"\1length = 14", text)  # fmt: skip
    assert found == 1, "the password's length in minint-2022.toml moved"
    return text


def prepare(url: str, election_text: str, hasher: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """A fresh database: the election, a roll, LOGINS materials with a security key and
    a password issued by an agent, a platform client. Returns the database's URL, the
    client's API key, and the login bodies."""
    server = make_url(normalise_url(url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    admin.dispose()
    database_url = server.set(database=DATABASE).render_as_string(hide_password=False)
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW), hasher=hasher)
        load_election(deps, ADMIN, election_text, f"{ELECTION}.toml")
        report = import_voters(deps, ADMIN, roll_file(ELECTION, VOTERS), ELECTION)
        assert report.committed, report.errors[:3]
        bodies = []
        for caller in callers(deps, VOTERS, LOGINS):
            opened = open_intervention(deps, AGENT, caller.voter_id, "phone")
            assert verify_identity(deps, AGENT, opened.id, caller.answers()).verified
            issued = [issue_credential(deps, AGENT, opened.id, caller.material_id, kind)
                      for kind in ("security_key", "password")]  # fmt: skip
            for credential in issued:  # read to the caller: « résolu » needs no note
                confirm_read_out(deps, AGENT, opened.id, credential.credential_id)
            secrets = {credential.kind: credential.display for credential in issued}
            close_intervention(deps, AGENT, opened.id, "résolu")
            bodies.append({"identifier": identifier_of(deps, caller.material_id),
                           "secrets": secrets})  # fmt: skip
        key = add_platform_client(deps, ADMIN, "bench-vote", [ELECTION]).key
        return database_url, key, bodies
    finally:
        engine.dispose()


def identifier_of(deps: Deps, material_id: int) -> str:
    from csu.store.tables import Material

    with deps.reading() as session:
        material = session.get(Material, material_id)
        assert material is not None
        return material.identifier


def drop(url: str) -> None:
    admin = create_engine(make_url(normalise_url(url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin.dispose()


# ------------------------------------------------------------------ the server


def serve(database_url: str, sock: socket.socket, hasher: Any) -> None:
    """The body of the server's process: ``csu api``'s configuration (csu.api.server)."""
    import uvicorn

    from csu.api.server import THREADS, config

    engine = make_engine(database_url, pool_size=THREADS)  # as « csu api » sizes its pool
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW), hasher=hasher)
    uvicorn.Server(config(deps, log_level="warning", ends_process=True)).run(sockets=[sock])


class Server:
    """The API in a process of its own (a client in the same process would share its
    interpreter lock and blur what is measured)."""

    def __init__(self, database_url: str, hasher: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        context = multiprocessing.get_context("fork")
        # Not daemonic: the API starts its argon2 worker processes (killed on exit).
        self.process = context.Process(target=serve, args=(database_url, self.sock, hasher))

    def __enter__(self) -> "Server":
        self.process.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the API server did not start")

    def __exit__(self, *_: object) -> None:
        # Stopped as « csu api » is (SIGTERM): uvicorn ends the checks in flight, a second
        # or so, then stops the argon2 workers (their semaphores released: killed, the
        # process left five for the resource tracker to report as leaked).
        self.process.terminate()
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(15)
        self.sock.close()


# ------------------------------------------------------------------ the health probe


def probe_health(url: str, start: float, end: float, sent: Any) -> None:
    """The body of the probe's process: ``GET /v1/health`` every HEALTH_EVERY seconds
    from ``start`` to ``end`` (time.monotonic, the clock of asyncio's loop too) on one
    kept-alive connection; sends back the latencies (ms, from the moment due) and the
    number of failed probes."""
    host, _, port = url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    latencies, failures = [], 0
    due = start
    while due < end:
        time.sleep(max(0.0, due - time.monotonic()))
        began = time.monotonic()
        try:
            connection.request("GET", "/v1/health")
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise OSError(f"status {answer.status}")
            latencies.append((time.monotonic() - max(due, began)) * 1000)
        except (OSError, http.client.HTTPException):
            failures += 1
            connection.close()  # the next probe connects again
        due = max(due + HEALTH_EVERY, time.monotonic())  # a late probe is not sent twice
    connection.close()
    sent.send((latencies, failures))
    sent.close()


class HealthProbe:
    """:func:`probe_health` in a process of its own: it shares no interpreter lock and
    no event loop with the load's client."""

    def __init__(self, url: str, start: float, end: float) -> None:
        context = multiprocessing.get_context("fork")
        self.received, sent = context.Pipe(duplex=False)
        self.process = context.Process(target=probe_health, args=(url, start, end, sent))
        self.process.start()
        sent.close()

    def results(self) -> tuple[list[float], int]:
        latencies, failures = self.received.recv()
        self.process.join(15)
        return latencies, failures


# ------------------------------------------------------------------ the load


@dataclass
class Measured:
    checks: list[float] = field(default_factory=list)  # ms, from the moment due: verdicts
    saturated: list[float] = field(default_factory=list)  # ms: 503 with Retry-After
    retry_after: list[int] = field(default_factory=list)  # s, as the saturated said
    health: list[float] = field(default_factory=list)  # the probe's own process
    health_failed: int = 0
    loop_health: list[float] = field(default_factory=list)  # in the load's event loop
    idle_health: list[float] = field(default_factory=list)  # the anchor: before the load
    statuses: dict[int, int] = field(default_factory=dict)
    invalid: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # transport errors, by kind
    late: int = 0  # checks unanswered when the drain ended
    span: float = 0.0


async def load(url: str, key: str, bodies: list[dict[str, Any]], rate: float,
               duration: float, drain: float) -> Measured:  # fmt: skip
    """``rate`` checks a second for ``duration`` seconds, each due at its time, and the
    health probe meanwhile; waits ``drain`` seconds at most for the last answers."""
    measured = Measured()
    headers = {"Authorization": f"Bearer {key}"}
    # A platform's own pool of connections: requests beyond it wait their turn there.
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    timeout = httpx.Timeout(duration + drain, pool=None)
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=timeout) as api,
        httpx.AsyncClient(base_url=url, timeout=timeout) as probe,
    ):
        for body in bodies[:4]:  # connections, caches and the argon2 workers warm
            await api.post(PATH, json=body, timeout=120)
        loop = asyncio.get_running_loop()
        # The anchor: the same probe, with no check running.
        idle = time.monotonic() + 0.1
        anchor = HealthProbe(url, idle, idle + IDLE_PROBES * HEALTH_EVERY)
        measured.idle_health, _ = await loop.run_in_executor(None, anchor.results)
        start = loop.time() + 0.2
        end = start + duration
        prober = HealthProbe(url, start, end)  # loop.time() is time.monotonic()

        def failed(error: Exception) -> None:
            kind = type(error).__name__
            measured.failed[kind] = measured.failed.get(kind, 0) + 1

        async def check(number: int, due: float) -> None:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                answer = await api.post(PATH, json=bodies[number % len(bodies)])
            except httpx.TransportError as error:
                failed(error)
                return
            took = (loop.time() - due) * 1000
            measured.statuses[answer.status_code] = measured.statuses.get(
                answer.status_code, 0) + 1  # fmt: skip
            if answer.status_code == 503 and "retry-after" in answer.headers:
                assert answer.headers["content-type"] == "application/problem+json"
                measured.saturated.append(took)
                measured.retry_after.append(int(answer.headers["retry-after"]))
                return
            measured.checks.append(took)
            if answer.status_code == 200 and not answer.json()["valid"]:
                measured.invalid += 1

        async def health() -> None:
            due = start
            while due < end:
                await asyncio.sleep(max(0.0, due - loop.time()))
                began = loop.time()
                try:
                    assert (await probe.get("/v1/health")).status_code == 200
                    measured.loop_health.append((loop.time() - max(due, began)) * 1000)
                except httpx.TransportError as error:
                    failed(error)
                due = max(due + HEALTH_EVERY, loop.time())  # a late probe is not sent twice

        count = int(rate * duration)
        tasks = [asyncio.ensure_future(check(n, start + n / rate)) for n in range(count)]
        await health()
        done, pending = await asyncio.wait(tasks, timeout=max(0.0, end + drain - loop.time()))
        for task in pending:
            task.cancel()
        measured.late = len(pending)
        measured.span = loop.time() - start
        measured.health, measured.health_failed = await loop.run_in_executor(
            None, prober.results
        )
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    return measured


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "-"
    return " / ".join(f"{percentile(samples, q):.1f}" for q in (50, 95, 99)) + " ms"


def show(label: str, measured: Measured, rate: float, target: str) -> None:
    checks, saturated = measured.checks, measured.saturated
    span = measured.span or 1.0
    line(f"{label}: checks answered ({len(checks) / span:.1f}/s)", f"{len(checks):,}",
         f"offered {rate:g}/s; statuses {measured.statuses}; "
         f"{measured.late} unanswered at the end; errors {measured.failed or 0}")  # fmt: skip
    if checks:
        line(f"{label}: check p50 / p95 / p99", percentiles(checks), target)
    retry = (
        f"Retry-After {min(measured.retry_after)}-{max(measured.retry_after)} s"
        if measured.retry_after
        else "none"
    )
    line(f"{label}: saturated answers (503, {len(saturated) / span:.1f}/s)",
         f"{len(saturated):,}", f"p50 / p95 / p99 {percentiles(saturated)}; {retry}")  # fmt: skip
    if measured.invalid:
        line(f"{label}: checks answered invalid (should be 0)", f"{measured.invalid:,}")
    health = measured.health
    line(
        f"{label}: /v1/health p50 / p95 / p99 ({len(health):,})",
        percentiles(health),
        f"target p95 < 10 ms; with no check running: {percentiles(measured.idle_health)}"
        + (f"; {measured.health_failed} failed" if measured.health_failed else ""),
    )
    line(
        f"{label}:   the same probe in the load's loop",
        percentiles(measured.loop_health),
        "what the load's client adds (its event loop is busy with the checks)",
    )


def in_process(label: str, database_url: str, key: str, bodies: list[dict[str, Any]],
               hasher: Any, count: int) -> None:  # fmt: skip
    """The check through the service alone (no HTTP), its statements and round trips to
    the database, beside a bare point query (a material by identifier, in a transaction
    of its own) on the same engine: what the check costs over the floor of the store."""
    from csu.services.platform import check_platform_login
    from csu.services.platform_clients import authenticate

    engine = make_engine(database_url, pool_size=THREADS)
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW), hasher=hasher)
    trips = RoundTrips(engine)  # before any connection is made: each one is traced
    # As in « csu api »: the process's own sequencer chains the journal off the checks
    # (here only once they are counted, so that its round trips are not theirs).
    with sequencer.resident(engine, every=3600):
        platform = authenticate(deps, key)
        checks, bare = [], []
        trips.count()  # the authentication's round trips left out
        for number in range(count):
            body = bodies[number % len(bodies)]
            began = time.perf_counter()
            check_platform_login(deps, platform, ELECTION, body["identifier"], body["secrets"])
            checks.append((time.perf_counter() - began) * 1000)
        per_check = trips.count() / count
        point = select(Material.id).where(Material.election_id == ELECTION,
                                          Material.identifier == bindparam("i"))  # fmt: skip
        for number in range(count):
            began = time.perf_counter()
            with deps.reading() as session:
                session.execute(point, {"i": bodies[number % len(bodies)]["identifier"]}).one()
            bare.append((time.perf_counter() - began) * 1000)
        line(f"{label}: service alone p50 / p95 ({count})",
             f"{percentile(checks, 50):.2f} / {percentile(checks, 95):.2f} ms",
             f"bare point query: {percentile(bare, 50):.2f} / {percentile(bare, 95):.2f} ms")
        line(f"{label}: database round trips a check (service)", f"{per_check:.1f}",
             "the bare point query: 3 (BEGIN, SELECT, COMMIT)")  # fmt: skip
    engine.dispose()


class RoundTrips:
    """Round trips to PostgreSQL on an engine's connections: libpq traces the protocol
    of each, and every ReadyForQuery the server sends ends one."""

    def __init__(self, engine: Any) -> None:
        self.file = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed with the process)
        self.traced: list[Any] = []
        event.listen(engine, "connect", self._trace)

    def _trace(self, dbapi_connection: Any, _record: Any) -> None:
        from psycopg import pq

        dbapi_connection.pgconn.trace(self.file.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        self.traced.append(dbapi_connection)

    def count(self) -> int:
        """Round trips since the last count."""
        for connection in self.traced:
            if not connection.closed:
                connection.pgconn.untrace()  # flushes libpq's buffer
        self.file.seek(0)
        found = sum("\tReadyForQuery" in text for text in self.file)
        self.file.seek(0)
        self.file.truncate()
        for connection in self.traced:
            if not connection.closed:
                connection.pgconn.trace(self.file.fileno())
        return found


def phase(url: str, label: str, election_text: str, hasher: Any, rate: float,
          duration: float, drain: float, target: str, alone: int = IN_PROCESS,
          ) -> Measured:  # fmt: skip
    started = time.perf_counter()
    database_url, key, bodies = prepare(url, election_text, hasher)
    line(f"({label}: {LOGINS} logins issued, set-up)", f"{time.perf_counter() - started:.1f} s")
    try:
        if alone:
            in_process(label, database_url, key, bodies, hasher, alone)
        with Server(database_url, hasher) as server:
            measured = asyncio.run(load(server.url, key, bodies, rate, duration, drain))
    finally:
        drop(url)
    show(label, measured, rate, target)
    return measured


def main(
    rate: float = 50, duration: float = 15, url: str | None = None, only: str | None = None
) -> None:
    url = url or os.environ.get("CSU_BENCH_POSTGRES_URL", POSTGRES_URL)
    settings = Settings()
    production = settings.hasher()
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"Login checks through the API (uvicorn, PostgreSQL), {rate:g}/s for {duration:g} s "
        f"(machine: {os.cpu_count()} cores, load average {load_average})"
    )
    if only in (None, "keyed"):
        phase(
            url,
            "keyed hash",
            keyed_hash_election(),
            production,
            rate,
            duration,
            10,
            "target p95 < 20 ms",
        )
    if only == "keyed":
        return
    cost = (
        f"argon2id t={production.time_cost}, {production.memory_cost // 1024} MiB, "
        f"p={production.parallelism}"
    )
    shipped = (ELECTIONS / f"{ELECTION}.toml").read_text(encoding="utf-8")
    phase(
        url,
        f"argon2 ({cost})",
        shipped,
        production,
        rate,
        duration,
        10,
        f"bounded pool: {ARGON2_WORKERS} at once, {ARGON2_QUEUED} waiting at most",
        alone=8,  # argon2id: ~0.3 s each
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50, help="checks a second (default 50)")
    parser.add_argument("--duration", type=float, default=15, help="seconds (default 15)")
    parser.add_argument("--url", help="a PostgreSQL server (the database is created)")
    parser.add_argument("--only", choices=("keyed", "argon2"), help="one phase only")
    arguments = parser.parse_args()
    main(arguments.rate, arguments.duration, arguments.url, arguments.only)
