"""Snapshots of the main screens (fixed clock, fixed demo data, no cursor blink).

Regenerate after an intended change with ``pytest tests/screens --snapshot-update``;
the SVG files double as the README's screenshots.
"""

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from csu.app import CsuApp
from tests.screens.conftest import SIZE, log_in, settle


async def steady(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)


def test_login_screen(snap_compare: Any, app: CsuApp) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=steady)


def test_lookup_with_results(snap_compare: Any, app: CsuApp) -> None:
    async def find(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "agent")
        await pilot.press(*"dup")
        await pilot.pause(0.3)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=find)


def test_voter_file(snap_compare: Any, app: CsuApp) -> None:
    async def open_first(pilot: Pilot[Any]) -> None:
        await log_in(pilot, "agent")
        await pilot.press(*"dup")
        await pilot.pause(0.3)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # « dup » finds two: Entrée goes into the results, Entrée opens the first.
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.press("enter")
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_first)
