"""The supervisors' queue of escalated cases (issue 14 §5), through the real app: F10 or
the palette's « Escalades » opens it; a supervisor takes a case, reads its callback
number in the screen (never in a notification), and closes it with an outcome."""

import dataclasses
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static, TextArea

from csu.app import CsuApp
from csu.domain.clock import fixed_clock
from csu.screens.escalations import (
    COLUMNS,
    NARROW_COLUMNS,
    EscalationCloseScreen,
    EscalationsScreen,
)
from csu.screens.intervention_timeline import InterventionTimelineScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, OperatorContext
from csu.services.escalation import take_escalation
from csu.services.interventions import close_intervention, open_intervention
from csu.store.tables import Escalation
from tests.conftest import AGENT, NOW
from tests.screens.conftest import (
    SIZE,
    click,
    demo_voter,
    journal_actions,
    log_in,
    notifications,
    press,
    screen_text,
    settle,
)
from tests.screens.escalated import escalate as escalate_without_number
from tests.screens.shown import _drawn as drawn
from tests.screens.test_palette import palette

CALLBACK = "06 12 34 56 78"
NOTE = "l'électeur conteste son bureau de vote : rappel demandé"
OTHER_SUPERVISOR = OperatorContext(login="sup2", role="superviseur", workstation="poste-9")


def escalate(deps: Deps, minutes_ago: int = 0, election: str = "minint-2022") -> int:
    """An agent's call on a demo voter closed « escaladé » ``minutes_ago``; its case id."""
    then = dataclasses.replace(deps, clock=fixed_clock(NOW - timedelta(minutes=minutes_ago)))
    voter = demo_voter(deps, election)
    call = open_intervention(then, AGENT, voter.voter_id, "phone")
    close_intervention(then, AGENT, call.id, "escaladé", NOTE, callback_number=CALLBACK)
    with deps.reading() as session:
        return session.execute(
            select(col(Escalation.id)).where(col(Escalation.intervention_id) == call.id)
        ).scalar_one()


