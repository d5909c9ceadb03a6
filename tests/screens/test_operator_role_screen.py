"""The administrator changes an operator's role, or a president's bureau, from the
operators desk (F9, m): the window shows the role now, offers the bureaus when the new
role is president, says the service's refusals in itself, and the desk's list shows the
new role once it is made."""

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from csu.app import CsuApp
from csu.domain.entry_details import Change, changes_of
from csu.screens.operator_role import ChangeRoleScreen
from csu.screens.operators import OperatorsScreen
from csu.services.context import Deps
from csu.services.operators import OWN_ROLE_REFUSED, disable_operator, list_bureaus
from csu.store.tables import JournalEntry, Operator
from tests.conftest import ADMIN
from tests.screens.conftest import (
    SIZE,
    click,
    fill,
    log_in,
    notifications,
    president_bureau,
    press,
    screen_text,
)


async def open_role_window(pilot: Pilot[Any], login: str) -> ChangeRoleScreen:
    await log_in(pilot, "admin")
    await press(pilot, "f9")
    assert isinstance(pilot.app.screen, OperatorsScreen)
    table = pilot.app.screen.query_one("#operators-table", DataTable)
    table.move_cursor(row=table.get_row_index(login))
    await press(pilot, "m")
    window = pilot.app.screen
    assert isinstance(window, ChangeRoleScreen)
    return window


def role_of(deps: Deps, login: str) -> tuple[str, str | None]:
    with deps.reading() as session:
        row = session.exec(select(Operator).where(Operator.login == login)).one()
        return row.role, row.bureau_code


def changes_journalled(deps: Deps) -> int:
    with deps.reading() as session:
        return len(
            session.exec(
                select(JournalEntry).where(JournalEntry.action == "operator_change")
            ).all()
        )


def message(app: CsuApp) -> str:
    return str(app.screen.query_one("#role-message", Static).content)


def other_bureau(deps: Deps, than: str) -> str:
    return next(code for code, _ in list_bureaus(deps, ADMIN) if code != than)


async def test_the_window_says_the_role_now_and_what_a_change_ends(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "agent")
        shown = screen_text(app)
        assert "Rôle ou bureau de « agent »" in shown and "Actuellement : agent." in shown
        assert "Sa session en cours se ferme" in shown


async def test_an_agent_made_supervisor_with_the_keys_is_listed_so(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "agent")
        # The cursor starts on the role: Entrée opens it, two down, Entrée chooses.
        await press(pilot, "enter", "down", "down", "enter")
        assert app.screen.query_one("#role-role", Select).value == "superviseur"
        fill(pilot, role_reason="renfort de la supervision")
        await click(pilot, "#role-ok")
        assert isinstance(app.screen, OperatorsScreen)
        assert "Opérateur « agent » : désormais superviseur." in notifications(app)
        table = app.screen.query_one("#operators-table", DataTable)
        assert str(table.get_row("agent")[2]) == "superviseur"
    assert role_of(demo_deps, "agent") == ("superviseur", None)


async def test_a_president_moves_to_another_bureau(app: CsuApp, demo_deps: Deps) -> None:
    before = president_bureau(demo_deps)
    after = other_bureau(demo_deps, before)
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "president")
        bureau = app.screen.query_one("#role-bureau", Select)
        assert bureau.value == before  # the bureau now, chosen already
        bureau.value = after
        await click(pilot, "#role-ok")
        assert f"désormais président de bureau ({after})." in notifications(app)[-1]
    assert role_of(demo_deps, "president") == ("president", after)


async def test_the_bureau_is_offered_only_for_a_president(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "agent")
        box = app.screen.query_one("#role-bureau-box")
        assert not box.visible
        app.screen.query_one("#role-role", Select).value = "president"
        await press(pilot)
        assert box.visible


async def test_a_president_without_a_bureau_is_asked_for_one_and_nothing_changes(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "agent")
        app.screen.query_one("#role-role", Select).value = "president"
        await click(pilot, "#role-ok")
        assert isinstance(app.screen, ChangeRoleScreen)
        assert message(app) == "Indiquez le bureau présidé. Rien n'a changé."
        assert app.focused is app.screen.query_one("#role-bureau", Select)
    assert role_of(demo_deps, "agent") == ("agent", None)


async def test_the_same_role_is_refused_in_the_window(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "agent")
        await click(pilot, "#role-ok")
        assert isinstance(app.screen, ChangeRoleScreen)
        assert "déjà agent : rien n'a changé" in message(app)
    assert changes_journalled(demo_deps) == 0


async def test_the_administrator_s_own_account_is_refused_before_any_form(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "admin")
        await press(pilot, "f9")
        table = app.screen.query_one("#operators-table", DataTable)
        table.move_cursor(row=table.get_row_index("admin"))
        await press(pilot, "m")
        assert isinstance(app.screen, OperatorsScreen)  # no form filled for nothing
        assert notifications(app)[-1] == OWN_ROLE_REFUSED
    assert role_of(demo_deps, "admin") == ("admin", None)


async def test_a_refusal_of_the_service_is_said_in_the_window(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "agent")
        app.screen.query_one("#role-role", Select).value = "president"
        bureau = app.screen.query_one("#role-bureau", Select)
        await press(pilot)
        bureau.value = president_bureau(demo_deps)
        disable_operator(demo_deps, ADMIN, "agent", reason="départ")  # meanwhile
        await click(pilot, "#role-ok")
        assert isinstance(app.screen, ChangeRoleScreen)
        assert message(app).startswith("Rôle inchangé — L'opérateur « agent » est désactivé")
    assert role_of(demo_deps, "agent") == ("agent", None)


async def test_escape_says_the_role_is_unchanged(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_role_window(pilot, "agent")
        app.screen.query_one("#role-role", Select).value = "superviseur"
        await press(pilot, "escape")
        assert isinstance(app.screen, OperatorsScreen)
        assert notifications(app)[-1] == "Rôle inchangé."
    assert role_of(demo_deps, "agent") == ("agent", None)


async def test_m_is_greyed_on_a_disabled_operator(app: CsuApp, demo_deps: Deps) -> None:
    disable_operator(demo_deps, ADMIN, "agent", reason="fin de mission")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "admin")
        await press(pilot, "f9")
        screen = app.screen
        assert isinstance(screen, OperatorsScreen)
        table = screen.query_one("#operators-table", DataTable)
        table.move_cursor(row=table.get_row_index("agent"))
        await press(pilot, "m")
        assert app.screen is screen  # no window for a disabled account
        assert screen.check_action("change_role", ()) is None


def test_the_journal_entry_shows_the_role_and_bureau_before_and_after() -> None:
    details = {
        "login": "dominique",
        "changes": {"role": ["president", "agent"], "bureau": ["B01", None]},
        "reason": "renfort",
    }
    assert changes_of("operator_change", details) == (
        Change("rôle", "président de bureau", "agent"),
        Change("bureau", "B01", "—"),
    )
