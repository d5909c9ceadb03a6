"""A cell under load: workstations (separate processes) on one PostgreSQL database,
each running the service-level script of a mix of calls, then the store checked
against what every workstation was told.

Every workstation writes, before each service call, what it is about to do, and after
it what was acknowledged to the operator (the journal action, the instant of its own
clock, the id the service returned), one line at a time to its own file: the lines
survive a SIGKILL of the workstation (bench/crash.py), and the checks compare them
with the journal. Each service call runs at its own instant of the workstation's
clock, so ``(operator, instant, action)`` names its journal entry.

Used by bench/load.py (the call mix), bench/credentials.py (key issues only) and
bench/crash.py (workstations killed, the server stopped hard).
"""

import contextlib
import csv
import itertools
import json
import logging
import math
import multiprocessing
import os
import queue
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.common import ADMIN, ELECTIONS, KEY, line, roll_file
from csu.domain.clock import rfc3339
from csu.services.audit import verify_journal
from csu.services.context import (
    Deps,
    OperatorContext,
    OutcomeUnknown,
    ServiceError,
    StoreBusy,
    retried,
)
from csu.services.credentials import confirm_read_out, issue_credential
from csu.services.elections import load_election
from csu.services.interventions import (
    close_intervention,
    current_intervention,
    open_intervention,
)
from csu.services.rolls import import_voters
from csu.services.substitution import request_substitution
from csu.services.verification import verify_identity
from csu.services.voters import open_voter, search_voters
from csu.store import journal
from csu.store.engine import make_engine, normalise_url
from csu.store.migrate import upgrade
from csu.store.tables import Credential, Intervention, JournalEntry, Material, Voter
from tests.conftest import NOW

ELECTION = "minint-2022"
KEY_KIND = "security_key"
# Operators log in nowhere here (services take an OperatorContext): a cheap hasher.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# The call mix of a busy election day (issue 7): look-up, identity verification
# (some callers fail it), a security key reissued, a substitution request.
CALL_MIX = {"lookup": 0.60, "verification": 0.25, "key_issue": 0.10, "substitution": 0.05}
WRONG_ANSWERS = 0.10  # share of verification calls where the caller gets the IBAN wrong
SUBSTITUTION_SLICE = 150  # voters per workstation kept for substitution requests
# Minint 2022 has no substitution: the bench enables it, with a supervisor's approval
# (so a request stays pending and costs no argon2 hash), from before the vote.
SUBSTITUTION = """[substitution]
enabled = true
from = 2022-11-01
requires_approval = true
checklist = ["Demande signée", "Pièce d'identité", "Numéro d'électeur"]

[substitution.identifier]
alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
length = 12
group = 4
"""


# ------------------------------------------------------------------- callers


@dataclass(frozen=True, slots=True)
class Caller:
    """A voter of the roll and what they say on the phone (clear values of the roll)."""

    voter_id: int
    material_id: int
    matricule: str
    identifier: str
    birth_date: str  # jj/mm/aaaa
    card: str
    iban: str

    def answers(self, wrong: bool = False) -> dict[str, str]:
        iban = self.iban[:-1] + ("0" if self.iban[-1] != "0" else "1") if wrong else self.iban
        return {"birth_date": self.birth_date, "agent_card": self.card, "iban": iban}


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
    return sorted(
        (
            Caller(
                voter_id=voter_id,
                material_id=material_id,
                matricule=matricule,
                identifier=identifier,
                birth_date=chosen[matricule]["date_naissance"],
                card=chosen[matricule]["carte_agent"],
                iban=chosen[matricule]["iban"],
            )
            for matricule, voter_id, material_id, identifier in found
        ),
        key=lambda c: c.voter_id,
    )


def born_on(caller: Caller) -> date:
    return datetime.strptime(caller.birth_date, "%d/%m/%Y").date()


def percentile(samples: list[float], q: int) -> float:
    """The q-th percentile (nearest rank) of samples in milliseconds."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def close_left_open(deps: Deps, who: OperatorContext) -> None:
    """Close the operator's intervention left open (by a failure, or an earlier run)."""
    left = current_intervention(deps, who)
    if left is not None:
        close_intervention(deps, who, left.id, "abandonné", "banc d'essai")


