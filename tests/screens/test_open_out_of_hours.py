"""Opening an intervention outside the election's support hours says so in the window
(probe B, finding 9: the header's « support fermé » was all an agent saw); the call is
still opened, and the supervisors are alerted of it as before."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Static

from csu.app import CsuApp
from csu.screens.intervention import InterventionOpenScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    code,
    copy_of_demo,
    demo_voter,
    on_voter_file,
    press,
)

NIGHT = datetime(2022, 12, 2, 21, 30, tzinfo=UTC)  # 22:30 in Paris, during the vote


@pytest.fixture
def night_deps(demo_template: Path, tmp_path: Path, outbox: Path) -> Iterator[Deps]:
    yield from copy_of_demo(demo_template, tmp_path, outbox, NIGHT)


def hours_said(app: CsuApp) -> str | None:
    said = app.screen.query_one("#open-hours", Static)
    return str(said.content) if said.display else None


async def test_the_window_says_when_the_cell_is_closed_for_the_election(
    night_deps: Deps,
) -> None:
    app = CsuApp(night_deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(night_deps), otp=code("agent", NIGHT))
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, InterventionOpenScreen)
        said = hours_said(app)
        assert said is not None
        assert said.startswith("Hors des heures de support de ce scrutin")
        assert "09:00–18:00" in said


async def test_within_the_hours_the_window_says_nothing_of_them(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, InterventionOpenScreen)
        assert hours_said(app) is None
