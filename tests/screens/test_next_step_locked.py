"""A locked voter's file, before any call, says so in its next step: a supervisor is
pointed to the unlock (ctrl+u needs no intervention), an agent to whom may unlock. A
supervisor opening a locked voter read « Ouvrez une intervention » only."""

from datetime import timedelta

from sqlmodel import select
from textual.widgets import Static

from csu.app import CsuApp
from csu.services.context import Deps
from csu.store.tables import Voter
from tests.screens.conftest import SIZE, demo_voter, on_voter_file, press


def locked(deps: Deps, voter_id: int) -> None:
    with deps.writing() as session:
        voter = session.exec(select(Voter).where(Voter.id == voter_id)).one()
        voter.locked_until = deps.clock() + timedelta(hours=24)
        session.add(voter)


def next_step(app: CsuApp) -> str:
    text = str(app.screen.query_one("#call-path", Static).render())
    return text.partition("Étape suivante : ")[2]


async def test_a_supervisor_is_pointed_to_the_unlock(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    locked(demo_deps, voter.voter_id)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="superviseur")
        assert next_step(app).startswith(
            "Électeur verrouillé : déverrouillez-le (ctrl+u) si le motif le justifie, ou "
            "ouvrez une intervention (ctrl+n)"
        )


async def test_an_agent_is_told_who_may_unlock(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    locked(demo_deps, voter.voter_id)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        assert next_step(app).startswith(
            "Électeur verrouillé : un superviseur peut le déverrouiller. Ouvrez une "
            "intervention (ctrl+n)"
        )


async def test_once_unlocked_the_next_step_is_the_call(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    locked(demo_deps, voter.voter_id)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="superviseur")
        await press(pilot, "ctrl+u")
        await pilot.press(*"appel du supervisé", "enter")  # the reason window
        await press(pilot)
        assert next_step(app).startswith("Ouvrez une intervention (ctrl+n)")


async def test_a_voter_not_locked_starts_with_the_call(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps), login="superviseur")
        assert next_step(app).startswith("Ouvrez une intervention (ctrl+n)")
