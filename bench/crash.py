"""The cell through crashes: workstations killed (SIGKILL) at random moments during the
load and started again, so is a sequencer of the journal (csu/store/sequencer.py: a
process integrating queued entries flat out, beside the workstations that integrate
after their commits), and the PostgreSQL server stopped once without a checkpoint
(``pg_ctl stop -m immediate``, as in a power cut of the server) and restarted. Then:
nothing acknowledged to an operator is missing, nothing is in the journal twice,
every workstation's entry comes from one of its attempts, the journal verifies::

    python -m bench.crash [--workstations 8] [--duration 40] [--kills 8] [--seed 1]

It runs on a private server of its own (bench/workload.py, ``PrivatePostgres``):
stopping a server hard is not done to one that others use.
"""

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.common import KEY
from bench.workload import (
    CALL_MIX,
    FAST,
    Checked,
    Ledgers,
    PrivatePostgres,
    Spec,
    check,
    prepare,
    process_context,
    report,
    specs,
    start_together,
    workstation,
)
from csu.services.context import Deps
from csu.store import sequencer
from csu.store.engine import make_engine
from tests.conftest import NOW

DATABASE = "csu_crash"


@dataclass(frozen=True, slots=True)
class Crashes:
    """What the run did to the cell."""

    kills: int
    server_down_s: float
    checked: Checked
    ledgers: Ledgers
    sequencer_kills: int = 0
    left_queued: int = 0  # entries still queued at the end of the load (then integrated)


def sequencer_process(url: str) -> None:
    """A sequencer on duty until killed: integrates whatever is queued, every 50 ms."""
    engine = make_engine(url)
    sequencer.watch(engine, threading.Event(), every=0.05, settle=0.0)


SEQUENCER = "sequencer"


class Cell:
    """The workstation processes, killed and restarted by login, and a sequencer."""

    def __init__(self, all_specs: list[Spec], url: str) -> None:
        self.context = process_context()
        self.specs = {spec.login: spec for spec in all_specs}
        self.processes: dict[str, Any] = {}
        self.url = url

    def start_all(self) -> None:
        self.processes = start_together(self.context, list(self.specs.values()))
        self.start_sequencer()

    def start_sequencer(self) -> None:
        self.processes[SEQUENCER] = self.context.Process(target=sequencer_process,
                                                         args=(self.url,))
        self.processes[SEQUENCER].start()

    def kill_sequencer(self) -> None:
        """SIGKILL, wherever it is (maybe inside a batch), and a new one."""
        process = self.processes[SEQUENCER]
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        self.start_sequencer()

    def kill_and_restart(self, login: str, deadline: float) -> None:
        """SIGKILL, then a new incarnation for the rest of the run: it first closes
        the intervention its predecessor left open, as an agent logging in again."""
        process = self.processes[login]
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
        process.join()
        spec = self.specs[login]
        spec = self.specs[login] = replace(spec, incarnation=spec.incarnation + 1,
                                           duration=max(0.0, deadline - time.monotonic()))
        self.processes[login] = self.context.Process(target=workstation, args=(spec,))
        self.processes[login].start()

    def join(self, timeout: float) -> None:
        sequencer_process = self.processes.pop(SEQUENCER)
        for process in self.processes.values():
            process.join(timeout=timeout)
            if process.is_alive():
                process.kill()
        sequencer_process.kill()  # on duty forever
        sequencer_process.join()


def run(workstations: int = 8, duration: float = 40, kills: int = 8, voters: int = 5_000,
        seed: int = 1, quiet: bool = False) -> Crashes:
    rng = random.Random(seed)
    server = PrivatePostgres(max_connections=workstations * 6 + 20)
    server.start()
    try:
        store = prepare(server.url, DATABASE, voters, workstations, shared=1_000)
        logins = [f"poste{n:02d}" for n in range(1, workstations + 1)]
        with tempfile.TemporaryDirectory(prefix="csu-ledgers-") as folder:
            cell = Cell(specs(store, logins, CALL_MIX, duration, Path(folder)), store.url)
            cell.start_all()
            began = time.monotonic()
            deadline = began + duration
            # Kills spread over the run (one in three of the sequencer); the server's
            # stop in its middle third.
            moments = sorted(rng.uniform(0.5, duration - 1.0) for _ in range(kills))
            stop_at = rng.uniform(duration / 3, 2 * duration / 3)
            events = sorted([(m, "kill" if n % 3 else "kill-sequencer")
                             for n, m in enumerate(moments)] + [(stop_at, "stop")])
            down = 0.0
            sequencer_kills = 0
            for moment, event in events:
                time.sleep(max(0.0, began + moment - time.monotonic()))
                if event == "kill":
                    cell.kill_and_restart(rng.choice(logins), deadline)
                elif event == "kill-sequencer":
                    cell.kill_sequencer()
                    sequencer_kills += 1
                else:
                    stopped = time.monotonic()
                    server.stop("immediate")
                    time.sleep(1.0)  # workstations meet a refused connection meanwhile
                    server.start()
                    down = time.monotonic() - stopped
            cell.join(timeout=duration + 300)
            ledgers = Ledgers.read(Path(folder))
        if not quiet:
            report(ledgers, duration)
        engine = make_engine(store.url)
        try:
            # What the killed sequencers and workstations left queued: integrated now
            # (a new sequencer taking the role), then everything is checked.
            deps = Deps(engine=engine, key=KEY, clock=lambda: NOW, hasher=FAST)
            with deps.reading() as session:
                left = sequencer.pending(session).count
            sequencer.settle(engine)
            checked = check(deps, ledgers, set(logins))
        finally:
            engine.dispose()
        return Crashes(kills, down, checked, ledgers, sequencer_kills, left)
    finally:
        server.destroy()


def main(workstations: int, duration: float, kills: int, seed: int) -> Crashes:
    print(f"Crashes: {workstations} workstations x {duration:g} s, {kills} killed (SIGKILL) "
          "and restarted, the server stopped once with pg_ctl stop -m immediate")
    crashes = run(workstations, duration, kills, seed=seed)
    print(f"  server down and back in {crashes.server_down_s:.1f} s; workstation "
          f"incarnations {crashes.ledgers.incarnations}; sequencer killed "
          f"{crashes.sequencer_kills} time(s); {crashes.left_queued} entries left queued "
          "at the end (then integrated); "
          + ("all invariants hold" if crashes.checked.ok else "INVARIANTS BROKEN"))
    return crashes


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, default=8)
    parser.add_argument("--duration", type=float, default=40)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    result = main(arguments.workstations, arguments.duration, arguments.kills, arguments.seed)
    sys.exit(0 if result.checked.ok else 1)
