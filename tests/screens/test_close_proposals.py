"""What « Clore l'intervention » proposes (probe B, item 7): a later refusal does not
undo an earlier success; a credential shown but never confirmed as read
(« Fermer sans confirmer »: the call dropped) is not « résolu »; a complete
substitution request waiting for a supervisor's approval ends the call « résolu », as
the organiser's script says (cci-hdf-2021 S5: « Clore l'intervention (résolu, refusé
avec son motif, ou redirigé vers le libre-service) »), not « escaladé »."""

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, Static, TextArea

from csu.app import CsuApp
from csu.domain.permissions import Call, Step, suggested_outcome
from csu.screens.credential import CredentialShownScreen
from csu.screens.identifier_delivery import IdentifierScreen
from csu.screens.intervention import UNCONFIRMED_RESOLVED, InterventionCloseScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    call_verified,
    click,
    demo_voter,
    fill,
    issue_ui,
    notifications,
    press,
    proposed_outcome,
)

VERIFIED = ("verification", "vérifié")
ISSUED = ("credential_issue", "ok")
READ_OUT = ("credential_read_out", "ok")
POSTED: Step = ("credential_issue", "ok", {"channel": "post", "recipient": "1 r** ***"})


@pytest.mark.parametrize(
    ("call", "steps", "refused", "expected"),
    [
        # S7: identifier and password link sent, then a second address refused.
        (Call.VERIFIED, [VERIFIED, ("identifier_send", "ok")], True, "résolu"),
        (Call.VERIFIED, [VERIFIED, ("vote_code_link_send", "ok")], True, "résolu"),
        # A refusal journalled after the success, even a lock, does not undo it.
        (Call.LOCKED, [VERIFIED, ISSUED, READ_OUT, ("verification", "échec")], False, "résolu"),
        (Call.VERIFIED, [VERIFIED, READ_OUT, ("substitution_request", "refusée")], False, "résolu"),
        # « Fermer sans confirmer »: shown, never confirmed as read.
        (Call.VERIFIED, [VERIFIED, ISSUED], False, "abandonné"),
        (Call.VERIFIED, [VERIFIED, ISSUED, ("message_queue", "ok")], False, "abandonné"),
        # ...then another issued and read out: résolu.
        (Call.VERIFIED, [VERIFIED, ISSUED, ISSUED, READ_OUT], False, "résolu"),
        # ...then a refusal: refusé, as before.
        (Call.VERIFIED, [VERIFIED, ISSUED], True, "refusé"),
        # A key by post needs no read-out: it went.
        (Call.VERIFIED, [VERIFIED, POSTED, ("message_queue", "ok")], False, "résolu"),
        # S5: a complete request waiting for approval, or granted at once.
        (Call.VERIFIED, [VERIFIED, ("substitution_request", "en attente")], False, "résolu"),
        (Call.VERIFIED, [VERIFIED, ("substitution_request", "accordée")], False, "résolu"),
        (Call.VERIFIED, [VERIFIED, ("substitution_request", "refusée")], False, "refusé"),
        # What stays as it was.
        (Call.LOCKED, [("verification", "non vérifié")], False, "refusé"),
        (Call.VERIFIED, [VERIFIED], True, "refusé"),
        (Call.VERIFIED, [VERIFIED], False, "résolu"),
        (Call.OPEN, [], False, "abandonné"),
    ],
)
def test_closing_proposes_what_happened(
    call: Call, steps: list[Step], refused: bool, expected: str
) -> None:
    assert suggested_outcome(call, steps, refused=refused) == expected


async def key_shown_and_dropped(pilot: Pilot[Any], voter: DemoVoter) -> None:
    """A verified call, a key issued and shown, « Fermer sans confirmer »: the call
    dropped before it was read out."""
    await call_verified(pilot, voter)
    await press(pilot, "ctrl+k")
    await click(pilot, "#issue-ok")
    assert isinstance(pilot.app.screen, CredentialShownScreen)
    await click(pilot, "#close-unconfirmed")
    await click(pilot, "#confirm-yes")  # « Fermer sans confirmer ? »
    assert isinstance(pilot.app.screen, VoterScreen)


class TestOnTheVoterFile:
    async def test_a_key_closed_without_confirming_proposes_abandoned(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await key_shown_and_dropped(pilot, voter)
            assert await proposed_outcome(pilot) == "abandonné"
            await issue_ui(pilot)  # called back: another key, read out this time
            assert await proposed_outcome(pilot) == "résolu"

    async def test_closing_says_a_code_issued_and_never_confirmed_stays_active(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """A president closed on « Abandonné » with one Entrée, the password issued
        (the old one invalid) and its hand-over never confirmed."""
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await key_shown_and_dropped(pilot, voter)
            await press(pilot, "ctrl+w")
            warning = app.screen.query_one("#close-unread-warning", Static)
            assert str(warning.content).startswith(
                "Attention : le code délivré (clé de sécurité) reste actif, mais sa remise "
                "n'a pas été confirmée"
            )
            await press(pilot, "escape")
            await issue_ui(pilot)  # another, read out: nothing to warn of
            await press(pilot, "ctrl+w")
            assert not app.screen.query("#close-unread-warning")

    async def test_the_warning_of_a_code_never_confirmed_is_not_covered_by_a_notice(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """At 80x24 the notice of « Fermer sans confirmer » covered the same warning."""
        voter = demo_voter(demo_deps)
        async with app.run_test(size=(80, 24)) as pilot:
            await key_shown_and_dropped(pilot, voter)
            assert notifications(app)  # « Clé de sécurité non confirmée »
            app.notify("Une autre nouvelle", title="Autre", timeout=60)
            await press(pilot, "ctrl+w")
            assert app.screen.query("#close-unread-warning")
            titles = [notice.title for notice in app._notifications]
            assert "Clé de sécurité non confirmée" not in titles
            assert "Autre" in titles  # any other notice stays

    async def test_resolved_with_a_code_never_confirmed_asks_for_a_note(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """A newcomer closed « Résolu », empty note, the key's hand-over never confirmed."""
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await key_shown_and_dropped(pilot, voter)
            await press(pilot, "ctrl+w")
            window = app.screen
            assert isinstance(window, InterventionCloseScreen)
            window.query_one("#close-outcome", Select).value = "résolu"
            await click(pilot, "#close-ok")
            assert app.screen is window  # not closed
            assert UNCONFIRMED_RESOLVED in notifications(app)
            assert window.focused is window.query_one("#close-note", TextArea)
            window.query_one("#close-note", TextArea).text = "clé relue par SMS au rappel"
            await click(pilot, "#close-ok")
            assert isinstance(app.screen, VoterScreen)

    async def test_an_identifier_sent_then_a_second_address_refused_proposes_resolved(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, "men-2011")
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            for address in ("electeur.perso@exemple.com", "autre.adresse@exemple.com"):
                await press(pilot, "ctrl+d")
                assert isinstance(app.screen, IdentifierScreen)
                app.screen.query_one("#identifier-to", Select).value = "personal"
                await pilot.pause()
                fill(pilot, identifier_address=address, identifier_confirm=address)
                await click(pilot, "#identifier-ok")
                await press(pilot, "escape")
                assert isinstance(app.screen, VoterScreen)
            assert any("ne peut plus être changée" in n for n in notifications(app))
            assert app.screen.refused_last  # the second refused, after the first sent
            assert await proposed_outcome(pilot) == "résolu"
