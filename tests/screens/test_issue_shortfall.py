"""The issue window says, before « Délivrer », that the verification made does not allow
the code chosen: a newcomer verified by SMS was offered « Mot de passe » without a word,
and read the refusal only once pressed."""

from pathlib import Path

from textual.widgets import Select, Static

from csu.app import CsuApp
from csu.screens.credential import IssueScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    click,
    demo_voter,
    fill,
    in_call,
    outbox_codes,
    press,
    settle,
)


async def test_after_a_code_by_sms_the_password_says_why_before_delivering(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = demo_voter(demo_deps, mobile=True)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        fill(pilot, verify_birth_date=voter.birth_text)
        await click(pilot, "#send-otp_mobile")
        [code] = outbox_codes(outbox)
        fill(pilot, verify_otp_mobile=code)
        await click(pilot, "#verify-ok")
        assert isinstance(app.screen, VoterScreen)
        await press(pilot, "ctrl+k")
        assert isinstance(app.screen, IssueScreen)
        await app.workers.wait_for_complete()
        await settle(pilot)
        hint = app.screen.query_one("#issue-hint", Static)
        assert not hint.has_class("-refused")  # the security key: allowed
        app.screen.query_one("#credential-kind", Select).value = "password"
        await settle(pilot)
        assert hint.has_class("-refused")
        said = str(hint.render())
        assert said.startswith(
            "La vérification faite ne permet pas ce code. Pour délivrer un mot de passe, "
            "l'identité doit être vérifiée par : "
        )
        assert said.endswith("Fermez cette fenêtre et vérifiez de nouveau (ctrl+e).")
        app.screen.query_one("#credential-kind", Select).value = "security_key"
        await settle(pilot)
        assert not hint.has_class("-refused")
        assert "sera invalidée et remplacée" in str(hint.render())
