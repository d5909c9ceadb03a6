"""Identifier parsers: examples of use, French messages, round trips, fuzzing."""

import datetime
import sys
from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType
from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.fr import nir as stdnum_nir

from csu.domain.errors import InvalidValue
from csu.domain.identifiers import (
    DEFAULT_MATRICULE_PATTERN,
    MAX_MATRICULE,
    Phone,
    agent_card_secret,
    card_head,
    iban_secret,
    iban_shaped,
    iban_tail,
    nir_department,
    nir_secret,
    normalise_answer,
    normalise_name,
    parse_agent_card,
    parse_birth_date,
    parse_department,
    parse_email,
    parse_iban,
    parse_matricule,
    parse_mobile,
    parse_nir,
    parse_numen,
    parse_phone,
)
from csu.store.tables import Voter

TODAY = datetime.date(2026, 11, 21)


def refused(parse: Callable[..., object], raw: str, *args: object) -> str:
    """The message a parser gives for ``raw``."""
    with pytest.raises(InvalidValue) as caught:
        parse(raw, *args)
    return str(caught.value)


# ---------------------------------------------------------------- matricule


def test_matricule_is_trimmed_and_upper_cased():
    assert parse_matricule("  ab12345 ") == "AB12345"


def test_matricule_follows_a_pattern_given_by_the_election():
    assert parse_matricule("e-1234", r"E-[0-9]{4}") == "E-1234"


def test_matricule_too_short_says_how_long_it_was():
    assert refused(parse_matricule, "ab1") == "Matricule : 4 à 12 caractères attendus, 3 reçus"
    assert refused(parse_matricule, "a") == "Matricule : 4 à 12 caractères attendus, 1 reçu"


def test_matricule_with_punctuation_is_refused():
    assert refused(parse_matricule, "ab-123") == (
        "Matricule : caractères non autorisés (lettres et chiffres seulement)"
    )


def test_matricule_with_a_letter_that_upper_cases_to_two_is_refused():
    # "ß".upper() == "SS": it must not turn "straße1" into "STRASSE1".
    with pytest.raises(InvalidValue):
        parse_matricule("straße1")


def test_matricule_not_matching_a_custom_pattern_is_refused():
    assert refused(parse_matricule, "1234", r"E-[0-9]{4}") == "Matricule : format non reconnu"


def test_matricule_missing_is_refused():
    assert refused(parse_matricule, "   ") == "Matricule : valeur absente"


def test_matricule_with_a_trailing_newline_inside_is_refused():
    assert refused(parse_matricule, "AB12\nCD").startswith("Matricule : ")


@pytest.mark.parametrize("pattern", [".*", r"^\S{4,20}$", DEFAULT_MATRICULE_PATTERN])
@pytest.mark.parametrize(
    ("matricule", "told"),
    [
        ("AB\x1b[31mCD", "caractère interdit en position 3 (caractère d'échappement, U+001B)"),
        ("AB\x7fCD", "caractère interdit en position 3 (caractère de suppression, U+007F)"),
        ("AB\x00CD", "caractère interdit en position 3 (caractère nul, U+0000)"),
    ],
)
def test_a_control_character_in_a_matricule_is_refused_whatever_the_pattern(
    pattern: str, matricule: str, told: str
) -> None:
    # « \S » takes ESC: an organiser's pattern is no guard against what a terminal runs.
    assert refused(parse_matricule, matricule, pattern) == f"Matricule : {told}"


def test_a_space_inside_a_matricule_is_refused_whatever_the_pattern() -> None:
    # The look-up reads a matricule without its spaces: « AB CD » could never be found.
    assert refused(parse_matricule, "AB CD", ".*") == "Matricule : espace interdit en position 3"


def test_matricule_longer_than_its_column_is_refused_before_the_pattern_runs():
    # « ^(A+)+$ » would take years on this value; the bound answers at once.
    assert refused(parse_matricule, "A" * 10_000 + "B", "^(A+)+$") == (
        "Matricule : 64 caractères au plus, 10001 reçus"
    )


