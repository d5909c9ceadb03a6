"""Two things the walk of test_masking_walk.py (tests/screens/election_walk.py) checks
again, run in an 80x24 terminal on a demo whose voters, bureaus, operators and
workstation carry markup in their names, typing markup in its notes:

- text that looks like markup is shown as written. A roll may name a voter « Martin [/] »
  (brackets are not refused in names), an administrator may name an operator or a bureau
  the same way, and an agent may type it in a note. Textual and Rich read square
  brackets in a string as styles: « [/] » with nothing to close raised an error that
  stopped the app on the screen that showed it, and « [link=…] » would have made a link;
- no field or button of a screen or window the walk opens lies beyond the right edge:
  the windows of a call were 90 columns wide and cut at 80, and those taller than the
  terminal hid their buttons.

The walk runs once per election (``walked``); both tests read it.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Select, TextArea

from csu.app import CsuApp
from csu.services.context import Deps
from csu.store.tables import Bureau, Operator, Voter
from tests.screens.conftest import SIZE, log_in, press, settle
from tests.screens.election_walk import WALKS, Walk, _walk, walked_voter
from tests.screens.shown import _drawn as drawn

CLOSE = "[/]"  # closes nothing: what stopped the app
STYLED = "[bold]gras[/bold]"  # would be drawn bold, brackets gone
LINKED = "[link=https://exemple.invalid]ici[/link]"  # would be a link in the terminal
TYPED = f" {CLOSE} {STYLED} {LINKED} [red"


NARROW = (80, 24)  # most terminals' size when opened
FIELDS = (Button, Checkbox, Input, Select, TextArea)


@dataclass
class NarrowMarkupWalk(Walk):
    """The walk, typing markup in its notes, keeping what each step showed and noting every
    field or button it finds beyond the right edge.

    What is shown (tests/screens/shown.py) is the terminal as drawn and each widget's
    whole content, a rich table as a console prints it: what the 24 rows leave out of
    view (the voter's bureau) is read there, with markup read as the screen would."""

    typed: str = TYPED
    shown: dict[str, str] = field(default_factory=dict)
    cut: list[str] = field(default_factory=list)

    def look(self, where: str) -> str:
        app = self.pilot.app
        for widget in app.screen.query("*").results(FIELDS):
            region = widget.region
            if widget.display and region.width and region.right > app.size.width:
                self.cut.append(f"{where}: #{widget.id} {region}")
        self.shown[where] = super().look(where)
        return self.shown[where]


def name_everything_in_markup(deps: Deps) -> None:
    with deps.writing() as session:
        session.execute(
            update(Voter).values(
                last_name=Voter.last_name + f" {CLOSE}",
                first_name=f"{STYLED} " + Voter.first_name,
            )
        )
        session.execute(update(Bureau).values(name=f"{LINKED} " + Bureau.name))
        session.execute(update(Bureau).values(president_name=f"Président {CLOSE}"))
        session.execute(update(Operator).values(display_name=Operator.display_name + f" {CLOSE}"))


_WALKED: dict[str, NarrowMarkupWalk] = {}


async def walked(deps: Deps, outbox: Path, election: str) -> NarrowMarkupWalk:
    """The walk of ``election``, run by the first test of this process that asks."""
    if election not in _WALKED:
        name_everything_in_markup(deps)
        app = CsuApp(deps, f"poste {CLOSE}")
        walk = await _walk(app, deps, outbox, election, NarrowMarkupWalk, size=NARROW)
        walk.voter = walked_voter(deps, election).matricule  # type: ignore[attr-defined]
        _WALKED[election] = walk
    return _WALKED[election]


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
    assert walk.voter in file  # type: ignore[attr-defined]
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
