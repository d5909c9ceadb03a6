"""An intervention on a request that came by e-mail (channel « courriel ») speaks of a
request, not of a call: nobody is on the phone, the agent answers in writing. A call
keeps the words of a call."""

from csu.app import CsuApp
from csu.services.context import Deps
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens.conftest import SIZE, call_path, close_ui, demo_voter, in_call, screen_text
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
