"""Issuing credentials: a security key end to end on SQLite (open, verify, issue), the
argon2id cost of a password with the settings' parameters, and agents issuing keys
concurrently on PostgreSQL, with the journal and the credentials checked afterwards."""

import csv
import itertools
import math
import multiprocessing
import random
import sys
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.common import ADMIN, KEY, fresh_sqlite, line, load, median_ms, roll_file
from csu.config import Settings
from csu.domain.clock import fixed_clock
from csu.services.audit import verify_journal
from csu.services.context import Deps, OperatorContext, ServiceError
from csu.services.credentials import issue_credential
from csu.services.interventions import (
    close_intervention,
    current_intervention,
    open_intervention,
)
from csu.services.platform import check_login
from csu.services.rolls import import_voters
from csu.services.verification import verify_identity
from csu.store import journal
from csu.store.engine import make_engine, normalise_url
from csu.store.migrate import upgrade
from csu.store.tables import Credential, Intervention, JournalEntry, Material, Voter
from tests.conftest import NOW, POSTGRES_URL

ELECTION = "minint-2022"
# Operators log in nowhere here (services take an OperatorContext): a cheap hasher
# everywhere but where the cost of argon2id itself is measured.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PG_DATABASE = "csu_bench_credentials"
KEY_KIND = "security_key"


@dataclass(frozen=True, slots=True)
class Caller:
    """A voter of the roll and what they say on the phone (clear values of the roll)."""

    voter_id: int
    material_id: int
    identifier: str
    birth_date: str  # jj/mm/aaaa
    card: str
    iban: str

    def answers(self) -> dict[str, str]:
        return {"birth_date": self.birth_date, "agent_card": self.card, "iban": self.iban}


def callers(deps: Deps, voters: int, count: int, seed: int = 3) -> list[Caller]:
    """``count`` distinct voters of the store who can pass the phone verification
    (birth date + agent card + IBAN), with the clear values of the generated roll."""
    with roll_file(ELECTION, voters).open(encoding="utf-8", newline="") as handle:
        rows = [
            row
            for row in itertools.islice(csv.DictReader(handle, delimiter=";"), 50_000)
            if row["carte_agent"] and row["iban"] and row["date_naissance"]
        ]
    chosen = {row["matricule"]: row for row in random.Random(seed).sample(rows, count)}
    with deps.reading() as session:
        found = session.execute(
            select(Voter.matricule, Voter.id, Material.id, Material.identifier)
            .join(Material, Material.voter_id == Voter.id)  # type: ignore[arg-type]
            .where(Voter.matricule.in_(chosen), Material.election_id == ELECTION)  # type: ignore[attr-defined]
        ).all()
    assert len(found) == count, f"{len(found)} of {count} voters found in the store"
    return [
        Caller(
            voter_id=voter_id,
            material_id=material_id,
            identifier=identifier,
            birth_date=chosen[matricule]["date_naissance"],
            card=chosen[matricule]["carte_agent"],
            iban=chosen[matricule]["iban"],
        )
        for matricule, voter_id, material_id, identifier in found
    ]


def percentile(samples: list[float], q: int) -> float:
    """The q-th percentile, in milliseconds."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] * 1000


def close_left_open(deps: Deps, who: OperatorContext) -> None:
    """Close the operator's intervention left open (by a failure, or an earlier run)."""
    left = current_intervention(deps, who)
    if left is not None:
        close_intervention(deps, who, left.id, "abandonné", "banc d'essai")


def born_on(caller: Caller) -> date:
    return datetime.strptime(caller.birth_date, "%d/%m/%Y").date()


# ----------------------------------------------------------------- 1. SQLite


def populated(voters: int) -> Deps:
    deps = fresh_sqlite("credentials")
    load(deps, ELECTION)
    report = import_voters(deps, ADMIN, roll_file(ELECTION, voters), ELECTION)
    assert report.committed, report.errors[:3]
    return deps


