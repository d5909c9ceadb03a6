"""What a newcomer found cut in a real 80x24 terminal, each right at 80 columns and
still at 120: the operators' « Verrouillé » (F9) and the look-up's « Statut » off the
right edge, a header cut after the operator's name (a president's bureau nowhere), and
the out-of-hours warning of « Nouvelle intervention » ending at the window's foot.

What the terminal draws is read as text (``_drawn``), line by line, as the person saw it.
"""

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from csu.app import CsuApp
from csu.domain.masking import mask_identifier
from csu.domain.roles import ROLE_LABELS
from csu.screens.intervention import InterventionOpenScreen
from csu.screens.operators import OperatorsScreen
from csu.services.auth import MAX_FAILURES, LoginRefused
from csu.services.auth import log_in as service_log_in
from csu.services.context import Deps
from csu.widgets.shell_header import ShellHeader
from tests.screens.conftest import (
    code,
    copy_of_demo,
    demo_voter,
    in_call,
    log_in,
    on_voter_file,
    open_voter_file,
    president_bureau,
    press,
    settle,
)
from tests.screens.shown import _drawn
from tests.screens.test_verification_window_scroll import shows

NARROW = (80, 24)
WIDE = (120, 40)
NIGHT = datetime(2022, 12, 2, 21, 30, tzinfo=UTC)  # 22:30 in Paris, during the vote
NAMES = {
    "agent": "Camille Agent (démo)",
    "president": "Dominique Président (démo)",
    "superviseur": "Claude Superviseur (démo)",
    "admin": "Alix Admin (démo)",
}


@pytest.fixture
def night_deps(demo_template: Path, tmp_path: Path, outbox: Path) -> Iterator[Deps]:
    yield from copy_of_demo(demo_template, tmp_path, outbox, NIGHT)


def drawn_lines(app: CsuApp) -> list[str]:
    return _drawn(app).splitlines()


def table_lines(app: CsuApp, table: DataTable[Any]) -> list[str]:
    """The table's lines as drawn, header first, within the table's region."""
    region = table.region
    lines = drawn_lines(app)[region.y : region.bottom]
    return [line[region.x : region.right] for line in lines]


def header_line(app: CsuApp) -> str:
    return drawn_lines(app)[app.screen.query_one(ShellHeader).region.y]


# ---------------------------------------------------------------- F9, operators


def lock_out_from_one_workstation(deps: Deps, login: str) -> None:
    """« 1 poste jusqu'à 11:45 »: the widest value of « Verrouillé »."""
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefused):
            service_log_in(deps, login, "mauvais", code(login), "poste-test")


async def open_operators(pilot: Pilot[Any]) -> DataTable[Any]:
    await log_in(pilot, "admin")
    await press(pilot, "f9")
    assert isinstance(pilot.app.screen, OperatorsScreen)
    return pilot.app.screen.query_one("#operators-table", DataTable)


async def test_f9_shows_every_column_and_a_whole_lock_at_80_columns(
    app: CsuApp, demo_deps: Deps
) -> None:
    lock_out_from_one_workstation(demo_deps, "agent")
    async with app.run_test(size=NARROW) as pilot:
        table = await open_operators(pilot)
        header, *rows = table_lines(app, table)
        assert header.split() == ["Identifiant", "Nom", "Rôle", "Bureau", "Actif", "Verrouillé"]
        agent = next(row for row in rows if row.split()[:1] == ["agent"])
        # Before, « Verrouillé » began beyond the 80th column.
        assert agent.rstrip().endswith("oui    1 poste jusqu'à 11:45"), agent
        assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_f9_at_80_columns_cuts_a_long_name_with_an_ellipsis_not_silently(
    app: CsuApp,
) -> None:
    async with app.run_test(size=NARROW) as pilot:
        table = await open_operators(pilot)
        _, *rows = table_lines(app, table)
        president = next(row for row in rows if row.split()[:1] == ["president"])
        assert "Dominique Pr" in president and "…" in president, president


async def test_f9_at_120_columns_shows_names_and_roles_whole(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=WIDE) as pilot:
        table = await open_operators(pilot)
        shown = "\n".join(table_lines(app, table))
        assert "…" not in shown
        assert "Dominique Président (démo)  président de bureau" in shown
        assert president_bureau(demo_deps) in shown