def test_the_matricule_bound_is_the_width_of_its_column():
    assert Voter.__table__.c.matricule.type.length == MAX_MATRICULE


@given(st.from_regex(r"[A-Z0-9]{4,12}", fullmatch=True))
def test_matricule_round_trips(matricule: str):
    assert parse_matricule(f" {matricule.lower()} ") == matricule
    assert parse_matricule(matricule, DEFAULT_MATRICULE_PATTERN) == matricule


# -------------------------------------------------------------------- NUMEN


def test_numen_typed_with_spaces_and_lower_case():
    assert parse_numen(" 12 a 1234567 abc ") == "12A1234567ABC"


def test_numen_of_wrong_length_says_how_long_it_was():
    assert refused(parse_numen, "12A123456ABC") == "NUMEN : 13 caractères attendus, 12 reçus"


def test_numen_of_wrong_shape_says_the_expected_shape():
    assert refused(parse_numen, "12A123456AABC") == (
        "NUMEN : format attendu : 2 chiffres, 1 lettre, 7 chiffres, 3 lettres"
    )


def test_numen_with_arabic_indic_digits_is_refused():
    with pytest.raises(InvalidValue):
        parse_numen("١٢A1234567ABC")


numens = st.from_regex(r"[0-9]{2}[A-Z][0-9]{7}[A-Z]{3}", fullmatch=True)


@given(numens)
def test_numen_round_trips(numen: str):
    typed = f"{numen[:2]} {numen[2:3].lower()} {numen[3:10]} {numen[10:]}"
    assert parse_numen(typed) == numen
    assert parse_numen(numen) == numen


# ---------------------------------------------------------------------- NIR


def test_nir_with_spaces_and_dots():
    assert parse_nir("2 95 10 99 126.111 93") == "295109912611193"


def test_nir_born_in_corse_du_sud():
    assert parse_nir("2 53 07 2a 073 004 43") == "253072A07300443"


def test_nir_born_in_haute_corse():
    assert parse_nir("253072B07300470") == "253072B07300470"


def test_nir_corsica_key_is_not_the_plain_digits_key():
    # With 2B read as 20 the key would differ: the 18 substitution matters.
    assert refused(parse_nir, "253072B07300443") == "NIR : clé de contrôle 43 incorrecte"


def test_nir_with_a_wrong_key_names_the_key_typed():
    assert refused(parse_nir, "2 95 10 99 126 111 12") == "NIR : clé de contrôle 12 incorrecte"


def test_nir_without_its_key_says_how_long_it_was():
    assert refused(parse_nir, "2951099126111") == "NIR : 15 caractères attendus, 13 reçus"


def test_nir_with_a_letter_outside_corsica_is_refused():
    assert refused(parse_nir, "29510C912611193") == (
        "NIR : lettres admises seulement en 6e-7e position (Corse : 2A, 2B)"
    )


def test_nir_with_punctuation_is_refused():
    assert refused(parse_nir, "2951099126111-93") == (
        "NIR : caractères non autorisés (chiffres, et 2A ou 2B pour la Corse)"
    )


def test_nir_missing_is_refused():
    assert refused(parse_nir, "") == "NIR : valeur absente"


def test_nir_secret_is_its_first_ten_characters():
    assert nir_secret("253072B07300470") == "253072B073"


@pytest.mark.parametrize(
    ("nir", "department"),
    [
        ("295107512611163", "75"),
        ("253072B07300470", "2B"),
        ("295109912611193", "99"),
        ("185059710512345", "971"),
    ],
)
def test_nir_department_is_the_department_of_birth(nir: str, department: str):
    assert nir_department(nir) == department


