"""The substitution request's name, first name and date of birth (seed 000) are typed
from the signed request and compared with the roll, accents and case aside: a
difference refuses the request as an anomaly, stored with its reason."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from csu.domain.errors import InvalidValue
from csu.domain.identifiers import identity_mismatches
from csu.services.substitution import TypedIdentity
from csu.store.tables import SubstitutionRequest, Voter
from tests.services import test_substitution
from tests.services.test_substitution import Cell, Elector, ask, stored

cell = test_substitution.cell  # the fixture: a copy of the prepared CCI store per test


def on_roll(cell: Cell, elector: Elector) -> Voter:
    with cell.deps.reading() as session:
        voter = session.get(Voter, elector.voter_id)
        assert voter is not None
        return voter


def shouted(text: str) -> str:
    """The name as a form in capitals without accents may give it."""
    return text.upper().replace("É", "E").replace("È", "E").replace("Ë", "E").replace("Ï", "I")


def test_the_same_identity_without_accents_or_case_is_in_order(cell: Cell) -> None:
    voter = on_roll(cell, cell.voter)
    typed = TypedIdentity(shouted(voter.last_name), voter.first_name.lower(),
                          f"{cell.voter.birth_date:%d/%m/%Y}")  # fmt: skip
    view = ask(cell, identity=typed, identity_match=None)
    assert view.pending and view.identity_match and view.reason is None


def test_another_name_refuses_the_request_saying_which(cell: Cell) -> None:
    voter = on_roll(cell, cell.voter)
    typed = TypedIdentity("Durand-Lemoine", voter.first_name, cell.voter.birth_date)
    view = ask(cell, identity=typed, identity_match=None)
    assert view.state == "refusée" and not view.identity_match
    assert view.reason == "Le nom de la demande signée diffère de la liste électorale."
    assert stored(cell, view.id).reason == view.reason


def test_a_name_and_a_birth_date_that_differ_are_both_named(cell: Cell) -> None:
    voter = on_roll(cell, cell.voter)
    typed = TypedIdentity("Durand", voter.first_name, cell.voter.birth_date + timedelta(days=1))
    view = ask(cell, identity=typed, identity_match=None)
    assert view.reason == (
        "Le nom et la date de naissance de la demande signée diffèrent de la liste électorale."
    )


def test_an_unreadable_birth_date_is_no_request(cell: Cell) -> None:
    voter = on_roll(cell, cell.voter)
    typed = TypedIdentity(voter.last_name, voter.first_name, "31/02/1980")
    with pytest.raises(InvalidValue, match="n'existe pas"):
        ask(cell, identity=typed, identity_match=None)
    with cell.deps.reading() as session:
        assert session.execute(select(SubstitutionRequest)).first() is None


def test_a_request_needs_the_typed_identity(cell: Cell) -> None:
    with pytest.raises(InvalidValue, match="nom, prénom et date de naissance"):
        ask(cell, identity_match=None)


@pytest.mark.parametrize(
    ("typed", "differ"),
    [
        (("ÉLOÏSE-MARIE", "o'neil"), []),
        (("Eloise Marie", "O’Neil"), []),
        (("Eloise", "O'Neil"), ["nom"]),
        (("Eloise-Marie", "Neil"), ["prénom"]),
    ],
)
def test_names_compare_without_accents_case_hyphens_or_apostrophes(
    typed: tuple[str, str], differ: list[str]
) -> None:
    born = date(1980, 1, 1)
    assert identity_mismatches((*typed, born), ("Éloïse-Marie", "O'Neil", born)) == differ