async def test_f9_fits_its_columns_again_when_the_terminal_narrows(app: CsuApp) -> None:
    async with app.run_test(size=WIDE) as pilot:
        table = await open_operators(pilot)
        await pilot.resize_terminal(*NARROW)
        await settle(pilot)
        header = table_lines(app, table)[0]
        assert header.rstrip().endswith("Actif  Verrouillé"), header


# ------------------------------------------------------------------ look-up


async def search(pilot: Pilot[Any], text: str) -> DataTable[Any]:
    await log_in(pilot, "agent")
    pilot.app.screen.query_one("#search", Input).value = text
    await pilot.pause(0.2)  # the search is debounced
    await settle(pilot)
    table = pilot.app.screen.query_one("#results", DataTable)
    assert table.row_count > 1
    return table


async def test_the_look_up_shows_each_voter_s_status_whole_at_80_columns(app: CsuApp) -> None:
    async with app.run_test(size=NARROW) as pilot:
        table = await search(pilot, "ma")
        header, *rows = table_lines(app, table)
        assert header.split()[-1] == "Statut", header
        for index, line in enumerate(rows[: table.row_count]):
            matricule, *_, status = (str(cell) for cell in table.get_row_at(index))
            assert line.startswith(f" {matricule} "), line
            assert line.rstrip().endswith(f"  {status}"), line  # before: « Statut » cut
        assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_the_look_up_at_120_columns_cuts_no_cell(app: CsuApp) -> None:
    async with app.run_test(size=WIDE) as pilot:
        table = await search(pilot, "ma")
        assert "…" not in "\n".join(table_lines(app, table))


# ------------------------------------------------------------------- header


@pytest.mark.parametrize("login", ["agent", "superviseur", "admin", "president"])
async def test_the_header_names_the_operator_and_their_role_whole_at_80_columns(
    app: CsuApp, login: str
) -> None:
    async with app.run_test(size=NARROW) as pilot:
        await log_in(pilot, login)
        line = header_line(app)
        assert f"{NAMES[login]} — {ROLE_LABELS[login]}" in line, line
        assert "…" not in line, line  # before: « Camille Agent (démo)… »
        assert app.election is not None and app.election.id in line, line


async def test_a_president_s_header_shows_their_bureau_at_80_columns(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=NARROW) as pilot:
        await log_in(pilot, "president")
        line = header_line(app)
        assert f"({president_bureau(demo_deps)})" in line, line


async def test_the_login_screen_s_header_says_nobody_is_logged_in_at_80_columns(
    app: CsuApp,
) -> None:
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        line = header_line(app)
        assert "CSU électeurs — non connecté" in line and "…" not in line, line


async def test_at_80_columns_the_header_keeps_the_countdown_and_drops_the_workstation(
    app: CsuApp,
) -> None:
    async with app.run_test(size=NARROW) as pilot:
        await log_in(pilot, "agent")
        line = header_line(app)
        assert "poste-test" not in line, line
        assert " · ferme dans " in line, line


async def test_at_120_columns_the_header_keeps_the_workstation_and_the_support_hours(
    app: CsuApp,
) -> None:
    async with app.run_test(size=WIDE) as pilot:
        await log_in(pilot, "agent")
        line = header_line(app)
        assert "Camille Agent (démo) — agent — poste poste-test" in line, line
        assert " · ferme dans " in line and "· support ouvert" in line, line


# ------------------------------------------------------ ctrl+n out of hours


async def test_the_out_of_hours_warning_shows_whole_in_the_window_at_80_columns(
    night_deps: Deps,
) -> None:
    app = CsuApp(night_deps, "poste-test")
    async with app.run_test(size=NARROW) as pilot:
        await on_voter_file(pilot, demo_voter(night_deps), otp=code("agent", NIGHT))
        await press(pilot, "ctrl+n")
        await pilot.wait_for_scheduled_animations()
        assert isinstance(app.screen, InterventionOpenScreen)
        warning = app.screen.query_one("#open-hours", Static)
        # Before, above the buttons: its last line below the window's foot, out of view.
        assert shows(app, warning), warning.region
        box = app.screen.query_one("#intervention-open-box").scrollable_content_region
        assert box.contains_region(warning.region), (warning.region, box)
        lines = drawn_lines(app)[warning.region.y : warning.region.bottom]
        shown = " ".join(line[warning.region.x : warning.region.right].strip() for line in lines)
        assert shown == str(warning.content), shown


