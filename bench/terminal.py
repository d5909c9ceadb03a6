"""Cold start of the terminal against a bare Textual app (Header, Input, Footer), both
measured the same way, two ways, in interleaved pairs (a noisy neighbour slows both):

- as a user sees it: from the command (``csu run --db URL``, the interpreter included)
  to the first frame written to a real terminal (a pseudo-terminal, 120x40), i.e. the
  login screen's title on the screen;
- from inside: from the first line of the script (after the interpreter started) to the
  first refresh of the screen, through ``App.run_test``.

Also the resident memory of the terminal as a user runs it: ``csu run`` in the same
pseudo-terminal, an agent logged in by the keys, searches typed in the look-up and a
voter file opened on a roll of N voters; its peak (VmHWM) beside the bare app's at its
first frame."""

import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import pyotp
from sqlmodel import select as sql_select

from bench.common import ADMIN, line
from bench.lookup import populated, sample_queries
from bench.workload import FAST
from csu.services.context import Deps
from csu.services.operators import add_operator
from csu.store.tables import Operator
from tests.pseudo_terminal import Terminal

PAIRS = 9
MARKER = b"connexion"  # in the login screen's title, and in the bare app's first frame
VENV_BIN = Path(sys.executable).parent

# The bare app of the outside measure shows the same word as the login screen's title.
BARE_TERMINAL = """
from textual.app import App
from textual.widgets import Footer, Header, Input, Static
class Bare(App):
    def compose(self):
        yield Header(); yield Static("connexion"); yield Input(); yield Footer()
Bare().run()
"""

# Both inside scripts time the first refresh after their screen is mounted
# (`call_after_refresh`): Pilot.pause() would also wait for the CPU to settle, which the
# store opening in the background keeps busy after the first frame.
BARE_INSIDE = """
import time; started = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Header, Input
class Bare(App):
    def compose(self):
        yield Header(); yield Input(); yield Footer()
    def on_mount(self):
        self.call_after_refresh(lambda: drawn.append(time.perf_counter() - started))
drawn = []
async def main():
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        while not drawn:
            await asyncio.sleep(0.001)
        print(drawn[0])
import asyncio; asyncio.run(main())
"""

# What `csu run --db URL` does (csu.launch), up to the login screen drawn: the login
# screen asks for the store once it has been refreshed.
CSU_INSIDE = """
import time; started = time.perf_counter()
import sys
from csu.app import CsuApp
from csu.launch import build_app
drawn = []
open_store = CsuApp.open_store_once_drawn
def timed(self):
    drawn.append(time.perf_counter() - started)
    open_store(self)
CsuApp.open_store_once_drawn = timed
async def main():
    app = build_app(sys.argv[1])
    async with app.run_test(size=(120, 40)) as pilot:
        while not drawn:
            await asyncio.sleep(0.001)
        print(drawn[0])
import asyncio; asyncio.run(main())
"""


