"""ctrl+s sends the one-time code from the verification window's footer: at 80x24 its
button is fields below the window's view, and a newcomer never found it."""

from textual.widgets import Input, Static

from csu.app import CsuApp
from csu.domain.identifiers import parse_mobile
from csu.domain.masking import mask_email, mask_phone
from csu.domain.verification import OTP_SENDS_PER_HOUR
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    click,
    demo_voter,
    in_call,
    notifications,
    president_bureau,
    press,
    settle,
)
from tests.screens.test_verification_window_scroll import window as verify_window

SMALL = (80, 24)


def usable_keys(app: CsuApp) -> set[str]:
    return {key for key, active in app.screen.active_bindings.items() if active.enabled}


async def test_ctrl_s_sends_the_code_and_puts_the_cursor_on_the_answer_still_to_type(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, mobile=True)
    async with app.run_test(size=SMALL) as pilot:
        window = await verify_window(pilot, voter)
        assert "ctrl+s" in usable_keys(app)
        await press(pilot, "ctrl+s")
        status = str(window.query_one("#verify-otp-status", Static).content)
        assert status.startswith("Code envoyé à +33 ")
        birth = window.query_one("#verify-birth_date", Input)
        assert window.focused is birth and window.can_view_entire(birth)


async def test_with_the_date_typed_ctrl_s_puts_the_cursor_in_the_code_s_field(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, mobile=True)
    async with app.run_test(size=SMALL) as pilot:
        window = await verify_window(pilot, voter)
        window.query_one("#verify-birth_date", Input).value = voter.row["date_naissance"]
        await press(pilot, "ctrl+s")
        field = window.query_one("#verify-otp_mobile", Input)
        assert window.focused is field and window.can_view_entire(field)


async def test_the_date_typed_after_ctrl_s_then_the_code_verify_without_a_second_code(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The newcomer's keys on a CCI call (date of birth + a code): ctrl+s, the date, Tab,
    the code, Entrée. The date went into the code's field, Tab reached « Envoyer » and
    Entrée sent a second code."""
    voter = demo_voter(demo_deps, "cci-hdf-2021", mobile=True)
    async with app.run_test(size=SMALL) as pilot:
        window = await verify_window(pilot, voter)
        await press(pilot, "ctrl+s")
        status = window.query_one("#verify-otp-status", Static)
        await press(pilot, *voter.row["date_naissance"], "tab", *"111111", "enter")
        await settle(pilot)
        assert window.query_one("#verify-birth_date", Input).value == voter.row["date_naissance"]
        assert "ne vaut plus" not in str(status.content)  # no second code
        said = str(window.query_one("#verify-result", Static).content)
        assert said.startswith("Identité non vérifiée"), said  # the answers were checked


async def test_no_ctrl_s_where_no_code_can_be_sent(app: CsuApp, demo_deps: Deps) -> None:
    """A president sends no code (the cell does): the key is not offered."""
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps), mobile=True)
    async with app.run_test(size=SMALL) as pilot:
        await in_call(pilot, voter, login="president")
        await press(pilot, "ctrl+e")
        assert isinstance(app.screen, VerifyScreen)
        assert "ctrl+s" not in usable_keys(app)


async def test_a_second_code_clears_the_first_from_its_field_and_says_it_is_void(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Only the newest code verifies: the first, left in the field, failed the check.
    async with app.run_test(size=SMALL) as pilot:
        await in_call(pilot, demo_voter(demo_deps, mobile=True))
        await press(pilot, "ctrl+e")
        window = app.screen
        await press(pilot, "ctrl+s")
        field = window.query_one("#verify-otp_mobile", Input)
        status = window.query_one("#verify-otp-status", Static)
        assert "ne vaut plus" not in str(status.content)
        field.value = "665648"
        await press(pilot, "ctrl+s")
        assert field.value == ""
        assert str(status.content).endswith("Le code envoyé avant ne vaut plus.")


async def test_a_code_refused_past_the_limit_leaves_the_last_one_said_valid(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The refusal hid « Code envoyé…, valable jusqu'à… », though that code still verified.
    async with app.run_test(size=SMALL) as pilot:
        await in_call(pilot, demo_voter(demo_deps, mobile=True))
        await press(pilot, "ctrl+e")
        window = app.screen
        status = window.query_one("#verify-otp-status", Static)
        for _ in range(OTP_SENDS_PER_HOUR):
            await press(pilot, "ctrl+s")
        said = str(status.content)
        await press(pilot, "ctrl+s")  # one more than the hour allows: refused
        assert "codes déjà envoyés à cet électeur" in notifications(app)[-1]
        assert str(status.content) == said
        assert said.startswith("Code envoyé à +33 "), said


async def test_codes_sent_by_sms_then_by_e_mail_each_keep_their_line(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The e-mail's line replaced the SMS's (newcomer run): which went where was lost.
    voter = demo_voter(demo_deps, "cci-hdf-2021", mobile=True)
    async with app.run_test(size=SMALL) as pilot:
        window = await verify_window(pilot, voter)
        if not (window.query("#send-otp_mobile") and window.query("#send-otp_email")):
            raise AssertionError("the CCI's phone channel sends both codes")
        await click(pilot, "#send-otp_mobile")
        await click(pilot, "#send-otp_email")
        lines = str(window.query_one("#verify-otp-status", Static).content).splitlines()
        assert [line.split(",")[0] for line in lines] == [
            f"Code envoyé à {mask_phone(parse_mobile(voter.row['telephone_mobile']).e164)}",
            f"Code envoyé à {mask_email(voter.row['email_pro'])}",
        ]
