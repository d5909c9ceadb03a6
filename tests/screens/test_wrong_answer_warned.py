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