@st.composite
def nirs(draw: st.DrawFn) -> str:
    head = draw(st.from_regex(r"[1-8][0-9]{4}", fullmatch=True))
    department = draw(st.sampled_from(["2A", "2B"]) | st.from_regex(r"[0-9]{2}", fullmatch=True))
    tail = draw(st.from_regex(r"[0-9]{6}", fullmatch=True))
    body = head + department + tail
    return body + stdnum_nir.calc_check_digits(body)


@given(nirs())
def test_nir_round_trips(nir: str):
    assert parse_nir(stdnum_nir.format(nir)) == nir
    assert parse_nir(stdnum_nir.format(nir, ".").lower()) == nir
    assert parse_nir(nir) == nir


@given(nirs(), st.integers(0, 14), st.sampled_from("0123456789"))
def test_nir_agrees_with_stdnum_on_a_typo(nir: str, position: int, digit: str):
    typo = nir[:position] + digit + nir[position + 1 :]
    try:
        parsed = parse_nir(typo)
    except InvalidValue:
        parsed = None
    assert (parsed is not None) == stdnum_nir.is_valid(typo)


# --------------------------------------------------------------------- IBAN

FRENCH_IBAN = "FR7630006000011234567890189"


def test_iban_typed_with_spaces_and_lower_case():
    assert parse_iban("fr76 3000 6000 0112 3456 7890 189") == FRENCH_IBAN


def test_iban_with_no_break_spaces_from_a_document():
    assert parse_iban("FR76\u00a03000\u202f6000 0112 3456 7890 189") == FRENCH_IBAN


def test_iban_with_a_wrong_key_names_the_key_typed():
    assert refused(parse_iban, "FR7730006000011234567890189") == (
        "IBAN : clé de contrôle 77 incorrecte"
    )


def test_iban_of_unknown_country_is_refused():
    assert refused(parse_iban, "XX7630006000011234567890189") == "IBAN : code pays XX inconnu"


def test_iban_of_wrong_length_for_its_country_says_both_lengths():
    assert refused(parse_iban, "FR763000600001123456789018") == (
        "IBAN : 27 caractères attendus pour FR, 26 reçus"
    )


def test_iban_not_in_its_country_format_is_refused():
    assert refused(parse_iban, "FR76300060000112345678901AB") == (
        "IBAN : format de compte incorrect pour FR"
    )


def test_iban_failing_its_national_check_is_refused():
    # Belgian account numbers carry their own key, checked by stdnum.be.iban.
    bban = "435411161199"
    number = "BE" + stdnum_iban.calc_check_digits("BE00" + bban) + bban
    assert refused(parse_iban, number) == "IBAN : numéro de compte incorrect pour BE"


def test_iban_passing_its_national_check_is_accepted():
    assert parse_iban("BE31 4354 1116 1155") == "BE31435411161155"


def test_iban_secret_is_its_last_six_characters():
    assert iban_secret(FRENCH_IBAN) == "890189"


_REGISTRY = numdb.get("iban")
# Countries whose BBAN stdnum checks no further than its shape: any BBAN of
# the right shape is then valid, which lets hypothesis make up accounts.
_SHAPE_ONLY = ["FR", "MC", "DE", "IT", "GB", "NL", "CH", "LU", "PT", "AT", "GR", "PL"]
_KINDS = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_KINDS["c"] = _KINDS["n"] + _KINDS["a"]


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(_SHAPE_ONLY))
    structure = _REGISTRY.info(country)[0][1]["bban"]
    # Read "5!n5!n11!c2!n" as (5, n), (5, n), (11, c), (2, n).
    bban = ""
    rest = structure
    while rest:
        count, _, rest = rest.partition("!")
        kind, rest = rest[0], rest[1:]
        bban += draw(st.text(_KINDS[kind], min_size=int(count), max_size=int(count)))
    return country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban


@given(ibans())
def test_iban_round_trips(number: str):
    assert parse_iban(stdnum_iban.format(number).lower()) == number
    assert parse_iban(number) == number
    assert stdnum_iban.validate(number) == number


