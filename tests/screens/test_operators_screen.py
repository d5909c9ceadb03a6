"""The administrators' operators screen (F9): the list (locks and until when), creating
an operator whose QR code shows once and whose password passes the one rule,
disabling with confirmation, a new TOTP seed, unlocking; a supervisor is refused."""

from typing import Any

import pyotp
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from csu.app import CsuApp
from csu.domain import sealing
from csu.screens.operators import (
    ConfirmScreen,
    CreateOperatorScreen,
    EnrolmentScreen,
    OperatorsScreen,
    qr_text,
)
from csu.services.auth import MAX_FAILURES, LoginRefused
from csu.services.auth import log_in as service_log_in
from csu.services.context import Deps
from csu.services.operators import TOTP_PURPOSE, disable_operator
from csu.store.tables import Operator
from tests.conftest import ADMIN, NOW
from tests.screens.bursts import type_burst
from tests.screens.conftest import (
    SECRETS,
    SIZE,
    click,
    fill,
    journal_text,
    log_in,
    notifications,
    president_bureau,
    press,
    screen_text,
)

PASSWORD = "Pluie-sur-Brest-42"


def rows(app: CsuApp) -> dict[str, list[str]]:
    table = app.screen.query_one("#operators-table", DataTable)
    found = {}
    for index in range(table.row_count):
        cells = [str(cell) for cell in table.get_row_at(index)]
        found[cells[0]] = cells
    return found


def stored(deps: Deps, login: str) -> Operator:
    with deps.reading() as session:
        return session.exec(select(Operator).where(Operator.login == login)).one()


def secret_of(deps: Deps, login: str) -> str:
    return sealing.unseal(deps.key, TOTP_PURPOSE, stored(deps, login).totp_secret_sealed)


def shown_secret(app: CsuApp) -> str:
    """The seed the enrolment modal shows for typing by hand, without its spaces."""
    text = str(app.screen.query_one("#enrolment-secret", Static).content)
    return text.split(":", 1)[1].replace(" ", "")


def logs_in(deps: Deps, login: str, password: str, secret: str) -> bool:
    try:
        service_log_in(deps, login, password, pyotp.TOTP(secret).at(NOW), "poste-test")
    except LoginRefused:
        return False
    return True


async def open_operators(pilot: Pilot[Any]) -> OperatorsScreen:
    await log_in(pilot, "admin")
    await press(pilot, "f9")
    screen = pilot.app.screen
    assert isinstance(screen, OperatorsScreen)
    return screen


async def choose(pilot: Pilot[Any], login: str) -> None:
    table = pilot.app.screen.query_one("#operators-table", DataTable)
    table.move_cursor(row=table.get_row_index(login))
    await pilot.pause()


