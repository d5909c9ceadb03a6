"""``csu serve`` in a real headless Chromium, driven by Playwright.

The served page is xterm.js on a canvas: its text is not in the DOM. An init script
catches the page's terminal object when textual-serve's script builds it, and tests
read the rows of its buffer (what a president sees) and type and click as a person
would. Chromium is Debian's (/usr/bin/chromium, or CSU_TEST_CHROMIUM): Playwright
never downloads a browser here. Without Chromium the tests skip with the reason,
except under CI, which installs it (.ci/run) and must run them.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest

from csu.domain.clock import system_clock
from csu.services.context import Deps
from csu.services.demo import DEMO_OPERATORS, build_demo
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from tests.conftest import ADMIN, TEST_KEY
from tests.fakes import FAST_HASHER
from tests.screens.conftest import DEMO_SEED, DEMO_VOTERS

CHROMIUM = Path(os.environ.get("CSU_TEST_CHROMIUM", "/usr/bin/chromium"))
REBINDING_NAME = "csu-rebinding.test"
# The flags the machine notes give for a closed network: no background requests that
# would be refused (and slow every start), no GPU, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A name an attacker would point at 127.0.0.1 (DNS rebinding), resolved by Chromium
    # alone: the test needs no DNS server and changes nothing on the machine.
    f"--host-resolver-rules=MAP {REBINDING_NAME} 127.0.0.1",
]
VIEWPORT = {"width": 1400, "height": 900}
SECRETS = {login: secret for login, _, _, secret in DEMO_OPERATORS}
WAIT_MS = 20_000

# Runs before textual.js: the first object that gets a ``fitAddon`` is textual-serve's
# terminal wrapper (its constructor assigns it right after creating the xterm
# Terminal), so the setter keeps a reference to it and then steps aside.
TERMINAL_HOOK = """
Object.defineProperty(Object.prototype, 'fitAddon', {
  configurable: true,
  set(value) {
    window.__csu = this;
    Object.defineProperty(this, 'fitAddon',
      {value, writable: true, configurable: true, enumerable: true});
  },
});
window.__csuRows = () => {
  const term = window.__csu && window.__csu.terminal;
  if (!term) return [];
  const buffer = term.buffer.active;
  const rows = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows;
};
window.__csuCell = () => {
  const term = window.__csu.terminal;
  const box = term.element.querySelector('.xterm-screen').getBoundingClientRect();
  return {x: box.left, y: box.top, width: box.width / term.cols, height: box.height / term.rows};
};
"""


def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium for the tests of a module. Not longer: Playwright's
    sync API runs its own event loop, which must be gone before pytest-asyncio's."""
    problem = chromium_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests (.ci/run installs Chromium): {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Served:
    url: str
    deps: Deps
    log: Path
    pid: int  # the server's own process (each session is a child of it)

    @property
    def origin(self) -> str:
        """The Origin header of the served page."""
        return self.url.rstrip("/")

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "ws"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo of tests/screens (60 voters, seed 2022, fast password hash) but on the
    real clock: the served sessions run on the real clock, so the vote must be open now."""
    path = tmp_path_factory.mktemp("e2e-demo") / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    deps = Deps(engine, TEST_KEY, system_clock, FAST_HASHER)
    build_demo(deps, ADMIN, voters=DEMO_VOTERS, seed=DEMO_SEED)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@contextmanager
def serving(
    template: Path, where: Path, host: str = "127.0.0.1", **settings: str
) -> Iterator[Served]:
    """``csu serve`` on a free port of ``host``, on a copy of the demo, in its own process
    (as an administrator would start it), with ``settings`` as CSU_* variables (e.g.
    ``SERVE_MAX_SESSIONS="5"``); stopped with SIGTERM at the end."""
    db = where / "demo.sqlite"
    shutil.copy(template, db)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSU_")}
    env.update(
        CSU_DATA_DIR=str(where),
        CSU_SECRET_KEY=TEST_KEY.decode(),
        CSU_WORKSTATION="navigateur",
        **{f"CSU_{name}": value for name, value in settings.items()},
    )
    log = where / "serve.log"
    command = [sys.executable, "-m", "csu.launch", "serve", "--host", host, "--port", str(port)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "--db", str(db)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one group: stop() can end it with its sessions
        )
    try:
        wait_for_port(host.strip("[]"), port, server, log)
        engine = make_engine(f"sqlite:///{db}")
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        deps = Deps(engine, TEST_KEY, system_clock, FAST_HASHER)
        yield Served(f"http://{shown}:{port}/", deps, log, server.pid)
        engine.dispose()
    finally:
        stop(server)


@pytest.fixture
def served_demo(live_demo_template: Path, tmp_path: Path) -> Iterator[Served]:
    """``csu serve`` with its default settings, on a copy of the demo."""
    with serving(live_demo_template, tmp_path) as served:
        yield served


def wait_for_port(host: str, port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"csu serve stopped: {log.read_text(errors='replace')}")
        with socket.socket(family) as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"csu serve did not listen on {port}: {log.read_text(errors='replace')}")


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``: one per running session (``exec`` in the
    session's command leaves no shell between)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:  # ended while being read
            continue
        if fields.get("PPid", "").strip() == str(pid) and not fields.get("State", "").startswith(
            "Z"
        ):
            found.append(int(status.parent.name))
    return found


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Polls ``condition`` for at most ``seconds``; fails naming ``what``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still not {what} after {seconds} s")
        time.sleep(0.2)


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the group started for this server only
            server.wait()


class TerminalPage:
    """The served page as a president uses it: reads the screen, types, clicks."""

    def __init__(self, page: Any, server_log: Path) -> None:
        self.page = page
        self.server_log = server_log

    def open(self, url: str) -> None:
        self.page.add_init_script(TERMINAL_HOOK)
        self.page.goto(url)

    def rows(self) -> list[str]:
        return list(self.page.evaluate("window.__csuRows()"))

    def text(self) -> str:
        return "\n".join(self.rows())

    def wait_for(self, text: str, timeout_ms: int = WAIT_MS) -> None:
        """Until ``text`` shows on the screen; fails with the screen as it is."""
        self._wait("text => window.__csuRows().join('\\n').includes(text)", text, timeout_ms)

    def wait_gone(self, text: str, timeout_ms: int = WAIT_MS) -> None:
        """Until ``text`` is off the screen, as a closed list's items."""
        self._wait("text => !window.__csuRows().join('\\n').includes(text)", text, timeout_ms)

    def _wait(self, predicate: str, text: str, timeout_ms: int) -> None:
        try:
            self.page.wait_for_function(predicate, arg=text, timeout=timeout_ms, polling=100)
        except Exception:  # Playwright's TimeoutError: show what the president saw
            log = self.server_log.read_text(errors="replace")
            shown = self.text()
            pytest.fail(f"« {text} » never came or went; the screen:\n{shown}\nserver:\n{log}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text, delay=15)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def click(self, label: str) -> None:
        """Clicks where ``label`` stands alone on its row, as on a button or in an
        empty field's placeholder, not inside a title or the footer."""
        pattern = re.compile(rf"(?:^|\s\s|[▊▎│]){re.escape(label)}(?=\s\s|$)")
        for row, line in enumerate(self.rows()):
            found = pattern.search(line)
            if found is None:
                continue
            column = found.end() - len(label) + len(label) // 2
            cell = self.page.evaluate("window.__csuCell()")
            x = cell["x"] + (column + 0.5) * cell["width"]
            y = cell["y"] + (row + 0.5) * cell["height"]
            self.page.mouse.click(x, y)
            return
        pytest.fail(f"nothing labelled « {label} » on the screen:\n{self.text()}")


@pytest.fixture
def terminal(chromium: Any, served_demo: Served) -> Iterator[TerminalPage]:
    context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
    page = context.new_page()
    terminal = TerminalPage(page, served_demo.log)
    terminal.open(served_demo.url)
    yield terminal
    context.close()


def totp(login: str) -> str:
    return pyotp.TOTP(SECRETS[login]).now()
