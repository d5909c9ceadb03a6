"""Verified by one set while another answer was wrong: the agent reads it, as a warning
that stays, not the plain « Identité vérifiée » that took every answer for checked."""

from csu.app import CsuApp
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    by_numen,
    demo_voter,
    fill,
    in_call,
    press,
    screen_text,
    settle,
)
from tests.services.intervention_support import wrong


async def test_a_wrong_nir_beside_a_set_that_verifies_is_warned(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, "men-2022")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        fill(pilot, **by_numen(voter), verify_nir10=wrong(voter.row["nir"][:10]))
        await press(pilot, "enter")
        await settle(pilot)
        [said] = [n for n in app._notifications if n.title == "Vérification d'identité"]
        assert said.severity == "warning"
        assert "Attention, réponse fausse : 10 premiers chiffres du NIR" in said.message


async def test_the_third_wrong_answer_beside_a_set_that_verifies_shows_the_voter_locked(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The lock it causes shows on the file at once (it kept « non verrouillé »)."""
    voter = demo_voter(demo_deps, "men-2022")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        for _ in range(3):
            await press(pilot, "ctrl+e")
            fill(pilot, **by_numen(voter), verify_nir10=wrong(voter.row["nir"][:10]))
            await press(pilot, "enter")
            await settle(pilot)
        assert "verrouillé jusqu'au" in screen_text(app)
