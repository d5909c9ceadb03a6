"""The import's fast paths give exactly the libraries' answers.

Phone numbers and e-mail addresses are read in a roll import without some of
phonenumbers' and email-validator's generic steps (csu/domain/identifiers.py
says which). Each test here asks the library itself, on generated input, and
compares: the same normalised value, or a refusal with the same message.
"""

import datetime
import string
from dataclasses import asdict

import email_validator
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberType

from csu.domain import identifiers, roll
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import Phone, normalise_name, parse_email, parse_phone
from csu.domain.scrutins import Scrutin
from tests.examples import examples

# ------------------------------------------------------------------- phone


def _library_kind(number: PhoneNumber) -> tuple[int, str | None]:
    return phonenumbers.number_type(number), phonenumbers.region_code_for_number(number)


def _fast_kind(number: PhoneNumber) -> tuple[int, str | None]:
    assert number.country_code is not None
    nsn = phonenumbers.national_significant_number(number)
    return identifiers._number_kind(number.country_code, nsn)


def _every_metadata() -> list[tuple[int, PhoneMetadata]]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = PhoneMetadata.metadata_for_region(region)
        assert metadata is not None and metadata.country_code is not None
        found.append((metadata.country_code, metadata))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        metadata = PhoneMetadata.metadata_for_nongeo_region(code)
        assert metadata is not None
        found.append((code, metadata))
    return found


def test_every_example_number_of_every_region_and_type_gets_the_library_type() -> None:
    # phonenumbers' own examples: each region, each type, every kind of metadata.
    compared = 0
    for code, metadata in _every_metadata():
        for desc in (
            metadata.general_desc,
            metadata.fixed_line,
            metadata.mobile,
            metadata.toll_free,
            metadata.premium_rate,
            metadata.shared_cost,
            metadata.personal_number,
            metadata.voip,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        ):
            if desc is None or not desc.example_number:
                continue
            number = PhoneNumber(country_code=code, national_number=int(desc.example_number))
            number.italian_leading_zero = desc.example_number.startswith("0") or None
            if number.italian_leading_zero:
                number.number_of_leading_zeros = len(desc.example_number) - len(
                    desc.example_number.lstrip("0")
                )
            assert _fast_kind(number) == _library_kind(number), (code, desc.example_number)
            compared += 1
    assert compared > 1_000


def test_no_metadata_pattern_has_groups_so_one_regex_serves_all_types() -> None:
    for _, metadata in _every_metadata():
        for length in range(1, 18):
            assert identifiers._type_checks(metadata, length).one_by_one is None


CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
ZONE = [33, 590, 594, 596, 262]


@settings(max_examples=examples(2_000))
@given(
    st.one_of(st.sampled_from(ZONE), st.sampled_from(CODES), st.integers(0, 999)),
    st.one_of(st.integers(0, 10**17), st.integers(100_000_000, 999_999_999)),
    st.integers(0, 3),
)
def test_number_type_and_region_are_the_library_ones(code: int, national: int, zeros: int) -> None:
    number = PhoneNumber(country_code=code, national_number=national)
    if zeros:
        number.italian_leading_zero = True
        number.number_of_leading_zeros = zeros
    assert _fast_kind(number) == _library_kind(number)


@settings(max_examples=examples(1_000))
@given(st.data())
def test_numbers_next_to_the_examples_get_the_library_type(data: st.DataObject) -> None:
    # Valid numbers are rare among random digits: change the end of an example.
    region = data.draw(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
    kind = data.draw(st.sampled_from(list(range(PhoneNumberType.VOICEMAIL + 1))))
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None or example.national_number is None:
        return
    tail = data.draw(st.integers(0, 9_999))
    national = example.national_number // 10_000 * 10_000 + tail
    number = PhoneNumber(country_code=example.country_code, national_number=national)
    assert _fast_kind(number) == _library_kind(number)


def _library_phone(raw: str, region: str) -> Phone | str:
    """parse_phone as phonenumbers alone answers it: its parse of the text as typed,
    its number_type, region_code_for_number and format_number; the same French
    zone retry. A refusal is given as its message. A word processor's dashes and spaces
    are read as the separators they stand for first, as parse_phone does (the library
    refused the narrow no-break space, French typography's)."""
    text = raw.strip().translate(identifiers._TYPOGRAPHIC_SEPARATORS)
    if not text:
        return f"Téléphone : {identifiers.PHONE_ABSENT}"
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        return "Téléphone : " + identifiers._PARSE_FAULTS.get(error.error_type, "numéro illisible")
    kind = phonenumbers.number_type(number)
    national = number.national_number or 0
    if kind == PhoneNumberType.UNKNOWN:
        typed = raw.lstrip()
        if (
            region.upper() in identifiers._FRENCH_ZONE_REGIONS
            and typed.startswith("0")
            and not typed.startswith("00")
            and 100_000_000 <= national <= 999_999_999
        ):
            for code in identifiers._FRENCH_ZONE_CODES:
                if code == number.country_code:
                    continue
                other = PhoneNumber(country_code=code, national_number=national)
                kind = phonenumbers.number_type(other)
                if kind != PhoneNumberType.UNKNOWN:
                    number = other
                    break
        if kind == PhoneNumberType.UNKNOWN:
            digits = sum(char.isdigit() for char in typed)
            french = region.upper() in identifiers._FRENCH_ZONE_REGIONS
            if french and typed.startswith("0") and not typed.startswith("00") and digits != 10:
                return f"Téléphone : {_count_fault(digits)} ({digits} ici ; un numéro français " \
                    "en compte 10, 0 compris)"
            reason = phonenumbers.is_possible_number_with_reason(number)
            fault = identifiers._LENGTH_FAULTS.get(reason, identifiers.UNASSIGNED)
            return "Téléphone : " + fault
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        region=phonenumbers.region_code_for_number(number),
        is_mobile=kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE),
    )