@given(ibans(), st.data())
def test_iban_agrees_with_stdnum_on_a_typo(number: str, data: st.DataObject):
    position = data.draw(st.integers(0, len(number) - 1))
    alphabet = "0123456789" if 2 <= position <= 3 else _KINDS["c"]
    typo = number[:position] + data.draw(st.sampled_from(alphabet)) + number[position + 1 :]
    try:
        parsed = parse_iban(typo)
    except InvalidValue:
        parsed = None
    assert (parsed is not None) == stdnum_iban.is_valid(typo)


@given(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz -.", max_size=40))
def test_iban_agrees_with_stdnum_on_random_text(text: str):
    # stdnum lets letters pass as check digits if the sum works; ISO 13616 does not.
    assume(not any(c.isalpha() for c in stdnum_iban.compact(text)[2:4]))
    try:
        parsed = parse_iban(text)
    except InvalidValue:
        parsed = None
    assert (parsed is not None) == stdnum_iban.is_valid(text)


# --------------------------------------------------------------- agent card


def test_agent_card_typed_in_groups():
    assert parse_agent_card(" ab12 cd34 ") == "AB12CD34"


def test_agent_card_too_short_says_how_long_it_was():
    assert refused(parse_agent_card, "ab12") == "Carte agent : 6 à 32 caractères attendus, 4 reçus"


def test_agent_card_with_punctuation_is_refused():
    assert refused(parse_agent_card, "AB12-CD34") == (
        "Carte agent : caractères non autorisés (lettres et chiffres seulement)"
    )


def test_agent_card_secret_is_its_first_six_characters():
    assert agent_card_secret("AB12CD34") == "AB12CD"


@given(st.from_regex(r"[A-Z0-9]{6,32}", fullmatch=True))
def test_agent_card_round_trips(serial: str):
    assert parse_agent_card(serial.lower()) == serial
    assert parse_agent_card(serial) == serial


# ------------------------------------------------------------ date of birth


def test_birth_date_in_french_form():
    assert parse_birth_date("02/03/1980", TODAY) == datetime.date(1980, 3, 2)


def test_birth_date_in_iso_form():
    assert parse_birth_date("1980-03-02", TODAY) == datetime.date(1980, 3, 2)


def test_birth_date_without_leading_zeros():
    assert parse_birth_date("2/3/1980", TODAY) == datetime.date(1980, 3, 2)


@pytest.mark.parametrize("typed", ["02031980", "02 03 1980", "2 3 1980"])
def test_birth_date_typed_without_slashes(typed: str):
    # As read out over the phone: « zéro deux, zéro trois, mille neuf cent quatre-vingt ».
    assert parse_birth_date(typed, TODAY) == datetime.date(1980, 3, 2)


def test_birth_date_of_eight_digits_year_first_when_no_month_reads_otherwise():
    assert parse_birth_date("19800302", TODAY) == datetime.date(1980, 3, 2)
    assert parse_birth_date("20080521", TODAY) == datetime.date(2008, 5, 21)
    # Read day first when it can be: 20/01/1980, not 1980-01-20 reversed.
    assert parse_birth_date("20011980", TODAY) == datetime.date(1980, 1, 20)


def test_birth_date_that_does_not_exist_is_refused():
    assert refused(parse_birth_date, "31/02/1980", TODAY) == (
        "Date de naissance : le 31/02/1980 n'existe pas"
    )


def test_birth_date_in_the_future_is_refused():
    assert refused(parse_birth_date, "22/11/2026", TODAY) == (
        "Date de naissance : date dans le futur"
    )


def test_birth_date_of_a_child_is_refused():
    assert refused(parse_birth_date, "01/01/2016", TODAY) == (
        "Date de naissance : âge de 10 ans, hors des limites (16 à 100 ans)"
    )


def test_birth_date_on_the_sixteenth_birthday_is_accepted():
    assert parse_birth_date("21/11/2010", TODAY) == datetime.date(2010, 11, 21)


def test_birth_date_the_day_before_the_sixteenth_birthday_is_refused():
    with pytest.raises(InvalidValue):
        parse_birth_date("22/11/2010", TODAY)


def test_birth_date_in_another_form_is_refused():
    assert refused(parse_birth_date, "2 mars 1980", TODAY) == (
        "Date de naissance : format attendu jj/mm/aaaa"
    )


@given(st.dates(datetime.date(1926, 11, 22), datetime.date(2010, 11, 21)))
def test_birth_date_round_trips(born: datetime.date):
    assert parse_birth_date(born.strftime("%d/%m/%Y"), TODAY) == born
    assert parse_birth_date(born.isoformat(), TODAY) == born


# -------------------------------------------------------------- département


@pytest.mark.parametrize(
    ("typed", "department"),
    [("75", "75"), ("2a", "2A"), (" 2B ", "2B"), ("1", "01"), ("971", "971"), ("99", "99")],
)
def test_department_as_a_caller_says_it(typed: str, department: str):
    assert parse_department(typed) == department


@pytest.mark.parametrize("typed", ["00", "2C", "96", "970", "100", "Paris"])
def test_department_that_does_not_exist_is_refused(typed: str):
    assert refused(parse_department, typed).startswith("Département de naissance : ")


def test_department_of_a_nir_matches_the_one_typed():
    assert parse_department("2b") == nir_department(parse_nir("253072B07300470"))


# ------------------------------------------------------------------ phones


def test_phone_in_national_form():
    assert parse_phone("06 12 34 56 78") == Phone("+33612345678", "FR", True)


def test_phone_with_dots():
    assert parse_phone("06.12.34.56.78") == Phone("+33612345678", "FR", True)


def test_phone_in_international_form():
    assert parse_phone("+33 6 12 34 56 78") == Phone("+33612345678", "FR", True)


def test_phone_with_the_international_prefix():
    assert parse_phone("0033 6 12 34 56 78") == Phone("+33612345678", "FR", True)


def test_landline_is_not_mobile():
    assert parse_phone("01 23 45 67 89") == Phone("+33123456789", "FR", False)


def test_overseas_mobile_in_international_form():
    assert parse_phone("+590 690 00 12 34") == Phone("+590690001234", "GP", True)


def test_overseas_mobile_dialled_from_metropolitan_france():
    assert parse_mobile("0690 00 12 34") == Phone("+590690001234", "GP", True)


def test_reunion_mobile_dialled_from_metropolitan_france():
    assert parse_mobile("0692 12 34 56") == Phone("+262692123456", "RE", True)


def test_metropolitan_mobile_dialled_from_guadeloupe():
    assert parse_mobile("06 12 34 56 78", "GP") == Phone("+33612345678", "FR", True)


def test_phone_of_another_country():
    assert parse_phone("+32 470 12 34 56") == Phone("+32470123456", "BE", True)


def test_mobile_refuses_a_landline():
    assert refused(parse_mobile, "01 23 45 67 89") == (
        "Téléphone : ce n'est pas un numéro de mobile"
    )


def test_phone_too_short_is_refused():
    assert refused(parse_phone, "+33 6 12 34") == "Téléphone : numéro trop court"


def test_phone_too_long_is_refused():
    assert refused(parse_phone, "+33 6 12 34 56 78 90 12") == "Téléphone : numéro trop long"


def test_a_french_number_missing_a_digit_says_so_not_that_a_digit_is_wrong():
    """« 06 12 34 56 7 » is of a length some range has: it read « un chiffre est sans
    doute faux »."""
    assert refused(parse_phone, "06 12 34 56 7") == (
        "Téléphone : il manque un chiffre (9 ici ; un numéro français en compte 10, 0 compris)"
    )


def test_a_french_number_with_digits_too_many_or_too_few_counts_them():
    assert refused(parse_phone, "06 12 34 56 789") == (
        "Téléphone : un chiffre de trop (11 ici ; un numéro français en compte 10, 0 compris)"
    )
    assert refused(parse_phone, "06 12 34").startswith("Téléphone : des chiffres manquent (6 ici")
    assert refused(parse_phone, "06 12 34 56 78 90 12").startswith(
        "Téléphone : trop de chiffres (14 ici"
    )


def test_phone_in_no_range_in_service_says_a_digit_is_likely_wrong():
    assert refused(parse_phone, "07 12 34 56 03") == (
        "Téléphone : numéro non attribué (dans aucune tranche en service) : un chiffre est "
        "sans doute faux"
    )


def test_phone_of_unknown_country_is_refused():
    assert refused(parse_phone, "+999 1234567") == "Téléphone : indicatif pays inconnu"


def test_phone_that_is_text_is_refused():
    assert refused(parse_phone, "abc") == (
        "Téléphone : caractère « a » non admis dans un numéro (chiffres, espaces et "
        "+ . - / ( ) seulement)"
    )


@pytest.mark.parametrize(
    ("typed", "stray"),
    [("abc 06 12 34 56 78 😀", "« a »"), ("06 12 34 56 78 😀", "« 😀 » (U+1F600)"),
     ("06 12 34 56 78 x12", "« x »"), ("06#12345678", "« # »"),
     ("06 12\u200b34 56 78", "(U+200B)"), ("06 12 34 56 78 \u0421", "« \u0421 » (U+0421)")],
)
def test_a_number_with_anything_else_typed_around_it_is_refused_naming_it(
    typed: str, stray: str
) -> None:
    """phonenumbers read the mobile out of « abc 06 12 34 56 78 😀 », dropping the rest."""
    assert f"caractère {stray} non admis" in refused(parse_phone, typed)


@pytest.mark.parametrize(
    "typed", ["01–40–00–00–00", "01\u200940\u200900\u200900\u200900", "01 40\u00a000 00 00",
              "+33 (0)1 40 00 00 00", "01.40.00.00.00\r"],
)
def test_a_word_processor_s_dashes_and_spaces_read_as_separators(typed: str) -> None:
    assert parse_phone(typed).e164 == "+33140000000"


def test_a_phone_left_empty_says_to_type_the_number_the_voter_gives():
    # « valeur absente » was jargon: the agent is told what to do.
    assert refused(parse_phone, " ") == "Téléphone : tapez le numéro donné par l'électeur"


REGIONS = ["FR", "GP", "MQ", "GF", "RE", "YT", "BE", "DE", "GB", "US", "CH", "MA"]


@st.composite
def valid_numbers(draw: st.DrawFn) -> PhoneNumber:
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE]))
    example = phonenumbers.example_number_for_type(region, kind)
    # Other numbers of the example's block: the last 4 digits made up.
    national = example.national_number // 10_000 * 10_000 + draw(st.integers(0, 9_999))
    number = PhoneNumber(country_code=example.country_code, national_number=national)
    assume(phonenumbers.is_valid_number(number))
    return number