def rows(app: CsuApp) -> list[list[str]]:
    table = app.screen.query_one("#escalations-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


async def open_queue(pilot: Pilot[Any]) -> None:
    await log_in(pilot, "superviseur")
    await press(pilot, "f10")
    assert isinstance(pilot.app.screen, EscalationsScreen), notifications(pilot.app)  # type: ignore[arg-type]


async def test_the_queue_names_states_in_french_with_wait_and_deadline(
    app: CsuApp, demo_deps: Deps
) -> None:
    late = escalate(demo_deps, minutes_ago=125)
    fresh = escalate(demo_deps, minutes_ago=10, election="men-2022")
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        by_id = {row[0]: row for row in rows(app)}
    # minint-2022 and men-2022 give a case 60 minutes: 11:30 Paris less 125 min is 09:25.
    assert by_id[str(late)][2:] == [
        "en retard", by_id[str(late)][3], "minint-2022", "agent", "—", "2 h 05", "02/12 10:25"
    ]
    assert by_id[str(fresh)][2] == "en attente" and by_id[str(fresh)][7] == "10 min"
    assert ("escalation_list", "ok") in journal_actions(demo_deps)


async def test_the_counts_of_the_queue_head_the_screen(app: CsuApp, demo_deps: Deps) -> None:
    escalate(demo_deps, minutes_ago=90)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        status = str(app.screen.query_one("#escalations-status", Static).content)
    assert status.startswith("En attente : 0 — en retard : 1 — pris en charge : 0 — clos : 0")


async def test_an_empty_queue_says_aucun_dossier_ouvert(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.screen.query_one("#escalations-status", Static).content)
    assert "Aucun dossier ouvert — F5 pour actualiser." in status


async def test_the_palette_offers_escalades_to_supervisors(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        assert await palette(pilot, "escalades") == ["Escalades"]
        await press(pilot, "enter")
        assert isinstance(app.screen, EscalationsScreen)


async def test_an_agent_neither_sees_nor_opens_the_queue(app: CsuApp, demo_deps: Deps) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await press(pilot, "f10")  # the desk's keys are the supervisors' only
        assert not isinstance(app.screen, EscalationsScreen)
        assert "Escalades" not in await palette(pilot, "escalades")
    assert ("escalation_list", "ok") not in journal_actions(demo_deps)


async def test_taking_a_case_makes_the_supervisor_its_owner(
    app: CsuApp, demo_deps: Deps
) -> None:
    escalate(demo_deps, minutes_ago=25)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
        [row] = rows(app)
        assert (row[2], row[6], row[7]) == ("pris en charge", "superviseur", "25 min")
        assert "Pris en charge par superviseur" in screen_text(app)
        status = str(app.screen.query_one("#escalations-status", Static).content)
        assert status.startswith("En attente : 0 — en retard : 0 — pris en charge : 1")
    assert ("escalation_take", "ok") in journal_actions(demo_deps)


async def test_a_case_another_supervisor_took_is_not_taken_again(
    app: CsuApp, demo_deps: Deps
) -> None:
    case_id = escalate(demo_deps)
    take_escalation(demo_deps, OTHER_SUPERVISOR, case_id)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
    assert "Dossier déjà pris en charge par « sup2 »." in notifications(app)
    assert [a for a, _ in journal_actions(demo_deps)].count("escalation_take") == 1


async def test_the_callback_number_shows_in_the_screen_never_in_a_notification(
    app: CsuApp, demo_deps: Deps
) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        assert "+33 6 ** ** ** 78" in screen_text(app)
        await press(pilot, "t")
        await press(pilot, "n")
        shown = str(app.screen.query_one("#escalations-callback", Static).content)
        assert CALLBACK in shown
        assert not any("12 34 56" in message for message in notifications(app))
    assert ("escalation_callback", "ok") in journal_actions(demo_deps)


async def test_a_case_with_no_callback_number_says_how_to_reach_the_voter(
    app: CsuApp, demo_deps: Deps
) -> None:
    # « Numéro de rappel : aucun » left the supervisor no way to call back.
    escalate_without_number(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        detail = str(app.screen.query_one("#escalations-detail", Static).content)
    assert (
        "Numéro de rappel : aucun — recontactez l'électeur par les coordonnées de son dossier"
        in detail
    )


async def test_the_callback_number_is_refused_before_taking_the_case(
    app: CsuApp, demo_deps: Deps
) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "n")
        assert CALLBACK not in screen_text(app)
    assert "Prenez d'abord ce dossier en charge (t)." in notifications(app)
    assert ("escalation_callback", "ok") not in journal_actions(demo_deps)


async def test_i_opens_what_the_agent_did_before_escalating(app: CsuApp, demo_deps: Deps) -> None:
    case = escalate(demo_deps)
    with demo_deps.reading() as session:
        call = session.get_one(Escalation, case).intervention_id
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "i")
        assert isinstance(app.screen, InterventionTimelineScreen)
        assert app.screen.intervention_id == call
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "escaladé" in screen_text(app)
        # titled by who and when, its number (the journal filter's) in the summary
        title = str(app.screen.query_one("#timeline-title", Static).content)
        assert title == "Intervention ouverte par agent le 02/12/2022 à 11:30"
        assert call in screen_text(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, EscalationsScreen)


async def test_v_opens_the_case_s_voter_file_and_escape_comes_back(
    app: CsuApp, demo_deps: Deps
) -> None:
    """A newcomer went back to the look-up to find the voter of a case to unlock."""
    escalate(demo_deps)
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "v")
        await settle(pilot)
        assert isinstance(app.screen, VoterScreen)
        assert app.screen.voter_id == voter.voter_id
        await press(pilot, "escape")
        assert isinstance(app.screen, EscalationsScreen)