def key_issue(deps: Deps, voters: int, count: int = 200, warm: int = 10) -> None:
    """open, verify, issue (a first key), issue again (revoking it), close: per voter."""
    deps = replace(deps, hasher=FAST)
    agent = OperatorContext(login="bench-issuer", role="agent", workstation="poste-bench")
    close_left_open(deps, agent)
    times: dict[str, list[float]] = defaultdict(list)

    def step(name: str, call: Any) -> Any:
        started = time.perf_counter()
        result = call()
        times[name].append(time.perf_counter() - started)
        return result

    for caller in callers(deps, voters, warm + count):
        opened = step("open", lambda c=caller: open_intervention(deps, agent, c.voter_id, "phone"))
        checked = step("verify", lambda o=opened, c=caller: verify_identity(
            deps, agent, o.id, c.answers()))
        assert checked.verified, checked.message
        first = step("first", lambda o=opened, c=caller: issue_credential(
            deps, agent, o.id, c.material_id, KEY_KIND))
        second = step("reissue", lambda o=opened, c=caller: issue_credential(
            deps, agent, o.id, c.material_id, KEY_KIND))
        step("close", lambda o=opened: close_intervention(deps, agent, o.id, "résolu"))
        # What the platform would answer: the new key works, the one it replaced is dead.
        for value, expected in ((second.value, True), (first.value, False)):
            assert check_login(deps, ELECTION, caller.identifier, born_on(caller),
                               security_key=value) is expected
    samples = {name: values[warm:] for name, values in times.items()}
    line("open_intervention (median)", f"{median_ms(samples['open']):.2f} ms")
    line("verify_identity, date + carte agent + IBAN (median)",
         f"{median_ms(samples['verify']):.2f} ms")
    for name, label in (("first", "first key"), ("reissue", "reissue, revokes the key")):
        line(f"issue_credential, {label} (median)", f"{median_ms(samples[name]):.2f} ms",
             "target < 50 ms")
        line(f"issue_credential, {label} (p95)", f"{percentile(samples[name], 95):.2f} ms")
    line("close_intervention (median)", f"{median_ms(samples['close']):.2f} ms")
    line(f"(over {count} voters; the platform accepts each new key and refuses the old)", "")


# ------------------------------------------------------------------ 2. argon2


def password_cost(deps: Deps, voters: int, repeat: int = 10) -> None:
    """A password is short: stored as argon2id with the settings' parameters."""
    settings = Settings()
    hasher = settings.hasher()
    deps = replace(deps, hasher=hasher)
    line(
        "argon2id parameters (Settings defaults)",
        f"t={settings.argon2_time_cost} m={settings.argon2_memory_kib // 1024} MiB "
        f"p={settings.argon2_parallelism}",
    )
    hasher.hash("warm-up")
    bare = [0.0] * repeat
    for number in range(repeat):
        started = time.perf_counter()
        hasher.hash(f"Kp7mQ2xR9tWz{number}")
        bare[number] = time.perf_counter() - started
    line("PasswordHasher.hash, bare (median)", f"{median_ms(bare):.1f} ms")

    agent = OperatorContext(login="bench-password", role="agent", workstation="poste-bench")
    close_left_open(deps, agent)
    issued = []
    for caller in callers(deps, voters, repeat + 1, seed=5):
        opened = open_intervention(deps, agent, caller.voter_id, "phone")
        assert verify_identity(deps, agent, opened.id, caller.answers()).verified
        started = time.perf_counter()
        issued.append((issue_credential(deps, agent, opened.id, caller.material_id, "password"),
                       time.perf_counter() - started, caller))
        close_intervention(deps, agent, opened.id, "résolu")
    samples = [seconds for _, seconds, _ in issued[1:]]
    line("issue_credential, password (median)", f"{median_ms(samples):.1f} ms")
    credential, _, caller = issued[-1]
    started = time.perf_counter()
    assert check_login(deps, ELECTION, caller.identifier, born_on(caller),
                       password=credential.value)
    line("check_login with that password (one argon2 verify)",
         f"{(time.perf_counter() - started) * 1000:.1f} ms")


# -------------------------------------------------------------- 3. PostgreSQL


