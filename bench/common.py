"""Helpers shared by the benchmarks: a scratch store, a cached roll, a report table."""

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from csu import fake_electorate
from csu.domain.clock import fixed_clock
from csu.services.context import Deps, OperatorContext
from csu.services.elections import load_election
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from tests.conftest import NOW

CACHE = Path(__file__).resolve().parent / ".cache"
ELECTIONS = Path(__file__).resolve().parents[1] / "data" / "elections"
ADMIN = OperatorContext(login="bench", role="admin", workstation="bench")
KEY = b"bench-deployment-key-0123456789abcdef"


def fresh_sqlite(name: str) -> Deps:
    path = CACHE / f"{name}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return Deps(engine=engine, key=KEY, clock=fixed_clock(NOW))


def load(deps: Deps, election_id: str) -> None:
    text = (ELECTIONS / f"{election_id}.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text, f"{election_id}.toml")


def roll_file(election_id: str, voters: int) -> Path:
    """A generated roll, cached between runs (generation is not what we measure);
    written under another name first, so that a stopped run leaves no partial roll."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"roll-{election_id}-{voters}.csv"
    if not path.exists():
        started = time.perf_counter()
        rows = fake_electorate.generate_roll(election_id, voters, seed=7)
        partial = path.with_name(f"{path.name}.part")
        count = fake_electorate.write_roll_csv(rows, partial)
        partial.replace(path)
        print(f"  (generated {count:,} rows in {time.perf_counter() - started:.1f} s)")
    return path


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def line(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<52} {value:>14}   {target}")


def settled(longest: float = 120.0, calm: float = 5.0) -> float:
    """Wait until the machine is calm again after a benchmark (at most ``longest`` s):
    no more processes running than cores, in every sample for ``calm`` s. The load
    average lags a minute behind, and a run that follows a saturated one (32
    workstations and their server winding down) measures the previous run's tail.
    Returns the seconds waited."""
    cores = os.cpu_count() or 1
    started = time.monotonic()
    quiet_since = started
    while time.monotonic() - started < longest:
        # /proc/stat's procs_running: the runnable processes at this instant (this one too).
        stat = Path("/proc/stat").read_text(encoding="ascii").splitlines()
        running = next(int(line.split()[1]) for line in stat if line.startswith("procs_running"))
        if running > cores:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= calm:
            break
        time.sleep(0.2)
    return time.monotonic() - started
