"""At 80×24, the smallest terminal an agent may have, nothing of a screen is cut off
out of reach: what does not fit lies in a part that scrolls."""

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.widgets._toast import Toast, ToastRack

from csu.app import CsuApp
from csu.services.context import Deps
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens.conftest import demo_voter, in_call

NARROW = (80, 24)


def out_of_reach(screen: Screen[object]) -> list[str]:
    """The widgets drawn (leaves) that lie, even in part, outside a container that
    cannot scroll to them: each container on the way to the screen either holds the
    widget whole or scrolls in that direction (then the container itself must be in
    reach)."""
    found = []
    for widget in screen.query("*"):
        if widget.children or isinstance(widget, ToastRack | Toast | Footer):
            continue
        if not widget.display or any(not a.display for a in widget.ancestors_with_self):
            continue
        region = widget.region
        for container in widget.ancestors:
            if not isinstance(container, Widget):
                break
            room = screen.region if container is screen else container.content_region
            if room.contains_region(region):
                continue
            across = region.x < room.x or region.right > room.right
            down = region.y < room.y or region.bottom > room.bottom
            if (down and not container.allow_vertical_scroll) or (
                across and not container.allow_horizontal_scroll
            ):
                found.append(f"#{widget.id} {region} hors de #{container.id} {room}")
                break
            region = container.region
    return found


async def test_a_call_s_next_step_and_its_procedure_stay_within_reach(demo_deps: Deps) -> None:
    # The next step of a long procedure took the whole panel, cut, and its list of steps
    # lay below the panel's border, out of reach.
    app = CsuApp(demo_deps, "poste-test")
    async with app.run_test(size=NARROW) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        panel = app.screen.query_one(CallScriptPanel)
        assert panel.checklist is not None
        assert str(panel.query_one("#script-next", Static).content)
        assert out_of_reach(app.screen) == []
