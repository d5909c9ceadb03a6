"""The one number a short message names (« appelez le … », an SMS's last line): the
voter's CCIL, else the cell's own number, else the election's support_phone (issues M5,
L8)."""

from pathlib import Path

from csu.domain.contacts import SupportNumber, first_number
from csu.domain.election import ElectionDefinition, parse_election

ELECTIONS = Path(__file__).parents[2] / "data" / "elections"


def load(name: str) -> ElectionDefinition:
    path = ELECTIONS / f"{name}.toml"
    return parse_election(path.read_text(encoding="utf-8"), path.name)


def number(definition: ElectionDefinition, constituency: str | None) -> SupportNumber:
    return first_number(
        definition.contacts, constituency, definition.csu_phone, definition.support_phone
    )


def test_a_cci_voter_calls_the_ccil_of_their_constituency() -> None:
    found = number(load("cci-hdf-2021"), "Littoral Hauts-de-France")
    assert found == SupportNumber("CCIL Littoral Hauts-de-France", "03 21 46 00 00")


def test_a_cci_voter_without_a_known_constituency_calls_the_elections_number() -> None:
    assert number(load("cci-hdf-2021"), "Ailleurs").phone == "06 45 72 37 22"


def test_an_interior_voter_calls_the_csu_not_the_platforms_helpline() -> None:
    # Seed 002: the CSU issues keys and passwords; « je ne parviens toujours pas à
    # voter ? J'appelle la CSU électeurs au 01 80 15 43 21 ».
    assert number(load("minint-2022"), None) == SupportNumber("CSU électeurs", "01 80 15 43 21")


def test_an_election_without_a_cell_number_gives_its_support_phone() -> None:
    assert number(load("men-2022"), None) == SupportNumber("Assistance", "01 99 00 12 34")


def test_the_short_line_is_label_and_number_without_hours() -> None:
    assert number(load("minint-2022"), None).short() == "CSU électeurs : 01 80 15 43 21"
