"""The election's procedure beside the voter file (issue 14 §2): before the call, the
election's scenarios and how to start; during it, the checklist of the intervention,
whose steps tick themselves as the agent acts and whose next step is highlighted; the
agent may follow another scenario of the election (ctrl+f)."""


from textual.widgets import DataTable, Select, Static

from csu.app import CsuApp
from csu.screens.help import HelpScreen
from csu.services.context import Deps
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens.conftest import (
    SIZE,
    call_path,
    close_ui,
    demo_voter,
    good_answers,
    in_call,
    issue_ui,
    notifications,
    on_voter_file,
    press,
    verify_ui,
)
from tests.screens.shown import static_text


def panel(app: CsuApp) -> CallScriptPanel:
    return app.screen.query_one(CallScriptPanel)


def panel_text(app: CsuApp) -> str:
    return "\n".join(str(widget.render()) for widget in panel(app).query(Static))


def next_step(app: CsuApp) -> str:
    """The highlighted step, as the panel shows it."""
    [step] = panel(app).query(".script-step.-next")
    assert isinstance(step, Static)
    return str(step.render())


def step_marked(app: CsuApp, number: int) -> str:
    """The line of step ``number``, with its mark (✓ done, ▶ next…)."""
    for step in panel(app).query(".script-step"):
        text = str(step.render())
        if text[2:].startswith(f"{number}. "):
            return text
    raise AssertionError(f"no step {number} in {panel_text(app)}")


async def test_before_the_call_it_lists_the_procedures_and_how_to_start(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        text = panel_text(app)
        assert "S1 — Clé de sécurité perdue ou qui ne fonctionne pas" in text
        assert "S3 — Mot de passe perdu" in text
        assert "Ouvrez une intervention (ctrl+n) pour suivre la procédure." in text
        assert panel(app).checklist is None


async def test_an_administrator_looking_at_a_file_reads_the_elections_procedures(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="admin")
        text = panel_text(app)
        assert "S1 — Clé de sécurité perdue ou qui ne fonctionne pas" in text
        assert "n'en donne aucune" not in text


async def test_an_open_call_highlights_the_self_service_route_first(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        assert next_step(app).startswith("▶ 1. 1re solution")
        assert "eVote-CS" in next_step(app) and "étape suivante" in next_step(app)
        text = panel_text(app)
        assert "À proposer d'abord" in text and "Interdit" in text
        assert "✗ Ne jamais communiquer la clé avant que l'identité soit vérifiée." in text


async def test_the_procedure_s_step_is_not_said_as_the_call_s_next_step(
    app: CsuApp, demo_deps: Deps
) -> None:
    """Two « Étape suivante » disagreed: « Vérifiez l'identité » on the call's path, the
    self-service route in the panel. And the marks were explained nowhere."""
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        said = str(panel(app).query_one("#script-next", Static).render())
        assert said.startswith("▶ Procédure, étape 1 : 1re solution")
        assert "Étape suivante" not in said
        legend = "✓ fait · – passé · ▶ à faire maintenant · ○ ensuite · ✗ interdit"
        assert legend in panel_text(app)


async def test_the_verification_ticks_its_step_and_the_next_step_moves(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        assert step_marked(app, 3).startswith("○ 3. Vérifier l'identité")
        await verify_ui(pilot, **good_answers(voter))
        assert step_marked(app, 3).startswith("✓ 3. Vérifier l'identité")
        assert next_step(app).startswith("▶ 4. Si la carte agent est égarée")
        assert panel(app).checklist is not None and panel(app).checklist.next_step == 4


async def test_the_key_read_out_and_the_close_tick_the_last_steps(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await verify_ui(pilot, **good_answers(voter))
        await issue_ui(pilot, "security_key")
        assert step_marked(app, 6).startswith("✓ 6. Lire la clé")
        assert next_step(app).startswith("▶ 7. Clore l'intervention")
        await close_ui(pilot, "résolu")
        assert step_marked(app, 7).startswith("✓ 7. Clore")  # still shown, all done
        assert not panel(app).query(".script-step.-next")


async def test_a_call_closed_early_says_the_call_is_over_and_marks_no_next_step(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        assert next_step(app).startswith("▶ 1. 1re solution")
        await close_ui(pilot, "refusé")
        assert "Étape suivante : Appel terminé" in call_path(app)
        said = str(panel(app).query_one("#script-next", Static).render())
        assert said == "✓ Appel terminé : intervention close."
        assert not panel(app).query(".script-step.-next")
        assert "étape suivante" not in panel_text(app)


async def test_it_gives_the_elections_numbers_and_hours(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        text = panel_text(app)
        assert "Assistance aux électeurs : 0 800 808 900" in text
        assert "Cellule de support (CSU) : 01 80 15 43 21" in text
        assert "pendant le vote : tous les jours, 09:00–18:00" in text


async def test_the_agent_may_follow_another_scenario_and_it_stays_chosen(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+f")
        choice = app.screen.query_one("#script-scenario", Select)
        assert choice.has_focus_within and choice.expanded
        choice.value = "S3"
        await press(pilot)
        assert panel(app).checklist is not None and panel(app).checklist.scenario == "S3"
        assert next_step(app).startswith("▶ 1. Proposer d'abord la réinitialisation")
        await verify_ui(pilot, **good_answers(voter))  # the file reloads: S3 still
        assert panel(app).checklist is not None and panel(app).checklist.scenario == "S3"
        assert step_marked(app, 3).startswith("✓ 3. Vérifier l'identité")


async def test_another_scenario_before_the_call_says_to_open_one_first(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        await press(pilot, "ctrl+f")
        assert "Ouvrez d'abord une intervention (ctrl+n)." in notifications(app)


async def test_f1_names_the_keys_of_the_procedure_and_of_the_letter(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        rows = {tuple(str(cell) for cell in table.get_row_at(r)) for r in range(table.row_count)}
        assert {("ctrl+b", "Clé par courrier"), ("ctrl+f", "Autre procédure")} <= rows
        flow = static_text(app.screen.query_one("#help-flow", Static))
        assert "Procédure d'appel" in flow and "ctrl+b" in flow


async def test_the_file_has_the_focus_and_enter_opens_no_hidden_list(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        assert app.focused is app.screen.query_one("#voter-file")
        await press(pilot, "enter")  # a newcomer's reflex on a new screen
        choice = app.screen.query_one("#script-scenario", Select)
        assert not choice.display and not choice.expanded and not choice.has_focus_within


async def test_an_open_scenario_list_names_its_keys_in_french(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+f")
        shown = {b.binding.description for b in app.active_bindings.values() if b.binding.show}
        assert "Fermer la liste" in shown and "Dismiss menu" not in shown


async def test_tab_on_an_idle_file_never_focuses_the_hidden_next_step(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The next step's scrolling box took the focus, hidden and empty: Tab landed on
    # nothing an agent could see.
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        box = panel(app).query_one("#script-next-box")
        assert not box.display
        focused = []
        for _ in range(12):
            await pilot.press("tab")
            focused.append(app.focused)
        assert box not in focused and None not in focused
