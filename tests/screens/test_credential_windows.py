"""The windows that issue a credential and show it once: their sentences agree with the
credential (« la clé », « le mot de passe »), and a read-out confirmed once the value
was masked is accepted but journalled as such."""

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, Static

from csu.app import CsuApp
from csu.domain.election import CREDENTIAL_KINDS, CREDENTIAL_LABELS
from csu.screens.credential import (
    NEW_LABELS,
    CredentialShownScreen,
    IssueScreen,
    RevokeScreen,
    close_question,
    confirmed,
    display_ended,
    issue_hint,
    revoked,
    shown_hint,
    unconfirmed,
)
from csu.screens.dialogs import ConfirmDialog
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    call_verified,
    click,
    demo_voter,
    issue_ui,
    journal_details,
    journal_of,
    last_intervention,
    press,
)

# What each kind's sentences say: its name, the agreement of « le »/« la », « il »/« elle »
# and of the participles (a key is feminine; a password, a vote code and an identifier
# are masculine).
WORDING: dict[str, dict[str, str]] = {
    "security_key": {
        "title": "Nouvelle clé de sécurité",
        "hint": "Lisez-la à l'appelant, faites-la répéter, puis confirmez. Elle ne sera plus "
        "jamais affichée.",
        "issue": "La clé de sécurité actuelle sera invalidée et remplacée ; la nouvelle ne "
        "s'affichera qu'une fois.",
        "ended": "Affichage terminé : la clé de sécurité n'est plus visible. Si elle n'a pas "
        "été notée, délivrez-en une nouvelle.",
        "unconfirmed": "Clé de sécurité non confirmée",
        "kept": "La clé de sécurité délivrée reste active ; délivrez-en une nouvelle si "
        "l'électeur n'a pas pu la noter.",
        "confirmed": "Clé de sécurité délivrée",
        "revoked": "Clé de sécurité invalidée (journalisée).",
    },
    "password": {
        "title": "Nouveau mot de passe",
        "hint": "Lisez-le à l'appelant, faites-le répéter, puis confirmez. Il ne sera plus "
        "jamais affiché.",
        "issue": "Le mot de passe actuel sera invalidé et remplacé ; le nouveau ne s'affichera "
        "qu'une fois.",
        "ended": "Affichage terminé : le mot de passe n'est plus visible. S'il n'a pas été "
        "noté, délivrez-en un nouveau.",
        "unconfirmed": "Mot de passe non confirmé",
        "kept": "Le mot de passe délivré reste actif ; délivrez-en un nouveau si l'électeur "
        "n'a pas pu le noter.",
        "confirmed": "Mot de passe délivré",
        "revoked": "Mot de passe invalidé (journalisé).",
    },
    "vote_code": {
        "title": "Nouveau code de vote",
        "hint": "Lisez-le à l'appelant, faites-le répéter, puis confirmez. Il ne sera plus "
        "jamais affiché.",
        "issue": "Le code de vote actuel sera invalidé et remplacé ; le nouveau ne s'affichera "
        "qu'une fois.",
        "ended": "Affichage terminé : le code de vote n'est plus visible. S'il n'a pas été "
        "noté, délivrez-en un nouveau.",
        "unconfirmed": "Code de vote non confirmé",
        "kept": "Le code de vote délivré reste actif ; délivrez-en un nouveau si l'électeur "
        "n'a pas pu le noter.",
        "confirmed": "Code de vote délivré",
        "revoked": "Code de vote invalidé (journalisé).",
    },
    "identifier": {
        "title": "Nouvel identifiant de vote",
        "hint": "Lisez-le à l'appelant, faites-le répéter, puis confirmez. Il ne sera plus "
        "jamais affiché.",
        "issue": "L'identifiant de vote actuel sera invalidé et remplacé ; le nouveau ne "
        "s'affichera qu'une fois.",
        "ended": "Affichage terminé : l'identifiant de vote n'est plus visible. S'il n'a pas "
        "été noté, délivrez-en un nouveau.",
        "unconfirmed": "Identifiant de vote non confirmé",
        "kept": "L'identifiant de vote délivré reste actif ; délivrez-en un nouveau si "
        "l'électeur n'a pas pu le noter.",
        "confirmed": "Identifiant de vote délivré",
        "revoked": "Identifiant de vote invalidé (journalisé).",
    },
}


