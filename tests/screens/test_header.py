"""The header: who works where, and the election line (state, countdown and support
hours, in French), short where the terminal is narrow."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from csu.app import CsuApp
from csu.domain.election import parse_election
from csu.widgets.shell_header import ShellHeader, election_forms, election_line
from tests.screens.conftest import SIZE, log_in

MININT = Path(__file__).resolve().parents[2] / "data" / "elections" / "minint-2022.toml"
DEFINITION = parse_election(MININT.read_text(encoding="utf-8"), MININT.name)


def test_an_open_vote_counts_down_to_closing_within_support_hours() -> None:
    now = datetime(2022, 12, 6, 9, 8, tzinfo=UTC)  # 10:08 in Paris; closes 08/12 17:00
    assert election_line(DEFINITION, now) == (
        "minint-2022 · ouvert · Fermeture du vote dans 2 j 06 h 52 min · support ouvert"
    )


def test_at_night_the_support_is_closed() -> None:
    now = datetime(2022, 12, 6, 21, 0, tzinfo=UTC)
    assert election_line(DEFINITION, now).endswith("· support fermé")


def test_before_the_vote_the_line_counts_down_to_opening() -> None:
    now = datetime(2022, 11, 30, 8, 0, tzinfo=UTC)
    assert "avant ouverture · Ouverture dans 1 j 00 h 00 min" in election_line(DEFINITION, now)


def test_a_closed_vote_says_when_it_closed() -> None:
    now = datetime(2022, 12, 9, 8, 0, tzinfo=UTC)
    assert "clos · vote fermé le 08/12/2022 à 17:00" in election_line(DEFINITION, now)


def test_no_election_loaded() -> None:
    assert election_line(None, datetime(2022, 12, 6, tzinfo=UTC)) == "Aucun scrutin chargé"


def test_the_short_form_lets_the_countdown_say_the_vote_is_open() -> None:
    now = datetime(2022, 12, 6, 9, 8, tzinfo=UTC)
    assert election_line(DEFINITION, now, short=True) == (
        "minint-2022 · ferme dans 2 j 06 h 52 min · support ouvert"
    )


def test_the_short_form_before_the_vote_counts_down_to_opening() -> None:
    now = datetime(2022, 11, 30, 8, 0, tzinfo=UTC)  # 9:00 in Paris: the support answers
    assert election_line(DEFINITION, now, short=True) == (
        "minint-2022 · ouvre dans 1 j 00 h 00 min · support ouvert"
    )


def test_the_short_form_of_a_closed_vote_says_when_it_closed() -> None:
    now = datetime(2022, 12, 9, 8, 0, tzinfo=UTC)
    assert election_line(DEFINITION, now, short=True).startswith(
        "minint-2022 · fermé le 08/12 à 17:00 · support"
    )


# ------------------------------------------------------------ in the terminal


def shown(pilot: Pilot[Any]) -> tuple[Static, Static]:
    header = pilot.app.screen.query_one(ShellHeader)
    return header.query_one("#who", Static), header.query_one("#election", Static)


async def test_at_80_columns_the_header_shows_who_is_logged_in_and_a_whole_election_line(
    app: CsuApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "agent")
        who, election = shown(pilot)
        line = str(election.render())
        assert line in election_forms(app.election, app.clock())  # a form, not a cut
        assert election.region.right <= 80  # nothing of it cut
        assert "— agent" in str(who.render())
        # Before, the long line took the 80 columns and left the operator none.
        assert who.content_region.width >= 15
        assert str(who.render()).startswith("Camille Agent")


async def test_a_wide_terminal_keeps_the_long_election_line(app: CsuApp) -> None:
    async with app.run_test(size=(160, 40)) as pilot:
        await log_in(pilot, "agent")
        who, election = shown(pilot)
        assert str(election.render()).startswith("minint-2022 · ouvert · Fermeture du vote dans")
        assert str(who.render()) == app.who_line


async def test_narrowing_the_terminal_shortens_the_line_at_once(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        _, election = shown(pilot)
        assert "ferme dans" in str(election.render())


async def test_a_shorter_name_gives_the_long_line_back_at_once(app: CsuApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "agent")
        header = pilot.app.screen.query_one(ShellHeader)
        _, election = shown(pilot)
        assert "ferme dans" in str(election.render())  # 47 + 78 columns do not fit in 100
        header.who = ("agent",)
        await pilot.pause()
        assert "Fermeture du vote dans" in str(election.render())


async def test_a_name_of_wide_characters_is_measured_in_cells(app: CsuApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "agent")
        header = pilot.app.screen.query_one(ShellHeader)
        header.who = ("山田" * 5,)  # 10 characters, 20 cells: with the long line, 102 cells
        await pilot.pause()
        _, election = shown(pilot)
        assert "ferme dans" in str(election.render())


async def test_below_80_columns_the_operators_name_stays_whole(app: CsuApp) -> None:
    async with app.run_test(size=(60, 24)) as pilot:
        await log_in(pilot, "agent")
        await pilot.pause()
        who = pilot.app.screen.query_one("ShellHeader #who", Static)
        name = app.who_line.split(" — ")[0]
        assert pilot.app.screen.query_one(ShellHeader).size.width == 60
        shown_who = "".join(s.text for s in who.render_line(0))  # as painted, cut or not
        assert name in shown_who
        assert who.region.right <= 60


async def test_a_workstation_named_like_a_role_leaves_the_role_in_the_short_form(
    demo_deps: Any,
) -> None:
    app = CsuApp(demo_deps, "agent")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        assert app.who_forms == (
            "Camille Agent (démo) — agent — poste agent",
            "Camille Agent (démo) — agent",
        )


async def test_a_long_workstation_name_gives_way_to_the_role(demo_deps: Any) -> None:
    app = CsuApp(demo_deps, "poste-" + "x" * 40)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await pilot.pause()
        who, _ = shown(pilot)
        assert str(who.render()) == "Camille Agent (démo) — agent"


def test_out_of_hours_the_narrow_forms_keep_support_closed_before_the_countdown() -> None:
    now = datetime(2022, 12, 6, 21, 0, tzinfo=UTC)  # 22:00 in Paris, the vote open
    forms = election_forms(DEFINITION, now)
    without_support = [form for form in forms if "support" not in form]
    assert forms.index(f"{DEFINITION.id} · support fermé") < forms.index(without_support[0])


def test_within_hours_the_narrow_forms_drop_the_support_first() -> None:
    now = datetime(2022, 12, 6, 9, 8, tzinfo=UTC)
    assert f"{DEFINITION.id} · support ouvert" not in election_forms(DEFINITION, now)
