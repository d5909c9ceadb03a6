"""A president's own intervention (S4) speaks of a visit to the polling station, not
of a call: the voter stands in front of the president, nobody is on the phone. An
agent's call keeps the words of a call."""

from textual.widgets import DataTable, Static

from csu.app import CsuApp
from csu.screens.help import HelpScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens.conftest import (
    SIZE,
    call_path,
    call_verified,
    close_ui,
    demo_voter,
    in_call,
    issue_ui,
    log_in,
    on_voter_file,
    president_bureau,
    press,
    screen_text,
)
from tests.screens.shown import static_text


async def test_a_president_s_file_shows_a_passage_au_bureau_not_an_appel(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="president")
        path = call_path(app)
        assert path.startswith("Passage au bureau : 1 Ouvrir")
        assert "pour cet électeur" in path
        assert "appel" not in path.lower()


async def test_a_president_s_open_intervention_is_a_passage_au_bureau(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, login="president")
        assert call_path(app).startswith("Passage au bureau : ")
        assert "appel" not in call_path(app).lower()


async def test_a_president_s_closed_intervention_says_intervention_terminee(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(
            pilot, voter, login="president", document="cni", answers={"verify_in_person": "9876"}
        )
        await issue_ui(pilot)
        await close_ui(pilot)
        assert "Intervention terminée. Électeur suivant : ctrl+y ou Échap." in call_path(app)
        assert "Appel terminé" not in screen_text(app)


async def test_a_president_s_procedure_panel_is_not_a_procedure_d_appel(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, login="president")
        title = str(app.screen.query_one(CallScriptPanel).border_title)
        assert title.startswith("Procédure au bureau — ")


async def test_at_80_columns_the_procedure_s_title_fits_its_frame(
    app: CsuApp, demo_deps: Deps
) -> None:
    """Half of 80 columns cut it to « Procédure au bureau — minint-20… »: the election
    goes (the header names it), the title stays whole."""
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=(80, 24)) as pilot:
        await in_call(pilot, voter, login="president")
        panel = app.screen.query_one(CallScriptPanel)
        title = str(panel.border_title)
        assert title.startswith("Procédure au bureau")
        assert len(title) <= panel.size.width - 4
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert str(panel.border_title) == f"Procédure au bureau — {voter.election}"


async def test_a_president_s_ctrl_y_reads_electeur_suivant_in_the_footer(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="president")
        assert isinstance(app.screen, VoterScreen)
        labels = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Électeur suivant" in labels and "Nouvel appel" not in labels


async def test_a_president_s_f1_names_ctrl_y_electeur_suivant(app: CsuApp, demo_deps: Deps) -> None:
    # F1 read the class's keys: « Nouvel appel », where the footer said « Électeur suivant ».
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="president")
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys", DataTable)
        rows = {str(row[0]): str(row[1]) for row in map(table.get_row_at, range(table.row_count))}
        assert rows["ctrl+y"] == "Électeur suivant"
        assert "Nouvel appel" not in rows.values()


async def test_a_president_s_help_describes_an_intervention_au_bureau(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        await press(pilot, "f1")
        flow = static_text(app.screen.query_one("#help-flow", Static))
        assert "Déroulé d'une intervention au bureau" in flow


async def test_an_agent_s_phone_call_still_reads_as_an_appel(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        assert call_path(app).startswith("Appel : 1 Ouvrir")
        title = str(app.screen.query_one(CallScriptPanel).border_title)
        assert title.startswith("Procédure d'appel — ")
