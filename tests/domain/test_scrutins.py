"""Scrutins in an election file, the scrutins of a material, and what their
émargement allows (pure rules)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csu.domain.election import parse_election
from csu.domain.errors import InvalidValue
from csu.domain.scrutins import (
    ANY_OPEN,
    NONE_VOTED,
    EmargementRules,
    Scrutin,
    ScrutinState,
    ballots,
    material_scrutins,
    parse_roll_scrutins,
    parse_vote_moment,
    reissue_refusal,
    substitution_voted,
)

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
MININT = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
CCI = (ELECTIONS / "cci-hdf-2021.toml").read_text(encoding="utf-8")
VOTED = datetime(2022, 12, 2, 9, 15, tzinfo=UTC)


def refused(text: str) -> str:
    with pytest.raises(InvalidValue) as error:
        parse_election(text, "test.toml")
    return str(error.value)


def test_the_interior_file_names_three_scrutins() -> None:
    definition = parse_election(MININT, "minint-2022.toml")
    assert [(s.id, s.roll) for s in definition.scrutins] == [
        ("csa", False), ("cap", True), ("ccp", True)
    ]  # fmt: skip
    assert definition.emargement == EmargementRules(reissue=ANY_OPEN, substitution=NONE_VOTED)


def test_a_file_without_scrutins_has_one_named_after_the_election() -> None:
    definition = parse_election(CCI, "cci-hdf-2021.toml")
    assert ballots(definition) == (Scrutin("cci-hdf-2021", definition.title),)


def test_a_scrutin_twice_is_refused_naming_it() -> None:
    text = MININT + '\n[[scrutins]]\nid = "csa"\ntitle = "Encore"\n'
    assert refused(text) == "test.toml : scrutins[4].id : « csa » figure deux fois"


def test_a_scrutin_for_an_unknown_capacity_is_refused() -> None:
    text = MININT + '\n[[scrutins]]\nid = "x"\ntitle = "X"\ncapacities = ["retraité"]\n'
    assert refused(text) == (
        "test.toml : scrutins[4].capacities[1] : qualité inconnue « retraité » "
        "(qualités de l'élection : électeur)"
    )


def test_a_scrutin_of_the_roll_takes_no_other_criterion() -> None:
    text = MININT + '\n[[scrutins]]\nid = "x"\ntitle = "X"\nroll = true\nbureaus = ["B1"]\n'
    assert refused(text).startswith("test.toml : scrutins[4].roll : la liste électorale")


def test_an_unknown_rule_is_refused_with_the_values_allowed() -> None:
    text = MININT.replace('reissue = "any_open"', 'reissue = "jamais"')
    assert refused(text) == (
        "test.toml : emargement.reissue : mot-clé inconnu « jamais » (valeurs admises : "
        "any_open, none_voted)"
    )


SCRUTINS = (
    Scrutin("csa", "CSA"),
    Scrutin("cap", "CAP", roll=True),
    Scrutin("local", "Local", bureaus=("B-NORD",)),
    Scrutin("pers", "Personnel", capacities=("à titre personnel",)),
)


def test_a_material_without_a_list_takes_the_scrutins_of_its_capacity_and_bureau() -> None:
    assert material_scrutins(SCRUTINS, "électeur", "B-NORD", None) == ("csa", "local")
    assert material_scrutins(SCRUTINS, "à titre personnel", "B-SUD", None) == ("csa", "pers")


def test_a_roll_list_is_kept_in_the_election_order() -> None:
    assert parse_roll_scrutins("cap|csa", SCRUTINS, "électeur", "B-SUD") == "csa|cap"


def test_a_roll_list_may_not_name_a_scrutin_its_bureau_excludes() -> None:
    with pytest.raises(InvalidValue, match="le scrutin local ne concerne pas ce matériel"):
        parse_roll_scrutins("csa|local", SCRUTINS, "électeur", "B-SUD")


def test_a_roll_cell_that_is_not_an_id_is_not_echoed() -> None:
    with pytest.raises(InvalidValue) as error:
        parse_roll_scrutins("csa|<script>", SCRUTINS, "électeur", "B-SUD")
    assert "<script>" not in str(error.value)


def states(*voted: bool) -> tuple[ScrutinState, ...]:
    return tuple(
        ScrutinState(f"s{n}", f"Scrutin {n}", VOTED if was else None)
        for n, was in enumerate(voted)
    )


def test_any_open_allows_a_reissue_until_the_last_scrutin_is_voted() -> None:
    rules = EmargementRules(reissue=ANY_OPEN)
    assert reissue_refusal(rules, states(True, False)) is None
    assert reissue_refusal(rules, states(True, True)) == (
        "L'électeur a déjà voté avec ce matériel à chacun de ses scrutins (« Scrutin 0 », "
        "« Scrutin 1 ») : plus aucun code ne sert."
    )


def test_none_voted_refuses_a_substitution_from_the_first_vote_naming_it() -> None:
    rules = EmargementRules(substitution=NONE_VOTED)
    assert substitution_voted(rules, states(False, False)) == ()
    assert substitution_voted(rules, states(False, True)) == ("Scrutin 1",)


def test_a_vote_time_needs_its_offset() -> None:
    assert parse_vote_moment("2022-12-02T10:15:00+01:00") == VOTED
    with pytest.raises(InvalidValue, match="RFC 3339"):
        parse_vote_moment("2022-12-02T10:15:00")
