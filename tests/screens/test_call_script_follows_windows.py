"""The procedure beside the voter file follows the window the agent opens (F7: S5): left
to the journal's steps alone, a CCI caller verified by a one-time code showed S8, whose
steps that code ticked, while the agent was taking an S5 request (newcomer run). A
procedure the agent chose (ctrl+f) stays."""

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Select

from csu.app import CsuApp
from csu.screens.substitution import SubstitutionRequestScreen
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens import test_substitution_screens
from tests.screens.conftest import DemoVoter, code, in_call, press
from tests.screens.test_substitution_screens import LATER, verify_caller

# The fixtures: the CCI demo's app, and a voter of its roll.
cci_app = test_substitution_screens.cci_app
voter = test_substitution_screens.voter


def shown(app: CsuApp) -> str | None:
    checklist = app.screen.query_one(CallScriptPanel).checklist
    return checklist.scenario if checklist is not None else None


async def verified_by_code(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
    await verify_caller(pilot, voter)
    await pilot.app.workers.wait_for_complete()
    await press(pilot)


async def test_the_substitution_window_shows_the_s5_procedure(
    cci_app: CsuApp, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=(120, 40)) as pilot:
        await verified_by_code(pilot, voter)
        await press(pilot, "f7")
        assert isinstance(cci_app.screen, SubstitutionRequestScreen)
        await cci_app.workers.wait_for_complete()
        await press(pilot, "escape")
        await cci_app.workers.wait_for_complete()
        await press(pilot)
        assert shown(cci_app) == "S5"


async def test_a_procedure_the_agent_chose_stays_when_a_window_opens(
    cci_app: CsuApp, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=(120, 40)) as pilot:
        await verified_by_code(pilot, voter)
        assert shown(cci_app) == "S8"  # what the code's steps tick
        for chosen in ("S5", "S8"):  # the agent looks at S5, then comes back to S8
            await press(pilot, "ctrl+f")
            cci_app.screen.query_one("#script-scenario", Select).value = chosen
            await press(pilot)
            await cci_app.workers.wait_for_complete()
            await press(pilot)
            assert shown(cci_app) == chosen
        await press(pilot, "f7")
        await press(pilot, "escape")
        await cci_app.workers.wait_for_complete()
        await press(pilot)
        assert shown(cci_app) == "S8"
