"""An intervention on a request that came by e-mail (channel « courriel ») speaks of a
request, not of a call: nobody is on the phone, the agent answers in writing. A call
keeps the words of a call."""

from textual.widgets import DataTable

from csu.app import CsuApp
from csu.screens.help import HelpScreen
from csu.services.context import Deps
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens.conftest import (
    SIZE,
    call_path,
    close_ui,
    demo_voter,
    in_call,
    press,
    screen_text,
)
from tests.screens.shown import static_text

ELECTION = "cci-hdf-2021"  # its file accepts requests by e-mail


async def test_an_intervention_by_e_mail_is_a_demande_par_courriel(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, ELECTION)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email")
        path = call_path(app)
        assert path.startswith("Demande par courriel : 1 Ouvrir")
        assert "appel" not in path.lower()
        title = str(app.screen.query_one(CallScriptPanel).border_title)
        assert title.startswith("Procédure de la demande — ")


async def test_an_intervention_by_e_mail_closed_says_intervention_terminee(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, ELECTION)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email")
        await close_ui(pilot, outcome="abandonné")
        await pilot.pause()
        assert "Intervention terminée. Intervention suivante : ctrl+y ou Échap." in call_path(app)
        panel = app.screen.query_one(CallScriptPanel)
        assert static_text(panel.query_one("#script-next")) == (
            "✓ Intervention terminée : intervention close."
        )
        assert "Appel terminé" not in screen_text(app)


async def test_a_phone_call_keeps_the_words_of_a_call(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps, ELECTION)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="phone")
        await close_ui(pilot, outcome="abandonné")
        await pilot.pause()
        assert "Appel terminé. Appel suivant : ctrl+y ou Échap." in call_path(app)


def footer_labels(app: CsuApp) -> set[str]:
    return {b.binding.description for b in app.screen.active_bindings.values()}


async def test_ctrl_y_reads_intervention_suivante_on_a_request_by_e_mail(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, ELECTION)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email")
        labels = footer_labels(app)
        assert "Intervention suivante" in labels and "Nouvel appel" not in labels
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys", DataTable)
        rows = {str(row[0]): str(row[1]) for row in map(table.get_row_at, range(table.row_count))}
        assert rows["ctrl+y"] == "Intervention suivante"


async def test_ctrl_y_keeps_intervention_suivante_once_the_request_is_closed(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, ELECTION)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email")
        await close_ui(pilot, outcome="abandonné")
        await pilot.pause()
        assert "Intervention suivante" in footer_labels(app)


async def test_ctrl_y_reads_nouvel_appel_on_a_phone_call(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps, ELECTION)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="phone")
        labels = footer_labels(app)
        assert "Nouvel appel" in labels and "Intervention suivante" not in labels
