"""The alerts in the real app: F4 lists them, Entrée opens the journal entries behind
one (or, for an escalated case past its deadline, the queue on that case), and
supervisors logged in are notified of each new alert once."""

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from csu.app import CsuApp
from csu.domain.alerts import VOTER_LOCK_ADVICE, VOTER_LOCKED
from csu.screens.alerts import AlertsScreen
from csu.screens.escalations import EscalationsScreen
from csu.services.auth import MAX_FAILURES, LoginRefused
from csu.services.auth import log_in as log_in_service
from csu.services.context import Deps
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import Voter
from tests.conftest import NOW
from tests.screens.conftest import SIZE, log_in, notifications, settle
from tests.screens.escalated import escalate

AGENT_ACTOR = Actor(operator="agent", role="agent", workstation="poste-test")


def three_changes(deps: Deps, nth: int = 0) -> tuple[str, list[int]]:
    """Three credentials issued now to the ``nth`` voter: their matricule and the seqs."""
    with deps.reading() as session:
        voter = session.exec(
            select(Voter).order_by(Voter.id).offset(nth)  # type: ignore[arg-type]
        ).first()
    assert voter is not None
    seqs = []
    with deps.writing() as session:
        for _ in range(3):
            seqs.append(
                journal.append(
                    session,
                    actor=AGENT_ACTOR,
                    action="credential_issue",
                    outcome="ok",
                    at=deps.clock(),
                    subject=voter.pseudonym,
                ).seq
            )
    return voter.matricule, seqs


