"""A president's verification window opens on the document's type, a list that takes no
characters: « 9012 » typed there did nothing. The characters go to the document's last
4 characters, and the type stays to choose."""

from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select

from csu.app import CsuApp
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from tests.screens.conftest import SIZE, demo_voter, in_call, president_bureau, press


async def president_verifying(pilot: Pilot[Any], deps: Deps) -> VerifyScreen:
    """The president's own call on a voter of their bureau, its verification window open."""
    await in_call(pilot, demo_voter(deps, bureau=president_bureau(deps)), login="president")
    await press(pilot, "ctrl+e")
    window = pilot.app.screen
    assert isinstance(window, VerifyScreen)
    return window


async def test_digits_typed_on_the_documents_type_go_to_its_last_four(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        window = await president_verifying(pilot, demo_deps)
        select = window.query_one("#verify-document", Select)
        assert window.focused is select
        await press(pilot, "9", "0", "1", "2", "3")
        field = window.query_one("#verify-in_person", Input)
        assert field.value == "9012"  # its 4 characters at most
        assert window.focused is field
        assert select.is_blank()  # never chosen for the president


async def test_space_on_the_documents_type_still_opens_its_list(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        window = await president_verifying(pilot, demo_deps)
        select = window.query_one("#verify-document", Select)
        await press(pilot, "space")
        assert select.expanded


async def test_spaces_typed_in_the_last_four_take_none_of_its_characters(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The number is printed in groups (« AB 12 ») and read out so: a space typed first
    took one of the 4 characters, and the last one went nowhere."""
    async with app.run_test(size=SIZE) as pilot:
        window = await president_verifying(pilot, demo_deps)
        field = window.query_one("#verify-in_person", Input)
        field.focus()
        await press(pilot, "space", "a", "b", "space", "1", "2")
        assert field.value == "ab12"


async def test_a_pasted_last_four_leaves_its_spaces_out(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        window = await president_verifying(pilot, demo_deps)
        field = window.query_one("#verify-in_person", Input)
        field.focus()
        await pilot.pause()
        field.post_message(events.Paste(" AB\u00a012 \n"))
        await pilot.pause()
        assert field.value == "AB12"