def first_frame(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``argv`` in a 120x40 pseudo-terminal to MARKER on it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    try:
        while MARKER not in seen:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                raise TimeoutError(f"no first frame from {argv[0]}: {seen[-300:]!r}")
            seen += os.read(master, 1 << 16)
        return time.perf_counter() - started
    finally:
        process.kill()
        process.wait()
        os.close(master)


def inside(code: str, *args: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def cold_start(url: str, pairs: int = PAIRS) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        bare_script = Path(scratch) / "bare.py"
        bare_script.write_text(BARE_TERMINAL, encoding="utf-8")
        # The user's data folder stays untouched; the terminal is a common one.
        env = dict(os.environ, TERM="xterm-256color", XDG_DATA_HOME=scratch)
        for name in ("COLUMNS", "LINES", "TEXTUAL", "TEXTUAL_DRIVER"):
            env.pop(name, None)
        command = [str(VENV_BIN / "csu"), "run", "--db", url]
        first_frame([sys.executable, str(bare_script)], env)  # warm the file cache
        first_frame(command, env)
        outside = [
            (first_frame([sys.executable, str(bare_script)], env), first_frame(command, env))
            for _ in range(pairs)
        ]
    within = [(inside(BARE_INSIDE), inside(CSU_INSIDE, url)) for _ in range(pairs)]
    for label, measured in (
        ("command -> first frame in a terminal", outside),
        ("script start -> first refresh (run_test)", within),
    ):
        bare = statistics.median(b for b, _ in measured)
        csu = statistics.median(c for _, c in measured)
        ratios = sorted(c / b for b, c in measured)
        line(f"cold start, {label}", "")
        line("  anchor: bare Textual app", f"{bare * 1000:.0f} ms")
        line("  csu to the login screen", f"{csu * 1000:.0f} ms")
        line(
            f"  ratio of medians (pairs: {ratios[0]:.2f}-{ratios[-1]:.2f})",
            f"{csu / bare:.2f} x",
            "target <= 1.3 x",
        )


# The agent who logs in to the real terminal (bench.typing logs the same one in).
AGENT_LOGIN = "benchagent"
AGENT_SECRET = "CSUBENCHAGENTAAAAAAAAAAAAAAAAAAA"
# A real operator, not a demo one: its password passes the rule of csu.domain.passwords.
AGENT_PASSWORD = "Pluie-sur-Brest-42"
TYPING = 0.02  # s between two keys typed in the real terminal
SEARCHES = 40  # per kind of query (matricules, 3-letter name prefixes)


def bench_agent(deps: Deps) -> None:
    """The bench's agent, with a cheap hash: it logs in, nothing here measures that."""
    with deps.reading() as session:
        if session.exec(sql_select(Operator).where(Operator.login == AGENT_LOGIN)).first():
            return  # there from an earlier run
    cheap = Deps(deps.engine, deps.key, deps.clock, FAST)
    add_operator(cheap, ADMIN, AGENT_LOGIN, role="agent", password=AGENT_PASSWORD,
                 totp_secret=AGENT_SECRET)  # fmt: skip


def memory_in_use(deps: Deps, url: str) -> None:
    """The peak resident memory of ``csu run`` after an agent's searches and a voter
    file, beside a bare Textual app's at its first frame."""
    bench_agent(deps)
    queries = sample_queries(deps, SEARCHES)
    with tempfile.TemporaryDirectory() as scratch:
        bare_script = Path(scratch) / "bare.py"
        bare_script.write_text(BARE_TERMINAL, encoding="utf-8")
        env = dict(os.environ, TERM="xterm-256color", XDG_DATA_HOME=scratch,
                   CSU_SECRET_KEY=deps.key.decode())  # fmt: skip
        bare = Terminal([sys.executable, str(bare_script)], env)
        try:
            bare.wait_for(MARKER)
            time.sleep(0.5)
            bare_mb = bare.peak_mb()
        finally:
            bare.close()
        csu = Terminal([str(VENV_BIN / "csu"), "run", "--db", url], env)
        try:
            if not csu.wait_for(MARKER):
                raise TimeoutError("no login screen from csu run")
            code = pyotp.TOTP(AGENT_SECRET).now()
            csu.type(f"{AGENT_LOGIN}\t{AGENT_PASSWORD}\t{code}\r")
            if not csu.wait_for(b"Tapez au moins"):
                raise TimeoutError("no look-up after logging in (wrong TOTP window?)")
            answered = 0
            for query in queries["matricule"]:  # typed in lower case, shown in upper
                csu.type("\x15" + query, TYPING)  # ctrl+u empties the field
                answered += csu.wait_for(query.upper().encode(), timeout=5)
            for query in queries["3-letter name prefix"]:
                csu.type("\x15" + query, TYPING)
                time.sleep(0.3)  # the debounce and the search, many times over
            csu.type("\x15" + queries["matricule"][0], TYPING)
            answered += csu.wait_for(queries["matricule"][0].upper().encode(), timeout=5)
            time.sleep(0.3)
            csu.type("\x1b[B\r")  # down to the voter found, Enter: the voter file
            opened = csu.wait_for(b"Appel", timeout=10)
            time.sleep(0.5)
            csu_mb = csu.peak_mb()
        finally:
            csu.close()
    searched = f"{answered} matricules found, {len(queries['3-letter name prefix'])} prefixes"
    line(f"resident memory of csu run (peak): {searched}"
         + (", a voter file" if opened else ""), f"{csu_mb:.0f} MB", "target < 150 MB")
    line("  anchor: bare Textual app at its first frame", f"{bare_mb:.0f} MB")


def main(voters: int = 1_000_000, deps: Deps | None = None) -> None:
    print(f"Terminal cold start, {voters:,} voters, SQLite, {PAIRS} interleaved pairs")
    deps = deps or populated(voters)
    url = deps.engine.url.render_as_string(hide_password=False)
    cold_start(url)
    memory_in_use(deps, url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