def table_rows(app: CsuApp) -> list[list[str]]:
    table = app.screen.query_one("#alerts-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_f4_lists_the_alert_with_the_voters_matricule(app: CsuApp, demo_deps: Deps) -> None:
    matricule, _ = three_changes(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        rows = [row for row in table_rows(app) if row[1] == "changements de codes répétés"]
        assert len(rows) == 1
        assert rows[0][3] == matricule and rows[0][4] == "3"


async def open_alert_of(pilot: Pilot[Any], seqs: list[int]) -> str:
    """As a supervisor, F4 then Entrée on the alert behind ``seqs``; its title."""
    await log_in(pilot, "superviseur")
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AlertsScreen)
    row = next(i for i, view in enumerate(screen.alerts) if view.alert.seqs == tuple(seqs))
    screen.query_one("#alerts-table", DataTable).move_cursor(row=row)
    await pilot.press("enter")
    await settle(pilot)
    return screen.alerts[row].alert.title


async def test_an_alert_opens_the_journal_on_its_entries(app: CsuApp, demo_deps: Deps) -> None:
    _, seqs = three_changes(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_alert_of(pilot, seqs)
        from csu.screens.journal import JournalScreen

        assert isinstance(app.screen, JournalScreen)
        assert app.screen.where.seqs == tuple(seqs)  # type: ignore[attr-defined]


async def test_the_journal_of_an_alert_is_titled_with_it_until_ctrl_r(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The filter fields cannot show designated entries: the title names them."""
    _, seqs = three_changes(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        alert_title = await open_alert_of(pilot, seqs)
        title = str(app.screen.query_one("#journal-title", Static).content)
        assert title == (
            f"Journal — 3 entrées désignées par l'alerte « {alert_title} » ; "
            "ctrl+r : tout le journal"
        )
        await pilot.press("ctrl+r")
        await settle(pilot)
        title = str(app.screen.query_one("#journal-title", Static).content)
        assert title == "Journal — les entrées les plus récentes d'abord"


async def test_a_supervisor_is_notified_of_a_new_alert_once(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        three_changes(demo_deps)
        app._watch_alerts()  # what the 30-second interval does
        await settle(pilot)
        app._watch_alerts()
        await settle(pilot)
        notified = [n for n in notifications(app) if "changé 3 fois de codes" in n]
        assert len(notified) == 1


async def test_many_new_alerts_are_notified_as_one_count(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        for nth in range(4):
            three_changes(demo_deps, nth)
        app._watch_alerts()
        await settle(pilot)
        assert "4 nouvelles alertes : F4 pour les voir." in notifications(app)
        assert not [n for n in notifications(app) if "changé 3 fois de codes" in n]


async def test_an_agent_is_not_notified_of_alerts(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        three_changes(demo_deps)
        app._watch_alerts()
        await settle(pilot)
        assert not [n for n in notifications(app) if "changé 3 fois de codes" in n]


async def test_an_agent_is_refused_the_alerts(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        app.action_desk("alerts")
        await pilot.pause()
        assert not isinstance(app.screen, AlertsScreen)
        assert any("réservé" in message for message in notifications(app))


# ------------------------------------------------- escalated cases past their deadline


async def open_alerts(pilot: Pilot[Any], login: str = "superviseur") -> AlertsScreen:
    await log_in(pilot, login)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AlertsScreen)
    return screen


def overdue_row(screen: AlertsScreen, case_id: int) -> int:
    """The row of the alert of escalated case ``case_id``, the cursor put on it."""
    row = next(i for i, view in enumerate(screen.alerts) if view.alert.escalation_case == case_id)
    screen.query_one("#alerts-table", DataTable).move_cursor(row=row)
    return row


async def test_an_escalated_case_past_its_deadline_is_listed_en_retard(
    app: CsuApp, demo_deps: Deps
) -> None:
    case_id = escalate(demo_deps, minutes_ago=90)  # minint-2022 gives 60 minutes
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        row = table_rows(app)[overdue_row(screen, case_id)]
    assert row[1] == "dossier escaladé en retard"
    assert row[2].startswith(f"Dossier escaladé n° {case_id} (minint-2022)")


async def test_entree_on_an_overdue_case_opens_the_queue_on_that_case(
    app: CsuApp, demo_deps: Deps
) -> None:
    older = escalate(demo_deps, minutes_ago=125)  # first in the queue, oldest first
    case_id = escalate(demo_deps, minutes_ago=90)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        overdue_row(screen, case_id)
        await pilot.press("enter")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, EscalationsScreen)
        assert [case.id for case in queue.cases] == [older, case_id]
        selected = queue.selected()
        assert selected is not None and selected.id == case_id


async def test_an_administrator_is_told_the_queue_is_the_supervisors(
    app: CsuApp, demo_deps: Deps
) -> None:
    case_id = escalate(demo_deps, minutes_ago=90)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot, "admin")
        overdue_row(screen, case_id)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert "Écran réservé aux superviseurs." in notifications(app)


async def test_alerts_there_before_the_login_are_said_in_one_short_line(
    app: CsuApp, demo_deps: Deps
) -> None:
    three_changes(demo_deps)
    three_changes(demo_deps, 1)
    async with app.run_test(size=SIZE) as pilot:
        app.clock = lambda: NOW + timedelta(minutes=5)  # the login comes after them
        await log_in(pilot, "superviseur")
        app._watch_alerts()
        await settle(pilot)
        assert "2 alertes en cours : F4 pour les voir." in notifications(app)
        assert not [n for n in notifications(app) if "changé 3 fois de codes" in n]


# ------------------------------------------------------------------------ locks


def lock_first_voter(deps: Deps) -> str:
    """The first voter locked for remote verification, as three failures lock them."""
    with deps.writing() as session:
        voter = session.exec(select(Voter).order_by(Voter.id)).first()  # type: ignore[arg-type]
        assert voter is not None
        voter.locked_until = deps.clock() + timedelta(hours=24)
        session.add(voter)
        return voter.matricule


async def test_a_locked_voter_is_listed_with_their_matricule_and_what_to_do(
    app: CsuApp, demo_deps: Deps
) -> None:
    matricule = lock_first_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        [row] = [i for i, view in enumerate(screen.alerts) if view.alert.kind == VOTER_LOCKED]
        assert table_rows(app)[row][1:4:2] == ["électeur verrouillé", matricule]
        screen.query_one("#alerts-table", DataTable).move_cursor(row=row)
        await settle(pilot)
        assert VOTER_LOCK_ADVICE in str(screen.query_one("#alerts-advice", Static).render())


async def test_a_supervisor_is_told_of_an_operator_locked_out(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        for _ in range(MAX_FAILURES):
            with pytest.raises(LoginRefused):
                log_in_service(demo_deps, "agent", "mauvais", "000000", "poste-9")
        app._watch_alerts()
        await settle(pilot)
        assert any(n.startswith("Connexion de agent verrouillée : 1 poste jusqu'à ")
                   for n in notifications(app))  # fmt: skip


async def test_at_80_columns_the_table_keeps_the_voter_and_the_title_shows_whole_below(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The table ran off the right edge: the matricule and the count were out of sight.
    matricule, _ = three_changes(demo_deps)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one("#alerts-table", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        row = next(i for i, view in enumerate(screen.alerts) if view.matricule == matricule)
        table.move_cursor(row=row)
        await settle(pilot)
        assert table_rows(app)[row][3] == matricule
        below = str(screen.query_one("#alerts-advice", Static).content)
        assert below.splitlines()[0] == screen.alerts[row].alert.title
