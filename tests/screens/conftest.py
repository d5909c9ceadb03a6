"""The real app on a small demo database, with a fixed clock and a fast password hash."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from rich.console import Console
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from csu.app import CsuApp
from csu.domain.clock import fixed_clock
from csu.services.context import Deps
from csu.services.demo import DEMO_OPERATORS, build_demo
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from csu.store.tables import JournalEntry
from tests.conftest import ADMIN, NOW, TEST_KEY

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SECRETS = {login: secret for login, _, _, secret in DEMO_OPERATORS}
SIZE = (120, 40)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    build_demo(Deps(engine, TEST_KEY, fixed_clock(NOW), FAST), ADMIN, voters=60)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_deps(demo_template: Path, tmp_path: Path) -> Iterator[Deps]:
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Deps(engine, TEST_KEY, fixed_clock(NOW), FAST)
    engine.dispose()


@pytest.fixture
def app(demo_deps: Deps) -> CsuApp:
    return CsuApp(demo_deps, "poste-test")


def code(login: str) -> str:
    return pyotp.TOTP(SECRETS[login]).at(NOW)


async def log_in(pilot: Pilot[Any], login: str, password: str = "demo", otp: str = "") -> None:
    await pilot.pause()
    await pilot.click("#login")
    for field, value in (("#login", login), ("#password", password), ("#code", otp or code(login))):
        pilot.app.screen.query_one(field).value = value  # type: ignore[attr-defined]
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: CsuApp) -> str:
    """What the current screen shows, as text."""
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    parts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Static):
            content = widget.content
            if isinstance(content, str):
                parts.append(content)
            else:
                console.print(content)
        elif isinstance(widget, DataTable):
            for row in range(widget.row_count):
                parts.append(" | ".join(str(cell) for cell in widget.get_row_at(row)))
    parts.append(console.export_text())
    return "\n".join(parts)


def journal_actions(deps: Deps) -> list[tuple[str, str]]:
    with deps.reading() as session:
        rows = session.exec(
            select(JournalEntry.action, JournalEntry.outcome).order_by(JournalEntry.seq)
        )
        return [(action, outcome) for action, outcome in rows]
