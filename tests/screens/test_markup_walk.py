"""Text that looks like markup is shown as written, on every screen of the walk.

A roll may name a voter « Martin [/] » (brackets are not refused in names), an
administrator may name an operator or a bureau the same way, and an agent may type it
in a note. Textual and Rich read square brackets in a string as styles: « [/] » with
nothing to close raised an error that stopped the app on the screen that showed it, and
« [link=…] » would have made a link of the text. The walk of test_masking_walk.py
(tests/screens/election_walk.py) is run on a demo whose voters, bureaus and operators
carry such names, typing such text in its notes, as the supervisor at the desk.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import Select

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


@dataclass
class MarkupWalk(Walk):
    """The walk, typing markup in its notes and keeping what each step showed."""

    typed: str = TYPED
    drawn: dict[str, str] = field(default_factory=dict)

    def look(self, where: str) -> str:
        self.drawn[where] = drawn(self.pilot.app)  # as drawn, not as the widgets hold it
        return super().look(where)


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


@pytest.mark.slow  # a whole call and the supervisor's desk, per election
@pytest.mark.parametrize("election", WALKS)
async def test_every_screen_shows_markup_as_written(
    demo_deps: Deps, outbox: Path, election: str
) -> None:
    name_everything_in_markup(demo_deps)
    app = CsuApp(demo_deps, f"poste {CLOSE}")
    walk = await _walk(app, demo_deps, outbox, election, MarkupWalk)
    voter = walked_voter(demo_deps, election)
    assert isinstance(walk, MarkupWalk)
    file = " ".join(walk.drawn["fiche électeur"].split())  # words as drawn, lines joined
    assert voter.matricule in file
    assert f"{CLOSE} {STYLED}" in file  # « Martin [/] [bold]gras[/bold] Léa »
    assert LINKED in file  # the bureau's name
    assert re.search(r"président : [^—]*\[/\]", file)  # the bureau's president
    assert f"(démo) {CLOSE} — superviseur" in file  # the header: who is logged in
    timeline = " ".join(walk.drawn["chronologie de l'intervention"].split())
    assert f"{CLOSE} {STYLED} {LINKED} [red" in timeline  # the agent's note, as typed


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
