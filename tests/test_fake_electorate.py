"""Fake electoral rolls: valid identity numbers, determinism, uniqueness, CSV."""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from datetime import date
from pathlib import Path

import phonenumbers
import pytest
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType
from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir

from csu.fake_electorate import (
    COLUMNS,
    MAX_VOTERS,
    demo_bureaus,
    generate_roll,
    write_roll_csv,
)
from tests.examples import examples

DEMO = ("minint-2022", "men-2022", "cci-hdf-2021", "men-2011")
UNKNOWN = "cgt-test-2030"
ALL = (*DEMO, UNKNOWN)
SEEDS = (0, 1, 7)
NUMEN = re.compile(r"^\d{2}[A-Z]\d{7}[A-Z]{3}$")
MATRICULE = re.compile(r"^[A-Z0-9]{4,12}$")
NATIONAL_PHONE = re.compile(r"^0\d( \d\d){4}$")
RIB_VALUES = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


@functools.cache
def roll(election: str, seed: int = 0, count: int = 3000, start: int = 0) -> tuple[dict, ...]:
    return tuple(generate_roll(election, count, seed=seed, start=start))


def values(column: str, elections: tuple[str, ...] = ALL) -> list[str]:
    """Every non-empty value of ``column`` in 3,000 voters per election and seed."""
    return [
        row[column]
        for election in elections
        for seed in SEEDS
        for row in roll(election, seed)
        if row[column]
    ]


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_columns_are_the_nineteen_import_columns_in_order():
    assert COLUMNS == (
        "matricule", "nom", "prenom", "date_naissance", "email_pro", "telephone_pro",
        "telephone_mobile", "bureau", "qualite", "identifiant", "numen", "nir", "iban",
        "carte_agent", "question_defi", "reponse_defi", "scrutins", "adresse_postale",
        "circonscription",
    )


def test_interior_voters_without_an_agent_card_have_a_home_address():
    rows = roll("minint-2022")
    assert all(bool(row["adresse_postale"]) == (not row["carte_agent"]) for row in rows)
    assert any(row["adresse_postale"] for row in rows)


CCIL_CONSTITUENCIES = {
    "Aisne", "Grand Lille", "Grand Hainaut", "Oise", "Artois", "Littoral Hauts-de-France",
    "Amiens Picardie",
}  # those of data/elections/cci-hdf-2021.toml ([[ccil]])


def test_cci_voters_belong_to_the_constituency_of_a_local_chamber():
    found = {row["circonscription"] for row in roll("cci-hdf-2021")}
    assert found <= CCIL_CONSTITUENCIES and len(found) > 1


@pytest.mark.parametrize("election", ALL)
def test_rows_have_exactly_the_columns_and_only_strings(election):
    for row in roll(election):
        assert tuple(row) == COLUMNS
        assert all(isinstance(value, str) for value in row.values())


def test_every_nir_passes_stdnum_validation():
    nirs = values("nir")
    assert len(nirs) >= 2 * len(SEEDS) * 3000
    for nir in nirs:
        assert stdnum_nir.validate(nir) == nir


def test_nir_agrees_with_birth_date_and_gives_a_birth_department():
    departments = {f"{d:02d}" for d in range(1, 100)} | {"2A", "2B"}
    seen = set()
    for election in (UNKNOWN, "men-2022"):
        for row in roll(election):
            nir = row["nir"]
            day, month, year = (int(part) for part in row["date_naissance"].split("/"))
            born = date(year, month, day)
            assert nir[0] in "12"
            assert nir[1:5] == born.strftime("%y%m")
            assert nir[5:7] in departments
            if nir[5:7] in ("2A", "2B"):
                assert born.year >= 1976
            if nir[5:7] == "20":
                assert born.year < 1976
            seen.add(nir[5:7])
    assert {"2A", "2B", "97", "99", "59", "75"} <= seen


def test_every_iban_passes_stdnum_validation():
    ibans = values("iban")
    assert len(ibans) >= 2 * len(SEEDS) * 3000
    for iban in ibans:
        assert stdnum_iban.validate(iban) == iban


def test_every_iban_is_french_with_a_correct_rib_key():
    ibans = values("iban")
    assert any(not iban[4:].isdigit() for iban in ibans)  # La Banque Postale letters
    for iban in ibans:
        assert iban.startswith("FR") and len(iban) == 27
        # A French BBAN with its RIB key, letters read as RIB digits, is a multiple of 97.
        assert int(iban[4:].translate(RIB_VALUES)) % 97 == 0


