"""The intervention on the voter file, piece by piece: bindings that show only when
they apply, the panel, refusals that keep what was typed, the verification's
answers that never name a factor, the lock, and the credential shown once."""

import re
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from csu.app import CsuApp
from csu.domain.identifiers import parse_phone
from csu.domain.masking import mask_phone
from csu.domain.verification import FACTOR_LABELS
from csu.screens.credential import HIDDEN, CredentialShownScreen
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.verification import SHORT_LABELS, VerifyScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, OperatorContext
from csu.services.escalation import escalation_queue
from csu.services.interventions import close_intervention, open_intervention
from csu.services.verification import verify_identity
from csu.widgets.intervention_panel import DOES_NOT_MATCH, MATCHES, InterventionPanel
from tests.conftest import SUPERVISOR
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    call_verified,
    click,
    close_ui,
    demo_voter,
    fill,
    good_answers,
    in_call,
    journal_actions,
    journal_details,
    journal_of,
    last_intervention,
    notifications,
    on_voter_file,
    open_intervention_ui,
    press,
    screen_text,
    verify_ui,
)
from tests.screens.shown import _drawn

INTERVENTION_KEYS = {"ctrl+e", "ctrl+k", "ctrl+x", "ctrl+w"}


def keys(app: CsuApp) -> set[str]:
    """The keys usable now (greyed ones, shown but not yet possible, left out)."""
    return {key for key, active in app.screen.active_bindings.items() if active.enabled}


def wrong_answers(voter: DemoVoter) -> dict[str, str]:
    # The right date and card, a wrong IBAN tail.
    return {**good_answers(voter), "verify_iban": "000000"}


class TestBindings:
    async def test_intervention_keys_show_only_with_an_open_intervention(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            assert "ctrl+n" in keys(app)
            assert not keys(app) & (INTERVENTION_KEYS | {"ctrl+u", "ctrl+r"})
            assert not app.screen.query_one(InterventionPanel).display
            await press(pilot, "ctrl+e")  # greyed: says why, opens nothing
            assert isinstance(app.screen, VoterScreen)

            await open_intervention_ui(pilot, "phone")
            # Verify and close now; issue and invalidate show greyed until verified.
            assert keys(app) >= {"ctrl+e", "ctrl+w"} and "ctrl+n" not in keys(app)
            assert {"ctrl+k", "ctrl+x"} <= set(app.screen.active_bindings) - keys(app)
            assert app.screen.query_one(InterventionPanel).display
            # Not verified yet: the agent is told so before choosing anything.
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, VoterScreen)
            assert any("Identité non vérifiée" in m for m in notifications(app))
        assert "credential_issue" not in {action for action, _ in journal_actions(demo_deps)}

    async def test_an_administrator_opens_no_intervention(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter, login="admin")
            assert isinstance(app.screen, VoterScreen)
            assert not keys(app) & (INTERVENTION_KEYS | {"ctrl+n", "ctrl+u"})


