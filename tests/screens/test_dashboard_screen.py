"""The dashboard in the real app: F3 for a supervisor, charts and figures shown, the
calls redirected to self-service and the escalated cases, the émargements per hour and
each platform's last call; a platform's silent feed notified to supervisors and listed
among the alerts (F4)."""

import re
from dataclasses import replace
from datetime import timedelta
from itertools import pairwise
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from csu.app import CsuApp
from csu.domain.clock import fixed_clock
from csu.screens.alerts import AlertsScreen
from csu.screens.approvals import ApprovalsScreen
from csu.screens.dashboard import DashboardScreen, count_ticks, share_text
from csu.screens.lookup import LookupScreen
from csu.services.context import Deps
from csu.services.dashboard import Period, dashboard
from csu.services.elections import election_in_focus
from csu.services.emargement import EmargementEvent, ingest_emargements
from csu.services.platform_clients import add_platform_client, authenticate, note_call
from csu.store import journal
from csu.store.journal import Actor
from tests.conftest import ADMIN, NOW, SUPERVISOR
from tests.screens.conftest import (
    SIZE,
    demo_rows,
    log_in,
    notifications,
    screen_text,
    settle,
)
from tests.screens.escalated import closed_call, escalate
from tests.screens.shown import _drawn as drawn
from tests.screens.shown import header_election, shown_text

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


def usable_keys(app: CsuApp) -> set[str]:
    return {key for key, active in app.screen.active_bindings.items() if active.enabled}


async def open_dashboard(pilot: Pilot[Any]) -> DashboardScreen:
    """A supervisor's F3, its first figures shown."""
    await log_in(pilot, "superviseur")
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen) and screen.figures is not None
    return screen


