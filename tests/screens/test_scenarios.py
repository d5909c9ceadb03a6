"""The scenarios of the design notes, from the first key of the call to the last,
through the real app: journal entries in order under one intervention id, and what
the voting platform would answer (``check_login``) with the credentials read out."""

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, Static

from csu.app import CsuApp
from csu.domain import credentials as creds
from csu.screens.presence_requests import AttestScreen, PresenceRequestsScreen
from csu.screens.verification import VerifyScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, Forbidden, NotFound, OperatorContext
from csu.services.credentials import confirm_read_out, issue_credential
from csu.services.interventions import close_intervention, open_intervention
from csu.services.verification import verify_identity
from csu.widgets.intervention_panel import InterventionPanel
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    card_and_iban,
    click,
    close_ui,
    demo_voter,
    fill,
    in_call,
    issue_ui,
    journal_actions,
    journal_details,
    journal_of,
    journal_operator,
    journal_text,
    last_intervention,
    log_in,
    login_works,
    material_id,
    notifications,
    on_voter_file,
    outbox_codes,
    president_bureau,
    press,
    screen_text,
    session_of,
    settle,
    verify_ui,
)

SUPERVISOR = OperatorContext("superviseur", "superviseur", "poste-test")
AGENT = OperatorContext("agent", "agent", "poste-test")

S1_STEPS = [
    ("intervention_open", "ok"),
    ("verification", "vérifié"),
    ("credential_issue", "ok"),
    ("message_queue", "ok"),  # the notice to the voter
    ("message_sent", "ok"),
    ("credential_read_out", "ok"),
    ("intervention_close", "résolu"),
]


# ------------------------------------------------------------------- helpers


def issue_key_via_services(deps: Deps, voter: DemoVoter) -> str:
    """A security key issued earlier by a supervisor (S1 by phone, through the services)."""
    opened = open_intervention(deps, SUPERVISOR, voter.voter_id, "phone")
    result = verify_identity(
        deps,
        SUPERVISOR,
        opened.id,
        {
            "birth_date": voter.birth_text,
            "agent_card": voter.row["carte_agent"][:6],
            "iban": voter.row["iban"][-6:],
        },
    )
    assert result.verified
    material = material_id(deps, voter)
    issued = issue_credential(deps, SUPERVISOR, opened.id, material, "security_key")
    confirm_read_out(deps, SUPERVISOR, opened.id, issued.credential_id)
    close_intervention(deps, SUPERVISOR, opened.id, "résolu")
    return issued.value


# ----------------------------------------------------------------- scenarios


class TestS1LostSecurityKeyByPhone:
    async def test_the_new_key_is_read_out_and_the_old_one_stops_working(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        old_key = issue_key_via_services(demo_deps, voter)  # an earlier call
        assert login_works(demo_deps, voter, security_key=old_key)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, open_caller="01 23 45 67 89")
            text = screen_text(app)
            assert "Canal : téléphone" in text and "Identité non vérifiée" in text
            await verify_ui(pilot, **{**card_and_iban(voter), "verify_iban": voter.row["iban"]})
            assert "Identité vérifiée jusqu'à 11:40" in screen_text(app)
            new_key = await issue_ui(pilot, "security_key")
            text = screen_text(app)
            # the timeline names the credential and the channel
            assert "clé de sécurité délivrée" in text
            assert "clé de sécurité lue à l'appelant" in text
            await close_ui(pilot, "résolu")
            assert not app.screen.query_one(InterventionPanel).display

        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention) == S1_STEPS
        assert journal_details(demo_deps, intervention, "verification")["set"] == [
            "agent_card",
            "birth_date",
            "iban",
        ]
        issued = journal_details(demo_deps, intervention, "credential_issue")
        assert issued["kind"] == "security_key" and issued["revoked"] is not None
        assert len(new_key) == 19 and new_key != old_key  # K7MP-X2QD-9RFA-H3TW
        assert login_works(demo_deps, voter, security_key=new_key)
        assert not login_works(demo_deps, voter, security_key=old_key)
        assert new_key.replace("-", "").encode() not in journal_text(demo_deps)


S2_STEPS = [
    ("intervention_open", "ok"),
    ("presence_request", "ok"),  # the agent asks the president
    ("presence_attest", "attesté"),  # the president, from their own session
    ("verification", "vérifié"),
    ("credential_issue", "ok"),
    ("message_queue", "ok"),
    ("message_sent", "ok"),
    ("credential_read_out", "ok"),
    ("intervention_close", "résolu"),
]