@given(valid_numbers(), st.sampled_from([PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL]))
def test_phone_round_trips(number: PhoneNumber, form: int):
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    phone = parse_phone(phonenumbers.format_number(number, form))
    assert phone.e164 == e164
    assert phone.region == phonenumbers.region_code_for_number(number)
    assert parse_phone(phone.e164) == phone


@given(valid_numbers())
def test_phone_round_trips_in_national_form_of_its_region(number: PhoneNumber):
    region = phonenumbers.region_code_for_number(number)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    assert parse_phone(national, region).e164 == phonenumbers.format_number(
        number, PhoneNumberFormat.E164
    )


@given(st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True))
def test_french_national_numbers_parse_as_phonenumbers_does(digits: str):
    # parse_phone reads these itself, without phonenumbers.parse.
    assert phonenumbers.parse(digits, "FR") == PhoneNumber(
        country_code=33, national_number=int(digits[1:])
    )


@given(st.from_regex(r"\+33[1-9][0-9]{8}", fullmatch=True), st.sampled_from(REGIONS))
def test_french_international_numbers_parse_as_phonenumbers_does(digits: str, region: str):
    assert phonenumbers.parse(digits, region) == PhoneNumber(
        country_code=33, national_number=int(digits[3:])
    )


@given(st.sampled_from([33, 590, 262, 594, 596, 1, 44, 32, 39, 800, 882]), st.integers(1, 10**12))
def test_number_type_says_whether_a_number_is_valid(country_code: int, national: int):
    # parse_phone asks number_type() only, not is_valid_number() as well.
    number = PhoneNumber(country_code=country_code, national_number=national)
    valid = phonenumbers.number_type(number) != PhoneNumberType.UNKNOWN
    assert valid == phonenumbers.is_valid_number(number)