def _agent(
    url: str, login: str, pool: list[Caller], duration: float, seed: int,
    barrier: Any, results: Any,
) -> None:
    """One agent in its own process: open, verify, issue a key, close, until time is up."""
    engine = make_engine(url)
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW), hasher=FAST)
    who = OperatorContext(login=login, role="agent", workstation=f"poste-{login}")
    rng = random.Random(seed)
    issued: list[int] = []
    latencies: list[float] = []
    cycles: list[tuple[int, float, float]] = []  # voter, start, end (wall clock)
    refusals: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    tracebacks: dict[str, str] = {}

    def failed(error: Exception, where: str) -> None:
        if isinstance(error, ServiceError):
            refusals[f"{where}: {error}"] += 1
            return
        orig = getattr(error, "orig", None)
        kind = f"{where}: {type(error).__name__}" + (f" ({type(orig).__name__})" if orig else "")
        errors[kind] += 1
        tracebacks.setdefault(kind, traceback.format_exc())

    close_left_open(deps, who)  # also opens the connection before the start
    barrier.wait()
    began = time.perf_counter()
    deadline = began + duration
    while time.perf_counter() < deadline:
        caller = rng.choice(pool)
        start = time.time()
        where = "open"
        try:
            opened = open_intervention(deps, who, caller.voter_id, "phone")
            where = "verify"
            checked = verify_identity(deps, who, opened.id, caller.answers())
            if not checked.verified:
                raise ServiceError(checked.message)
            where = "issue"
            started = time.perf_counter()
            credential = issue_credential(deps, who, opened.id, caller.material_id, KEY_KIND)
            latencies.append(time.perf_counter() - started)
            issued.append(credential.credential_id)
            where = "close"
            close_intervention(deps, who, opened.id, "résolu")
        except Exception as error:  # counted and reported, never retried
            failed(error, where)
            try:
                close_left_open(deps, who)
            except Exception as again:
                failed(again, "cleanup")
        cycles.append((caller.voter_id, start, time.time()))
    elapsed = time.perf_counter() - began
    engine.dispose()
    results.put({
        "login": login,
        "issued": issued,
        "latencies": latencies,
        "cycles": cycles,
        "refusals": refusals,
        "errors": errors,
        "tracebacks": tracebacks,
        "elapsed": elapsed,
    })


def overlapping(cycles: list[tuple[str, int, float, float]]) -> int:
    """Cycles that ran while another agent's cycle on the same voter was running."""
    by_voter: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for login, voter, start, end in cycles:
        by_voter[voter].append((start, end, login))
    count = 0
    for spans in by_voter.values():
        spans.sort()
        for i, (start, end, login) in enumerate(spans):
            earlier = any(e > start and other != login for _, e, other in spans[:i])
            later = any(s < end and other != login for s, _, other in spans[i + 1:])
            count += earlier or later
    return count


def reachable(url: str) -> str | None:
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as error:  # any failure to connect means "not reachable"
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return None