@pytest.mark.parametrize("election", ["minint-2022", "men-2022"])
async def test_out_of_hours_at_80_by_24_the_window_s_buttons_are_in_view(
    night_deps: Deps, election: str
) -> None:
    # Its fields took three rows each: « Ouvrir » and « Annuler » lay below the screen.
    # For men-2022 they still did, with rows to spare: a scrollbar for a row too many
    # narrowed the lines, « … Éducation nationale » wrapped, and the row was too many.
    app = CsuApp(night_deps, "poste-test")
    async with app.run_test(size=NARROW) as pilot:
        await on_voter_file(pilot, demo_voter(night_deps, election), otp=code("agent", NIGHT))
        await press(pilot, "ctrl+n")
        await pilot.wait_for_scheduled_animations()
        assert isinstance(app.screen, InterventionOpenScreen)
        for button in ("#open-ok", "#open-cancel"):
            assert shows(app, app.screen.query_one(button)), button


async def test_the_out_of_hours_warning_shows_whole_at_120_columns(night_deps: Deps) -> None:
    app = CsuApp(night_deps, "poste-test")
    async with app.run_test(size=WIDE) as pilot:
        await on_voter_file(pilot, demo_voter(night_deps), otp=code("agent", NIGHT))
        await press(pilot, "ctrl+n")
        warning = app.screen.query_one("#open-hours", Static)
        assert shows(app, warning), warning.region


# ------------------------------------------------ French spacing


async def test_a_notification_at_80_columns_never_starts_a_line_with_a_colon(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=NARROW) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+y")
        await open_voter_file(pilot, demo_voter(demo_deps, "men-2022").matricule)
        app.clear_notifications()
        await press(pilot, "ctrl+n")  # refused: an intervention is open on another voter
        lines = drawn_lines(app)
        assert any("rouvrez sa fiche" in line for line in lines)
        assert not [line for line in lines if line.lstrip(" ▌▐▎▊│").startswith(": ")]


async def test_the_president_s_four_last_characters_show_whole_at_80_columns(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=(80, 24)) as pilot:
        await in_call(pilot, voter, login="president")
        await pilot.press("ctrl+e")
        await pilot.pause()
        field = app.screen.query_one("#verify-in_person", Input)
        field.focus()
        for key in "7A3F":
            await pilot.press(key)
        await pilot.pause()
        assert field.value == "7A3F"
        assert field.content_region.width >= len("7A3F") + 1  # the cursor after them


def drawn_content(widget: Static) -> str:
    """A widget's content as drawn at its width, lines below the screen's edge included."""
    console = Console(width=widget.size.width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def test_at_80_columns_each_voting_material_shows_whole(
    app: CsuApp, demo_deps: Deps
) -> None:
    """Six columns cut the identifier (« MI121618… ») and the election (« minint-2… »)."""
    voter = demo_voter(demo_deps)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_voter_file(pilot, voter)
        text = drawn_content(app.screen.query_one("#voter-materials", Static))
        assert mask_identifier(voter.identifier) in text
        assert f"{voter.election} — " in text
        assert "…" not in text
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        wide = drawn_content(app.screen.query_one("#voter-materials", Static))
        assert "Codes d'accès" in wide.splitlines()[2]  # a header row again, when it fits


async def test_at_80_by_24_the_voter_file_shows_down_to_its_lock_below_the_call_s_panels(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Margins between the path, the panels and the file kept five of its lines in view.
    async with app.run_test(size=NARROW) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        assert app.screen.query_one("#call-row").region.height >= 8
        lock = next(
            line for line in drawn_lines(app) if line.strip().startswith("Verrouillage")
        )
        assert "verrouillé" in lock, lock
