"""What the attack run slipped into a roll: a name that shows nothing, a name whose
Cyrillic letters pass for Latin ones (« Моnnier », re-imported over « Monnier », no
longer found under it), and a professional address on a look-alike domain."""

from datetime import date

import pytest

from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email
from csu.domain.roll import RollRules, validate_row
from csu.domain.text import mixed_scripts


def faults(**cells: str) -> list[str]:
    """What the roll import says of a row (line 2) with these cells."""
    row = {"matricule": "AB1234", "nom": "Martin", "prenom": "Léa",
           "date_naissance": "12/05/1985", "bureau": "B-NORD", "identifiant": "ID-1"}  # fmt: skip
    row.update(cells)
    found = validate_row(row, 2, RollRules(today=date(2022, 12, 1)))
    return [error.describe() for error in found] if isinstance(found, list) else []


@pytest.mark.parametrize("name", ["\u200b", "\u2800", "\u3164", "\u115f \u3164", "\u200b\u200d"])
def test_a_name_that_shows_nothing_is_refused(name: str) -> None:
    assert faults(nom=name) == ["ligne 2, colonne nom : aucun caractère visible"]


@pytest.mark.parametrize(
    "name", ["\u041c\u043ennier", "Dup\u03bfnt", "Jean-\u041fierre", "m\u0585nnier"]
)  # Cyrillic, Greek, a hyphenated word, an Armenian « օ »
def test_a_name_mixing_latin_with_cyrillic_or_greek_letters_is_refused(name: str) -> None:
    assert faults(prenom=name) == [
        "ligne 2, colonne prenom : lettres de plusieurs alphabets dans un mot "
        "(ex. un « о » cyrillique)"
    ]


@pytest.mark.parametrize(
    "name",
    ["Monnier", "Éloïse", "Le Goff-Œhler", "Ñúñez Ångström", "Иванов", "Παπαδόπουλος",
     "Иванов Pierre", "Dupont-Иванов", "やま田"],
)  # fmt: skip
def test_a_name_in_one_alphabet_a_word_is_kept(name: str) -> None:
    assert faults(nom=name) == []


def test_a_word_in_one_script_is_not_mixed_whatever_its_accents() -> None:
    assert not mixed_scripts("Ǆemal-Ærøskøbing")
    assert mixed_scripts("gοuv")  # a Greek omicron


def test_a_roll_s_address_on_a_look_alike_domain_is_refused() -> None:
    assert faults(email_pro="agent@\u0456nterieur.gouv.fr") == [
        "ligne 2, colonne email_pro : domaine mêlant des alphabets (ex. une lettre "
        "cyrillique parmi des latines)"
    ]


@pytest.mark.parametrize(
    "address",
    ["agent@\u0456nterieur.gouv.fr",  # a Cyrillic « і »
     "agent@xn--nterieur-shh.gouv.fr"],  # the same, as punycode: all ASCII
)  # fmt: skip
def test_an_address_on_a_look_alike_domain_is_refused(address: str) -> None:
    with pytest.raises(InvalidValue, match=r"^Courriel : domaine mêlant des alphabets"):
        parse_email(address)


@pytest.mark.parametrize("address", ["jean@élysée.fr", "ivan@пример.рф", "a@interieur.gouv.fr"])
def test_an_address_on_a_domain_in_one_alphabet_is_kept(address: str) -> None:
    assert parse_email(address) == address
