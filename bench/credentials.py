"""Issuing credentials: a security key end to end on SQLite (open, verify, issue), the
argon2id cost of a password with the settings' parameters, and agents issuing keys
concurrently on PostgreSQL, with the journal and the credentials checked afterwards
(the workstations and the checks of bench/workload.py, with a mix of key issues only)."""

import sys
import time
from collections import defaultdict
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import make_url

from bench import load as cell
from bench.common import ADMIN, fresh_sqlite, line, load, median_ms, roll_file
from bench.workload import (
    ELECTION,
    FAST,
    KEY_KIND,
    born_on,
    callers,
    close_left_open,
    percentile,
    reachable,
)
from csu.config import Settings
from csu.services.context import Deps, OperatorContext
from csu.services.credentials import confirm_read_out, issue_credential
from csu.services.interventions import close_intervention, open_intervention
from csu.services.platform import check_login
from csu.services.rolls import import_voters
from csu.services.verification import verify_identity
from csu.store.engine import normalise_url
from tests.conftest import POSTGRES_URL

PG_DATABASE = "csu_bench_credentials"


# ----------------------------------------------------------------- 1. SQLite


def populated(voters: int) -> Deps:
    deps = fresh_sqlite("credentials")
    load(deps, ELECTION)
    report = import_voters(deps, ADMIN, roll_file(ELECTION, voters), ELECTION)
    assert report.committed, report.errors[:3]
    return deps


def key_issue(deps: Deps, voters: int, count: int = 200, warm: int = 10) -> None:
    """open, verify, issue (a first key), issue again (revoking it), confirm its read-out,
    close: per voter."""
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
        step("read out", lambda o=opened, s=second: confirm_read_out(
            deps, agent, o.id, s.credential_id))
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
        line(f"issue_credential, {label} (p95)",
             f"{percentile([t * 1000 for t in samples[name]], 95):.2f} ms")
    line("confirm_read_out (median)", f"{median_ms(samples['read out']):.2f} ms")
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
        confirm_read_out(deps, agent, opened.id, issued[-1][0].credential_id)
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


def concurrent_issues(
    voters: int, duration: float, agents: int = 16, pool_size: int = 500,
    roll_cap: int = 10_000,
) -> None:
    """Agents on the shared test server, each opening, verifying, issuing a key and
    closing, on a small pool of voters so that agents meet on the same voter."""
    server = normalise_url(POSTGRES_URL)
    size = min(voters, roll_cap)
    print(f"Concurrent issuing, {agents} agents x {duration:g} s, PostgreSQL "
          f"({size:,} voters, a shared pool of {pool_size})")
    problem = reachable(server)
    if problem is not None:
        print(f"  skipped: no PostgreSQL server at {make_url(server)!r}: {problem}")
        return
    cell.run(server, agents, duration, size, mix={"key_issue": 1.0}, database=PG_DATABASE,
             shared=min(pool_size, size // 2))


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
