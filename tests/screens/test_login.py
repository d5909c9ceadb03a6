"""Logging in at the terminal: password and authenticator code, one message for every
failure (a lock included), and a demo panel that shows the demo operators only."""

import os
from typing import Any

import pyotp
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from textual.widgets._footer import FooterKey

from csu.app import CsuApp
from csu.screens.help import HelpScreen
from csu.screens.login import FIELDS, LoginScreen
from csu.screens.lookup import LookupScreen
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import current_intervention, open_intervention
from csu.services.operators import add_operator
from csu.services.voters import search_voters
from csu.widgets.footer import KeysFooter
from tests.conftest import ADMIN, NOW
from tests.screens.bursts import type_burst
from tests.screens.conftest import (
    SECRETS,
    SIZE,
    click,
    code,
    journal_actions,
    journal_text,
    log_in,
    press,
    screen_text,
    settle,
)

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


async def test_five_failures_lock_the_operator_without_the_screen_saying_so(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            await log_in(pilot, "agent", password="faux")
        await log_in(pilot, "agent")
        assert app.operator is None
        assert REFUSED in screen_text(app)
        assert "verrouillé" not in screen_text(app).lower()
    assert journal_actions(demo_deps)[-1] == ("login", "verrouillé")


async def test_a_password_typed_into_the_login_field_is_not_journalled(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "Mon-Mot-De-Passe-Secret", password="faux", otp="123456")
        assert REFUSED in screen_text(app)
    assert ("login", "refusé") in journal_actions(demo_deps)
    assert b"mon-mot-de-passe-secret" not in journal_text(demo_deps).lower()


async def test_logins_are_journalled_without_password_or_code(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent", password="mauvais-mot")
        await log_in(pilot, "agent")
    actions = journal_actions(demo_deps)
    assert ("login", "refusé") in actions and ("login", "ok") in actions
    with demo_deps.engine.connect() as conn:
        bodies = b"".join(row[0] for row in conn.exec_driver_sql("SELECT body FROM journal_entry"))
    assert b"mauvais-mot" not in bodies and code("agent").encode() not in bodies


async def show_demo_panel(pilot: Pilot[Any]) -> dict[str, list[str]]:
    """The rows of the demo panel, by login, once it has been filled."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    table = pilot.app.screen.query_one("#demo-logins", DataTable)
    return {
        str(cells[0]): [str(cell) for cell in cells]
        for cells in (table.get_row_at(index) for index in range(table.row_count))
    }


async def test_the_demo_database_shows_demo_logins_and_current_codes(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        shown = await show_demo_panel(pilot)
        assert list(shown) == list(SECRETS)
        assert shown["agent"][2:] == ["demo", f"{code('agent')} (30 s)"]


async def test_an_80x24_terminal_shows_the_whole_form_and_the_demo_logins_unscrolled(
    app: CsuApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await show_demo_panel(pilot)
        screen = pilot.app.screen
        footer_top = screen.query_one(KeysFooter).region.y
        table = screen.query_one("#demo-logins", DataTable)
        # Every row of the table (header + 4 logins) and the button above the footer.
        assert table.region.bottom <= footer_top
        assert table.region.height == 1 + len(SECRETS)
        assert screen.query_one("#submit").region.bottom <= footer_top
        assert screen.scroll_offset.y == 0 and screen.has_class("-short")
        assert all(field.region.height == 1 for field in screen.query(Input))


async def test_an_80x24_terminal_keeps_the_demo_logins_in_view_under_a_message(
    app: CsuApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await show_demo_panel(pilot)
        await click(pilot, "#submit")  # an empty form: the longest message, two lines
        screen = pilot.app.screen
        message = screen.query_one("#login-message", Static)
        assert "Indiquez votre identifiant" in str(message.render())
        footer_top = screen.query_one(KeysFooter).region.y
        assert screen.query_one("#demo-logins", DataTable).region.bottom <= footer_top
        assert screen.scroll_offset.y == 0


async def test_a_tall_terminal_keeps_the_framed_fields(app: CsuApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await show_demo_panel(pilot)
        screen = pilot.app.screen
        assert screen.has_class("-tall")
        assert all(field.region.height == 3 for field in screen.query(Input))


async def test_a_terminal_shrunk_while_typing_keeps_what_was_typed(app: CsuApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#login")
        await pilot.press(*"agent")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        screen = pilot.app.screen
        assert screen.has_class("-short") and not screen.has_class("-tall")
        assert screen.query_one("#login", Input).value == "agent"
        assert screen.focused is screen.query_one("#login", Input)


async def test_logging_in_on_an_80x24_terminal_opens_the_desk(app: CsuApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "agent")
        assert isinstance(pilot.app.screen, LookupScreen)


async def test_an_operator_created_later_is_not_on_the_demo_panel(
    app: CsuApp, demo_deps: Deps
) -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    add_operator(
        demo_deps, ADMIN, "c.martin", role="agent", password="Pluie-sur-Brest-42",
        totp_secret=secret,
    )  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        shown = await show_demo_panel(pilot)
        assert "c.martin" not in shown
        assert pyotp.TOTP(secret).at(NOW) not in screen_text(app)


async def test_a_demo_code_used_is_shown_as_used(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await press(pilot, "ctrl+o")
        shown = await show_demo_panel(pilot)
        assert shown["agent"][3] == "déjà utilisé (30 s)"
        assert shown["admin"][3] == f"{code('admin')} (30 s)"


async def test_the_demo_logins_fit_80_columns_a_used_code_included(app: CsuApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "agent")
        await press(pilot, "ctrl+o")
        await show_demo_panel(pilot)
        table = app.screen.query_one("#demo-logins", DataTable)
        assert table.virtual_size.width <= table.region.width  # nothing cut
        assert table.region.right <= 80


async def test_idle_operators_return_to_login(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        app.idle_seconds = 0
        app._check_idle()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.operator is None
        assert "Session fermée après inactivité" in screen_text(app)


def footer_keys(app: CsuApp) -> list[str]:
    """What the current screen's footer offers."""
    return [str(key.description) for key in app.screen.query_one(KeysFooter).query(FooterKey)]


async def test_the_login_screen_does_not_offer_to_log_out(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Quitter" in footer_keys(app)
        assert "Déconnexion" not in footer_keys(app)


async def test_f1_on_the_login_screen_does_not_list_logging_out(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        listed = [str(table.get_row_at(row)[1]) for row in range(table.row_count)]
        assert "Quitter" in listed
        assert "Déconnexion" not in listed


async def test_logged_out_the_login_screen_no_longer_offers_to_log_out(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        assert "Déconnexion" in footer_keys(app)
        await press(pilot, "ctrl+o")
        assert isinstance(app.screen, LoginScreen)
        assert "Déconnexion" not in footer_keys(app)


async def agent_in_a_call(pilot: Pilot[Any], deps: Deps) -> OperatorContext:
    """The agent logged in, an intervention open on a voter."""
    await log_in(pilot, "agent")
    who = pilot.app.operator  # type: ignore[attr-defined]
    assert who is not None
    hit = search_voters(deps, who, "MI")[0]
    open_intervention(deps, who, hit.voter_id, "phone")
    return who


async def test_quitting_logs_out_and_abandons_the_open_intervention(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        who = await agent_in_a_call(pilot, demo_deps)
        await press(pilot, "ctrl+q")  # asked first (tests/screens/test_quit_asks.py)
        await click(pilot, "#quit-anyway")
        await pilot.pause()
    assert current_intervention(demo_deps, who) is None
    assert journal_actions(demo_deps)[-2:] == [
        ("intervention_close", "abandonné"),
        ("logout", "ok"),
    ]


async def test_a_closed_terminal_logs_out_and_abandons_the_open_intervention(
    app: CsuApp, demo_deps: Deps
) -> None:
    # csu run started by make gets no SIGHUP when its window closes: the app notices
    # that its terminal is gone and ends the session as ctrl+q does.
    keyboard, terminal = os.openpty()
    try:
        async with app.run_test(size=SIZE) as pilot:
            who = await agent_in_a_call(pilot, demo_deps)
            app.terminal_fd = terminal
            app._check_idle()
            assert app.operator is not None  # the terminal is still there
            os.close(keyboard)  # the window closes
            app._check_idle()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
    finally:
        os.close(terminal)
    assert not app.is_running
    assert current_intervention(demo_deps, who) is None
    assert journal_actions(demo_deps)[-2:] == [
        ("intervention_close", "abandonné"),
        ("logout", "ok"),
    ]


# --- keys typed fast, and a form sent incomplete ------------------------------------


def login_keys(login: str, between: str = "tab") -> list[str]:
    """What a password manager's auto-type sends: login, Tab, password, Tab, code, Entrée;
    or, as the README's first call types it, Entrée between the fields."""
    return [*login, between, *"demo", between, *code(login), "enter"]


@pytest.mark.parametrize("between", ["tab", "enter"])
async def test_an_auto_typed_burst_fills_each_field_and_logs_in(
    app: CsuApp, between: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_burst(pilot, *login_keys("agent", between))
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen), screen_text(app)
        assert app.operator is not None and app.operator.login == "agent"


async def test_a_password_typed_fast_after_entree_never_shows_in_the_login_field(
    app: CsuApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_burst(pilot, *"agent", "enter", *"demo")
        fields = [app.screen.query_one(f"#{name}", Input).value for name in FIELDS]
        assert fields == ["agent", "demo", ""]


async def test_keys_pressed_without_pauses_across_tab_fill_each_field(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"agent", "tab", *"demo", "tab", *"123")
        fields = [app.screen.query_one(f"#{name}", Input).value for name in FIELDS]
        assert fields == ["agent", "demo", "123"]


async def test_shift_tab_in_a_burst_goes_back_to_the_field_before(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_burst(pilot, *"agent", "tab", "tab", "shift+tab", *"demo")
        fields = [app.screen.query_one(f"#{name}", Input).value for name in FIELDS]
        assert fields == ["agent", "demo", ""]


async def test_enter_without_the_code_says_what_is_missing_and_sends_nothing(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = journal_actions(demo_deps)
        await pilot.press(*"agent", "tab", *"demo", "tab", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        said = str(app.screen.query_one("#login-message", Static).content)
        assert said == "Indiquez le code à 6 chiffres de l'application."
        assert app.focused is app.screen.query_one("#code", Input)
        assert journal_actions(demo_deps) == before  # no refused login journalled


async def test_enter_on_an_empty_login_stays_there_and_says_so(app: CsuApp) -> None:
    """A newcomer pressed Entrée on the empty « Identifiant » and typed the login into
    the masked password field."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#login", Input)
        said = str(app.screen.query_one("#login-message", Static).content)
        assert said == "Indiquez votre identifiant."
        await pilot.press(*"agent")
        fields = [app.screen.query_one(f"#{name}", Input).value for name in FIELDS]
        assert fields == ["agent", "", ""]


async def test_the_button_on_an_empty_form_names_every_missing_field(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await click(pilot, "#submit")
        said = str(app.screen.query_one("#login-message", Static).content)
        assert said == (
            "Indiquez votre identifiant, votre mot de passe et le code à 6 chiffres de "
            "l'application."
        )
        assert app.focused is app.screen.query_one("#login", Input)


async def test_the_code_field_takes_ascii_digits_only(app: CsuApp) -> None:
    """« \\d » let a fullwidth « ８ » in, which no authenticator's code holds."""
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#code", Input).focus()
        await pilot.press("８", "1", "٣", "2")
        assert app.screen.query_one("#code", Input).value == "12"
