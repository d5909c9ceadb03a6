"""``csu run`` in a real pseudo-terminal, ended by a signal with an intervention open
(probe B, item 5): the terminal closed (SIGHUP: its window, tmux kill-session, an ssh
connection lost) or a stop asked (SIGTERM). The session ends as « Quitter quand même »
ends it: the intervention closed as abandonné, the logout journalled, the process
ending quietly. Python's default ended it at once: no logout, the intervention left
open for the next login."""

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from sqlmodel import select

from csu.domain.clock import system_clock
from csu.services.context import Deps
from csu.services.demo import DEMO_OPERATORS, build_demo
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from csu.store.tables import JournalEntry
from tests.conftest import ADMIN, TEST_KEY
from tests.fakes import FAST_HASHER
from tests.pseudo_terminal import Terminal
from tests.screens.conftest import DEMO_SEED, DEMO_VOTERS, demo_voter

SECRETS = {login: secret for login, _, _, secret in DEMO_OPERATORS}
ENDED_SECONDS = 30


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Deps]:
    """The demo on the real clock (the session runs on it: the vote must be open)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    upgrade(engine)
    deps = Deps(engine, TEST_KEY, system_clock, FAST_HASHER)
    build_demo(deps, ADMIN, voters=DEMO_VOTERS, seed=DEMO_SEED)
    yield deps
    engine.dispose()


@pytest.fixture
def terminal(tmp_path: Path, demo: Deps) -> Iterator[Terminal]:
    """``csu run`` on the demo, as an agent starts it in their terminal."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSU_")}
    env.update(
        CSU_DATA_DIR=str(tmp_path),
        CSU_SECRET_KEY=TEST_KEY.decode(),
        CSU_WORKSTATION="poste-pty",
        TERM="xterm-256color",
    )
    db = tmp_path / "demo.sqlite"
    running = Terminal([sys.executable, "-m", "csu.launch", "run", "--db", str(db)], env)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
        running.process.wait()
        with contextlib.suppress(OSError):  # closed by the test: the window went
            os.close(running.master)


def agent_in_a_call(terminal: Terminal, deps: Deps) -> None:
    """The agent logged in, a voter's file open and a phone intervention opened."""
    voter = demo_voter(deps)
    assert terminal.wait_for("Base de démonstration".encode()), terminal.seen[-2000:]
    terminal.type(f"agent\tdemo\t{pyotp.TOTP(SECRETS['agent']).now()}\r", gap=0.02)
    assert terminal.wait_for(b"Tapez au moins"), terminal.seen[-2000:]
    terminal.type(voter.matricule, gap=0.02)
    assert terminal.wait_for("1 électeur".encode()), terminal.seen[-2000:]
    terminal.type("\r")
    assert terminal.wait_for("Matériel de vote".encode()), terminal.seen[-2000:]
    terminal.type("\x0e")  # ctrl+n
    assert terminal.wait_for(b"Nouvelle intervention"), terminal.seen[-2000:]
    # The window takes its focus as it mounts, after its first frame: on a loaded
    # machine a Tab sent at once reached it before (seen once in make test).
    time.sleep(1.0)
    terminal.type("\t", gap=0.3)  # to « Numéro affiché » (optional), then Entrée opens
    terminal.type("\r", gap=0.3)
    assert terminal.wait_for("Identité non vérifiée".encode()), terminal.seen[-2000:]


def last_entries(deps: Deps, count: int) -> list[tuple[str, str]]:
    with deps.reading() as session:
        rows = session.exec(
            select(JournalEntry.action, JournalEntry.outcome)
            .order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
            .limit(count)
        ).all()
    return [(action, outcome) for action, outcome in reversed(rows)]


@pytest.mark.parametrize(
    ("signal_number", "window_closed"),
    [
        pytest.param(signal.SIGHUP, True, id="terminal-closed"),
        pytest.param(signal.SIGHUP, False, id="sighup"),
        pytest.param(signal.SIGTERM, False, id="sigterm"),
    ],
)
def test_a_signal_logs_out_and_closes_the_open_intervention_as_abandoned(
    terminal: Terminal, demo: Deps, signal_number: int, window_closed: bool
) -> None:
    agent_in_a_call(terminal, demo)
    assert last_entries(demo, 1) != [("logout", "ok")]
    if window_closed:  # as the kernel does: the terminal hangs up, then SIGHUP
        os.close(terminal.master)
    terminal.process.send_signal(signal_number)
    assert terminal.process.wait(timeout=ENDED_SECONDS) == 0
    assert last_entries(demo, 2) == [("intervention_close", "abandonné"), ("logout", "ok")]
    assert b"Traceback" not in terminal.seen


def test_a_hang_up_at_the_login_screen_ends_quietly(terminal: Terminal) -> None:
    assert terminal.wait_for("Base de démonstration".encode()), terminal.seen[-2000:]
    terminal.process.send_signal(signal.SIGHUP)
    assert terminal.process.wait(timeout=ENDED_SECONDS) == 0
    assert b"Traceback" not in terminal.seen