async def s2_call_waiting_for_the_president(agent: Pilot[Any], voter: DemoVoter) -> None:
    """The agent opens the president's call, then ctrl+e: the window waits."""
    await in_call(agent, voter, channel="president", open_president="president")
    assert "Président : president" in screen_text(agent.app)
    await press(agent, "ctrl+e")
    assert isinstance(agent.app.screen, VerifyScreen)


async def president_opens_the_request(president: Pilot[Any], voter: DemoVoter) -> None:
    """The president, logged in elsewhere, is told of the request and opens it."""
    await log_in(president, "president")
    president.app._watch_presence()  # type: ignore[attr-defined]  (every 5 s otherwise)
    await settle(president)
    assert any("vérification en personne" in n for n in notifications(president.app))
    await press(president, "ctrl+g")
    assert isinstance(president.app.screen, PresenceRequestsScreen)
    assert voter.matricule in screen_text(president.app)
    await press(president, "enter")
    assert isinstance(president.app.screen, AttestScreen)


class TestS2ThroughThePresident:
    async def test_the_president_attests_in_their_own_session_then_the_agent_issues_a_key(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
        bureau_app = CsuApp(demo_deps, "bureau-de-vote")  # the president's session
        async with app.run_test(size=SIZE) as agent, bureau_app.run_test(size=SIZE) as president:
            with session_of(app):
                await s2_call_waiting_for_the_president(agent, voter)
            assert not app.screen.query("#verify-in_person")  # nothing for the agent to type
            assert not app.screen.query_one("#verify-ok").display
            assert "en attente du président « president »" in screen_text(app)
            # Whatever the agent would type, the service refuses it.
            with pytest.raises(Forbidden, match="Seul le président"):
                verify_identity(demo_deps, AGENT, last_intervention(demo_deps),
                                {"in_person": "cni:0000"})

            await president_opens_the_request(president, voter)
            bureau_app.screen.query_one("#attest-document", Select).value = "cni"
            fill(president, attest_last4="12ab")
            await click(president, "#attest-ok")
            assert isinstance(bureau_app.screen, PresenceRequestsScreen)
            assert "Aucune demande en attente" in screen_text(bureau_app)

            with session_of(app):
                await press(agent, "f5")  # the window also looks every 2 s
                assert isinstance(app.screen, VoterScreen), screen_text(app)
                assert "Identité vérifiée jusqu'à 11:40" in screen_text(app)
                key = await issue_ui(agent, "security_key")
                await close_ui(agent, "résolu")

        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention) == S2_STEPS
        opened = journal_details(demo_deps, intervention, "intervention_open")
        assert opened["channel"] == "president" and opened["president"] == "president"
        attested = journal_details(demo_deps, intervention, "presence_attest")
        assert attested["document"] == "cni …12AB" and attested["requested_by"] == "agent"
        assert journal_details(demo_deps, intervention, "verification")["set"] == ["in_person"]
        assert journal_operator(demo_deps, intervention, "presence_attest") == "president"
        assert journal_operator(demo_deps, intervention, "verification") == "president"
        assert journal_operator(demo_deps, intervention, "credential_issue") == "agent"
        assert login_works(demo_deps, voter, security_key=key)

    async def test_the_president_declines_and_the_agent_reads_why(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
        bureau_app = CsuApp(demo_deps, "bureau-de-vote")
        async with app.run_test(size=SIZE) as agent, bureau_app.run_test(size=SIZE) as president:
            with session_of(app):
                await s2_call_waiting_for_the_president(agent, voter)
            await president_opens_the_request(president, voter)
            await click(president, "#attest-decline")
            assert "indiquez le motif" in screen_text(bureau_app)  # a reason is needed
            fill(president, attest_reason="personne absente du bureau")
            await click(president, "#attest-decline")
            assert isinstance(bureau_app.screen, PresenceRequestsScreen)

            with session_of(app):
                await press(agent, "f5")
            assert isinstance(app.screen, VerifyScreen)
            text = screen_text(app)
            assert "a refusé d'attester : personne absente du bureau" in text
            assert app.screen.query_one("#verify-ask").display  # « Redemander »
        intervention = last_intervention(demo_deps)
        assert journal_operator(demo_deps, intervention, "presence_decline") == "president"
        assert ("verification", "vérifié") not in journal_of(demo_deps, intervention)


class TestS3LostPasswordWithSecrets:
    async def test_key_prefix_and_iban_then_a_new_password(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        key = issue_key_via_services(demo_deps, voter)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await verify_ui(
                pilot,
                verify_birth_date=voter.birth_text,
                verify_security_key_prefix=creds.prefix(key).lower(),
                verify_iban=voter.row["iban"][-6:],
            )
            password = await issue_ui(pilot, "password")
            await close_ui(pilot, "résolu")

        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention) == S1_STEPS
        assert journal_details(demo_deps, intervention, "verification")["set"] == [
            "birth_date",
            "iban",
            "security_key_prefix",
        ]
        assert journal_details(demo_deps, intervention, "credential_issue")["kind"] == "password"
        assert login_works(demo_deps, voter, password=password, security_key=key)
        assert not login_works(demo_deps, voter, password=password[::-1])


class TestS4PresidentResetsAPassword:
    async def test_in_person_check_then_a_new_password(self, app: CsuApp, demo_deps: Deps) -> None:
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter, login="president")
            assert isinstance(app.screen, VoterScreen)
            await press(pilot, "ctrl+n")
            assert "Canal : présentiel via président" in screen_text(app)
            assert not app.screen.query("#open-channel")
            await click(pilot, "#open-ok")
            await verify_ui(pilot, document="carte_agent", verify_in_person="9876")
            await press(pilot, "ctrl+k")
            assert not app.screen.query("#credential-kind")  # passwords only
            assert "Code d'accès : mot de passe" in screen_text(app)
            await press(pilot, "escape")
            password = await issue_ui(pilot)
            await close_ui(pilot, "résolu")

        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention) == S1_STEPS
        assert journal_details(demo_deps, intervention, "credential_issue")["kind"] == "password"
        assert login_works(demo_deps, voter, password=password)

    async def test_the_president_s_window_starts_on_the_document_s_type(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, login="president")
            await press(pilot, "ctrl+e")
            # What a person fills first, left of the last 4 characters.
            assert app.focused is not None and app.focused.id == "verify-document"

    async def test_a_voter_outside_the_bureau_is_refused(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        bureau = president_bureau(demo_deps)
        outsider = demo_voter(demo_deps, outside_bureau=bureau)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, outsider, login="president")
            # Told apart from an unknown matricule, and nothing of the voter shown.
            assert "Cet électeur n'est pas de votre bureau" in screen_text(app)
            assert outsider.row["nom"] not in screen_text(app)
            # Even reaching the file directly, the service refuses it.
            await app.push_screen(VoterScreen(outsider.voter_id))
            await settle(pilot)
            assert "Aucun électeur de votre bureau ne correspond." in notifications(app)
            assert "ctrl+n" not in app.screen.active_bindings
        president = OperatorContext("president", "president", "poste-test", bureau)
        with pytest.raises(NotFound):
            open_intervention(demo_deps, president, outsider.voter_id, "president")
        assert ("consultation", "refusé") in journal_actions(demo_deps)
        assert "intervention_open" not in {action for action, _ in journal_actions(demo_deps)}


