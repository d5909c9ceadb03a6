"""S5: the new voting material goes to the address typed from the request. Typed twice
the same, « gmail.con » still sends it to a stranger: such a domain is asked about, and
the request taken only once the agent read it back and confirmed it."""

import pytest

from csu.domain.mail_domains import DoubtfulDomain
from tests.services.intervention_support import entries
from tests.services.test_substitution import Cell, ask, cell  # noqa: F401  (the fixture)

DOUBTFUL = "victoire.perso@gmail.con"


def test_an_address_whose_domain_looks_like_a_typo_is_refused_naming_the_likely_one(
    cell: Cell,  # noqa: F811
) -> None:
    with pytest.raises(DoubtfulDomain, match=r"« gmail\.con » .* pour « gmail\.com »"):
        ask(cell, email=DOUBTFUL)
    assert entries(cell.deps, "substitution_request") == []


def test_the_agent_confirming_it_takes_the_request_and_the_journal_says_so(
    cell: Cell,  # noqa: F811
) -> None:
    view = ask(cell, email=DOUBTFUL, domain_confirmed=True)
    assert view.pending
    [entry] = entries(cell.deps, "substitution_request")
    assert entry["details"]["domain_doubted"] is True


def test_an_address_that_looks_right_says_nothing_of_its_domain(cell: Cell) -> None:  # noqa: F811
    ask(cell)
    [entry] = entries(cell.deps, "substitution_request")
    assert "domain_doubted" not in entry["details"]
