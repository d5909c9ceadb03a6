"""The header's election line: state, countdown and support hours, in French."""

from datetime import UTC, datetime
from pathlib import Path

from csu.domain.election import parse_election
from csu.widgets.shell_header import election_line

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
