"""Windows that name a key of the voter file name the key bound now: a workstation's
keymap, or a browser's page, may have moved it, and a sentence naming the default key
would then send the agent to a key that does nothing."""

import pytest
from textual.widgets import Static

from csu.app import CsuApp
from csu.screens.dialogs import QuitScreen
from csu.screens.substitution import SubstitutionRequestScreen
from csu.services.context import Deps
from tests.screens.conftest import LATER, SIZE, code, demo_voter, in_call, log_in, press
from tests.screens.shown import static_text
from tests.screens.test_browser_keys import call_verified_in_a_browser
from tests.screens.test_substitution_screens import CCI


def quit_hint(app: CsuApp) -> str:
    return str(app.screen.query_one("#quit-hint", Static).content)


def substitution_notice(app: CsuApp) -> str:
    return str(app.screen.query_one("#substitution-verification", Static).content)


async def test_the_quit_question_names_the_closing_key_of_the_keymap(demo_deps: Deps) -> None:
    app = CsuApp(demo_deps, "poste-test", keymap={"voter-close-intervention": "f12"})
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        assert "clôturez-la d'abord avec son issue (F12)." in quit_hint(app)
        assert "ctrl+w" not in quit_hint(app)


async def test_the_quit_question_names_ctrl_w_by_default(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+q")
        assert "clôturez-la d'abord avec son issue (ctrl+w)." in quit_hint(app)


async def test_the_quit_question_in_a_browser_names_alt_w(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CsuApp, "is_web", property(lambda _: True))
    async with app.run_test(size=SIZE) as pilot:
        await call_verified_in_a_browser(pilot, demo_deps)
        await press(pilot, "ctrl+q")
        assert "clôturez-la d'abord avec son issue (alt+w)." in quit_hint(app)


async def test_the_substitution_form_names_the_verify_and_reopen_keys_of_the_keymap(
    cci_deps: Deps,
) -> None:
    keymap = {"voter-verify": "f12", "voter-substitution": "f11"}
    app = CsuApp(cci_deps, "poste-test", keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        voter = demo_voter(cci_deps, CCI)
        await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
        await press(pilot, "f11")
        assert isinstance(app.screen, SubstitutionRequestScreen)
        notice = substitution_notice(app)
        assert "vérifiez l'identité de l'appelant (F12 sur la fiche)" in notice
        assert "rouvrez-le (F11)." in notice
        assert "ctrl+e" not in notice and "F7" not in notice


def help_flow(app: CsuApp) -> str:
    return " ".join(static_text(app.screen.query_one("#help-flow", Static)).split())


async def test_f1_s_flow_of_a_call_names_the_keys_of_the_keymap(demo_deps: Deps) -> None:
    keymap = {"voter-verify": "f12", "voter-close-intervention": "f11"}
    app = CsuApp(demo_deps, "poste-test", keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "f1")
        flow = help_flow(app)
        assert "F12 : vérifiez l'identité de l'appelant" in flow
        assert "F11 : clôturez l'intervention" in flow
        assert "ctrl+e" not in flow and "ctrl+w" not in flow
        assert "ctrl+n : ouvrez une intervention" in flow  # not moved: its own key


async def test_f1_s_flow_in_a_browser_names_the_page_s_keys_and_the_keymap_s(
    demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CsuApp, "is_web", property(lambda _: True))
    app = CsuApp(demo_deps, "poste-test", keymap={"voter-issue": "f12"})
    async with app.run_test(size=SIZE) as pilot:
        await call_verified_in_a_browser(pilot, demo_deps)
        await press(pilot, "f1")
        flow = help_flow(app)
        assert "alt+n : ouvrez une intervention" in flow
        assert "alt+w : clôturez l'intervention" in flow
        assert "Agissez, selon ce que prévoit le scrutin : F12 délivre une clé" in flow


async def test_f1_names_the_desks_keys_of_the_keymap_for_a_supervisor(demo_deps: Deps) -> None:
    keymap = {"desk-journal": "f11", "desk-integrity": "f12"}
    app = CsuApp(demo_deps, "poste-test", keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await press(pilot, "f1")
        flow = help_flow(app)
        assert "F11 journal, F3 tableau de bord, F4 alertes, F10 escalades, F12 intégrité" in flow
        assert "F2" not in flow and "F8" not in flow


async def test_f1_names_the_moved_operators_key_for_an_admin(demo_deps: Deps) -> None:
    app = CsuApp(demo_deps, "poste-test", keymap={"desk-operators": "f11"})
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "admin")
        await press(pilot, "f1")
        flow = help_flow(app)
        assert "F11 : les opérateurs" in flow and "F9" not in flow


async def test_f1_names_the_moved_presence_key_for_a_president(demo_deps: Deps) -> None:
    app = CsuApp(demo_deps, "poste-test", keymap={"desk-presence": "f11"})
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        await press(pilot, "f1")
        flow = help_flow(app)
        assert "F11 : les vérifications en personne" in flow and "ctrl+g" not in flow


async def test_an_admin_s_f1_speaks_of_their_post_not_of_a_call(demo_deps: Deps) -> None:
    app = CsuApp(demo_deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "admin")
        await press(pilot, "f1")
        flow = help_flow(app)
        assert flow.startswith("Votre poste d'administrateur :") and "appel" not in flow


async def test_f1_says_what_each_action_key_does_and_names_the_code_s_key(
    demo_deps: Deps,
) -> None:
    """« ctrl+l, ctrl+d et F7 selon ce que prévoit le scrutin » said none of what they do,
    and the code by SMS was not named."""
    app = CsuApp(demo_deps, "poste-test", keymap={"verify-send-code": "f11"})
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await press(pilot, "f1")
        flow = help_flow(app)
    assert "F11 dans la fenêtre envoie un code par SMS ou courriel" in flow
    assert "ctrl+l envoie un lien de réassort du code de vote" in flow
    assert "ctrl+d envoie l'identifiant de vote par courriel" in flow
    assert "F7 demande un matériel de substitution" in flow