def titled(app: CsuApp, title: str) -> list[str]:
    """The messages of the notifications under ``title``."""
    return [n.message for n in app._notifications if n.title == title]


def text_of(app: CsuApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


class TestEachKindsWording:
    def test_every_kind_of_credential_has_its_wording(self) -> None:
        assert set(WORDING) == set(CREDENTIAL_LABELS) >= set(CREDENTIAL_KINDS)

    @pytest.mark.parametrize("kind", sorted(WORDING))
    def test_the_windows_sentences_agree_with_the_credential(self, kind: str) -> None:
        said = WORDING[kind]
        assert NEW_LABELS[kind] == said["title"]
        assert shown_hint(kind, "phone") == said["hint"]
        assert issue_hint(kind) == said["issue"]
        assert display_ended(kind) == said["ended"]
        title, message = unconfirmed(kind, "phone")
        assert title == said["unconfirmed"]
        assert message.endswith(said["kept"])
        assert confirmed(kind, "phone", after_display=False) == (
            said["confirmed"],
            "Lecture confirmée (journalisée).",
        )
        assert revoked(kind) == said["revoked"]

    @pytest.mark.parametrize("kind", sorted(WORDING))
    def test_handed_over_in_person_the_pronoun_agrees_too(self, kind: str) -> None:
        it = "la" if kind == "security_key" else "le"
        assert shown_hint(kind, "president").startswith(
            f"Remettez-{it} à l'électeur (qu'il {it} recopie lui-même), puis confirmez."
        )
        assert confirmed(kind, "president", after_display=False)[1] == (
            "Remise confirmée (journalisée)."
        )


class TestTheKeyWindows:
    async def test_the_issue_window_speaks_of_the_key_in_the_feminine(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, IssueScreen)
            app.screen.query_one("#credential-kind", Select).value = "security_key"
            await pilot.pause()
            assert text_of(app, "#issue-hint") == WORDING["security_key"]["issue"]
            app.screen.query_one("#credential-kind", Select).value = "password"
            await pilot.pause()
            assert text_of(app, "#issue-hint") == WORDING["password"]["issue"]

    async def test_the_key_shown_once_is_read_out_in_the_feminine(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await key_shown(pilot, voter)
            assert text_of(app, "#credential-hint") == WORDING["security_key"]["hint"]
            await press(pilot, "escape")  # reminded in the window (csu.screens.base)
            assert not titled(app, "Clé de sécurité non confirmée")
            await click(pilot, "#close-unconfirmed")
            await click(pilot, "#confirm-yes")  # « Fermer sans confirmer ? »
            assert isinstance(app.screen, VoterScreen)
            [warned] = [m for m in titled(app, "Clé de sécurité non confirmée") if "reste" in m]
            assert warned.endswith(WORDING["security_key"]["kept"])


class TestClosingWithoutConfirming:
    """« Fermer sans confirmer » asks first: Tab then Entrée, the habit of other windows,
    pressed it, and the value was gone for good, the old one already invalid."""

    @pytest.mark.parametrize(
        ("kind", "message", "back"),
        [
            ("security_key", "La clé de sécurité ne sera plus jamais affichée, et l'ancienne ne "
             "fonctionne déjà plus. Si l'électeur ne l'a pas notée, il faudra lui en délivrer "
             "une nouvelle.", "Revenir à la clé de sécurité"),
            ("password", "Le mot de passe ne sera plus jamais affiché, et l'ancien ne fonctionne "
             "déjà plus. Si l'électeur ne l'a pas noté, il faudra lui en délivrer un nouveau.",
             "Revenir au mot de passe"),
            ("identifier", "L'identifiant de vote ne sera plus jamais affiché, et l'ancien ne "
             "fonctionne déjà plus. Si l'électeur ne l'a pas noté, il faudra lui en délivrer "
             "un nouveau.", "Revenir à l'identifiant de vote"),
        ],
    )
    def test_the_question_says_the_value_will_not_show_again_and_what_to_do(
        self, kind: str, message: str, back: str
    ) -> None:
        assert close_question(kind) == (
            "Fermer sans confirmer ?", message, "Fermer sans confirmer", back
        )

    async def test_tab_then_entree_asks_before_closing_the_value_still_shown(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            shown = await key_shown(pilot, demo_voter(demo_deps))
            await press(pilot, "tab", "enter")
            question = app.screen
            assert isinstance(question, ConfirmDialog)
            assert app.focused is question.query_one("#confirm-no")  # the safe answer
            assert not shown.hidden and shown in app.screen_stack
            assert "ne sera plus jamais affichée" in text_of(app, "#confirm-message")

    async def test_entree_on_the_question_goes_back_to_the_value(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            shown = await key_shown(pilot, demo_voter(demo_deps))
            await press(pilot, "tab", "enter", "enter")
            assert app.screen is shown and not shown.hidden
            assert app.focused is shown.query_one("#read-out")
            assert not titled(app, "Clé de sécurité non confirmée")
        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert ("credential_issue", "ok") in steps


async def key_shown(pilot: Pilot[Any], voter: Any) -> CredentialShownScreen:
    """A verified call, a new security key issued and shown once."""
    await call_verified(pilot, voter)
    await press(pilot, "ctrl+k")
    pilot.app.screen.query_one("#credential-kind", Select).value = "security_key"
    await pilot.pause()
    await click(pilot, "#issue-ok")
    shown = pilot.app.screen
    assert isinstance(shown, CredentialShownScreen)
    return shown


class TestReadOutConfirmed:
    async def test_a_read_out_confirmed_in_time_is_journalled_as_read(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            shown = await key_shown(pilot, voter)
            assert not shown.hidden
            await click(pilot, "#read-out")
            assert isinstance(app.screen, VoterScreen)
            assert titled(app, "Clé de sécurité délivrée") == ["Lecture confirmée (journalisée)."]
        details = journal_details(demo_deps, last_intervention(demo_deps), "credential_read_out")
        assert details["kind"] == "security_key" and "after_display" not in details

    async def test_a_read_out_confirmed_after_the_display_ended_is_journalled_as_such(
        self, app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(CredentialShownScreen, "TICK_SECONDS", 0.05)
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            shown = await key_shown(pilot, voter)
            shown.remaining = 1  # the last second; the timer masks the value
            for _ in range(40):
                if shown.hidden:
                    break
                await pilot.pause(0.05)
            assert shown.hidden
            assert text_of(app, "#credential-countdown") == WORDING["security_key"]["ended"]
            await click(pilot, "#read-out")  # accepted: it may have been read in time
            assert isinstance(app.screen, VoterScreen)
            [told] = titled(app, "Clé de sécurité délivrée")
            assert told == (
                "Lecture confirmée après la fin de l'affichage : le journal l'indique. Si "
                "l'électeur n'a pas pu noter la clé de sécurité, délivrez-en une nouvelle."
            )
        details = journal_details(demo_deps, last_intervention(demo_deps), "credential_read_out")
        assert details["after_display"] is True


async def test_invalidating_offers_first_the_code_the_cell_gave(
    app: CsuApp, demo_deps: Deps
) -> None:
    """After a password was given, ctrl+x offered the key, which the service refused:
    « Aucune clé de sécurité délivrée par la cellule n'est active »."""
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter)
        await press(pilot, "ctrl+k")
        app.screen.query_one("#credential-kind", Select).value = "password"
        await pilot.pause()
        await click(pilot, "#issue-ok")
        await click(pilot, "#read-out")
        assert isinstance(app.screen, VoterScreen)
        await press(pilot, "ctrl+x")
        assert isinstance(app.screen, RevokeScreen)
        assert app.screen.query_one("#credential-kind", Select).value == "password"


async def test_invalidating_the_code_given_in_this_call_warns_it_leaves_none(
    app: CsuApp, demo_deps: Deps
) -> None:
    """A newcomer invalidated the key they had just read out and closed the call as
    « Résolu »: the voter was left without a key, and nothing said so."""
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter)
        await press(pilot, "ctrl+x")  # nothing given yet: no warning
        assert isinstance(app.screen, RevokeScreen)
        assert not app.screen.query_one("#revoke-warning", Static).display
        await press(pilot, "escape")
        await issue_ui(pilot, "security_key")
        await press(pilot, "ctrl+x")
        warning = app.screen.query_one("#revoke-warning", Static)
        assert warning.display
        assert str(warning.content).startswith(
            "Attention : ce code (clé de sécurité) a été délivré pendant cette intervention, "
            "à 11:30"
        )
        assert "L'invalider ne lui en laisse aucun de ce type" in str(warning.content)