async def test_f3_opens_the_dashboard_with_its_three_charts(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert len(app.screen.query(PlotextPlot)) == 3  # today, so far, émargements
        assert app.screen.figures is not None


async def test_at_80x24_the_dashboard_opens_on_its_summary(app: CsuApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen.scroll_y == 0
        assert "En ce moment" in drawn(app)  # not scrolled past it to the first table
        assert app.screen.focused is app.screen.query_one("#dashboard-platforms")


async def test_at_80x24_the_charts_keep_a_title_that_fits(app: CsuApp) -> None:
    """plotext drew no title at all rather than one wider than its chart."""
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        shown = drawn(app)
        assert "Interventions/h, aujourd'hui : " in shown
        # The count as well: « Interventions/h, depuis le 17/11 :… » cut it off.
        assert re.search(r"Interv\S*/h, depuis le \d\d/\d\d : \d+", shown), shown


async def test_a_wide_terminal_gets_the_whole_titles_again(app: CsuApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        await pilot.resize_terminal(160, 50)
        await settle(pilot)
        await pilot.pause(0.2)
        assert "Interventions par heure — aujourd'hui : " in drawn(app)


async def test_the_dashboard_shows_todays_figures(app: CsuApp, demo_deps: Deps) -> None:
    two_cases(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        operators = screen.query_one("#dashboard-operators", DataTable)
        rows = [tuple(map(str, operators.get_row_at(i))) for i in range(operators.row_count)]
        assert ("agent", "2", "2") in rows  # today, and since the support began
        outcomes = screen.query_one("#dashboard-outcomes", DataTable)
        assert ("résolu", "1", "1") in [
            tuple(map(str, outcomes.get_row_at(i))) for i in range(outcomes.row_count)
        ]
        assert "En ce moment, toute la cellule :" in screen_text(app)


async def test_actions_are_named_in_french_and_counts_read_as_whole_numbers(
    app: CsuApp, demo_deps: Deps
) -> None:
    two_cases(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        actions = screen.query_one("#dashboard-actions", DataTable)
        named = [str(actions.get_row_at(i)[0]) for i in range(actions.row_count)]
        assert "intervention ouverte" in named and "intervention_open" not in named
        # Two interventions in an hour: the axis reads 0, 1, 2, never « 0.50 » or « 1.50 ».
        chart = shown_text(app)
        assert re.search(r"\b\d+\.\d+\b", chart) is None


async def test_the_dashboard_counts_redirected_calls_and_escalated_cases(
    app: CsuApp, demo_deps: Deps
) -> None:
    # In the order of the clock, as the journal is written.
    escalate(demo_deps, minutes_ago=90)  # past minint-2022's 60 minutes
    closed_call(demo_deps, "résolu", minutes_ago=50)
    closed_call(demo_deps, "redirigé", minutes_ago=40)
    escalate(demo_deps, minutes_ago=10)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        shown = str(app.screen.query_one("#dashboard-election-figures").content)
    # Four calls closed today, one of them redirected.
    assert (
        "Redirections vers le libre-service : aujourd'hui 1 sur 4 interventions closes "
        "(25\u00a0%) · depuis le " in shown
    )
    assert (
        "Dossiers escaladés de minint-2022 : 1 en attente · 1 en retard · 0 pris en charge · "
        "0 clos aujourd'hui"
        in shown
    )


def period(closed: int, redirected: int) -> Period:
    return Period(
        label="Aujourd'hui", since=NOW, until=NOW, interventions=closed, per_hour=(),
        by_action=(), by_outcome=(), by_operator=(), closed=closed, redirected=redirected,
    )  # fmt: skip


def test_the_share_of_redirected_calls_reads_in_french() -> None:
    assert share_text(period(1, 1), named=True) == "1 sur 1 intervention close (100\u00a0%)"
    assert share_text(period(3, 1), named=True) == "1 sur 3 interventions closes (33\u00a0%)"
    assert share_text(period(3, 1)) == "1 sur 3 (33\u00a0%)"
    assert share_text(period(0, 0)) == "aucune intervention close"


def test_a_count_axis_has_whole_steps_and_five_lines_at_most() -> None:
    for top in (0, 1, 3, 7, 13, 250):
        ticks = count_ticks(top)
        steps = {b - a for a, b in pairwise(ticks)}
        assert ticks[0] == 0 and ticks[-1] >= top and len(steps) == 1 and len(ticks) <= 5


async def test_f5_refreshes_the_figures(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
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


# ------------------------------------------------------------ the platforms' feed

AN_HOUR_AGO = NOW - timedelta(hours=1)


def silent_platform(deps: Deps, votes: int = 3) -> None:
    """neovote reached minint-2022 an hour ago, reported ``votes`` votes (csa) then,
    and has been silent since: past the election's 30 minutes."""
    earlier = replace(deps, clock=fixed_clock(AN_HOUR_AGO))
    key = add_platform_client(earlier, ADMIN, "neovote", ["minint-2022"]).key
    platform = authenticate(earlier, key)
    note_call(earlier, platform)
    identifiers = [i for (e, i) in demo_rows() if e == "minint-2022"][:votes]
    events = [
        EmargementEvent(f"nv-{identifier}", identifier, "csa", AN_HOUR_AGO - timedelta(minutes=5))
        for identifier in identifiers
    ]
    ingest_emargements(earlier, platform, "minint-2022", events)


def votes_of(deps: Deps) -> int:
    votes = dashboard(deps, SUPERVISOR, "minint-2022").votes
    assert votes is not None
    return votes.total


def chart_title(app: CsuApp) -> str:
    """What the émargements chart draws, as text."""
    plot = app.screen.query_one("#dashboard-votes-chart", PlotextPlot)
    return str(plot.plt.build())


def platform_rows(app: CsuApp) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#dashboard-platforms", DataTable)
    return [tuple(map(str, table.get_row_at(i))) for i in range(table.row_count)]


async def test_the_dashboard_shows_the_emargements_and_each_platforms_last_call(
    app: CsuApp, demo_deps: Deps
) -> None:
    before = votes_of(demo_deps)  # the demo's votes
    silent_platform(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        assert screen.figures.election_id == "minint-2022"
        assert screen.figures.votes is not None
        assert screen.figures.votes.total == before + 3
        assert f"Émargements par heure depuis l'ouverture : {before + 3}" in chart_title(app)
        # 10:30 in Paris: an hour before the clock's 11:30.
        assert platform_rows(app) == [
            ("neovote", "02/12 10:30", "02/12 10:30", "muet (seuil 30 min)")
        ]
        assert "flux d'émargements muet : neovote" in screen_text(app)


async def test_e_shows_the_next_election(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        first = screen.figures.election_id
        await pilot.press("e")
        await settle(pilot)
        assert screen.figures.election_id not in (None, first)
        assert platform_rows(app) == [("aucune", "", "", "")]


async def test_the_header_follows_the_election_e_shows(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dashboard(pilot)
        assert header_election(app).startswith(str(screen.figures.election_id))
        await pilot.press("e")
        await settle(pilot)
        shown = screen.figures.election_id
        assert shown is not None and app.election is not None and shown != app.election.id
        assert header_election(app).startswith(shown)  # not the operator's election
        app.load_election()  # the operator's default read again (a new election loaded)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert header_election(app).startswith(shown)


async def test_a_silent_feed_is_notified_to_a_supervisor_and_listed_in_f4(
    app: CsuApp, demo_deps: Deps
) -> None:
    silent_platform(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        app._watch_alerts()  # what the 30-second interval does
        await settle(pilot)
        assert any("Plateforme neovote : aucun émargement" in m for m in notifications(app))
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        table = app.screen.query_one("#alerts-table", DataTable)
        kinds = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert "flux d'émargements muet" in kinds


async def test_s_opens_the_substitution_requests_the_dashboard_counts(app: CsuApp) -> None:
    """A newcomer read « 1 demande de substitution à approuver » and found the requests
    only by typing « substitu » into the palette. Escape goes back to where the desk was
    entered from, as from every desk screen."""
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot)
        assert "s" in usable_keys(app)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)


async def test_an_administrator_s_dashboard_offers_no_substitutions(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "admin")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "s" not in usable_keys(app)
