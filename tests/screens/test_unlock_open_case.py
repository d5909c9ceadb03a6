"""A supervisor unlocked a voter from the file; the voter's escalated case stayed
« en attente » in F10, unmentioned, and the caller was never called back. The unlock
now says which cases stay open and where to close them."""

from csu.app import CsuApp
from csu.services.context import Deps
from csu.services.verification import unlock_voter
from tests.conftest import SUPERVISOR
from tests.screens.conftest import SIZE, demo_voter, fill, notifications, on_voter_file, press
from tests.screens.escalated import escalate
from tests.screens.test_next_step_locked import locked


async def test_unlocking_a_voter_with_an_open_case_says_it_stays_open(
    app: CsuApp, demo_deps: Deps
) -> None:
    case = escalate(demo_deps)  # on demo_voter(demo_deps)
    voter = demo_voter(demo_deps)
    locked(demo_deps, voter.voter_id)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="superviseur")
        await press(pilot, "ctrl+u")
        fill(pilot, unlock_reason="appel de l'électeur, identité confirmée")
        await press(pilot, "enter")
        told = [n for n in notifications(app) if "dossier escaladé" in n.lower()]
        assert told == [
            f"Le dossier escaladé n° {case} de l'électeur {voter.matricule} reste ouvert : "
            "rappelez-le, puis clôturez le dossier (F10, « Dossiers escaladés »)."
        ]


def test_the_unlock_names_the_voters_open_cases(demo_deps: Deps) -> None:
    case = escalate(demo_deps)
    voter = demo_voter(demo_deps)
    locked(demo_deps, voter.voter_id)
    assert unlock_voter(demo_deps, SUPERVISOR, voter.voter_id, "rappel, identité vue") == [case]
    other = demo_voter(demo_deps, "men-2022")
    locked(demo_deps, other.voter_id)
    assert unlock_voter(demo_deps, SUPERVISOR, other.voter_id, "rappel, identité vue") == []
