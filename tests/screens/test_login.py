"""Logging in at the terminal: password and authenticator code, one message for every failure."""

from csu.app import CsuApp
from csu.screens.lookup import LookupScreen
from csu.services.context import Deps
from csu.services.interventions import current_intervention, open_intervention
from csu.services.voters import search_voters
from tests.screens.conftest import SIZE, code, journal_actions, log_in, screen_text

REFUSED = "Identifiants ou code incorrects."


async def test_a_good_login_opens_the_desk_with_the_operator_in_the_header(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        assert isinstance(app.screen, LookupScreen)
        assert "Camille Agent (démo) — agent — poste poste-test" in screen_text(app)
        assert app.operator is not None and app.operator.role == "agent"


async def test_a_wrong_password_gets_the_one_message(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent", password="faux")
        assert app.operator is None
        assert REFUSED in screen_text(app)


async def test_a_wrong_code_gets_the_same_message(app: CsuApp) -> None:
    wrong = "000000" if code("agent") != "000000" else "111111"
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent", otp=wrong)
        assert REFUSED in screen_text(app)


async def test_a_code_already_used_is_refused(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await pilot.press("ctrl+o")
        await app.workers.wait_for_complete()
        await log_in(pilot, "agent")
        assert app.operator is None
        assert REFUSED in screen_text(app)


async def test_five_failures_lock_the_operator_and_say_until_when(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            await log_in(pilot, "agent", password="faux")
        await log_in(pilot, "agent")
        assert app.operator is None
        assert "Compte verrouillé jusqu'à" in screen_text(app)


async def test_logins_are_journalled_without_password_or_code(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent", password="mauvais-mot")
        await log_in(pilot, "agent")
    actions = journal_actions(demo_deps)
    assert ("login", "refusé") in actions and ("login", "ok") in actions
    with demo_deps.engine.connect() as conn:
        bodies = b"".join(row[0] for row in conn.exec_driver_sql("SELECT body FROM journal_entry"))
    assert b"mauvais-mot" not in bodies and code("agent").encode() not in bodies


async def test_the_demo_database_shows_demo_logins_and_current_codes(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "superviseur" in text and code("agent") in text


async def test_idle_operators_return_to_login(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        app.idle_seconds = 0
        app._check_idle()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.operator is None
        assert "Session fermée après inactivité" in screen_text(app)


async def test_quitting_logs_out_and_abandons_the_open_intervention(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        who = app.operator
        assert who is not None
        hit = search_voters(demo_deps, who, "MI")[0]
        open_intervention(demo_deps, who, hit.voter_id, "phone")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert current_intervention(demo_deps, who) is None
    assert journal_actions(demo_deps)[-2:] == [
        ("intervention_close", "abandonné"),
        ("logout", "ok"),
    ]