def test_every_numen_matches_the_numen_pattern():
    numens = values("numen")
    assert len(numens) >= 2 * len(SEEDS) * 3000
    assert all(NUMEN.match(numen) for numen in numens)


def test_phones_are_written_in_french_national_format():
    phones = values("telephone_pro") + values("telephone_mobile")
    assert phones
    assert all(NATIONAL_PHONE.match(phone) for phone in phones)


def test_professional_phones_are_valid_french_fixed_lines():
    phones = values("telephone_pro")
    assert phones
    for phone in phones:
        number = phonenumbers.parse(phone, "FR")
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.number_type(number) == PhoneNumberType.FIXED_LINE, phone


def test_mobiles_are_valid_french_mobiles():
    mobiles = values("telephone_mobile")
    assert mobiles
    for phone in mobiles:
        number = phonenumbers.parse(phone, "FR")
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.number_type(number) == PhoneNumberType.MOBILE, phone


def test_emails_pass_email_validator():
    for email in set(values("email_pro")):
        assert validate_email(email, check_deliverability=False).normalized == email


@pytest.mark.parametrize(
    ("election", "domain"),
    [("minint-2022", r"interieur\.gouv\.fr"), ("men-2022", r"ac-[a-z-]+\.fr")],
)
def test_professional_emails_are_ascii_prenom_dot_nom_at_the_administration(election, domain):
    pattern = re.compile(rf"^[a-z-]+\.[a-z-]+@{domain}$")
    for row in roll(election):
        assert pattern.match(row["email_pro"]), row["email_pro"]


@pytest.mark.parametrize("election", ALL)
def test_emails_are_unique_within_an_election(election):
    emails = {row["matricule"]: row["email_pro"] for row in roll(election)}
    assert len(set(emails.values())) == len(emails)


@settings(max_examples=examples(60), deadline=None)
@given(
    first=st.integers(0, MAX_VOTERS - 1),
    second=st.integers(0, MAX_VOTERS - 1),
    election=st.sampled_from(DEMO),
)
def test_two_voters_of_an_election_never_share_an_email(first, second, election):
    if first == second:
        return
    one = next(generate_roll(election, 1, start=first))
    other = next(generate_roll(election, 1, start=second))
    assert one["email_pro"].split("@")[0] != other["email_pro"].split("@")[0]


def test_agent_cards_are_alphanumeric_serials_of_10_to_12_characters():
    cards = values("carte_agent")
    assert {len(card) for card in cards} == {10, 11, 12}
    assert all(re.fullmatch(r"[A-Z0-9]{10,12}", card) for card in cards)


def test_matricules_match_the_matricule_pattern():
    assert all(MATRICULE.match(matricule) for matricule in values("matricule"))


def test_birth_dates_give_ages_from_20_to_66_on_1_december_2022():
    ages = set()
    for text in values("date_naissance"):
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", text)
        day, month, year = (int(part) for part in text.split("/"))
        ages.add(age_on(date(year, month, day), date(2022, 12, 1)))
    assert min(ages) == 20 and max(ages) == 66


@pytest.mark.parametrize("election", ALL)
def test_the_same_seed_gives_the_same_rows(election):
    assert list(generate_roll(election, 500, seed=3)) == list(generate_roll(election, 500, seed=3))


@pytest.mark.parametrize("election", ALL)
def test_different_seeds_give_different_people(election):
    one, other = ({r["matricule"]: (r["nom"], r["prenom"]) for r in roll(election, seed)}
                  for seed in (0, 1))
    assert one.keys() == other.keys()  # matricules depend on the voter number only
    assert sum(one[m] != other[m] for m in one) > 0.9 * len(one)


@pytest.mark.parametrize("election", ALL)
def test_a_later_start_continues_the_same_sequence(election):
    tail = list(generate_roll(election, 700, start=1500))
    later = {row["matricule"] for row in tail}
    whole = [row for row in generate_roll(election, 2200) if row["matricule"] in later]
    assert whole == tail