class TestS8OneTimeCodeBySms:
    async def test_the_code_from_the_outbox_verifies_then_a_key_is_issued(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, mobile=True)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            fill(pilot, verify_birth_date=voter.birth_text)
            await click(pilot, "#send-otp_mobile")
            status = str(app.screen.query_one("#verify-otp-status", Static).content)
            assert status.startswith("Code envoyé à +33 ") and "valable jusqu'à 11:32:00" in status
            mobile_tail = voter.row["telephone_mobile"].replace(" ", "")[-2:]
            assert status.split(",")[0].endswith(mobile_tail)
            [code] = outbox_codes(outbox)
            fill(pilot, verify_otp_mobile=code)
            await click(pilot, "#verify-ok")
            assert isinstance(app.screen, VoterScreen)
            key = await issue_ui(pilot, "security_key")
            await close_ui(pilot, "résolu")

        intervention = last_intervention(demo_deps)
        assert (
            journal_of(demo_deps, intervention)
            == [
                ("intervention_open", "ok"),
                ("otp_send", "ok"),
                ("message_queue", "ok"),  # the SMS through the outbox, delivered at once
                ("message_sent", "ok"),
                *S1_STEPS[1:],
            ]
        )
        assert journal_details(demo_deps, intervention, "verification")["set"] == [
            "birth_date",
            "otp_mobile",
        ]
        assert code.encode() not in journal_text(demo_deps)
        assert login_works(demo_deps, voter, security_key=key)