def _parsed_or_none(text: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None


@given(st.from_regex(r"\+?[ .\-]{0,2}(?:[0-9][ .\-]{0,2}){3,20}", fullmatch=True))
def test_separators_do_not_change_what_phonenumbers_reads(text: str):
    # parse_phone drops spaces, dots and hyphens from text of this shape
    # (the same regex as there) before parsing.
    compact = text.translate(str.maketrans("", "", " .-"))
    assert _parsed_or_none(text.strip()) == _parsed_or_none(compact)


# ------------------------------------------------------------------ e-mail


def test_email_domain_is_lower_cased():
    assert parse_email(" Jean.Dupont@AC-Dijon.fr ") == "Jean.Dupont@ac-dijon.fr"


def test_email_with_an_accented_domain():
    assert parse_email("marie@exemple-été.fr") == "marie@exemple-été.fr"


def test_an_address_left_empty_says_to_type_the_address_the_voter_gives():
    assert refused(parse_email, "  ") == "Courriel : tapez l'adresse donnée par l'électeur"


def test_email_without_at_sign_is_refused():
    assert refused(parse_email, "jean.dupont") == "Courriel : il manque le signe @"


def test_email_without_domain_is_refused():
    assert refused(parse_email, "jean@") == "Courriel : rien après le signe @"


def test_email_with_an_incomplete_domain_is_refused():
    assert refused(parse_email, "jean@ac-dijon") == (
        "Courriel : nom de domaine incomplet après le @ (ex. : nom@domaine.fr)"
    )


def test_email_with_two_dots_in_a_row_is_refused():
    assert refused(parse_email, "jean..dupont@ac-dijon.fr") == "Courriel : point mal placé"


def test_email_with_a_space_is_refused():
    assert refused(parse_email, "jean dupont@ac-dijon.fr") == "Courriel : espace non autorisée"


def test_email_on_a_reserved_domain_is_refused():
    assert refused(parse_email, "jean@exemple.test") == (
        "Courriel : nom de domaine réservé, sans messagerie (exemple.test)"
    )


def test_email_validator_remembers_the_domains_it_checked():
    # Lost on an email-validator upgrade that moves the domain check: the
    # parse stays right but gets ~2x slower on an import.
    module = sys.modules["email_validator.validate_email"]
    assert getattr(module.validate_email_domain_name, "csu_memoised", False)


def test_email_domains_are_checked_each_time_though_remembered():
    assert parse_email("a@ac-lyon.fr") == "a@ac-lyon.fr"
    assert refused(parse_email, "a@ac-lyon..fr") == "Courriel : point mal placé"
    assert refused(parse_email, "a@ac-lyon..fr") == "Courriel : point mal placé"


@given(
    st.from_regex(r"[a-z0-9]([a-z0-9._-]{0,20}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["fr", "com", "org", "eu"]),
)
def test_email_round_trips(local: str, name: str, tld: str):
    assume(".." not in local and "--" not in name[2:4])
    address = f"{local}@{name}.{tld}"
    assert parse_email(address) == address
    assert parse_email(address.upper()).lower() == address


# ------------------------------------------------------ answers and names


def test_answer_ignores_accents_case_and_spacing():
    assert normalise_answer("  Le   Cœur d'ÉTÉ ") == "le coeur d'ete"


def test_answer_with_german_sharp_s():
    assert normalise_answer("Straße") == normalise_answer("STRASSE")


def test_empty_answer_is_refused():
    assert refused(normalise_answer, " \t ") == "Réponse secrète : valeur absente"


def test_name_for_search():
    assert normalise_name("Éloïse-Marie O'Neil") == "eloise marie o neil"


def test_name_with_typographic_apostrophe_and_ligature():
    assert normalise_name("Lætitia D’Œuf") == "laetitia d oeuf"


@given(st.text())
def test_answer_normalisation_is_idempotent(text: str):
    try:
        answer = normalise_answer(text)
    except InvalidValue:
        return
    assert normalise_answer(answer) == answer


@given(st.text())
def test_name_normalisation_is_idempotent(text: str):
    name = normalise_name(text)
    assert normalise_name(name) == name


# ------------------------------------------------------ any text at all

PARSERS = [
    parse_matricule,
    parse_numen,
    parse_nir,
    parse_iban,
    parse_agent_card,
    lambda raw: parse_birth_date(raw, TODAY),
    parse_department,
    parse_phone,
    parse_mobile,
    lambda raw: parse_phone(raw, "GP"),
    parse_email,
    normalise_answer,
]


@pytest.mark.parametrize("parse", PARSERS)
@given(text=st.text())
def test_any_text_parses_or_is_refused_with_a_message(parse: Callable[[str], object], text: str):
    try:
        parse(text)
    except InvalidValue as error:
        assert str(error).startswith(f"{error.field} : ")


@pytest.mark.parametrize("parse", PARSERS)
@given(text=st.text("0123456789+ .-/@abAB\u00a0é٣", max_size=30))
def test_any_number_like_text_parses_or_is_refused_with_a_message(
    parse: Callable[[str], object], text: str
):
    try:
        parse(text)
    except InvalidValue as error:
        assert error.fault


@pytest.mark.parametrize(
    ("value", "shaped"),
    [
        ("FR7630006000011234567890189", True),  # valid
        ("FR7630006000011234567890188", True),  # its last digit mistyped
        ("FR7730006000011234567890189", True),  # its check digits mistyped
        ("FR76300060000112345678901", False),  # too short for France
        ("FR12ABCDEFGHIJKLMNOPQRSTUVW", False),  # letters where France has digits
        ("ZZ7630006000011234567890189", False),  # no such country
    ],
)
def test_iban_shaped_tells_an_iban_whatever_its_check_digits(value: str, shaped: bool):
    assert iban_shaped(value) is shaped


@pytest.mark.parametrize(
    ("said", "tail"), [("453547", "453547"), ("FR76 3000 6000 0112 3456 7890 189", "890189")]
)
def test_the_iban_factor_is_its_last_six_characters_as_said(said: str, tail: str) -> None:
    assert iban_tail(said) == tail


@pytest.mark.parametrize(
    ("said", "fault"),
    [("4535", "6 caractères attendus, 4 reçus"), ("45-35-47", "lettres et chiffres seulement"),
     ("", "valeur absente")],
)
def test_an_iban_factor_of_another_shape_is_a_format_fault(said: str, fault: str) -> None:
    with pytest.raises(InvalidValue, match=f"^IBAN : {fault}"):
        iban_tail(said)


def test_the_agent_card_factor_is_the_first_six_characters_of_its_serial() -> None:
    assert card_head("0vwf ftx123") == "0VWFFT"
    with pytest.raises(InvalidValue, match=r"^Carte agent : 6 caractères attendus, 3 reçus"):
        card_head("0VW")