class TestOperatorsList:
    async def test_the_administrator_sees_every_operator_with_role_and_bureau(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            listed = rows(app)
            assert set(listed) == set(SECRETS)
            assert listed["president"][2:6] == [
                "président de bureau", president_bureau(demo_deps), "oui", "non",
            ]  # fmt: skip
            assert listed["agent"][2] == "agent"

    async def test_an_operator_locked_out_from_one_workstation_shows_it_and_until_when(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        for _ in range(MAX_FAILURES):
            assert not logs_in(demo_deps, "agent", "mauvais", SECRETS["agent"])
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            assert rows(app)["agent"][5] == "1 poste jusqu'à 11:45"

    async def test_a_supervisor_is_refused_the_screen(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "superviseur")
            await press(pilot, "f9")  # not offered to a supervisor: the key says why
            assert not isinstance(app.screen, OperatorsScreen)
            assert notifications(app)[-1:] == ["Écran réservé aux administrateurs."]
            app.action_desk("operators")  # as the command palette would
            await press(pilot)
            assert not isinstance(app.screen, OperatorsScreen)
            assert "Écran réservé aux administrateurs." in notifications(app)

    async def test_the_services_refuse_a_supervisor_who_reached_the_screen(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "superviseur")
            app.push_screen(OperatorsScreen())
            await press(pilot)
            await choose(pilot, "agent")
            await press(pilot, "d")
            await click(pilot, "#confirm-ok")
            assert "Action réservée au rôle : administrateur." in notifications(app)
        assert stored(demo_deps, "agent").active


class TestCreate:
    async def test_creating_shows_the_qr_code_once_and_the_seed_logs_in(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            assert isinstance(app.screen, CreateOperatorScreen)
            fill(
                pilot,
                create_login="C.Martin",
                create_name="Camille Martin",
                create_password=PASSWORD,
                create_password_again=PASSWORD,
            )
            await click(pilot, "#create-ok")
            assert isinstance(app.screen, EnrolmentScreen)
            text = screen_text(app)
            assert "Opérateur « c.martin » créé (agent)." in text
            assert "il ne sera plus affiché" in text
            qr = str(app.screen.query_one("#enrolment-qr", Static).render())
            assert sum(qr.count(block) for block in ("█", "▀", "▄")) > 200
            secret = shown_secret(app)
            assert secret == secret_of(demo_deps, "c.martin")

            await click(pilot, "#enrolment-close")
            assert isinstance(app.screen, OperatorsScreen)
            assert secret not in screen_text(app)
            assert rows(app)["c.martin"][1:5] == ["Camille Martin", "agent", "—", "oui"]
        assert logs_in(demo_deps, "c.martin", PASSWORD, secret)
        assert secret.encode() not in journal_text(demo_deps)

    async def test_a_president_is_created_for_the_bureau_chosen(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        bureau = president_bureau(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            app.screen.query_one("#create-role", Select).value = "president"
            await pilot.pause()
            assert app.screen.query_one("#create-bureau-box").visible
            app.screen.query_one("#create-bureau", Select).value = bureau
            await pilot.pause()
            fill(pilot, create_login="p2", create_password=PASSWORD, create_password_again=PASSWORD)
            await click(pilot, "#create-ok")
            assert isinstance(app.screen, EnrolmentScreen), notifications(app)
            await press(pilot, "escape")
        assert stored(demo_deps, "p2").bureau_code == bureau

    async def test_the_window_starts_on_the_login(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            assert app.focused is app.screen.query_one("#create-login", Input)

    async def test_an_auto_typed_burst_across_tab_fills_each_field_and_creates(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            # login, name, then the role (kept: agent) and the two passwords
            await type_burst(pilot, *"c.martin", "tab", *"Camille Martin", "tab", "tab",
                             *PASSWORD, "tab", *PASSWORD, "enter")  # fmt: skip
            assert isinstance(app.screen, EnrolmentScreen), screen_text(app)
        operator = stored(demo_deps, "c.martin")
        assert (operator.display_name, operator.role) == ("Camille Martin", "agent")

    async def test_keys_pressed_without_pauses_across_tab_fill_each_field(
        self, app: CsuApp
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            await pilot.press(*"c.martin", "tab", *"Camille", "tab", "tab", *"abc")
            typed = [app.screen.query_one(f"#create-{name}", Input).value
                     for name in ("login", "name", "password")]  # fmt: skip
            assert typed == ["c.martin", "Camille", "abc"]

    async def test_enter_on_an_incomplete_form_says_what_is_missing_and_creates_nothing(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            await pilot.press(*"x2", "enter")
            screen = app.screen
            assert isinstance(screen, CreateOperatorScreen)
            said = str(screen.query_one("#create-message", Static).content)
            assert said == (
                "Indiquez le mot de passe initial et sa confirmation. Rien n'a été créé."
            )
            assert app.focused is screen.query_one("#create-password", Input)
        with demo_deps.reading() as session:
            assert session.exec(select(Operator).where(Operator.login == "x2")).first() is None

    async def test_a_president_without_a_bureau_is_told_to_choose_one(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            app.screen.query_one("#create-role", Select).value = "president"
            await pilot.pause()
            fill(pilot, create_login="p3", create_password=PASSWORD, create_password_again=PASSWORD)
            await click(pilot, "#create-ok")
            said = str(app.screen.query_one("#create-message", Static).content)
            assert said == "Indiquez le bureau présidé. Rien n'a été créé."

    async def test_two_different_passwords_create_nothing(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            fill(pilot, create_login="x", create_password="s3cret", create_password_again="autre")
            await click(pilot, "#create-ok")
            assert isinstance(app.screen, CreateOperatorScreen)
            assert "Les deux mots de passe saisis diffèrent." in screen_text(app)
        with demo_deps.reading() as session:
            assert session.exec(select(Operator).where(Operator.login == "x")).first() is None

    async def test_an_existing_login_is_refused_in_french(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            fill(pilot, create_login="agent", create_password=PASSWORD,
                 create_password_again=PASSWORD)  # fmt: skip
            await click(pilot, "#create-ok")
            assert isinstance(app.screen, CreateOperatorScreen)
            said = "Opérateur non créé — Identifiant : l'opérateur « agent » existe déjà"
            assert said in screen_text(app)

    async def test_a_weak_password_is_refused_saying_why_and_creates_nothing(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            fill(pilot, create_login="c.martin", create_password="Martin-2024-Bleu",
                 create_password_again="Martin-2024-Bleu")  # fmt: skip
            await click(pilot, "#create-ok")
            assert isinstance(app.screen, CreateOperatorScreen)
            assert (
                "Opérateur non créé — Mot de passe : dérivé de l'identifiant « c.martin »"
                in screen_text(app)
            )
        with demo_deps.reading() as session:
            assert (
                session.exec(select(Operator).where(Operator.login == "c.martin")).first() is None
            )

    async def test_the_password_rule_is_judged_as_the_password_is_typed(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            message = app.screen.query_one("#create-message", Static)
            fill(pilot, create_login="c.martin", create_password="soleil")
            await pilot.pause()
            assert str(message.content) == "Mot de passe : 12 caractères au moins (6 saisis)"
            fill(pilot, create_password="soleil123456")
            await pilot.pause()
            assert str(message.content).startswith(
                "Mot de passe : trop courant ou trop prévisible : il contient un mot de passe "
                "répandu"
            )
            fill(pilot, create_password=PASSWORD)
            await pilot.pause()
            assert str(message.content) == "Mot de passe recevable."
            fill(pilot, create_login="brest")  # the same password now comes from the login
            await pilot.pause()
            assert str(message.content).startswith("Mot de passe : dérivé de l'identifiant")

    async def test_a_name_with_a_bidi_override_is_refused_naming_the_field(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await press(pilot, "n")
            fill(pilot, create_login="c.martin", create_name="Camille \u202eMartin",
                 create_password=PASSWORD, create_password_again=PASSWORD)  # fmt: skip
            await click(pilot, "#create-ok")
            assert isinstance(app.screen, CreateOperatorScreen)
            assert "Opérateur non créé — Nom affiché : caractère interdit" in screen_text(app)
        with demo_deps.reading() as session:
            assert (
                session.exec(select(Operator).where(Operator.login == "c.martin")).first() is None
            )


class TestChanges:
    async def test_disabling_asks_for_confirmation_then_journals_the_reason(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await choose(pilot, "agent")
            await press(pilot, "d")
            assert isinstance(app.screen, ConfirmScreen)
            assert "Désactiver « agent »" in screen_text(app)
            await press(pilot, "escape")  # cancelled: nothing changes
            assert stored(demo_deps, "agent").active
            await press(pilot, "d")
            fill(pilot, confirm_reason="fin de mission")
            await click(pilot, "#confirm-ok")
            assert "Opérateur « agent » désactivé." in notifications(app)
            assert rows(app)["agent"][4] == "non"
        assert not stored(demo_deps, "agent").active
        assert '"reason":"fin de mission"' in journal_text(demo_deps).decode()

    async def test_an_administrator_cannot_disable_their_own_account(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await choose(pilot, "admin")
            await press(pilot, "d")
            assert isinstance(app.screen, OperatorsScreen)
            assert "Vous ne pouvez pas désactiver votre propre compte." in notifications(app)
        assert stored(demo_deps, "admin").active

    async def test_a_new_totp_seed_is_shown_once_and_replaces_the_old(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await choose(pilot, "agent")
            await press(pilot, "t")
            assert isinstance(app.screen, ConfirmScreen)
            fill(pilot, confirm_reason="téléphone perdu")
            await click(pilot, "#confirm-ok")
            assert isinstance(app.screen, EnrolmentScreen)
            assert "Nouvel authentificateur pour « agent »" in screen_text(app)
            secret = shown_secret(app)
            await click(pilot, "#enrolment-close")
            assert isinstance(app.screen, OperatorsScreen)
        assert secret == secret_of(demo_deps, "agent") != SECRETS["agent"]
        assert not logs_in(demo_deps, "agent", "demo", SECRETS["agent"])
        assert logs_in(demo_deps, "agent", "demo", secret)

    async def test_unlocking_lets_a_locked_out_operator_log_in_again(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        for _ in range(MAX_FAILURES):
            assert not logs_in(demo_deps, "agent", "mauvais", SECRETS["agent"])
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await choose(pilot, "agent")
            await press(pilot, "u")
            await click(pilot, "#confirm-ok")
            assert "Opérateur « agent » déverrouillé." in notifications(app)
            assert rows(app)["agent"][5] == "non"
        assert logs_in(demo_deps, "agent", "demo", SECRETS["agent"])

    async def test_u_is_greyed_on_an_operator_with_nothing_to_unlock(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        assert not logs_in(demo_deps, "agent", "mauvais", SECRETS["agent"])
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_operators(pilot)
            await choose(pilot, "president")
            assert screen.check_action("unlock", ()) is None
            await choose(pilot, "agent")  # one failure to forget
            assert screen.check_action("unlock", ()) is True

    async def test_a_disabled_operator_is_neither_unlocked_nor_re_enrolled_without_asking(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        disable_operator(demo_deps, ADMIN, "agent", reason="fin de mission")
        async with app.run_test(size=SIZE) as pilot:
            await open_operators(pilot)
            await choose(pilot, "agent")
            for key in ("u", "t", "d"):
                await press(pilot, key)
                assert isinstance(app.screen, OperatorsScreen)  # no confirmation asked
        assert secret_of(demo_deps, "agent") == SECRETS["agent"]

    async def test_on_a_disabled_operator_d_t_and_u_are_greyed_and_the_desk_says_why(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        disable_operator(demo_deps, ADMIN, "agent", reason="fin de mission")
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_operators(pilot)
            await choose(pilot, "agent")
            greyed = {key: screen.check_action(action, ()) for key, action in
                      (("d", "disable"), ("t", "reset_totp"), ("u", "unlock"))}  # fmt: skip
            assert greyed == {"d": None, "t": None, "u": None}
            said = str(app.screen.query_one("#operators-status", Static).content)
            assert "« agent » est désactivé" in said and "créez-lui un nouveau compte" in said
            await choose(pilot, "president")
            assert screen.check_action("reset_totp", ()) is True
            status = app.screen.query_one("#operators-status", Static)
            assert "désactivé" not in str(status.content)


def test_the_half_block_qr_code_draws_every_module_of_the_symbol() -> None:
    import segno

    uri = "otpauth://totp/CSU%20%C3%A9lecteurs:camille?secret=JBSWY3DPEHPK3PXP"
    drawn = qr_text(uri, border=2)
    tops = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}
    modules: list[list[int]] = []
    for line in drawn.plain.splitlines():
        modules.append([tops[char][0] for char in line])
        modules.append([tops[char][1] for char in line])
    expected = [list(row) for row in segno.make(uri, micro=False).matrix_iter(border=2)]
    assert modules[: len(expected)] == expected
    assert drawn.style == "#000000 on #ffffff"  # dark on light, whatever the theme
