"""The identity documents a president may attest, as each election's organiser lists them
(``identity_documents``): minint-2022's notice says « Je prouve mon identité (carte
d'identité, carte agent) » (seed 002)."""

import re
from pathlib import Path

import pytest

from csu.domain.election import definition_from_json, election_to_json, parse_election
from csu.domain.errors import InvalidValue
from csu.domain.verification import DOCUMENT_TYPES, parse_document

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
MININT = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")


def with_documents(text: str, line: str) -> str:
    """minint-2022's file with its ``identity_documents`` line replaced by ``line``."""
    return re.sub(r"^identity_documents = .*$", line, text, count=1, flags=re.M)


def test_minint_accepts_the_identity_card_and_the_agent_card_alone() -> None:
    assert parse_election(MININT, "minint-2022.toml").identity_documents == ("cni", "carte_agent")


def test_an_election_that_does_not_list_its_documents_accepts_every_kind() -> None:
    text = with_documents(MININT, "")
    assert parse_election(text, "minint-2022.toml").identity_documents == tuple(DOCUMENT_TYPES)


def test_the_documents_outlive_the_stored_definition() -> None:
    loaded = parse_election(MININT, "minint-2022.toml")
    again = definition_from_json(election_to_json(loaded))
    assert again.identity_documents == ("cni", "carte_agent")


def test_an_unknown_document_is_refused_naming_the_known_ones() -> None:
    text = with_documents(MININT, 'identity_documents = ["cni", "carte vitale"]')
    with pytest.raises(InvalidValue, match=r"identity_documents\[2\].*pièce inconnue "
                       r"« carte vitale » \(pièces admises : cni, passeport"):
        parse_election(text, "minint-2022.toml")


def test_documents_without_an_in_person_factor_are_refused_as_pointless() -> None:
    men = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8")
    text = men.replace("\n[", '\nidentity_documents = ["cni"]\n\n[', 1)
    with pytest.raises(InvalidValue, match=r"identity_documents.*sans objet : aucun ensemble "
                       "ne demande in_person"):
        parse_election(text, "men-2022.toml")


def test_a_document_the_election_does_not_accept_is_refused_naming_those_it_does() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_document("passeport", "12ab", ("cni", "carte_agent"))
    assert str(refused.value) == (
        "Pièce d'identité : « passeport » n'est pas une pièce acceptée pour cette élection "
        "(pièces acceptées : carte nationale d'identité, carte agent)"
    )


def test_an_accepted_document_reads_its_kind_and_last_characters() -> None:
    assert parse_document("carte_agent", "12ab", ("cni", "carte_agent")) == ("carte_agent", "12AB")
