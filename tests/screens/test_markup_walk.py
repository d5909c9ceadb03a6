"""Two things the walk of tests/screens/election_walk.py checks besides masking and
labels, in the 80x24 terminal it runs in, on a demo whose voters, bureaus, operators and
workstation carry markup in their names, typing markup in its notes:

- text that looks like markup is shown as written. Textual and Rich read square
  brackets in a string as styles: « [/] » with nothing to close raised an error that
  stopped the app on the screen that showed it, and « [link=…] » would have made a link;
- no field or button of a screen or window the walk opens lies beyond the right edge:
  the windows of a call were 90 columns wide and cut at 80, and those taller than the
  terminal hid their buttons.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from csu.app import CsuApp
from csu.services.context import Deps
from tests.screens.conftest import SIZE, log_in, press, settle
from tests.screens.election_walk import (
    CLOSE,
    LINKED,
    STYLED,
    TYPED,
    WALKS,
    name_everything_in_markup,
    walked,
)
from tests.screens.shown import _drawn as drawn


def words(text: str) -> str:
    """Shown text, its lines joined: what a wrapped cell says."""
    return " ".join(text.split())


@pytest.mark.slow  # a whole call and the supervisor's desk, per election
@pytest.mark.parametrize("election", WALKS)
async def test_every_screen_shows_markup_as_written(
    demo_deps: Deps, outbox: Path, election: str
) -> None:
    walk = await walked(demo_deps, outbox, election)
    file = words(walk.shown["fiche électeur"])
    assert walk.voter in file
    assert f"{CLOSE} {STYLED}" in file  # « Martin [/] [bold]gras[/bold] Léa »
    assert LINKED in file  # the bureau's name
    assert re.search(r"président : [^—]*\[/\]", file)  # the bureau's president
    assert f"(démo) {CLOSE}" in file  # the header: who is logged in
    # The agent's note, as typed, in the intervention's summary.
    assert TYPED.strip() in words(walk.shown["chronologie de l'intervention"])


@pytest.mark.slow
@pytest.mark.parametrize("election", WALKS)
async def test_no_field_or_button_is_beyond_the_right_edge_at_80_columns(
    demo_deps: Deps, outbox: Path, election: str
) -> None:
    walk = await walked(demo_deps, outbox, election)
    assert walk.cut == []


@pytest.mark.slow
@pytest.mark.parametrize("election", WALKS)
async def test_no_field_s_placeholder_is_cut_at_80_columns(
    demo_deps: Deps, outbox: Path, election: str
) -> None:
    """« code reçu par SMS » read « code reçu par SM » beside its button."""
    walk = await walked(demo_deps, outbox, election)
    assert walk.placeholders_cut == []


async def drawn_open(pilot: Pilot[Any], selector: str) -> str:
    """What the screen draws with the choice ``selector`` opened, words joined."""
    pilot.app.screen.query_one(selector, Select).expanded = True
    await settle(pilot)
    assert pilot.app.is_running and pilot.app._exception is None
    return " ".join(drawn(pilot.app).split())


async def test_the_journal_s_operator_filter_lists_names_as_written(demo_deps: Deps) -> None:
    name_everything_in_markup(demo_deps)
    async with CsuApp(demo_deps, "poste-test").run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await press(pilot, "f2")
        await settle(pilot)  # the choices load in a worker
        # « superviseur (Claude Superviseur (démo) [/]) », wrapped in the narrow list
        assert f"Superviseur (démo) {CLOSE})" in await drawn_open(pilot, "#journal-operator")


async def test_the_bureaus_offered_to_a_new_president_are_named_as_written(
    demo_deps: Deps,
) -> None:
    name_everything_in_markup(demo_deps)
    async with CsuApp(demo_deps, "poste-test").run_test(size=SIZE) as pilot:
        await log_in(pilot, "admin")
        await press(pilot, "f9", "n")
        pilot.app.screen.query_one("#create-role", Select).value = "president"
        await settle(pilot)  # the bureaus load in a worker
        # « CCI-HDF-AISNE — [link=https://exemple.invalid]ici [/link] CCI Aisne », wrapped
        assert "[link=https://exemple.invalid]ici" in await drawn_open(pilot, "#create-bureau")
