"""What the voter's votes still allow, in the one rule of what may be done: no code once
every material of the election has no scrutin left to vote, no substitution once a
scrutin is voted (the elections' default rules), greyed with the service's own words;
and the closing proposes « refusé » after a refusal the journal does not keep."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csu.domain.election import parse_election
from csu.domain.permissions import (
    REISSUES,
    Call,
    ElectionAllows,
    Situation,
    election_allows,
    may,
    refusal,
    suggested_outcome,
)
from csu.domain.scrutins import ANY_OPEN, NONE_VOTED, EmargementRules, ScrutinState

ELECTIONS = Path(__file__).parents[2] / "data" / "elections"
NOW = datetime(2022, 12, 2, 10, tzinfo=UTC)
VOTED_AT = datetime(2022, 12, 1, 8, tzinfo=UTC)

MINT = ElectionAllows(
    "minint-2022",
    kinds=("security_key", "password"),
    identifier=True,
    key_by_post=True,
    vote_code_link=True,
)
CCI = ElectionAllows("cci-hdf-2021", substitution=True, identifier=True)


def voted(scrutin: str, title: str = "") -> ScrutinState:
    return ScrutinState(scrutin, title or scrutin.upper(), VOTED_AT)


def open_(scrutin: str, title: str = "") -> ScrutinState:
    return ScrutinState(scrutin, title or scrutin.upper(), None)


def verified(election: ElectionAllows, *materials: tuple[ScrutinState, ...]) -> Situation:
    return Situation("agent", call=Call.VERIFIED, election=election, votes=materials)


@pytest.mark.parametrize("action", REISSUES)
def test_no_code_is_offered_once_the_only_scrutin_is_voted(action: str) -> None:
    found = refusal(action, verified(MINT, (voted("csa"),)))
    assert found is not None
    assert found.reason == "L'électeur a déjà voté avec ce matériel : plus aucun code ne sert."
    assert not found.forbidden and found.step is None  # greyed: nothing to do first


def test_every_scrutin_voted_names_them_as_the_service_does() -> None:
    found = refusal("issue", verified(MINT, (voted("csa", "CSA"), voted("cap", "CAP"))))
    assert found is not None
    assert found.reason == (
        "L'électeur a déjà voté avec ce matériel à chacun de ses scrutins (« CSA », « CAP ») : "
        "plus aucun code ne sert."
    )


def test_a_scrutin_left_to_vote_still_allows_a_code() -> None:
    assert may("issue", verified(MINT, (voted("csa"), open_("cap"))))


def test_one_material_still_open_among_several_is_enough() -> None:
    assert may("vote_code_link", verified(MINT, (voted("csa"),), (open_("csa"),)))


def test_an_election_whose_rule_forbids_any_vote_refuses_after_the_first() -> None:
    strict = ElectionAllows(
        "minint-2022", kinds=("security_key",), emargement=EmargementRules(reissue=NONE_VOTED)
    )
    found = refusal("issue", verified(strict, (voted("csa", "CSA"), open_("cap"))))
    assert found is not None and "dès qu'un scrutin est voté" in found.reason
    assert "« CSA »" in found.reason


def test_the_votes_refusal_comes_before_opening_an_intervention() -> None:
    found = refusal(
        "issue", Situation("agent", call=Call.NONE, election=MINT, votes=((voted("csa"),),))
    )
    assert found is not None and "déjà voté" in found.reason and found.step is None


def test_what_the_role_forbids_is_said_before_the_votes() -> None:
    found = refusal("letter", Situation("president", call=Call.VERIFIED, votes=((voted("a"),),)))
    assert found is not None and found.forbidden and "réservée" in found.reason


def test_without_the_votes_known_the_rule_leaves_them_to_the_service() -> None:
    assert may("issue", Situation("agent", call=Call.VERIFIED, election=MINT))
    assert may("issue", verified(MINT))  # no active material: nothing to say here


def test_substitution_is_refused_once_a_scrutin_is_voted_naming_it() -> None:
    found = refusal("substitution", verified(CCI, (voted("elus", "Élus"), open_("autres"))))
    assert found is not None and not found.forbidden
    assert found.reason == (
        "L'électeur a déjà voté avec ce matériel (« Élus ») : aucun matériel de substitution "
        "n'est délivrable."
    )


def test_the_implicit_scrutin_of_an_election_goes_unnamed() -> None:
    found = refusal("substitution", verified(CCI, (voted("cci-hdf-2021", "CCI HDF"),)))
    assert found is not None
    assert found.reason == (
        "L'électeur a déjà voté avec ce matériel : aucun matériel de substitution n'est délivrable."
    )


def test_substitution_follows_the_election_s_own_rule() -> None:
    lenient = ElectionAllows(
        "cci-hdf-2021", substitution=True, emargement=EmargementRules(substitution=ANY_OPEN)
    )
    assert may("substitution", verified(lenient, (voted("a"), open_("b"))))


def test_a_voted_material_still_allows_opening_and_closing() -> None:
    votes = ((voted("csa"),),)
    assert may("open", Situation("agent", call=Call.NONE, election=MINT, votes=votes))
    assert may("close", verified(MINT, *votes))


def test_the_election_file_gives_its_emargement_rule() -> None:
    path = ELECTIONS / "minint-2022.toml"
    allows = election_allows(parse_election(path.read_text(encoding="utf-8"), path.name), NOW)
    assert allows.emargement.reissue == ANY_OPEN


# ------------------------------------------------------------- the closing's default


def test_a_refusal_shown_after_the_verification_proposes_refused() -> None:
    steps = [("verification", "vérifié")]
    assert suggested_outcome(Call.VERIFIED, steps) == "résolu"
    assert suggested_outcome(Call.VERIFIED, steps, refused=True) == "refusé"


def test_a_refusal_shown_after_an_issued_code_proposes_refused() -> None:
    steps = [("verification", "vérifié"), ("credential_issue", "ok")]
    assert suggested_outcome(Call.VERIFIED, steps, refused=True) == "refusé"
