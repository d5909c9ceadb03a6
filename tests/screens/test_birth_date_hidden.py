"""The date of birth, a factor of every check, is hidden on the voter file until the
caller is verified: shown during the check, a newcomer « helped » the caller with it.
The president, who compares it with the ID seen in person, sees it."""

from csu.app import CsuApp
from csu.screens.voter import BIRTH_HIDDEN
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    call_verified,
    demo_voter,
    in_call,
    on_voter_file,
    president_bureau,
    screen_text,
)


async def test_the_agent_sees_no_date_of_birth_before_a_call(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        said = screen_text(app)
        assert BIRTH_HIDDEN in said and voter.birth_text not in said


async def test_the_agent_sees_no_date_of_birth_while_checking(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        assert voter.birth_text not in screen_text(app)


async def test_the_date_of_birth_shows_once_the_caller_is_verified(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter)
        said = screen_text(app)
        assert voter.birth_text in said and BIRTH_HIDDEN not in said


async def test_the_president_sees_the_date_of_birth_to_compare_with_the_id(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="president")
        assert voter.birth_text in screen_text(app)
