"""A president's search that finds nobody tells a voter of another bureau apart from
an unknown one (issue 15, point 10), without returning anything of that voter."""

from csu.domain.hashing import pseudonym
from csu.services.context import Deps
from csu.services.voters import outside_bureau
from tests.conftest import AGENT
from tests.services.intervention_support import entries
from tests.services.test_voters import PRESIDENT_13, roll  # noqa: F401 (fixture)


def test_a_matricule_of_another_bureau_is_told_apart(roll: Deps) -> None:  # noqa: F811
    assert outside_bureau(roll, PRESIDENT_13, "AB1234")


def test_an_identifier_of_another_bureau_is_told_apart(roll: Deps) -> None:  # noqa: F811
    assert outside_bureau(roll, PRESIDENT_13, "ID-0001")


def test_an_unknown_matricule_is_not(roll: Deps) -> None:  # noqa: F811
    assert not outside_bureau(roll, PRESIDENT_13, "ZZ9999")


def test_a_voter_of_the_bureau_is_not_outside(roll: Deps) -> None:  # noqa: F811
    assert not outside_bureau(roll, PRESIDENT_13, "EF9012")


def test_a_name_never_answers(roll: Deps) -> None:  # noqa: F811
    assert not outside_bureau(roll, PRESIDENT_13, "dupont")


def test_only_presidents_are_confined(roll: Deps) -> None:  # noqa: F811
    assert not outside_bureau(roll, AGENT, "AB1234")


def test_a_voter_told_of_another_bureau_is_journalled_masked(roll: Deps) -> None:  # noqa: F811
    # Probing other bureaus by matricule leaves a trace, however fast the typing.
    assert outside_bureau(roll, PRESIDENT_13, "AB1234")
    [entry] = [e for e in entries(roll, "recherche") if e["outcome"] == "refusé"]
    assert entry["operator"] == PRESIDENT_13.login
    assert entry["details"] == {"query": "AB***4", "reason": "hors bureau"}
    assert entry["subject"] == pseudonym(roll.key, "AB1234")


def test_an_unknown_matricule_is_not_journalled(roll: Deps) -> None:  # noqa: F811
    assert not outside_bureau(roll, PRESIDENT_13, "ZZ9999")
    assert not [e for e in entries(roll, "recherche") if e["outcome"] == "refusé"]