@settings(max_examples=examples(40), deadline=None)
@given(
    election=st.sampled_from(ALL),
    first_start=st.integers(0, 10**6),
    gap=st.integers(0, 10**6),
    first_count=st.integers(1, 60),
    second_count=st.integers(1, 60),
)
def test_distinct_start_ranges_give_disjoint_matricules_and_identifiants(
    election, first_start, gap, first_count, second_count
):
    second_start = first_start + first_count + gap
    one = list(generate_roll(election, first_count, start=first_start))
    other = list(generate_roll(election, second_count, start=second_start))
    assert not {r["matricule"] for r in one} & {r["matricule"] for r in other}
    assert not {r["identifiant"] for r in one} & {r["identifiant"] for r in other}


@pytest.mark.parametrize("starts", [(0, 1000, 2000, 3000), (0, 0, 0, 0)])
def test_matricules_are_unique_across_the_demo_elections(starts):
    voters = [
        {row["matricule"] for row in generate_roll(election, 1000, start=start)}
        for election, start in zip(DEMO, starts, strict=True)
    ]
    assert all(len(matricules) == 1000 for matricules in voters)
    assert len(set().union(*voters)) == 4000


@pytest.mark.parametrize("election", ALL)
def test_identifiants_are_unique_within_an_election(election):
    identifiants = [row["identifiant"] for row in roll(election)]
    assert len(set(identifiants)) == len(identifiants)


def test_some_cci_voters_have_two_capacities_with_one_matricule_and_two_identifiants():
    by_voter: dict[str, list[dict]] = {}
    for row in roll("cci-hdf-2021"):
        by_voter.setdefault(row["matricule"], []).append(row)
    doubles = [rows for rows in by_voter.values() if len(rows) == 2]
    assert 0.02 * len(by_voter) < len(doubles) < 0.15 * len(by_voter)
    assert max(len(rows) for rows in by_voter.values()) == 2
    for first, second in doubles:
        assert first["identifiant"] != second["identifiant"]
        assert {first["qualite"], second["qualite"]} == {"à titre personnel", "représentant"}
        assert {k: v for k, v in first.items() if k not in ("identifiant", "qualite")} == {
            k: v for k, v in second.items() if k not in ("identifiant", "qualite")
        }


def test_cci_voters_vote_in_a_capacity_of_the_election_and_have_a_voter_number():
    qualites = Counter(row["qualite"] for row in roll("cci-hdf-2021"))
    assert set(qualites) == {"à titre personnel", "représentant"}
    assert all(re.fullmatch(r"\d{10}", r["identifiant"]) for r in roll("cci-hdf-2021"))


FILLED = {
    "minint-2022": {"matricule", "nom", "prenom", "date_naissance", "email_pro", "telephone_pro",
                    "telephone_mobile", "bureau", "qualite", "identifiant", "iban",
                    "carte_agent", "scrutins", "adresse_postale"},
    "men-2022": {"matricule", "nom", "prenom", "date_naissance", "email_pro", "telephone_mobile",
                 "bureau", "qualite", "identifiant", "numen", "nir", "question_defi",
                 "reponse_defi"},
    "cci-hdf-2021": {"matricule", "nom", "prenom", "date_naissance", "email_pro",
                     "telephone_pro", "telephone_mobile", "bureau", "qualite", "identifiant",
                     "circonscription"},
    "men-2011": {"matricule", "nom", "prenom", "date_naissance", "email_pro", "bureau",
                 "qualite", "identifiant", "numen", "nir"},
}


@pytest.mark.parametrize("election", DEMO)
def test_each_demo_election_fills_the_fields_it_uses_and_only_those(election):
    rows = roll(election)
    used = {column for column in COLUMNS if any(row[column] for row in rows)}
    assert used == FILLED[election]
    for column in ("matricule", "nom", "prenom", "date_naissance", "email_pro", "bureau",
                   "qualite", "identifiant"):
        assert all(row[column] for row in rows), column


def test_interior_agents_vote_for_the_csa_and_for_a_cap_or_a_ccp():
    lists = Counter(row["scrutins"] for row in roll("minint-2022"))
    assert set(lists) == {"csa|cap", "csa|ccp"}
    assert lists["csa|cap"] > lists["csa|ccp"] > 0  # civil servants, then contract staff


def test_interior_agents_log_in_with_their_matricule():
    for row in roll("minint-2022"):
        assert row["qualite"] == "électeur"
        assert row["identifiant"] == row["matricule"]


def test_education_identifiant_is_the_webmail_address():
    for row in roll("men-2022"):
        assert row["identifiant"] == row["email_pro"]
        assert row["email_pro"].endswith(".fr") and "@ac-" in row["email_pro"]


