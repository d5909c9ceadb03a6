"""`csu run`: the login screen is drawn first, the store opens behind it."""

import contextlib
import gc
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pyotp
import pytest
from textual.worker import WorkerCancelled

from csu import launch
from csu.app import CsuApp
from csu.launch import build_app, run_request
from csu.screens.login import LoginScreen
from csu.screens.lookup import LookupScreen
from csu.services.context import Deps
from csu.startup import Workplace, open_workplace
from tests.conftest import TEST_KEY
from tests.screens.conftest import SECRETS, SIZE, log_in, screen_text


@pytest.mark.parametrize(
    ("args", "request_"),
    [
        ([], (None, False)),
        (["run"], (None, False)),
        (["run", "--demo"], (None, True)),
        (["run", "--db", "x.sqlite"], ("x.sqlite", False)),
        (["--db", "x.sqlite", "run"], ("x.sqlite", False)),
        (["run", "--db=x.sqlite"], ("x.sqlite", False)),
        (["--db", "x.sqlite"], ("x.sqlite", False)),
    ],
)
def test_these_command_lines_open_the_terminal_directly(
    args: list[str], request_: tuple[str | None, bool]
) -> None:
    assert run_request(args) == request_


@pytest.mark.parametrize(
    "args",
    [["run", "--help"], ["init"], ["--db"], ["run", "--db"], ["--demo"], ["run", "run"]],
)
def test_every_other_command_line_goes_to_the_full_cli(args: list[str]) -> None:
    assert run_request(args) is None


def test_drawing_the_login_screen_imports_neither_the_store_nor_typer() -> None:
    script = (
        "import sys\n"
        "from csu.launch import build_app\n"
        "from csu.screens.login import LoginScreen\n"
        "build_app('nowhere.sqlite')\n"
        # hashlib and statistics: what the escalation and alert rules bring (~8 ms); the
        # permission rules (~8 ms) and the demo's table (~4 ms) come once it is drawn.
        "heavy = ('sqlalchemy', 'sqlmodel', 'alembic', 'pydantic_settings', 'typer', 'argon2',"
        " 'hashlib', 'statistics', 'csu.domain.permissions', 'textual.widgets._data_table')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


async def test_the_login_screen_shows_while_the_store_is_still_opening(demo_deps: Deps) -> None:
    release = threading.Event()

    def slow_opener() -> Workplace:
        release.wait(10)
        return Workplace(demo_deps, "poste-lent", idle_minutes=15, keymap={})

    app = CsuApp(opener=slow_opener)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert isinstance(app.screen, LoginScreen)
        assert "non connecté" in screen_text(app)
        release.set()
        await log_in(pilot, "agent")
        assert isinstance(app.screen, LookupScreen)
        assert "poste poste-lent" in screen_text(app)


async def refused_store(app: CsuApp, capsys: pytest.CaptureFixture[str]) -> str:
    """What the app, whose store cannot open, said as it ended (status 1)."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        # On a loaded machine the app may already be ending, which cancels the worker
        # that told why: its status and its words below are what counts.
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "Traceback" not in said
    return said


async def test_a_store_that_cannot_open_ends_the_app_with_the_french_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = await refused_store(build_app(str(tmp_path / "absente.sqlite")), capsys)
    assert "Erreur : Base introuvable" in said and "csu init" in said


async def test_the_terminal_takes_its_settings_once_the_store_is_open(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, path)
    Path(f"{path}.key").write_bytes(TEST_KEY)
    monkeypatch.setenv("CSU_IDLE_MINUTES", "5")
    monkeypatch.setenv("CSU_WORKSTATION", "guichet-3")
    app = CsuApp(opener=partial(open_workplace, str(path)))
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent", otp=pyotp.TOTP(SECRETS["agent"]).now())
        assert isinstance(app.screen, LookupScreen)
        assert app.idle_seconds == 300
        assert "poste guichet-3" in screen_text(app)


class Drawn:
    """A stand-in for the terminal: what ``csu run`` found when it drew the login
    screen, and when it opened the store."""

    return_code = 0

    def __init__(self, db: str | None, demo: bool = False) -> None:
        self.opener = partial(launch._open_workplace, db, demo)
        self.collecting: dict[str, bool] = {}

    def run(self) -> None:
        self.collecting["drawing"] = gc.isenabled()
        with contextlib.suppress(Exception):  # no store here: only the collector counts
            self.opener()
        self.collecting["store opened"] = gc.isenabled()


@pytest.fixture
def collector_restored() -> Iterator[None]:
    yield
    gc.enable()


def test_csu_run_loads_without_the_collector_then_turns_it_back_on_with_the_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, collector_restored: None
) -> None:
    built: list[Drawn] = []
    monkeypatch.setattr(launch, "build_app", lambda *a: built.append(Drawn(*a)) or built[-1])
    monkeypatch.setattr(sys, "argv", ["csu", "run", "--db", str(tmp_path / "absent.sqlite")])
    with pytest.raises(SystemExit):
        launch.main()
    assert built[0].collecting == {"drawing": False, "store opened": True}


def test_every_other_command_runs_with_the_collector_on(
    monkeypatch: pytest.MonkeyPatch, collector_restored: None
) -> None:
    import csu.cli

    seen: list[bool] = []
    monkeypatch.setattr(csu.cli, "main", lambda: seen.append(gc.isenabled()))
    monkeypatch.setattr(sys, "argv", ["csu", "outbox", "list"])
    launch.main()
    assert seen == [True]


async def test_the_terminal_on_a_demo_not_built_yet_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSU_DATA_DIR", str(tmp_path))  # no demo.sqlite there
    said = await refused_store(build_app(None, demo=True), capsys)
    assert "Erreur : Base de démonstration introuvable" in said and "« csu demo »" in said
