"""The path of a call on the voter file (issue 15): its state and next step always
shown, actions greyed with their reason, words that fit the channel, the header
following the election of the call, closing that proposes what happened, and F1."""

import io
from datetime import timedelta
from typing import Any

from rich.console import Console
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Select, Static

from csu.app import CsuApp
from csu.domain.permissions import NO_ADDRESS
from csu.screens.base import WorkDone, WorkFailed
from csu.screens.credential import CredentialShownScreen, IssueScreen
from csu.screens.help import HelpScreen
from csu.screens.intervention import InterventionCloseScreen
from csu.screens.lookup import LookupScreen
from csu.screens.verification import VerifyScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.services.elections import get_definition
from csu.services.emargement import record_votes
from csu.store.tables import Voter
from csu.widgets.intervention_panel import InterventionPanel
from tests.conftest import NOW
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    call_path,
    call_verified,
    card_and_iban,
    click,
    close_ui,
    demo_voter,
    fill,
    good_answers,
    in_call,
    issue_ui,
    log_in,
    notifications,
    on_voter_file,
    open_intervention_ui,
    president_bureau,
    press,
    proposed_outcome,
    settle,
    verify_ui,
)
from tests.screens.shown import header_election, static_text


class TestThePathOfACall:
    async def test_from_an_empty_look_up_to_the_next_caller(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            assert "État : aucune intervention" in call_path(app)
            assert "ouvrez une intervention (ctrl+n)" in call_path(app).lower()
            await open_intervention_ui(pilot, "phone")
            assert "Vérifiez l'identité de l'électeur (ctrl+e)" in call_path(app)
            await verify_ui(pilot, **good_answers(voter))
            state = call_path(app)
            assert "État : identité vérifiée" in state and "délivrer (ctrl+k)" in state
            await close_ui(pilot, "résolu")
            state = call_path(app)
            assert "intervention close (résolu)" in state and "ctrl+y" in state
            await press(pilot, "escape")
            lookup = app.screen
            assert isinstance(lookup, LookupScreen)
            assert lookup.query_one("#search", Input).value == ""
            assert lookup.query_one("#results", DataTable).row_count == 0

    async def test_new_call_empties_the_look_up(self, app: CsuApp, demo_deps: Deps) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            await press(pilot, "ctrl+y")
            assert isinstance(app.screen, LookupScreen)
            assert app.screen.query_one("#search", Input).value == ""
            assert app.screen.query_one("#results", DataTable).row_count == 0

    async def test_escape_during_a_call_keeps_the_look_up(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "escape")
            assert isinstance(app.screen, LookupScreen)
            assert app.screen.query_one("#search", Input).value == voter.matricule


class TestGreyedActions:
    async def test_verify_before_opening_says_to_open_first(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            verify = app.screen.active_bindings["ctrl+e"]
            assert not verify.enabled  # shown, greyed
            await press(pilot, "ctrl+e")
            assert isinstance(app.screen, VoterScreen)
            assert "Ouvrez d'abord une intervention (ctrl+n)." in notifications(app)

    async def test_a_new_call_during_a_call_says_to_close_first(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+y")
            assert isinstance(app.screen, VoterScreen)
            assert any("Clôturez d'abord" in m and "(ctrl+w)" in m for m in notifications(app))

    async def test_an_agent_is_told_unlocking_is_for_supervisors(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            assert "ctrl+u" not in app.screen.active_bindings  # never for an agent: hidden
            await press(pilot, "ctrl+u")
            assert any("superviseurs" in m for m in notifications(app))

    async def test_a_cci_voter_is_offered_no_credential_to_issue(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, "cci-hdf-2021")
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            assert "ctrl+k" not in app.screen.active_bindings
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, VoterScreen)
            assert any("substitution (F7)" in m for m in notifications(app))

    async def test_a_window_with_nothing_to_issue_offers_no_button(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "agent")
            app.push_screen(IssueScreen("none", [], []))
            await pilot.pause()
            assert not app.screen.query("#issue-ok")
            assert str(app.screen.query_one("#issue-cancel-button", Button).label) == "Fermer"


class TestWordsForTheChannel:
    async def test_on_the_phone_the_key_is_read_to_the_caller(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+k")
            app.screen.query_one("#credential-kind", Select).value = "security_key"
            await pilot.pause()
            assert "Nouvelle clé de sécurité" in str(
                app.screen.query_one("#credential-title", Static).render()
            )
            await click(pilot, "#issue-ok")
            shown = app.screen
            assert isinstance(shown, CredentialShownScreen)
            assert str(shown.query_one("#read-out", Button).label) == "Lu à l'appelant"
            assert "Lisez-la à l'appelant" in str(shown.query_one("#credential-hint").render())

    async def test_in_person_the_password_is_handed_to_the_voter(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter, login="president")
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, IssueScreen)
            title = str(app.screen.query_one("#credential-title", Static).render())
            assert title == "Nouveau mot de passe"
            await click(pilot, "#issue-ok")
            shown = app.screen
            assert isinstance(shown, CredentialShownScreen)
            assert str(shown.query_one("#read-out", Button).label) == "Remis en main propre"
            assert "Remettez-le à l'électeur" in str(shown.query_one("#credential-hint").render())


class TestHeader:
    async def test_the_header_follows_the_voter_s_election(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, "men-2022")
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            assert header_election(app).startswith("men-2022 · ")
            await press(pilot, "ctrl+y")
            assert header_election(app).startswith(f"{app.election.id} · ")  # type: ignore[union-attr]

    async def test_a_president_s_look_up_shows_the_election_of_the_bureau(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        election = demo_voter(demo_deps, bureau=president_bureau(demo_deps)).election
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "president")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert header_election(app).startswith(f"{election} · ")


class TestClosingProposesWhatHappened:
    async def test_after_a_failed_verification_it_proposes_refused(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            fill(pilot, **{**good_answers(voter), "verify_iban": "000000"})
            await click(pilot, "#verify-ok")
            if not isinstance(app.screen, VoterScreen):
                await press(pilot, "escape")
            assert await proposed_outcome(pilot) == "refusé"

    async def test_after_an_issued_key_it_proposes_resolved(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            assert await proposed_outcome(pilot) == "abandonné"
            await verify_ui(pilot, **good_answers(voter))
            assert await proposed_outcome(pilot) == "résolu"


class TestHelp:
    async def test_f1_names_keys_in_words_and_no_binding_id(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            await press(pilot, "f1")
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one(DataTable)
            cells = [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]
            ids = {b.id for b in VoterScreen.BINDINGS if b.id} | {  # type: ignore[union-attr]
                b.id
                for b in CsuApp.BINDINGS
                if b.id  # type: ignore[union-attr]
            }
            assert not ids & set(cells)
            assert {"Échap", "ctrl+n", "ctrl+e", "F1"} <= set(cells)
            flow = static_text(app.screen.query_one("#help-flow", Static))
            assert "Déroulé d'un appel" in flow and "ctrl+e" in flow

    async def test_f1_shows_a_president_the_in_person_flow(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "president")
            await press(pilot, "f1")
            flow = static_text(app.screen.query_one("#help-flow", Static))
            assert "remettez-le à l'électeur" in flow


class TestPresidentSearch:
    async def test_a_voter_of_another_bureau_is_told_apart_from_an_unknown_one(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        outsider = demo_voter(demo_deps, outside_bureau=president_bureau(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "president")
            app.screen.query_one("#search", Input).value = outsider.matricule
            await pilot.pause(0.3)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            status = str(app.screen.query_one("#search-status", Static).render())
            assert status.startswith("Cet électeur n'est pas de votre bureau")
            assert app.screen.query_one("#results", DataTable).row_count == 0
            app.screen.query_one("#search", Input).value = "ZZ999999"
            await pilot.pause(0.3)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            status = str(app.screen.query_one("#search-status", Static).render())
            assert status.startswith("Aucun électeur de votre bureau ne correspond")


class TestNextStepAfterActing:
    async def test_once_the_key_is_read_out_the_next_step_is_to_close(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            assert "Étape suivante : Agissez" in call_path(app)
            await issue_ui(pilot)
            await settle(pilot)
            said = call_path(app)
            assert "Étape suivante : Clôturez l'intervention (ctrl+w), ou agissez encore" in said


class TestAnswersTypedAgain:
    async def test_after_a_wrong_answer_the_date_typed_again_replaces_the_first(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            answers = card_and_iban(voter)
            fill(pilot, **{**answers, "verify_iban": "ZZZZZZ"})  # one answer wrong
            field = app.screen.query_one("#verify-birth_date", Input)
            field.focus()
            await press(pilot, "enter")  # Entrée in the date field: it keeps the focus
            await settle(pilot)
            assert app.focused is field
            for key in voter.birth_text:
                await pilot.press(key)
            assert field.value == voter.birth_text  # not the date twice


class TestWorkersReportByMessages:
    async def test_a_refused_close_reaches_the_window_as_work_failed(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        seen: list[Message] = []
        async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
            await in_call(pilot, voter)
            done = [m for m in seen if isinstance(m, WorkDone)]
            assert any(m.group == "voter" for m in done)  # the file, loaded
            await press(pilot, "ctrl+w")
            app.screen.query_one("#close-note").text = "x" * 3000  # type: ignore[attr-defined]
            await click(pilot, "#close-ok")
            # The hook sees a message as it is posted and as it is handled: once each.
            failed = list({id(m): m for m in seen if isinstance(m, WorkFailed)}.values())
            assert [m.group for m in failed] == ["intervention-close"] and failed[0].refused
            assert isinstance(app.screen, InterventionCloseScreen)  # what was typed stays


async def sets_listed(pilot: Pilot[Any]) -> list[str]:
    """ctrl+e, and the sets of answers the verification window lists, one a line."""
    await press(pilot, "ctrl+e")
    await settle(pilot)
    listed = static_text(pilot.app.screen.query_one("#verify-sets", Static))
    return [line for line in listed.splitlines() if "•" in line]


def without_a_mobile(deps: Deps, voter: DemoVoter) -> DemoVoter:
    """``voter``, their mobile number taken off the roll."""
    with deps.writing() as session:
        stored = session.get(Voter, voter.voter_id)
        assert stored is not None
        stored.phone_mobile = None
        session.add(stored)
    return voter


class TestNothingOfferedThatCannotBeDone:
    async def test_no_code_by_sms_is_offered_for_a_voter_without_a_mobile(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = without_a_mobile(demo_deps, demo_voter(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            send = app.screen.query_one("#send-otp_mobile", Button)
            assert send.disabled and str(send.label) == "Aucun portable enregistré"

    async def test_a_president_is_not_offered_to_send_a_code_the_cell_alone_sends(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # An election whose in-person sets held a code by SMS: the button was offered,
        # each press refused for the role (and journalled as a crafted call).
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps), mobile=True)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, login="president")
            panel = app.screen.query_one(InterventionPanel)
            app.push_screen(
                VerifyScreen(panel.intervention, [frozenset({"birth_date", "otp_mobile"})])
            )
            await pilot.pause()
            send = app.screen.query_one("#send-otp_mobile", Button)
            assert send.disabled and str(send.label) == "Envoi réservé à la cellule"

    async def test_a_set_that_does_not_allow_a_password_says_so_before_it_is_passed(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # minint-2022: the birth date and a code by SMS give the key, never the password.
        voter = demo_voter(demo_deps, mobile=True)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            lines = await sets_listed(pilot)
            [sms] = [line for line in lines if "SMS" in line]
            assert sms.endswith("— pas pour le mot de passe")
            assert all("pas pour" not in line for line in lines if line != sms)

    async def test_an_agent_taking_a_president_s_call_is_told_the_attestation_is_not_for_a_password(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # S2: the president's attestation gives the agent the key, never the password.
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, channel="president", open_president="president")
            [attested] = await sets_listed(pilot)
            assert attested.endswith("— pas pour le mot de passe")

    async def test_a_set_that_needs_a_code_by_sms_is_said_impossible_without_a_mobile(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = without_a_mobile(demo_deps, demo_voter(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            lines = await sets_listed(pilot)
            sms_sets = [line for line in lines if "SMS" in line]
            assert sms_sets and all(
                line.endswith("— impossible, aucun portable enregistré") for line in sms_sets
            )
            assert any("SMS" not in line and "impossible" not in line for line in lines)

    async def test_a_code_by_sms_is_offered_for_a_voter_with_a_mobile(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, mobile=True)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            send = app.screen.query_one("#send-otp_mobile", Button)
            assert not send.disabled and str(send.label) == "Envoyer par SMS"


# ------------------------------------------------- what the voter's file rules out


def vote_now(deps: Deps, voter: DemoVoter) -> None:
    """The platform reports the voter's vote in every scrutin of their material, five
    minutes ago (csu.services.emargement, as a vote file would)."""
    with deps.writing() as session:
        definition = get_definition(session, voter.election)
        moment = NOW - timedelta(minutes=5)
        added, faults = record_votes(
            session, definition, [(1, voter.identifier, None, moment)], NOW, "test"
        )
    assert added and not faults


def greyed(app: CsuApp, key: str) -> bool:
    """Shown in the footer, but disabled."""
    binding = app.screen.active_bindings.get(key)
    return binding is not None and not binding.enabled


class TestNothingOfferedToAVoterWhoVoted:
    async def test_an_interior_voter_who_voted_every_scrutin_is_offered_no_code(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, voted=True)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            assert all(greyed(app, key) for key in ("ctrl+k", "ctrl+x", "ctrl+b"))
            assert "à chacun de ses scrutins" in call_path(app)
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, VoterScreen)  # no window opened
            said = notifications(app)[-1]
        assert said.startswith("L'électeur a déjà voté avec ce matériel à chacun de ses scrutins")
        assert said.endswith(": plus aucun code ne sert.")

    async def test_an_education_voter_who_voted_is_offered_no_vote_code_link(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, "men-2022", voted=True)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            assert greyed(app, "ctrl+l")
            await press(pilot, "ctrl+l")
            assert isinstance(app.screen, VoterScreen)
            assert (
                "L'électeur a déjà voté avec ce matériel : plus aucun code ne sert."
                in notifications(app)
            )

    async def test_a_cci_voter_who_voted_is_offered_no_substitution(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, "cci-hdf-2021", voted=True)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            assert greyed(app, "f7")
            await press(pilot, "f7")
            assert isinstance(app.screen, VoterScreen)
            said = notifications(app)[-1]
        assert said.startswith("L'électeur a déjà voté avec ce matériel")
        assert said.endswith("aucun matériel de substitution n'est délivrable.")

    async def test_a_voter_who_has_not_voted_is_offered_the_code(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, "men-2022")
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            assert app.screen.active_bindings["ctrl+l"].enabled


class TestClosingAfterARefusal:
    async def test_a_greyed_code_for_a_voter_who_voted_proposes_refused(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, voted=True)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            assert await proposed_outcome(pilot) == "résolu"  # nothing refused yet
            await press(pilot, "ctrl+k")
            assert await proposed_outcome(pilot) == "refusé"

    async def test_a_reissue_the_service_refuses_in_its_window_proposes_refused(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            vote_now(demo_deps, voter)  # after the file was read: the service alone knows
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, IssueScreen)
            app.screen.query_one("#credential-kind", Select).value = "security_key"
            await pilot.pause()
            await click(pilot, "#issue-ok")
            assert isinstance(app.screen, IssueScreen)  # refused: nothing shown
            assert any("déjà voté" in m for m in notifications(app))
            await press(pilot, "escape")
            assert await proposed_outcome(pilot) == "refusé"

    async def test_a_key_issued_after_a_refused_one_proposes_resolved(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            screen = app.screen
            assert isinstance(screen, VoterScreen)
            screen.remember_refusal("Refus d'un essai précédent.")
            await issue_ui(pilot, "security_key")
            assert await proposed_outcome(pilot) == "résolu"


class TestPastInterventions:
    async def test_a_redirected_call_reads_as_its_label_in_the_file(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await close_ui(pilot, "redirigé")
            table = app.screen.query_one("#voter-interventions", Static).content
            console = Console(width=120, record=True, file=io.StringIO())
            console.print(table)
            shown = console.export_text()
        assert "redirigé vers le libre-service" in shown


class TestKeyByPost:
    async def test_a_voter_without_a_home_address_is_offered_no_letter(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)  # the demo roll gives no home address
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            assert greyed(app, "ctrl+b")
            await press(pilot, "ctrl+b")
            assert isinstance(app.screen, VoterScreen)  # no window opened
            assert notifications(app)[-1] == NO_ADDRESS
