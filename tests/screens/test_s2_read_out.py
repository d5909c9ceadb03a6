"""The ctrl+k windows. S2 (seed 002): the president calls the cell about a voter
beside them, and « le référent de la CSU me communique ma clé de sécurité par
téléphone ». The agent, on the phone, reads the key out (« Lu à l'appelant »); only
the president's own intervention (S4, the president is its operator) hands a password
over in person (« Remis en main propre »). Probe B, item 4: the agent's window said
« Remettez-la à l'électeur ». And ctrl+k chooses first the credential of the procedure
followed (item 14).
"""

from textual.widgets import Button, Select, Static

from csu.app import CsuApp
from csu.domain.labels import entry_label
from csu.screens.credential import (
    HANDED_OVER,
    PRESIDENT_CALLING,
    CredentialShownScreen,
    IssueScreen,
    handover,
    way_of,
)
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import open_intervention
from csu.services.presence import attest_presence, request_presence_check
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens.conftest import (
    SIZE,
    call_verified,
    click,
    demo_voter,
    journal_details,
    journal_of,
    last_intervention,
    log_in,
    open_voter_file,
    president_bureau,
    press,
    screen_text,
    settle,
)

AGENT = OperatorContext("agent", "agent", "poste-agent")


def president_attested(deps: Deps) -> str:
    """S2 up to the attestation: the agent took the president's call and asked, the
    president attested from their own session; the voter's matricule."""
    bureau = president_bureau(deps)
    voter = demo_voter(deps, bureau=bureau)
    call = open_intervention(deps, AGENT, voter.voter_id, "president", president_login="president")
    check = request_presence_check(deps, AGENT, call.id)
    president = OperatorContext("president", "president", "bureau-de-vote", bureau)
    assert attest_presence(deps, president, check.id, "cni", "12AB").verified
    return voter.matricule


def test_only_the_president_s_own_intervention_hands_over() -> None:
    assert way_of("president", "president", "president") == HANDED_OVER  # S4
    assert way_of("president", "agent", "president") == PRESIDENT_CALLING  # S2
    assert way_of("president", None, "president") == PRESIDENT_CALLING
    assert way_of("president", "agent", None) == PRESIDENT_CALLING
    assert way_of("phone", "agent", None) == "phone"
    assert handover(PRESIDENT_CALLING)[1] == "Lu à l'appelant"
    assert handover(HANDED_OVER)[1] == "Remis en main propre"


async def test_the_agent_reads_the_key_out_to_the_president_calling(
    app: CsuApp, demo_deps: Deps
) -> None:
    matricule = president_attested(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_voter_file(pilot, matricule)
        assert isinstance(app.screen, VoterScreen)
        assert "Identité vérifiée" in screen_text(app)
        await press(pilot, "ctrl+k")
        assert isinstance(app.screen, IssueScreen)
        await click(pilot, "#issue-ok")
        shown = app.screen
        assert isinstance(shown, CredentialShownScreen)
        hint = str(shown.query_one("#credential-hint", Static).content)
        assert hint.startswith("Lisez-la au président qui appelle")
        assert "Remettez" not in hint and "main propre" not in screen_text(app)
        assert str(shown.query_one("#read-out", Button).label) == "Lu à l'appelant"
        await press(pilot, "escape")  # the reminder, in the window, speaks of a read-out
        assert "Lu à l'appelant" in str(shown.query_one("#credential-hint", Static).content)
        await click(pilot, "#read-out")
        assert isinstance(app.screen, VoterScreen)
        assert any(n.message == "Lecture confirmée (journalisée)." for n in app._notifications)
    intervention = last_intervention(demo_deps)
    assert ("credential_read_out", "ok") in journal_of(demo_deps, intervention)
    assert journal_details(demo_deps, intervention, "credential_read_out")["kind"] == (
        "security_key"
    )


async def test_the_president_s_own_intervention_still_hands_the_password_over(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter, login="president")
        await press(pilot, "ctrl+k")
        await click(pilot, "#issue-ok")
        shown = app.screen
        assert isinstance(shown, CredentialShownScreen)
        hint = str(shown.query_one("#credential-hint", Static).content)
        assert hint.startswith("Remettez-le à l'électeur (qu'il le recopie lui-même)")
        assert str(shown.query_one("#read-out", Button).label) == "Remis en main propre"
        await click(pilot, "#read-out")
        assert any(n.message == "Remise confirmée (journalisée)." for n in app._notifications)


class TestCtrlKFollowsTheProcedure:
    """ctrl+k chooses first the credential of the procedure followed (probe B, item
    14): after ctrl+f picked « S3 — Mot de passe perdu » it chose the key, and Tab,
    Entrée issued the wrong credential."""

    async def test_the_lost_password_procedure_preselects_the_password(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+k")  # the procedure the journal points to: S1
            assert app.screen.query_one("#credential-kind", Select).value == "security_key"
            await press(pilot, "escape")
            app.screen.query_one("#script-scenario", Select).value = "S3"  # ctrl+f, S3
            await settle(pilot)
            assert app.screen.query_one(CallScriptPanel).checklist.scenario == "S3"
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, IssueScreen)
            assert app.screen.query_one("#credential-kind", Select).value == "password"
            title = str(app.screen.query_one("#credential-title", Static).content)
            assert title == "Nouveau mot de passe"
            await click(pilot, "#issue-ok")
        intervention = last_intervention(demo_deps)
        assert journal_details(demo_deps, intervention, "credential_issue")["kind"] == "password"


def test_the_journal_names_an_s2_read_out_as_read_to_the_president() -> None:
    details = {"kind": "security_key", "channel": "president", "by_president": False}
    assert entry_label("credential_read_out", details) == (
        "clé de sécurité lue au président qui appelle"
    )
    s4 = {"kind": "password", "channel": "president", "by_president": True}
    assert entry_label("credential_read_out", s4) == "mot de passe remis en main propre"