def _count_fault(digits: int) -> str:
    """A French number's digits counted, said as the refusal says it."""
    if digits < 10:
        return "il manque un chiffre" if digits == 9 else "des chiffres manquent"
    return "un chiffre de trop" if digits == 11 else "trop de chiffres"


def _phone(raw: str, region: str) -> Phone | str:
    try:
        return parse_phone(raw, region)
    except InvalidValue as refused:
        return str(refused)


SEPARATORS = ["", "", " ", " ", ".", "-", "  ", " - ", "\u00a0", "\u202f", "/", ".."]
REGIONS = ["FR", "FR", "FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF", "BE", "CH", "US"]
# Overseas: Guadeloupe, Guyane, Martinique, Réunion, Mayotte (fixed, then mobile).
OVERSEAS = ["590", "594", "596", "262", "269", "690", "691", "694", "696", "697", "692", "693"]
OVERSEAS += ["639", "700", "709", "800", "809", "895", "976"]


@st.composite
def typed_numbers(draw: st.DrawFn) -> str:
    """A French or overseas number as someone types it: national or international
    form, grouped or not, with spaces, dots, dashes, typographic spaces..."""
    overseas = draw(st.booleans())
    if overseas:
        head = draw(st.sampled_from(OVERSEAS))
        digits = head + draw(st.from_regex(r"[0-9]{6}", fullmatch=True))
        code = draw(st.sampled_from(["33", "590", "594", "596", "262"]))
    else:
        digits = draw(st.from_regex(r"[1-9][0-9]{8}", fullmatch=True))
        code = "33"
    # Sometimes a digit too many or too few.
    digits = draw(st.sampled_from([digits, digits, digits, digits[:-1], digits + "7"]))
    prefix = draw(
        st.sampled_from(["0", "0", "0", f"+{code}", f"+{code} ", f"00{code}", f"+{code} (0)", ""])
    )
    groups = [digits[:1], digits[1:3], digits[3:5], digits[5:7], digits[7:]]
    if draw(st.booleans()):  # or in pairs from the start of the national form
        national = "0" + digits
        groups = [national[i : i + 2] for i in range(0, len(national), 2)]
        prefix = ""
    separator = draw(st.sampled_from(SEPARATORS))
    typed = prefix + separator.join(groups)
    return draw(st.sampled_from(["", " ", "\t"])) + typed + draw(st.sampled_from(["", " "]))


@settings(max_examples=examples(1_000))
@given(typed_numbers(), st.sampled_from(REGIONS))
def test_french_and_overseas_numbers_read_as_the_library_reads_them(raw: str, region: str) -> None:
    assert _phone(raw, region) == _library_phone(raw, region)


@settings(max_examples=examples(600))
@given(
    st.from_regex(r"\+?[ .\-]{0,2}(?:[0-9][ .\-]{0,2}){1,20}", fullmatch=True),
    st.sampled_from(REGIONS),
)
def test_digits_with_separators_read_as_the_library_reads_them(raw: str, region: str) -> None:
    assert _phone(raw, region) == _library_phone(raw, region)