async def test_v_on_an_empty_queue_says_no_case_is_chosen(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.app.workers.wait_for_complete()
        await press(pilot, "v")
        assert isinstance(app.screen, EscalationsScreen)
    assert "Aucun dossier sélectionné." in notifications(app)


async def test_i_on_an_empty_queue_says_no_case_is_chosen(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await pilot.app.workers.wait_for_complete()
        await press(pilot, "i")
        assert isinstance(app.screen, EscalationsScreen)
    assert "Aucun dossier sélectionné." in notifications(app)


async def test_the_callback_number_leaves_the_screen_after_the_reveal_time(
    demo_deps: Deps,
) -> None:
    escalate(demo_deps)
    # Long enough that a loaded machine still draws the number before it goes (0.2 s
    # were over before the first look, once, under a whole suite on a slow machine).
    app = CsuApp(demo_deps, "poste-test", reveal_seconds=6)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
        await press(pilot, "n")
        assert CALLBACK in screen_text(app)
        for _ in range(250):  # the 6 seconds run out (25 s at most)
            if CALLBACK not in screen_text(app):
                break
            await pilot.pause(0.1)
        assert CALLBACK not in screen_text(app)


async def close_case(pilot: Pilot[Any], outcome: str | None, text: str) -> None:
    await press(pilot, "c")
    assert isinstance(pilot.app.screen, EscalationCloseScreen)
    if outcome is not None:
        pilot.app.screen.query_one("#escalation-close-outcome", Select).value = outcome
    pilot.app.screen.query_one("#escalation-close-text", TextArea).text = text
    await click(pilot, "#escalation-close-ok")


async def test_closing_a_case_with_what_was_done_takes_it_off_the_queue(
    app: CsuApp, demo_deps: Deps
) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
        await close_case(pilot, "résolu", "rappelé : bureau corrigé sur la liste")
        # Read at once, in the app: a notice lasts 5 s, which a loaded run outlasted.
        assert any("clos (résolu)" in message for message in notifications(app))
        assert isinstance(app.screen, EscalationsScreen)
        assert rows(app) == []
    assert ("escalation_close", "résolu") in journal_actions(demo_deps)


async def test_closing_without_an_outcome_asks_for_one(app: CsuApp, demo_deps: Deps) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
        await close_case(pilot, None, "rappelé : bureau corrigé")
        assert isinstance(app.screen, EscalationCloseScreen)
        assert "Choisissez l'issue" in screen_text(app)
        assert app.focused is app.screen.query_one("#escalation-close-outcome", Select)
    assert ("escalation_close", "résolu") not in journal_actions(demo_deps)


async def test_closing_with_too_short_a_text_is_refused_in_french(
    app: CsuApp, demo_deps: Deps
) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
        await close_case(pilot, "refusé", "ok")
        assert isinstance(app.screen, EscalationCloseScreen)
        assert "Dossier non clos — Suite donnée" in screen_text(app)


async def test_a_refused_text_gets_the_cursor_back_to_be_written(
    app: CsuApp, demo_deps: Deps
) -> None:
    """Left on « Clore le dossier », a newcomer typed into nothing, then Tab and Entrée
    pressed « Annuler » on a case still open."""
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
        await close_case(pilot, "résolu", "")
        await settle(pilot)
        assert "Dossier non clos — Suite donnée" in screen_text(app)
        assert app.focused is app.screen.query_one("#escalation-close-text", TextArea)


async def test_closed_cases_show_on_demand(app: CsuApp, demo_deps: Deps) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")
        await close_case(pilot, "refusé", "demande hors du périmètre de la cellule")
        await press(pilot, "a")
        [row] = rows(app)
        assert (row[2], row[6]) == ("clos", "superviseur")
        assert "Clos le 02/12 à 11:30 : refusé" in screen_text(app)


async def test_at_80_columns_each_case_shows_its_wait_and_deadline(
    app: CsuApp, demo_deps: Deps
) -> None:
    escalate(demo_deps, minutes_ago=125)
    escalate(demo_deps, minutes_ago=10, election="cci-hdf-2021")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot)
        lines = drawn(app).splitlines()
    header = next(line for line in lines if line.startswith(" N°"))
    assert header.split() == ["N°", "État", "Électeur", "Scrutin", "Responsable", "Attente",
                              "Échéance"]  # fmt: skip
    late = next(line for line in lines if line.startswith(" 1 "))
    assert late.rstrip().endswith("2 h 05   02/12 10:25")  # whole, at the right edge


async def test_a_terminal_widened_gets_every_column_and_keeps_the_case_highlighted(
    app: CsuApp, demo_deps: Deps
) -> None:
    for minutes in (30, 20, 10):
        escalate(demo_deps, minutes_ago=minutes)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot)
        table = app.screen.query_one("#escalations-table", DataTable)
        assert len(table.columns) == len(NARROW_COLUMNS)
        await press(pilot, "down")
        chosen = rows(app)[1][0]
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert [str(column.label) for column in table.columns.values()] == list(COLUMNS)
        assert table.cursor_row == 1 and rows(app)[1][0] == chosen
        assert f"Dossier n° {chosen} " in screen_text(app)


async def test_the_outcomes_are_written_as_the_intervention_s_closing_writes_them(
    app: CsuApp, demo_deps: Deps
) -> None:
    """« résolu / refusé » here, « Résolu / Refusé » when an intervention closes."""
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t", "c")
        outcome = app.screen.query_one("#escalation-close-outcome", Select)
        labels = [str(prompt) for prompt, value in outcome._options if isinstance(value, str)]
        assert labels == ["Résolu", "Refusé"]