def reachable(url: str) -> str | None:
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as error:  # any failure to connect means "not reachable"
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return None


# --------------------------------------------------------------------- store


@dataclass(frozen=True, slots=True)
class Store:
    """A database ready for the load, and the voters the workstations call about."""

    url: str
    shared: list[Caller]  # any workstation may call about them
    substitution: list[Caller]  # sliced: one request per voter, by one workstation
    seq_before: int  # journal entries written by the set-up


def prepare(server_url: str, database: str, voters: int, workstations: int,
            shared: int = 2_000, with_substitution: bool = True) -> Store:
    """A fresh database ``database`` on the server: migrated, the election loaded
    (substitution enabled), a generated roll of ``voters`` imported."""
    server = make_url(normalise_url(server_url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    admin.dispose()
    url = server.set(database=database).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        deps = Deps(engine=engine, key=KEY, clock=lambda: NOW, hasher=FAST)
        definition = (ELECTIONS / f"{ELECTION}.toml").read_text(encoding="utf-8")
        if with_substitution:
            definition = definition.replace("[substitution]\nenabled = false\n", SUBSTITUTION)
        load_election(deps, ADMIN, definition, f"{ELECTION}.toml")
        started = time.perf_counter()
        report = import_voters(deps, ADMIN, roll_file(ELECTION, voters), ELECTION)
        assert report.committed, report.errors[:3]
        line(f"(roll of {voters:,} voters imported)", f"{time.perf_counter() - started:.1f} s")
        reserved = SUBSTITUTION_SLICE * workstations if with_substitution else 0
        chosen = min(shared + reserved, voters // 2)
        # A small roll: half of the callers for substitutions at most, so that the
        # workstations still have shared voters to call about.
        reserved = min(reserved, chosen // 2)
        everyone = callers(deps, voters, chosen)
        random.Random(11).shuffle(everyone)
        with deps.reading() as session:
            seq_before = journal.head(session)[0]
        return Store(url, everyone[reserved:], everyone[:reserved], seq_before)
    finally:
        engine.dispose()


def drop(server_url: str, database: str) -> None:
    admin = create_engine(make_url(normalise_url(server_url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.dispose()


# --------------------------------------------------------------- workstation


class StepClock:
    """The workstation's clock: a new instant (1 µs later) for each service call, so
    that the journal entry of a call is found by its instant."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


class Ledger:
    """What a workstation tried and what it was told, one line per event, written
    unbuffered so that a SIGKILL loses nothing already told to the operator."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("ab", buffering=0)

    def write(self, **fields: Any) -> None:
        self.handle.write(json.dumps(fields, separators=(",", ":")).encode() + b"\n")


@dataclass(frozen=True, slots=True)
class Spec:
    """What one workstation process does."""

    url: str
    login: str
    mix: dict[str, float]
    shared: list[Caller]
    substitution: list[Caller]
    duration: float
    seed: int
    ledger: Path
    incarnation: int = 0  # > 0: restarted after a kill (bench/crash.py)
    # Seconds between two actions, drawn in this range: an agent talks, a bench does not.
    pause: tuple[float, float] = (0.0, 0.0)


class _Retries(logging.Handler):
    """Writes down the retries announced by ``retried``."""

    def __init__(self, ledger: "Ledger") -> None:
        super().__init__(logging.WARNING)
        self.ledger = ledger

    def emit(self, record: logging.LogRecord) -> None:
        self.ledger.write(t="retry", message=record.getMessage()[:160])


def trace() -> str:
    """Where the error being handled came from: the project's frames (the driver's
    would push them out of the length kept), then the error itself."""
    error = sys.exc_info()[1]
    frames = [
        f"  {Path(frame.filename).name}:{frame.lineno} {frame.name}\n"
        for frame in traceback.extract_tb(error.__traceback__ if error else None)
        if "site-packages" not in frame.filename
    ]
    return ("".join(frames) + "".join(traceback.format_exception_only(error)))[:1500]


class Workstation:
    def __init__(self, spec: Spec, engine: Engine) -> None:
        self.spec = spec
        # 10 s of the clock per incarnation: a restarted workstation never reuses one.
        self.clock = StepClock(NOW + timedelta(seconds=10 * spec.incarnation))
        self.deps = Deps(engine=engine, key=KEY, clock=self.clock, hasher=FAST)
        self.who = OperatorContext(login=spec.login, role="agent",
                                   workstation=f"poste-{spec.login}")
        self.rng = random.Random(spec.seed * 1000 + spec.incarnation)
        # Pauses drawn apart: a paced run makes the same calls as a run flat out.
        self.pacer = random.Random(f"pace-{spec.seed}-{spec.incarnation}")
        self.ledger = Ledger(spec.ledger)
        self.substitution = list(spec.substitution)
        self.rng.shuffle(self.substitution)
        logging.getLogger("csu.services.context").addHandler(_Retries(self.ledger))

    def call(self, action: str, service: Callable[..., Any], *args: Any,
             ref: Callable[[Any], Any] = lambda _: None, **kwargs: Any) -> Any:
        """One service call, retried as a whole, and what the operator was told."""
        at = rfc3339(self.clock.tick())
        self.ledger.write(t="try", action=action, ts=at)
        started = time.perf_counter()
        try:
            result = retried(service)(self.deps, self.who, *args, **kwargs)
        except OutcomeUnknown:
            self.ledger.write(t="unknown", action=action, ts=at)
            raise
        self.ledger.write(t="ack", action=action, ts=at, ref=ref(result),
                          service=service.__name__,
                          ms=round((time.perf_counter() - started) * 1000, 3))
        return result

    def verified(self, caller: Caller, wrong: bool = False) -> tuple[str, bool]:
        opened = self.call("intervention_open", open_intervention, caller.voter_id, "phone",
                           ref=lambda r: r.id)
        checked = self.call("verification", verify_identity, opened.id,
                            caller.answers(wrong), ref=lambda r: r.verified)
        return opened.id, checked.verified

    def lookup(self, caller: Caller) -> None:
        hits = self.call("recherche", search_voters, caller.matricule, ref=len)
        if hits:
            self.call("consultation", open_voter, hits[0].voter_id)

    def verification(self, caller: Caller) -> None:
        intervention, ok = self.verified(caller, wrong=self.rng.random() < WRONG_ANSWERS)
        self.call("intervention_close", close_intervention, intervention,
                  "résolu" if ok else "refusé")

    def key_issue(self, caller: Caller) -> None:
        intervention, ok = self.verified(caller)
        if ok:
            issued = self.call("credential_issue", issue_credential, intervention,
                               caller.material_id, KEY_KIND, ref=lambda r: r.credential_id)
            # Read to the caller and confirmed, as the window asks: a key whose hand-over
            # was never confirmed closes « résolu » only with a note saying how.
            self.call("credential_read_out", confirm_read_out, intervention,
                      issued.credential_id)
        self.call("intervention_close", close_intervention, intervention, "résolu")

    def substitution_request(self, caller: Caller) -> None:
        intervention, ok = self.verified(caller)
        if ok:
            self.call(
                "substitution_request", request_substitution, intervention,
                [caller.material_id],
                checklist={"Demande signée": True, "Pièce d'identité": True,
                           "Numéro d'électeur": True},
                identity_match=True, email="electeur@example.fr", email_again="electeur@example.fr",
                declared_on=date(2022, 12, 1), ref=lambda r: r.id,
            )
        self.call("intervention_close", close_intervention, intervention, "résolu")

    def next_action(self) -> tuple[str, Caller]:
        names = list(self.spec.mix)
        action = self.rng.choices(names, weights=[self.spec.mix[n] for n in names])[0]
        if action == "substitution":
            if self.substitution:
                return action, self.substitution.pop()
            action = "lookup"  # every voter of the slice asked already
        return action, self.rng.choice(self.spec.shared)

    def run(self) -> None:
        scripts = {"lookup": self.lookup, "verification": self.verification,
                   "key_issue": self.key_issue, "substitution": self.substitution_request}
        self.ledger.write(t="start", incarnation=self.spec.incarnation)
        cpu = time.process_time()  # the client's share of a CPU-bound cell (report)
        deadline = time.monotonic() + self.spec.duration
        low, high = self.spec.pause
        # Agents do not all pick up at the same instant: the first action comes after a
        # share of a pause, then one pause (drawn in the range) after each action.
        self.wait(self.pacer.uniform(0, high), deadline)
        while time.monotonic() < deadline:
            action, caller = self.next_action()
            began, wall = time.perf_counter(), time.time()
            outcome = "ok"
            try:
                scripts[action](caller)
            except ServiceError as error:
                outcome = "unavailable" if isinstance(error, StoreBusy) else (
                    "unknown" if isinstance(error, OutcomeUnknown) else "refused")
                self.ledger.write(t="refusal", action=action, kind=outcome,
                                  message=str(error)[:120])
            except Exception as error:  # counted and reported
                outcome = "error"
                self.ledger.write(t="error", action=action, kind=type(error).__name__,
                                  trace=trace())
            if outcome != "ok":
                self.cleanup()
            self.ledger.write(t="done", action=action, outcome=outcome, voter=caller.voter_id,
                              ms=round((time.perf_counter() - began) * 1000, 3),
                              start=wall, end=time.time())
            self.wait(self.pacer.uniform(low, high), deadline)
        self.ledger.write(t="end", cpu=round(time.process_time() - cpu, 3))

    @staticmethod
    def wait(seconds: float, deadline: float) -> None:
        """Pause between actions, never past the end of the run."""
        left = min(seconds, deadline - time.monotonic())
        if left > 0:
            time.sleep(left)

    def cleanup(self) -> None:
        for _ in range(20):  # the store may be restarting (bench/crash.py)
            try:
                left = retried(current_intervention)(self.deps, self.who)
                if left is not None:
                    self.call("intervention_close", close_intervention, left.id, "abandonné",
                              "banc d'essai")
                return
            except Exception as error:
                self.ledger.write(t="error", action="cleanup", kind=type(error).__name__,
                                  trace=trace())
                time.sleep(0.5)


def workstation(spec: Spec, ready: Any = None, go: Any = None) -> None:
    """The body of one workstation process: says it is ready (connected, what an
    earlier incarnation left open closed), waits for the start, runs."""
    engine = make_engine(spec.url)
    try:
        station = Workstation(spec, engine)
        station.cleanup()
        if ready is not None:
            ready.put(spec.login)
            go.wait(timeout=300)
        station.run()
    finally:
        engine.dispose()


def process_context() -> Any:
    """Forked workstations: they start at once, with the modules the parent has
    imported (not re-read from a checkout that may change meanwhile). The parent
    holds no connection when it forks (``prepare`` disposed its engine)."""
    return multiprocessing.get_context("fork")


def start_together(context: Any, all_specs: list[Spec]) -> dict[str, Any]:
    """Start one process per workstation, and let them all go at once when every one
    is ready; stop them all if one dies before."""
    ready, go = context.Queue(), context.Event()
    processes = {spec.login: context.Process(target=workstation, args=(spec, ready, go))
                 for spec in all_specs}
    for process in processes.values():
        process.start()
    waiting = set(processes)
    deadline = time.monotonic() + 300
    try:
        while waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"workstations not ready: {sorted(waiting)}")
            dead = [login for login in waiting if not processes[login].is_alive()]
            if dead:
                raise RuntimeError(f"workstations died before the start: {dead}")
            with contextlib.suppress(queue.Empty):
                waiting.discard(ready.get(timeout=1))
    except BaseException:
        for process in processes.values():
            process.kill()
        raise
    go.set()
    return processes


def specs(store: Store, logins: list[str], mix: dict[str, float], duration: float,
          folder: Path, pause: tuple[float, float] = (0.0, 0.0)) -> list[Spec]:
    slice_ = SUBSTITUTION_SLICE
    return [
        Spec(url=store.url, login=login, mix=mix, shared=store.shared,
             substitution=store.substitution[n * slice_:(n + 1) * slice_],
             duration=duration, seed=100 + n, ledger=folder / f"{login}.jsonl", pause=pause)
        for n, login in enumerate(logins)
    ]


def run_workstations(all_specs: list[Spec], timeout: float) -> None:
    """Run every workstation, started together, and wait for them all."""
    processes = start_together(process_context(), all_specs)
    try:
        for process in processes.values():
            process.join(timeout=timeout)
    finally:
        for process in processes.values():
            if process.is_alive():
                process.kill()


# ------------------------------------------------------------------- ledgers


@dataclass
class Ledgers:
    """Every workstation's lines, read back."""

    tried: dict[tuple[str, str], str] = field(default_factory=dict)  # (login, ts) → action
    acks: dict[tuple[str, str], dict] = field(default_factory=dict)  # (login, ts) → line
    unknown: set[tuple[str, str]] = field(default_factory=set)
    done: list[dict] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    traces: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    incarnations: int = 0
    ended: int = 0  # incarnations that ran to the end of the load (not killed)
    cpu: float = 0.0  # seconds of CPU the ended ones used for their actions
    # Told "store unavailable" or "outcome unknown", or shown an unexpected exception:
    # what an operator must never meet under load (refusals of the rules are fine).
    operator_errors: int = 0

    @classmethod
    def read(cls, folder: Path) -> "Ledgers":
        ledgers = cls()
        for path in sorted(folder.glob("*.jsonl")):
            login = path.stem
            for raw in path.read_bytes().splitlines():
                try:
                    entry = json.loads(raw)
                except ValueError:  # the last line of a killed workstation, cut short
                    continue
                kind = entry["t"]
                if kind == "try":
                    ledgers.tried[login, entry["ts"]] = entry["action"]
                elif kind == "ack":
                    ledgers.acks[login, entry["ts"]] = entry
                elif kind == "unknown":
                    ledgers.unknown.add((login, entry["ts"]))
                elif kind == "done":
                    ledgers.done.append({**entry, "login": login})
                elif kind == "refusal":
                    ledgers.refusals[f"{entry['kind']}: {entry['message']}"] += 1
                    ledgers.operator_errors += entry["kind"] in ("unavailable", "unknown")
                elif kind == "error":
                    ledgers.operator_errors += 1
                    name = f"{entry['action']}: {entry['kind']}"
                    ledgers.errors[name] += 1
                    ledgers.traces.setdefault(name, entry["trace"])
                elif kind == "retry":
                    ledgers.retries += 1
                elif kind == "start":
                    ledgers.incarnations += 1
                elif kind == "end":
                    ledgers.ended += 1
                    ledgers.cpu += entry.get("cpu", 0.0)
        return ledgers


def overlapping(done: list[dict]) -> int:
    """Actions that ran while another workstation's action on the same voter ran."""
    by_voter: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for entry in done:
        by_voter[entry["voter"]].append((entry["start"], entry["end"], entry["login"]))
    count = 0
    for spans in by_voter.values():
        spans.sort()
        for i, (start, end, login) in enumerate(spans):
            earlier = any(e > start and other != login for _, e, other in spans[:i])
            later = any(s < end and other != login for s, _, other in spans[i + 1:])
            count += earlier or later
    return count


def report(ledgers: Ledgers, elapsed: float) -> None:
    """Throughput and latency percentiles, per action of the mix and per service."""
    completed = [d for d in ledgers.done if d["outcome"] == "ok"]
    line("actions completed", f"{len(completed):,}",
         f"of {len(ledgers.done):,} started, over {elapsed:.0f} s")
    line("throughput", f"{len(completed) / elapsed:,.1f} actions/s",
         f"{len(ledgers.acks) / elapsed:,.1f} journalled service calls/s")
    if ledgers.acks and ledgers.ended == ledgers.incarnations:  # none killed: all counted
        line("workstations' CPU per journalled call",
             f"{ledgers.cpu / len(ledgers.acks) * 1000:.2f} ms",
             f"{ledgers.cpu / elapsed:.2f} of the machine's {os.cpu_count()} cores")
    by_action: dict[str, list[float]] = defaultdict(list)
    for entry in completed:
        by_action[entry["action"]].append(entry["ms"])
    for action, samples in sorted(by_action.items(), key=lambda item: -len(item[1])):
        line(f"{action} ({len(samples):,}) p50 / p95 / p99",
             " / ".join(f"{percentile(samples, q):.0f}" for q in (50, 95, 99)) + " ms")
    by_service: dict[str, list[float]] = defaultdict(list)
    for entry in ledgers.acks.values():
        by_service[entry["service"]].append(entry["ms"])
    for service, samples in sorted(by_service.items()):
        line(f"  {service} p50 / p95 / p99",
             " / ".join(f"{percentile(samples, q):.1f}" for q in (50, 95, 99)) + " ms")
    line("actions overlapping another's on the same voter", f"{overlapping(ledgers.done):,}")
    line("retries of a whole service (lock, deadlock, connection)", f"{ledgers.retries:,}")
    line("refusals told to the operator", f"{sum(ledgers.refusals.values()):,}")
    for message, count in ledgers.refusals.most_common(6):
        print(f"    {count:>6} x {message}")
    line("other errors", f"{sum(ledgers.errors.values()):,}")
    for kind, count in ledgers.errors.most_common(8):
        print(f"    {count:>6} x {kind}")
    line("errors reaching an operator", f"{ledgers.operator_errors:,}",
         "store unavailable, outcome unknown, exceptions: must be 0")
    for kind, origin in list(ledgers.traces.items())[:2]:
        print(f"  where the first {kind} came from:")
        print("    " + origin.rstrip()[:1000].replace("\n", "\n    "))


# -------------------------------------------------------------------- checks


@dataclass(frozen=True, slots=True)
class Checked:
    """The invariants after a run: all must hold."""

    journal_ok: bool
    gap_free: bool
    acknowledged: int
    missing: list[tuple[str, str]]  # acknowledged, not in the journal
    repeated: list[tuple[str, str]]  # acknowledged, in the journal more than once
    mismatched: list[tuple[str, str]]  # in the journal with another id than the one told
    untried: list[tuple[str, str]]  # a workstation's entry no attempt of it explains
    in_flight: int  # tried, never acknowledged (killed, unknown, failed), yet journalled
    doubles: list[Any]  # materials with two active credentials of a kind
    stale: int  # materials whose active key is not the last one the journal issued

    @property
    def ok(self) -> bool:
        return (self.journal_ok and self.gap_free and not self.missing and not self.repeated
                and not self.mismatched and not self.untried and not self.doubles
                and not self.stale)


def _ref(entry: dict) -> Any:
    """What the entry says that the service told the operator (see ``Workstation``)."""
    details = entry["details"]
    return {
        "intervention_open": entry["intervention"],
        "verification": entry["outcome"] == "vérifié",
        "credential_issue": details.get("credential"),
        "substitution_request": details.get("request"),
        "recherche": details.get("results"),
    }.get(entry["action"])


def check(deps: Deps, ledgers: Ledgers, logins: set[str]) -> Checked:
    """The journal verifies; sequence numbers are 1..N; every acknowledged call is in
    the journal exactly once with the id the operator was given; every entry of a
    workstation comes from one of its attempts; one active credential per kind."""
    started = time.perf_counter()
    verified = verify_journal(deps, ADMIN)
    line("journal verifies", "yes" if verified.ok else "NO", verified.describe())
    line("(verification time)", f"{time.perf_counter() - started:.2f} s")
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    last_key: dict[int, int] = {}  # material number → last key issued, journal order
    with deps.reading() as session:
        count, low, high = session.execute(
            select(func.count(), func.min(JournalEntry.seq), func.max(JournalEntry.seq))
        ).one()
        head_seq = journal.head(session)[0]
        rows = session.execute(
            select(JournalEntry).order_by(JournalEntry.seq),  # type: ignore[arg-type]
            execution_options={"yield_per": 5_000},
        ).scalars()
        for row in rows:
            entry = journal.entry_fields(row)  # from the hashed body
            if entry["operator"] in logins:
                found[entry["operator"], entry["ts"]].append(entry)
            if entry["action"] == "credential_issue" and entry["details"]["kind"] == KEY_KIND:
                last_key[entry["details"]["material"]] = entry["details"]["credential"]
        # Entries name materials by number (csu/services/credentials.py).
        active: dict[int, int] = dict(session.execute(  # type: ignore[arg-type]
            select(Material.id, Credential.id)
            .join(Credential, Credential.material_id == Material.id)  # type: ignore[arg-type]
            .where(Credential.kind == KEY_KIND, Credential.status == "active")
        ).all())
        doubles = session.execute(text(
            "SELECT material_id, kind, count(*) FROM credential WHERE status = 'active' "
            "GROUP BY material_id, kind HAVING count(*) > 1"
        )).all()
        issued = session.execute(
            select(func.count()).select_from(Credential).where(Credential.kind == KEY_KIND)
        ).scalar_one()
        still_open = session.execute(
            select(func.count()).select_from(Intervention)
            .where(Intervention.closed_at.is_(None))  # type: ignore[union-attr]
        ).scalar_one()
    gap_free = low == 1 and high == count == head_seq
    line("sequence numbers 1..N without gap", "yes" if gap_free else "NO",
         f"N = {high:,}, {count:,} rows, head {head_seq:,}")
    missing, repeated, mismatched = [], [], []
    for key, ack in ledgers.acks.items():
        same = [e for e in found.get(key, []) if e["action"] == ack["action"]]
        if not same:
            missing.append(key)
        elif len(same) > 1:
            repeated.append(key)
        elif ack["ref"] is not None and _ref(same[0]) != ack["ref"]:
            mismatched.append(key)
    untried = [key for key in found if key not in ledgers.tried]
    in_flight = sum(1 for key in found if key in ledgers.tried and key not in ledgers.acks)
    stale = len([m for m, key in last_key.items() if active.get(m) != key])
    stale += len(set(active) - set(last_key))
    checked = Checked(verified.ok, gap_free, len(ledgers.acks), missing, repeated,
                      mismatched, untried, in_flight, list(doubles), stale)
    line("acknowledged calls in the journal exactly once",
         "yes" if not (missing or repeated or mismatched) else "NO",
         f"{len(ledgers.acks):,} acknowledged, {len(missing)} missing, "
         f"{len(repeated)} repeated, {len(mismatched)} with another id")
    line("workstations' entries no attempt explains", f"{len(untried):,}")
    line("entries of calls never acknowledged (killed, failed)", f"{in_flight:,}",
         f"{len(ledgers.unknown)} told 'outcome unknown'")
    line("materials with two active credentials of a kind", f"{len(doubles):,}",
         str(doubles[:3]) if doubles else "")
    line("active key = the last one the journal issued", "yes" if not stale else "NO",
         f"{len(active):,} materials, {issued:,} keys stored")
    line("interventions left open", f"{still_open:,}")
    return checked


# ----------------------------------------------------------- private server


def postgres_bin() -> Path | None:
    """The PostgreSQL server's programs (initdb, pg_ctl), if installed."""
    configured = os.environ.get("CSU_PG_BIN")
    candidates = [Path(configured)] if configured else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """A throw-away PostgreSQL server of our own (a temporary data directory, a free
    port): a load that opens hundreds of connections or a server stopped hard
    disturbs nobody else's tests. Run as the ``postgres`` user when we are root."""

    def __init__(self, max_connections: int = 200) -> None:
        folder = postgres_bin()
        if folder is None:
            raise RuntimeError("PostgreSQL server programs (initdb, pg_ctl) not found")
        self.bin = folder
        self.root = Path(tempfile.mkdtemp(prefix="csu-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.max_connections = max_connections
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.root} "
                   f"-c max_connections={self.max_connections} -c fsync=on")
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-o", options,
                  "-l", str(self.root / "server.log"))

    def stop(self, mode: str = "fast") -> None:
        """``immediate``: the server's processes quit at once, without a checkpoint,
        as in a crash; the next start replays the WAL."""
        self._run("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", mode)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