@settings(max_examples=examples(1_000))
@given(st.text("0123456789+ .-()/\u00a0٣", max_size=25), st.sampled_from(REGIONS))
def test_odd_text_reads_as_the_library_reads_it(raw: str, region: str) -> None:
    """What a number may hold; anything else is refused before the library reads it
    (tests/domain/test_identifiers.py)."""
    assert _phone(raw, region) == _library_phone(raw, region)


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("06 12 34 56 78", "FR"),
        ("+33 1 51 28 97 00", "FR"),
        ("0690 12 34 56", "FR"),  # Guadeloupe dialled from Paris
        ("06 12 34 56 78", "GP"),  # Paris dialled from Guadeloupe
        ("0262 12 34 56", "FR"),
        ("0639 01 23 45", "RE"),  # Mayotte, shares +262 with Réunion
        ("08 00 12 34 56", "FR"),  # toll free
        ("08 36 01 23 45", "FR"),  # premium rate
        ("09 71 23 45 67", "FR"),  # VoIP
        ("+44 7911 123456", "FR"),  # shared +44: Guernsey by its leading digits
        ("+1 212 555 0100", "FR"),  # shared +1: the United States
        ("+39 06 6982 1234", "FR"),  # Italy keeps its leading zero
        ("+800 1234 5678", "FR"),  # non-geographic
        ("+33 6 12 34", "FR"),
        ("+999 12345678", "FR"),
    ],
)
def test_known_numbers_read_as_the_library_reads_them(raw: str, region: str) -> None:
    assert _phone(raw, region) == _library_phone(raw, region)


# ------------------------------------------------------------------ e-mail


