"""The dashboard in the real app: F3 for a supervisor, charts and figures shown."""

from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from csu.app import CsuApp
from csu.screens.dashboard import DashboardScreen
from csu.services.context import Deps
from csu.services.elections import election_in_focus
from csu.store import journal
from csu.store.journal import Actor
from tests.screens.conftest import SIZE, log_in, notifications, screen_text, settle

AGENT_ACTOR = Actor(operator="agent", role="agent", workstation="poste-test")


def two_cases(deps: Deps) -> None:
    """Two interventions opened now by « agent » on the election in focus, one closed
    résolu."""
    focus = election_in_focus(deps)
    assert focus is not None
    with deps.writing() as session:
        for action, outcome, case in (
            ("intervention_open", "ok", "c1"),
            ("intervention_open", "ok", "c2"),
            ("intervention_close", "résolu", "c1"),
        ):
            journal.append(
                session,
                actor=AGENT_ACTOR,
                action=action,
                outcome=outcome,
                at=deps.clock(),
                election=focus.id,
                intervention=case,
            )


async def test_f3_opens_the_dashboard_with_its_two_charts(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert len(app.screen.query(PlotextPlot)) == 2
        assert app.screen.figures is not None


async def test_the_dashboard_shows_todays_figures(app: CsuApp, demo_deps: Deps) -> None:
    two_cases(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.figures is not None
        operators = screen.query_one("#dashboard-operators", DataTable)
        rows = [tuple(map(str, operators.get_row_at(i))) for i in range(operators.row_count)]
        assert ("agent", "2", "2") in rows  # today, and since the support began
        outcomes = screen.query_one("#dashboard-outcomes", DataTable)
        assert ("résolu", "1", "1") in [
            tuple(map(str, outcomes.get_row_at(i))) for i in range(outcomes.row_count)
        ]
        assert "En ce moment :" in screen_text(app)


async def test_f5_refreshes_the_figures(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        before = screen.figures
        two_cases(demo_deps)
        await pilot.press("f5")
        await settle(pilot)
        assert screen.figures is not None and screen.figures is not before


async def test_an_agent_is_refused_the_dashboard(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        app.action_desk("dashboard")
        await pilot.pause()
        assert not isinstance(app.screen, DashboardScreen)
        assert any("réservé" in message for message in notifications(app))