def test_an_unknown_election_fills_every_field_of_every_row_but_its_scrutins():
    for row in roll(UNKNOWN):
        # Scrutin ids come from an election's file: the roll of an unknown one leaves
        # them to that file (an empty « scrutins » column).
        assert row.pop("scrutins") == ""
        assert all(row.values()), row


def test_some_voters_have_no_mobile_and_most_have_one():
    rows = roll("minint-2022")
    without = sum(not row["telephone_mobile"] for row in rows)
    assert 0.02 * len(rows) < without < 0.3 * len(rows)


def test_names_carry_accents_hyphens_and_spaces():
    names = values("nom", DEMO) + values("prenom", DEMO)
    assert any(not name.isascii() for name in names)
    assert any("-" in name for name in values("nom", DEMO))
    assert any("-" in name for name in values("prenom", DEMO))
    assert any(" " in name for name in values("nom", DEMO))


def test_challenge_questions_are_french_questions_with_answers():
    rows = roll("men-2022")
    questions = Counter(row["question_defi"] for row in rows)
    assert len(questions) >= 5
    assert all(question.endswith(" ?") for question in questions)
    assert all(row["reponse_defi"].strip() for row in rows)


@pytest.mark.parametrize("election", ALL)
def test_voters_are_spread_over_the_demo_bureaus_by_default(election):
    codes = {code for code, _ in demo_bureaus(election)}
    assert {row["bureau"] for row in roll(election)} == codes


def test_voters_go_to_the_bureaus_given():
    rows = list(generate_roll("men-2022", 300, bureaus=["MEN-LILLE", "BV-LOCAL"]))
    assert {row["bureau"] for row in rows} == {"MEN-LILLE", "BV-LOCAL"}
    assert all(row["email_pro"].endswith("@ac-lille.fr")
               for row in rows if row["bureau"] == "MEN-LILLE")


@pytest.mark.parametrize("election", ALL)
def test_demo_bureaus_are_a_handful_of_named_polling_stations(election):
    bureaus = demo_bureaus(election)
    assert 3 <= len(bureaus) <= 10
    assert len({code for code, _ in bureaus}) == len(bureaus)
    assert all(code and name for code, name in bureaus)


def test_interior_demo_bureaus_include_the_paris_police_prefecture():
    assert ("MININT-75-01", "Bureau Paris préfecture de police") in demo_bureaus("minint-2022")


def test_count_counts_voters_not_rows():
    assert len(roll("minint-2022")) == 3000
    cci = roll("cci-hdf-2021")
    assert len({row["matricule"] for row in cci}) == 3000 < len(cci)


@pytest.mark.parametrize(
    "kwargs",
    [{"count": -1}, {"count": 1, "start": -1}, {"count": 2, "start": MAX_VOTERS - 1},
     {"count": 1, "bureaus": []}],
)
def test_impossible_requests_are_refused_at_once(kwargs):
    with pytest.raises(ValueError):
        generate_roll("minint-2022", **kwargs)


def test_write_roll_csv_round_trips_through_dictreader(tmp_path):
    rows = list(roll("cci-hdf-2021", count=200)) + list(roll(UNKNOWN, count=200))
    path = tmp_path / "liste.csv"
    write_roll_csv(iter(rows), path)
    with path.open(encoding="utf-8", newline="") as handle:
        back = list(csv.DictReader(handle, delimiter=";"))
    assert back == rows


def test_write_roll_csv_writes_a_utf8_header_and_returns_the_rows_written(tmp_path):
    path = tmp_path / "liste.csv"
    assert write_roll_csv(generate_roll("minint-2022", 25), path) == 25
    lines = path.read_bytes().decode("utf-8").splitlines()
    assert lines[0] == ";".join(COLUMNS)
    assert len(lines) == 26


def test_write_roll_csv_uses_the_delimiter_given(tmp_path):
    path = tmp_path / "liste.csv"
    rows = list(roll("men-2022", count=50))
    assert write_roll_csv(rows, path, delimiter=",") == 50
    with path.open(encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == rows


@pytest.mark.parametrize("election", DEMO)
def test_every_capacity_is_one_the_election_definition_accepts(election):
    from csu.domain.election import parse_election

    path = Path(__file__).resolve().parents[1] / "data" / "elections" / f"{election}.toml"
    accepted = set(parse_election(path.read_text(encoding="utf-8"), path.name).capacities)
    assert {row["qualite"] for row in roll(election)} <= accepted