def _library_email(address: str) -> str | None:
    try:
        return email_validator.validate_email(address, check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        return None


def _assert_as_the_library(raw: str) -> None:
    address = raw.strip()
    expected = _library_email(address) if address else None
    plain = identifiers._plain_email(address)
    assert plain is None or plain == expected
    try:
        assert parse_email(raw) == expected
    except InvalidValue:
        assert expected is None


ATEXT = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
atoms = st.text(ATEXT, min_size=1, max_size=12)
locals_ = st.one_of(
    st.lists(atoms, min_size=1, max_size=4).map(".".join),
    st.text(ATEXT + ".", min_size=1, max_size=20),  # dots anywhere
    st.text(ATEXT, min_size=60, max_size=70),  # about the 64-character limit
    st.sampled_from(identifiers.email_rfc.CASE_INSENSITIVE_MAILBOX_NAMES).map(str.title),
    st.sampled_from(['"jean dupont"', '"a@b"', '"a\\"b"', '""', "jean dupont", "a<b", "a,b"]),
    st.sampled_from(["é", "jéan", "Ö.ö", "e\u0301", "ｊｅａｎ", "名前", "a\u200bb", "a\x00b"]),
    st.text(max_size=10),
)
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
domains = st.one_of(
    st.sampled_from(
        [
            "interieur.gouv.fr",
            "AC-Dijon.FR",
            "ac-lyon.fr",
            "xn--exemple-t-b4a.fr",
            "xn--mnchen-3ya.de",
            "xn--zz.fr",
            "exemple-été.fr",
            "münchen.de",
            "ＥＸＡＭＰＬＥ.fr",
            "b.test",
            "x.invalid",
            "x.local",
            "x.arpa",
            "localhost",
            "fr",
            "a..b.fr",
            ".a.fr",
            "a.fr.",
            "-a.fr",
            "a-.fr",
            "a_b.fr",
            "a.123",
            "[1.2.3.4]",
            "[IPv6:::1]",
            "",
        ]
    ),
    st.lists(labels, min_size=2, max_size=5).map(".".join),
    st.text(string.ascii_letters + string.digits + ".-_[]", max_size=20),
)


@settings(max_examples=examples(1_000))
@given(
    locals_,
    domains,
    st.sampled_from(["@", "@", "@", "@", "@@", "＠", " @", "@ "]),
    st.sampled_from(["", "", " ", "\t"]),
)
def test_addresses_of_many_shapes_read_as_the_library_reads_them(
    local: str, domain: str, at: str, space: str
) -> None:
    _assert_as_the_library(f"{space}{local}{at}{domain}{space}")


@settings(max_examples=examples(500))
@given(st.text(max_size=40))
def test_any_text_reads_as_the_library_reads_it(raw: str) -> None:
    _assert_as_the_library(raw)


@settings(max_examples=examples(1_000))
@given(
    st.integers(1, 80),
    st.integers(4, 260),
    st.sampled_from(["fr", "xn--mnchen-3ya.de", "xn--exemple-t-b4a.fr"]),
)
def test_addresses_about_the_length_limits_read_as_the_library_reads_them(
    local_length: int, domain_length: int, tail: str
) -> None:
    # Labels of at most 63 characters up to about the wanted length; the tail may
    # be an IDN, whose normalised form differs in length from its ASCII form.
    head: list[str] = []
    while sum(len(label) + 1 for label in head) + len(tail) < domain_length:
        head.append("b" * min(63, domain_length - sum(len(label) + 1 for label in head)))
    _assert_as_the_library("a" * local_length + "@" + ".".join([*head, tail]))


@pytest.mark.parametrize(
    "address",
    [
        "jean.dupont@ac-dijon.fr",
        "Jean.Dupont@AC-Dijon.fr",
        "Info@ac-lyon.fr",
        "POSTMASTER@ac-lyon.fr",
        "a@xn--exemple-t-b4a.fr",
        "a@b.test",
        '"a b"@ac-lyon.fr',
        "Jean <jean@ac-lyon.fr>",
        "jean@[1.2.3.4]",
    ],
)
def test_settings_of_email_validator_are_followed(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    # The library's defaults are module settings, read at each call: so are they here.
    for setting in ("TEST_ENVIRONMENT", "GLOBALLY_DELIVERABLE", "STRICT"):
        for value in (True, False):
            monkeypatch.setattr(email_validator, setting, value)
            _assert_as_the_library(address)


def test_plain_addresses_take_the_fast_path_and_others_do_not() -> None:
    assert identifiers._plain_email("jean.dupont@AC-Dijon.fr") == "jean.dupont@ac-dijon.fr"
    assert identifiers._plain_email("a@xn--exemple-t-b4a.fr") == "a@eéxemple-t.fr"
    for other in ("Info@ac-lyon.fr", "é@ac-lyon.fr", '"a"@ac-lyon.fr', "a@b.test", "a@[1.2.3.4]"):
        assert identifiers._plain_email(other) is None


# ------------------------------------------------------------------- names


@given(st.text(string.printable + "'`-"))
def test_an_ascii_name_loses_its_separators_as_the_table_says(raw: str) -> None:
    folded = identifiers._fold(raw)
    expected = " ".join(folded.translate(identifiers._NAME_SEPARATORS).split())
    assert normalise_name(raw) == expected


# --------------------------------------------------------------------- rows


RULES = roll.RollRules(
    today=datetime.date(2026, 12, 3),
    capacities=("électeur", "expert"),
    scrutins=(
        Scrutin("csa", "CSA"),
        Scrutin("cap", "CAP", roll=True),
        Scrutin("local", "Local", bureaus=("MININT-33-01",)),
        Scrutin("exp", "Experts", capacities=("expert",)),
    ),
)
# One checker for every example, as an import has one for every row: the scrutins it
# remembered from earlier rows must give what a fresh check gives.
CHECKER = roll.RowChecker(RULES)
CELLS = {
    "matricule": ["MI04242421", "mi0424", "M!", ""],
    "nom": ["Lefort", "Boulay-Hamon", "Du\x00pont", ""],
    "prenom": ["Maryse", "Marie-Océane", "Jean\tne", ""],
    "date_naissance": ["06/06/2002", "2000-02-30", "1956-09-08", ""],
    "email_pro": ["maryse.lefort@interieur.gouv.fr", "Info@ac-lyon.fr", "a@b", ""],
    "telephone_pro": ["05 87 47 81 26", "0690 12 34 56", "12", ""],
    "telephone_mobile": ["06 09 06 56 32", "01 51 28 97 00", "+590 690 00 12 34", ""],
    "bureau": ["MININT-33-01", "bureau 1", ""],
    "qualite": ["électeur", "Expert", "inconnue", ""],
    "identifiant": ["MI04242421", "prenom.nom@ac-dijon.fr", "?", ""],
    "numen": ["12A1234567ABC", "12", ""],
    "nir": ["1 85 05 78 006 084 36", "185057800608437", ""],
    "iban": ["FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 188", ""],
    "carte_agent": ["54B3YPZPNVFM", "54B3 YPZP", "ab", ""],
    "question_defi": ["Ville natale ?", ""],
    "reponse_defi": ["Dijon", ""],
    "scrutins": ["", "csa", "csa|cap", "local", "exp|csa", "csa|csa", "inconnu", "csa||cap"],
    "adresse_postale": ["", "1 rue X / 21000 DIJON", "une ligne"],
    "circonscription": ["", "Côte-d'Or"],
}


@settings(max_examples=examples(300))
@given(st.fixed_dictionaries({column: st.sampled_from(cells) for column, cells in CELLS.items()}))
def test_the_import_path_gives_the_fields_of_validate_row_and_seal(row: dict[str, str]) -> None:
    # RowChecker.fields and seal_fields (what the import's workers call) are the
    # ValidRow and SealedRow of validate_row and seal, field by field.
    checked = CHECKER.fields(row, 7)
    valid = roll.validate_row(row, 7, RULES)
    if isinstance(valid, list):
        assert checked == valid
        return
    assert checked == asdict(valid)
    key = b"k" * 32
    assert roll.seal_fields(checked, key) == asdict(roll.seal(valid, key))
