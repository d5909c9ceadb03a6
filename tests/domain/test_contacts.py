"""The election file's support numbers, CCIL and escalation deadline (csu.domain.contacts),
read from the shipped files and refused with a French reason when wrong."""

import tomllib
from pathlib import Path

import pytest

from csu.domain.contacts import (
    DEFAULT_ESCALATION_MINUTES,
    FALLBACK_LABEL,
    SupportNumber,
    mask_postal_address,
    parse_contacts,
    voter_support,
)
from csu.domain.election import definition_from_json, election_to_json, parse_election
from csu.domain.errors import InvalidValue

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"


def shipped(name: str) -> dict:
    return tomllib.loads((ELECTIONS / f"{name}.toml").read_text(encoding="utf-8"))


def test_interior_messages_give_the_csu_and_both_platform_numbers() -> None:
    contacts = parse_contacts(shipped("minint-2022"), "minint-2022.toml")
    footer = voter_support(contacts, None).footer()
    for number in ("01 80 15 43 21", "0 800 808 900", "05 56 42 72 47"):
        assert number in footer
    assert "service et appel gratuits" in footer


def test_the_seven_ccil_of_seed_000_each_answer_for_a_constituency() -> None:
    contacts = parse_contacts(shipped("cci-hdf-2021"), "cci-hdf-2021.toml")
    assert len(contacts.ccils) == 7
    artois = contacts.ccil_for("Artois")
    assert artois is not None
    assert (artois.phone, artois.email) == ("03 21 23 24 24", "elections@artois.cci.fr")
    assert artois.hours == "du lundi au vendredi de 8h30 à 12h00 et de 13h30 à 17h00"


def test_the_constituency_is_matched_without_accents_case_or_hyphens() -> None:
    contacts = parse_contacts(shipped("cci-hdf-2021"), "cci-hdf-2021.toml")
    ccil = contacts.ccil_for("  littoral hauts de FRANCE ")
    assert ccil is not None and ccil.name == "CCIL Littoral Hauts-de-France"


def test_a_cci_voter_is_told_their_ccil_first() -> None:
    contacts = parse_contacts(shipped("cci-hdf-2021"), "cci-hdf-2021.toml")
    fallback = SupportNumber(FALLBACK_LABEL, "06 45 72 37 22")
    lines = voter_support(contacts, "Oise", fallback=fallback).lines()
    assert lines == [
        "CCIL Oise : 03 44 79 90 11, elections@cci-oise.fr "
        "(du lundi au vendredi de 8h30 à 12h00 et de 13h30 à 17h00)"
    ]


def test_a_voter_whose_constituency_names_no_ccil_gets_the_fallback_number() -> None:
    contacts = parse_contacts(shipped("cci-hdf-2021"), "cci-hdf-2021.toml")
    fallback = SupportNumber(FALLBACK_LABEL, "06 45 72 37 22")
    assert voter_support(contacts, "Bretagne", fallback).lines() == [
        "Assistance aux électeurs : 06 45 72 37 22"
    ]


def test_the_escalation_deadline_comes_from_the_file_or_defaults() -> None:
    assert parse_contacts(shipped("cci-hdf-2021"), "f").escalation_minutes == 120
    assert parse_contacts({}, "f").escalation_minutes == DEFAULT_ESCALATION_MINUTES


def test_the_sections_survive_the_stored_json_form() -> None:
    text = (ELECTIONS / "cci-hdf-2021.toml").read_text(encoding="utf-8")
    definition = parse_election(text, "cci-hdf-2021.toml")
    assert definition_from_json(election_to_json(definition)).contacts == definition.contacts


@pytest.mark.parametrize(
    ("data", "path", "fault"),
    [
        ({"support_numbers": [{"label": "CSU"}]}, "support_numbers[1].phone", "obligatoire"),
        ({"support_numbers": [{"label": "CSU", "phone": "appelez"}]},
         "support_numbers[1].phone", "numéro de téléphone attendu"),
        ({"ccil": [{"name": "CCIL Oise", "phone": "03 44 79 90 11", "email": "oise",
                    "hours": "9h-17h", "constituencies": ["Oise"]}]},
         "ccil[1].email", "adresse électronique invalide"),
        ({"ccil": [{"name": "A", "phone": "0344799011", "email": "a@cci.fr", "hours": "9h",
                    "constituencies": ["Oise"]},
                   {"name": "B", "phone": "0344799012", "email": "b@cci.fr", "hours": "9h",
                    "constituencies": ["oise"]}]},
         "ccil[2].constituencies", "relève déjà de A"),
        ({"escalation": {"deadline_minutes": 0}}, "escalation.deadline_minutes", "entre 1"),
        ({"escalation": {"delai": 30}}, "escalation.delai", "clé inconnue"),
        ({"support_numbers": [{"label": "\u200b", "phone": "0180154321"}]},
         "support_numbers[1].label", "ne doit pas être vide"),
        ({"support_numbers": [{"label": "CSU \u202eexe.", "phone": "0180154321"}]},
         "support_numbers[1].label", "marque de direction bidirectionnelle, U+202E"),
    ],
)
def test_a_wrong_section_is_refused_naming_its_key(data: dict, path: str, fault: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_contacts(data, "essai.toml")
    assert refused.value.field == f"essai.toml : {path}"
    assert fault in refused.value.fault


def test_a_postal_address_is_masked_on_one_line_keeping_the_departement() -> None:
    masked = mask_postal_address("18 rue de la Paix\n59000 LILLE")
    assert masked == "1* r** d* l* P***, 59*** L****"