class TestOpening:
    async def test_the_steps_headers_keep_to_one_line_in_an_80_column_terminal(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # 30 lines: at 24 the caller and the verification above leave the steps a line.
        async with app.run_test(size=(80, 30)) as pilot:
            await in_call(pilot, demo_voter(demo_deps))
            panel = app.screen.query_one(InterventionPanel)
            lines = _drawn(app).splitlines()[panel.region.y : panel.region.bottom]
            # The panel scrolls to its latest step: a header wrapped on two lines lost its
            # first, and « l'interventi… » stood alone above the steps.
            header = [line for line in lines if "Heure" in line]
            assert header and "Étape" in header[0] and "…" not in header[0], "\n".join(lines)
            assert not [line for line in lines if "l'interv" in line and "Heure" not in line]

    async def test_each_step_and_its_outcome_are_whole_in_an_80_column_terminal(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=(80, 30)) as pilot:
            await call_verified(pilot, demo_voter(demo_deps))
            region = app.screen.query_one(InterventionPanel).region
            lines = _drawn(app).splitlines()[region.y : region.bottom]
        # « vér… » for « vérifié », then « interven… » when the outcome was widened: the
        # hours lose their seconds instead.
        shown = "\n".join(line[region.x : region.right] for line in lines)
        assert re.search(r"\d\d:\d\d +vérification +vérifié", shown), shown
        assert "intervention" in shown and "…" not in shown, shown

    async def test_a_number_typed_on_the_channel_goes_to_the_callers_number(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« 06 12… » typed with the cursor still on « Canal » was lost, the space
        opening the list."""
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            await press(pilot, "ctrl+n")
            window = app.screen
            assert window.focused is window.query_one("#open-channel", Select)
            await press(pilot, *"06 12 34 56 78")
            caller = window.query_one("#open-caller", Input)
            assert caller.value == "06 12 34 56 78"
            assert window.focused is caller
            assert not window.query_one("#open-channel", Select).expanded

    async def test_a_refusal_keeps_the_modal_and_what_was_typed(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            await press(pilot, "ctrl+n")
            channel = app.screen.query_one("#open-channel", Select)
            assert [value for _, value in channel._options] == ["phone", "president"]
            assert app.screen.query_one("#open-caller-box").display
            assert not app.screen.query_one("#open-president-box").display
            channel.value = "president"
            await pilot.pause()
            assert not app.screen.query_one("#open-caller-box").display
            fill(pilot, open_president="personne")
            await click(pilot, "#open-ok")
            assert isinstance(app.screen, InterventionOpenScreen)
            assert any(
                "« personne » : tapez son identifiant, pas son nom (la fiche de l'électeur le "
                "donne entre parenthèses" in m
                for m in notifications(app)
            )
            assert app.screen.query_one("#open-president", Input).value == "personne"
            await press(pilot, "escape")
            assert isinstance(app.screen, VoterScreen)
        assert "intervention_open" not in {action for action, _ in journal_actions(demo_deps)}

    async def test_the_panel_says_whether_the_caller_uses_the_work_phone(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, work_phone=True)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, open_caller=voter.row["telephone_pro"])
            text = screen_text(app)
            assert MATCHES in text and "Identité non vérifiée" in text
            assert voter.row["telephone_pro"] not in text  # masked
            assert "11:30:00" in text and "intervention ouverte" in text

    async def test_a_caller_whose_number_masks_as_the_work_phone_is_told_apart(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, work_phone=True)
        digits = [c for c in voter.row["telephone_pro"] if c.isdigit()]
        digits[4] = "0" if digits[4] != "0" else "1"  # a hidden digit: the same mask
        caller = "".join(digits)
        assert mask_phone(parse_phone(caller).e164) == mask_phone(
            parse_phone(voter.row["telephone_pro"]).e164
        )
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, open_caller=caller)
            assert DOES_NOT_MATCH in screen_text(app)  # « … masqués compris »

    async def test_at_80_by_24_the_caller_and_the_verification_stay_in_view_above_the_steps(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # The panel scrolled whole to its latest step: the caller's line went out of view.
        voter = demo_voter(demo_deps, work_phone=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await in_call(pilot, voter, open_caller="01 23 45 67 89")
            await verify_ui(pilot, **good_answers(voter))
            region = app.screen.query_one(InterventionPanel).region
            lines = _drawn(app).splitlines()[region.y : region.bottom]
            inside = [line[region.x + 1 : region.right - 1] for line in lines]
            shown = " ".join(" ".join(line.split()) for line in inside)
            assert f"89 (FR) — {DOES_NOT_MATCH}" in shown, "\n".join(lines)
            assert "Identité vérifiée jusqu'à" in shown, "\n".join(lines)

    async def test_closing_hides_the_panel_and_journals_the_outcome(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, work_phone=True)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, open_caller="01 23 45 67 89")
            assert DOES_NOT_MATCH in screen_text(app)
            await close_ui(pilot, "abandonné", note="L'appelant a raccroché.")
            assert not app.screen.query_one(InterventionPanel).display
            assert "ctrl+n" in keys(app) and not keys(app) & INTERVENTION_KEYS
            assert "abandonné" in screen_text(app)  # the file's list of interventions
        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention) == [
            ("intervention_open", "ok"),
            ("intervention_close", "abandonné"),
        ]
        assert journal_details(demo_deps, intervention, "intervention_close") == {
            "note": "L'appelant a raccroché."
        }


class TestVerification:
    @pytest.mark.parametrize(
        ("election", "field", "typed", "told"),
        [
            ("men-2022", "verify_nir10", "18304", "NIR : 10, 13 ou 15 caractères attendus"),
            ("minint-2022", "verify_iban", "4535", "IBAN : 6 caractères attendus, 4 reçus"),
            ("minint-2022", "verify_agent_card", "0VW-FF", "Carte agent : lettres et chiffres"),
        ],
        ids=["nir", "iban", "card"],
    )
    async def test_an_answer_of_the_wrong_shape_is_told_and_counts_no_failure(
        self, app: CsuApp, demo_deps: Deps, election: str, field: str, typed: str, told: str
    ) -> None:
        """A newcomer's NIR « 18304 » (the hint says 10 digits) counted as a failed
        verification, the third locking the voter: the window could see it."""
        voter = demo_voter(demo_deps, election)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            fill(pilot, **{field: typed})
            await click(pilot, "#verify-ok")
            result = str(app.screen.query_one("#verify-result", Static).content)
            assert result.startswith(f"Format incorrect — {told}"), result
        assert "verification" not in {action for action, _ in journal_actions(demo_deps)}

    async def test_a_failure_does_not_name_the_factor(self, app: CsuApp, demo_deps: Deps) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            # A typo in the date is caught before it counts as a failure.
            fill(pilot, **{**wrong_answers(voter), "verify_birth_date": "31/02/1980"})
            await click(pilot, "#verify-ok")
            result = str(app.screen.query_one("#verify-result", Static).content)
            assert result.startswith("Format incorrect — Date de naissance")
            assert "verification" not in {action for action, _ in journal_actions(demo_deps)}

            fill(pilot, **wrong_answers(voter))
            await click(pilot, "#verify-ok")
            assert isinstance(app.screen, VerifyScreen)
            result = str(app.screen.query_one("#verify-result", Static).content)
            assert result.startswith("Identité non vérifiée (1er échec sur 3 en 24 h")
            for label in (*FACTOR_LABELS.values(), *SHORT_LABELS.values(), "IBAN", "iban"):
                assert label not in result
            await press(pilot, "escape")
            assert "non vérifié" in screen_text(app)  # the timeline behind
        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention)[-1] == ("verification", "non vérifié")

    async def test_three_failures_lock_the_voter(self, app: CsuApp, demo_deps: Deps) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            for nth in range(3):  # the caller tries other answers (the same are not sent)
                fill(pilot, **{**wrong_answers(voter), "verify_iban": f"00000{nth}"})
                await click(pilot, "#verify-ok")
            result = app.screen.query_one("#verify-result", Static)
            assert "électeur verrouillé" in str(result.content)
            assert result.has_class("-locked")
            # Locked: even the right answers are refused now, by the service.
            fill(pilot, **good_answers(voter))
            await click(pilot, "#verify-ok")
            assert any("verrouillé" in m for m in notifications(app))
            await press(pilot, "escape")
            assert "verrouillé jusqu'au" in screen_text(app)  # the file was reloaded
        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention).count(("verification", "non vérifié")) == 3

    async def test_a_supervisor_unlocks_a_locked_voter(self, app: CsuApp, demo_deps: Deps) -> None:
        voter = demo_voter(demo_deps)
        lock_by_services(demo_deps, voter)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter, login="superviseur")
            assert "ctrl+u" in keys(app)
            await press(pilot, "ctrl+u")
            fill(pilot, unlock_reason="ok")
            await click(pilot, "#unlock-ok")
            assert any("Motif trop court" in m for m in notifications(app))
            fill(pilot, unlock_reason="appel de l'électeur, identité vérifiée par le président")
            await click(pilot, "#unlock-ok")
            assert isinstance(app.screen, VoterScreen), notifications(app)
            assert "ctrl+u" not in keys(app)
            assert "non verrouillé" in screen_text(app)
        assert ("voter_unlock", "ok") in journal_actions(demo_deps)


def lock_by_services(deps: Deps, voter: DemoVoter) -> None:
    """Three failed verifications by phone, by another agent."""
    other = OperatorContext("agent2", "agent", "poste-2")
    opened = open_intervention(deps, other, voter.voter_id, "phone")
    for _ in range(3):
        result = verify_identity(
            deps, other, opened.id, {"birth_date": voter.birth_text, "agent_card": "ZZZZZZ",
                                     "iban": "000000"}
        )  # fmt: skip
    assert result.locked_until is not None
    close_intervention(deps, other, opened.id, "refusé")


class TestCredentialShownOnce:
    async def test_the_value_hides_after_its_display_time_and_escape_does_not_close(
        self, app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(CredentialShownScreen, "TICK_SECONDS", 0.1)
        voter = demo_voter(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+k")
            await click(pilot, "#issue-ok")
            shown = app.screen
            assert isinstance(shown, CredentialShownScreen)
            assert shown.display_seconds == 120
            value = str(shown.query_one("#credential-value", Static).content)
            assert len(value) == 19 and value.count("-") == 3
            spelling = str(shown.query_one("#credential-spelling", Static).content)
            assert "\u00a0comme\u00a0" in spelling or "\u00a0chiffre\u00a0" in spelling
            await press(pilot, "escape")
            assert app.screen is shown
            hint = str(shown.query_one("#credential-hint", Static).content)
            assert hint.startswith("Confirmez la lecture")  # in the window: no notice over it
            countdown = shown.query_one("#credential-countdown", Static)
            assert re.fullmatch(r"Affiché encore \d+ s", str(countdown.content))
            shown.remaining = 2  # skip to the last seconds; the timer ticks them down
            for _ in range(40):
                if shown.hidden:
                    break
                await pilot.pause(0.05)
            assert shown.hidden and shown.remaining == 0
            assert str(shown.query_one("#credential-value", Static).content) == HIDDEN
            assert value not in screen_text(app)
            await click(pilot, "#close-unconfirmed")
            await click(pilot, "#confirm-yes")  # « Fermer sans confirmer ? »
            assert isinstance(app.screen, VoterScreen)
            assert any("Lecture non confirmée" in m for m in notifications(app))
        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert ("credential_issue", "ok") in steps
        assert ("credential_read_out", "ok") not in steps


async def escalating(pilot: Pilot[Any], voter: DemoVoter) -> None:
    """On the voter's file, in a call, the closing window with « Escaladé » chosen."""
    await in_call(pilot, voter)
    await press(pilot, "ctrl+w")
    pilot.app.screen.query_one("#close-outcome", Select).value = "escaladé"
    await pilot.pause()


class TestClosingEscalated:
    """« Escaladé » asks for the number the supervisor calls the caller back on."""

    async def test_the_callback_number_is_asked_for_an_escalation_only(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, demo_voter(demo_deps))
            await press(pilot, "ctrl+w")
            box = app.screen.query_one("#close-callback-box")
            assert not box.display
            app.screen.query_one("#close-outcome", Select).value = "escaladé"
            await pilot.pause()
            assert box.display

    async def test_an_escalation_keeps_its_callback_number_for_the_supervisor(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await escalating(pilot, demo_voter(demo_deps))
            app.screen.query_one("#close-note", TextArea).text = "conteste son bureau"
            app.screen.query_one("#close-callback", Input).value = "06 12 34 56 78"
            await click(pilot, "#close-ok")
            assert isinstance(app.screen, VoterScreen), notifications(app)
        [case] = escalation_queue(demo_deps, SUPERVISOR)
        assert case.callback == "+33 6 ** ** ** 78" and case.reason == "conteste son bureau"

    async def test_entree_in_the_callback_number_closes_the_intervention(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await escalating(pilot, demo_voter(demo_deps))
            app.screen.query_one("#close-note", TextArea).text = "conteste son bureau"
            app.screen.query_one("#close-callback", Input).focus()
            await press(pilot, *"0611223344", "enter")
            assert isinstance(app.screen, VoterScreen), notifications(app)
        [case] = escalation_queue(demo_deps, SUPERVISOR)
        assert case.callback == "+33 6 ** ** ** 44"

    async def test_entree_in_the_callback_number_without_a_note_says_what_is_missing(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await escalating(pilot, demo_voter(demo_deps))
            app.screen.query_one("#close-callback", Input).focus()
            await press(pilot, *"0611223344", "enter")
            assert isinstance(app.screen, InterventionCloseScreen)  # kept, as typed
            assert app.screen.query_one("#close-callback", Input).value == "0611223344"
            assert any("pourquoi le dossier est escaladé" in m for m in notifications(app))
        assert escalation_queue(demo_deps, SUPERVISOR) == []

    async def test_a_number_written_in_the_note_of_an_escalation_is_sent_to_its_field(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await escalating(pilot, demo_voter(demo_deps))
            note = app.screen.query_one("#close-note", TextArea)
            note.text = "rappeler au 06 12 34 56 78"
            await click(pilot, "#close-ok")
            assert isinstance(app.screen, InterventionCloseScreen)  # kept, as typed
            assert note.text == "rappeler au 06 12 34 56 78"
            assert any("« Numéro de rappel »" in m for m in notifications(app))
        assert escalation_queue(demo_deps, SUPERVISOR) == []