def concurrent_issues(
    voters: int, duration: float, agents: int = 16, pool_size: int = 500,
    roll_cap: int = 10_000,
) -> None:
    server = make_url(normalise_url(POSTGRES_URL))
    size = min(voters, roll_cap)
    print(f"Concurrent issuing, {agents} agents x {duration:g} s, PostgreSQL "
          f"({size:,} voters, a shared pool of {pool_size})")
    problem = reachable(server.render_as_string(hide_password=False))
    if problem is not None:
        print(f"  skipped: no PostgreSQL server at {server.render_as_string()}: {problem}")
        return
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{PG_DATABASE}"')
    url = server.set(database=PG_DATABASE).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW), hasher=FAST)
        load(deps, ELECTION)
        started = time.perf_counter()
        report = import_voters(deps, ADMIN, roll_file(ELECTION, size), ELECTION)
        assert report.committed, report.errors[:3]
        line(f"(roll of {size:,} voters imported)", f"{time.perf_counter() - started:.1f} s")
        with deps.reading() as session:
            seq_before = journal.head(session)[0]
        pool = callers(deps, size, min(pool_size, size // 2))
        results = run_agents(url, pool, agents, duration)
        report_run(results)
        check_store(deps, results, seq_before)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        admin.dispose()


def run_agents(url: str, pool: list[Caller], agents: int, duration: float) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(agents + 1)
    queue = context.Queue()
    processes = [
        context.Process(
            target=_agent,
            args=(url, f"agent{n:02d}", pool, duration, 100 + n, barrier, queue),
        )
        for n in range(1, agents + 1)
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=180)
        results = [queue.get(timeout=duration + 300) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    return results


def report_run(results: list[dict]) -> None:
    latencies = [s for r in results for s in r["latencies"]]
    issued = sum(len(r["issued"]) for r in results)
    elapsed = max(r["elapsed"] for r in results)
    cycles = [(r["login"], *c) for r in results for c in r["cycles"]]
    refusals: Counter[str] = sum((r["refusals"] for r in results), Counter())
    errors: Counter[str] = sum((r["errors"] for r in results), Counter())
    per_agent = sorted(len(r["issued"]) for r in results)
    line("keys issued and acknowledged", f"{issued:,}")
    line("throughput", f"{issued / elapsed:,.1f} issues/s")
    line("per agent (fewest / most)", f"{per_agent[0]:,} / {per_agent[-1]:,}")
    if latencies:
        for q in (50, 95, 99):
            line(f"issue_credential latency p{q}", f"{percentile(latencies, q):.1f} ms",
                 "target < 50 ms" if q == 50 else "")
        line("issue_credential latency max", f"{max(latencies) * 1000:.1f} ms")
    spans = [end - start for _, _, start, end in cycles]
    if spans:
        line("whole cycle open+verify+issue+close (median)", f"{median_ms(spans):.1f} ms")
    line("cycles overlapping another agent's on the same voter", f"{overlapping(cycles):,}")
    line("refusals (ServiceError)", f"{sum(refusals.values()):,}")
    for message, count in refusals.most_common(5):
        print(f"    {count:>6} x {message}")
    line("other errors (not retried)", f"{sum(errors.values()):,}")
    for kind, count in errors.most_common():
        print(f"    {count:>6} x {kind}")
    shown: set[str] = set()
    for result in results:
        for kind, text_ in result["tracebacks"].items():
            if kind not in shown:
                shown.add(kind)
                print(f"  first traceback of {kind} ({result['login']}):")
                print("    " + text_.rstrip().replace("\n", "\n    "))


def check_store(deps: Deps, results: list[dict], seq_before: int) -> None:
    acknowledged = [(r["login"], cid) for r in results for cid in r["issued"]]
    started = time.perf_counter()
    check = verify_journal(deps, ADMIN)
    line("journal verifies", "yes" if check.ok else "NO", check.describe())
    line("(verification time)", f"{time.perf_counter() - started:.2f} s")
    with deps.reading() as session:
        count, low, high = session.execute(
            select(func.count(), func.min(JournalEntry.seq), func.max(JournalEntry.seq))
        ).one()
        head_seq = journal.head(session)[0]
        gap_free = low == 1 and high == count == head_seq
        line("sequence numbers 1..N without gap", "yes" if gap_free else "NO",
             f"N = {high:,}, {count:,} rows, head {head_seq:,}, {high - seq_before:,} by agents")
        in_journal: Counter[int] = Counter()
        last_of_material: dict[str, int] = {}
        entries = session.execute(
            select(JournalEntry)
            .where(JournalEntry.action == "credential_issue")
            .order_by(JournalEntry.seq),  # type: ignore[arg-type]
            execution_options={"yield_per": 5_000},
        ).scalars()
        for entry in entries:
            fields = journal.entry_fields(entry)  # the hashed body
            details = fields["details"]
            if fields["action"] == "credential_issue" and details["kind"] == KEY_KIND:
                in_journal[details["credential"]] += 1
                last_of_material[details["material"]] = details["credential"]
        active = dict(session.execute(
            select(Material.identifier, Credential.id)
            .join(Credential, Credential.material_id == Material.id)  # type: ignore[arg-type]
            .where(Credential.kind == KEY_KIND, Credential.status == "active")
        ).all())
        doubles = session.execute(text(
            "SELECT material_id, kind, count(*) FROM credential WHERE status = 'active' "
            "GROUP BY material_id, kind HAVING count(*) > 1"
        )).all()
        stored = session.execute(
            select(func.count()).select_from(Credential).where(Credential.kind == KEY_KIND)
        ).scalar_one()
        still_open = session.execute(
            select(func.count()).select_from(Intervention)
            .where(Intervention.closed_at.is_(None))  # type: ignore[union-attr]
        ).scalar_one()
    ids = [cid for _, cid in acknowledged]
    missing = [cid for cid in ids if in_journal[cid] == 0]
    repeated = [cid for cid in ids if in_journal[cid] > 1]
    unacknowledged = set(in_journal) - set(ids)
    exact = not missing and not repeated and len(set(ids)) == len(ids)
    line("acknowledged issues in the journal exactly once", "yes" if exact else "NO",
         f"{len(ids):,} acknowledged, {len(missing)} missing, {len(repeated)} repeated")
    line("journalled issues nobody acknowledged", f"{len(unacknowledged):,}")
    line("key rows stored / journalled issues", f"{stored:,} / {sum(in_journal.values()):,}")
    line("materials with two active credentials of a kind", f"{len(doubles):,}",
         str(doubles[:3]) if doubles else "")
    line("active key = last issued in journal order", "yes" if active == last_of_material
         else "NO", f"{len(active):,} materials")
    line("interventions left open", f"{still_open:,}")


def main(voters: int = 10_000, deps: Deps | None = None, duration: float = 60) -> None:
    print(f"Issuing credentials, {voters:,} voters, SQLite")
    deps = deps or populated(voters)
    key_issue(deps, voters)
    print("Password issue: one argon2id hash with the settings' parameters, SQLite")
    password_cost(deps, voters)
    concurrent_issues(voters, duration)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
        duration=float(sys.argv[2]) if len(sys.argv) > 2 else 60,
    )
