"""Masks: what they show, what they hide, and that they take anything."""

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir

from csu.domain.masking import (
    mask_contacts,
    mask_email,
    mask_iban,
    mask_identifier,
    mask_matricule,
    mask_nir,
    mask_numen,
    mask_personal_data,
    mask_phone,
    mask_text,
    readable_phone,
)

# ------------------------------------------------------------------ examples


def test_nir_mask_keeps_only_the_sex_digit():
    assert mask_nir("185057512345678") == "1 ** ** ** *** *** **"


def test_nir_mask_takes_a_nir_as_printed():
    assert mask_nir("2 53 07 2B 073 004 70") == "2 ** ** ** *** *** **"


def test_iban_mask_keeps_first_four_and_last_four():
    assert mask_iban("FR7630006000011234567890189") == "FR76 **** **** **** **** ***0 189"


def test_iban_mask_of_the_design_example():
    assert mask_iban("FR7630006000011234567891234") == "FR76 **** **** **** **** ***1 234"


def test_numen_mask_keeps_the_last_three_letters():
    assert mask_numen("12A1234567ABC") == "**********ABC"


def test_phone_mask_keeps_country_first_digit_and_last_two():
    assert mask_phone("+33612345678") == "+33 6 ** ** ** 78"


def test_phone_mask_of_an_overseas_number():
    assert mask_phone("+590690001234") == "+590 6 ** ** ** 34"


def test_phone_mask_of_a_north_american_number():
    assert mask_phone("+12025550123") == "+1 2 ** ** ** * 23"


def test_email_mask_keeps_first_letter_and_domain():
    assert mask_email("jean.dupont@ac-dijon.fr") == "j***@ac-dijon.fr"


def test_email_mask_hides_a_one_letter_local_part():
    assert mask_email("j@ac-dijon.fr") == "***@ac-dijon.fr"


def test_matricule_mask_keeps_first_two_and_last_one():
    assert mask_matricule("AB123457") == "AB*****7"


def test_short_matricule_mask_hides_at_least_half():
    assert mask_matricule("AB12") == "AB**"


def test_text_mask_keeps_the_first_characters():
    assert mask_text("Dupont") == "D***"
    assert mask_text("Dupont", keep=3) == "Dup***"


def test_text_mask_of_a_short_value_hides_at_least_half():
    assert mask_text("Li", keep=5) == "L***"


@pytest.mark.parametrize(
    "mask", [mask_nir, mask_iban, mask_numen, mask_phone, mask_email, mask_matricule, mask_text]
)
def test_empty_value_gives_an_empty_or_starred_mask(mask: Callable[[str], str]):
    assert set(mask("")) <= {"*", ""}


# --------------------------------------------------------- what stays hidden


@st.composite
def nirs(draw: st.DrawFn) -> str:
    body = draw(st.from_regex(r"[12][0-9]{4}(2A|2B|[0-9]{2})[0-9]{6}", fullmatch=True))
    return body + stdnum_nir.calc_check_digits(body)


@given(nirs())
def test_nir_mask_shows_no_digit_but_the_first(nir: str):
    masked = mask_nir(nir)
    assert masked[0] == nir[0]
    assert not any(c.isalnum() for c in masked[1:])


@st.composite
def ibans(draw: st.DrawFn) -> str:
    bban = draw(st.from_regex(r"[0-9]{10}[0-9A-Z]{11}[0-9]{2}", fullmatch=True))
    return "FR" + stdnum_iban.calc_check_digits("FR00" + bban) + bban


@given(ibans())
def test_iban_mask_shows_only_first_four_and_last_four(iban: str):
    masked = mask_iban(iban).replace(" ", "")
    assert masked[:4] == iban[:4]
    assert masked[-4:] == iban[-4:]
    assert set(masked[4:-4]) == {"*"}


@given(st.from_regex(r"[0-9]{2}[A-Z][0-9]{7}[A-Z]{3}", fullmatch=True))
def test_numen_mask_shows_only_the_last_three_letters(numen: str):
    assert mask_numen(numen) == "*" * 10 + numen[-3:]


@given(st.from_regex(r"\+33[67][0-9]{8}", fullmatch=True))
def test_phone_mask_hides_six_of_nine_national_digits(e164: str):
    masked = mask_phone(e164)
    assert e164 not in masked.replace(" ", "")
    assert masked.count("*") == 6


@given(
    st.from_regex(r"[a-z0-9._-]{2,30}", fullmatch=True),
    st.from_regex(r"[a-z0-9-]{1,20}\.fr", fullmatch=True),
)
def test_email_mask_hides_the_local_part(local: str, domain: str):
    masked = mask_email(f"{local}@{domain}")
    assert masked == f"{local[0]}***@{domain}"


@given(st.from_regex(r"[A-Z0-9]{4,12}", fullmatch=True))
def test_matricule_mask_hides_at_least_half(matricule: str):
    masked = mask_matricule(matricule)
    assert masked != matricule
    assert masked.count("*") * 2 >= len(matricule)


# ------------------------------------------------------------ anything at all

MASKS = [mask_nir, mask_iban, mask_numen, mask_phone, mask_email, mask_matricule, mask_text]


@pytest.mark.parametrize("mask", MASKS)
@given(value=st.text())
def test_any_text_gives_a_mask(mask: Callable[[str], str], value: str):
    assert isinstance(mask(value), str)


@pytest.mark.parametrize("mask", MASKS)
@given(value=st.text(st.characters(exclude_characters="*@"), min_size=2))
def test_no_mask_shows_a_value_whole(mask: Callable[[str], str], value: str):
    compact = "".join(value.split())
    if len(compact) >= 2:
        assert compact not in mask(value).replace(" ", "")


@given(value=st.text(), keep=st.integers(-5, 50))
def test_text_mask_takes_any_keep(value: str, keep: int):
    masked = mask_text(value, keep)
    assert masked.endswith("***")
    assert len(masked) - 3 <= len(value) // 2


# ------------------------------------------------- identifiers and free text


def test_an_identifier_that_is_an_address_is_masked_like_one():
    assert mask_identifier("noemi.gomes@ac-creteil.fr") == "n***@ac-creteil.fr"


def test_an_identifier_that_is_a_number_shows_whole():
    assert mask_identifier("2718281828") == "2718281828"


@pytest.mark.parametrize(
    "written",
    ["06 75 29 27 42", "06.75.29.27.42", "0675292742", "+33 6 75 29 27 42", "+33675292742"],
)
def test_a_phone_number_in_text_is_masked_whatever_its_format(written: str):
    assert mask_contacts(f"Rappeler au {written} demain") == "Rappeler au +33 6 ** ** ** 42 demain"


def test_an_address_in_text_is_masked():
    text = "550 <noemi.gomes@ac-creteil.fr>: mailbox unavailable"
    assert mask_contacts(text) == "550 <n***@ac-creteil.fr>: mailbox unavailable"


@pytest.mark.parametrize("at", [" (at) ", "(at)", " [arobase] ", " {AT} "])
def test_an_address_with_its_at_sign_spelt_out_is_masked(at: str):
    text = f"écrire à pierre-bernard.moreno{at}ac-amiens.fr demain"
    assert mask_contacts(text) == "écrire à p***@ac-amiens.fr demain"


def test_text_without_contact_data_is_left_as_it_is():
    text = "Le 13/05/2022 à 10:00:00, matricule MI04242421, identifiant 2718281828, 3 essais"
    assert mask_contacts(text) == text


def test_masked_contact_data_is_left_as_it_is():
    text = "Appelant +33 6 ** ** ** 42, courriel n***@ac-creteil.fr"
    assert mask_contacts(text) == text


@given(
    st.from_regex(r"0[67]( ?\d\d){4}", fullmatch=True),
    st.from_regex(r"[a-z]{2,8}\.[a-z]{2,8}@ac-[a-z]{3,8}\.fr", fullmatch=True),
    st.text(alphabet=st.characters(categories=["L", "Zs"]), max_size=20),
)
def test_no_phone_or_address_stays_whole_in_text(phone: str, address: str, words: str):
    masked = mask_contacts(f"{words} {phone} {words} {address} {words}")
    digits = "".join(c for c in masked if c.isdigit())
    assert phone.replace(" ", "")[1:] not in digits
    assert address not in masked


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("IBAN FR76 3000 6000 0112 3456 7890 189 vu", "IBAN FR76 **** **** **** **** **** *** vu"),
        ("iban fr7630006000011234567890189 vu", "iban FR76 **** **** **** **** **** *** vu"),
        ("NIR 1 83 04 75 123 456 78 vu", "NIR 1 ** ** ** *** *** ** vu"),
        ("NIR 1830475123456 vu", "NIR 1 ** ** ** *** *** ** vu"),
        ("NIR 2.83.04.2A.123.456.12 vu", "NIR 2 ** ** ** *** *** ** vu"),
        ("rappeler au 06 75 29 27 42", "rappeler au +33 6 ** ** ** 42"),
        ("écrire à ines.perso@exemple.fr", "écrire à i***@exemple.fr"),
    ],
    ids=["iban", "iban compact", "nir", "nir without key", "nir corsica", "phone", "address"],
)
def test_personal_data_in_a_note_is_masked(written: str, masked: str):
    # The IBAN loses its last digits too: a caller's identity is checked on them.
    assert mask_personal_data(written) == masked


def test_a_note_without_personal_data_is_left_as_it_is():
    text = (
        "Le 02/12/2022 à 10:15, matricule MI04242421, intervention "
        "563f15ec-9694-41ce-9d73-601051979ff6, bureau 75056-001, 3 essais, code postal 75012; "
        "réf. FR12 ABCD EFGH IJKL, FR76 seul"
    )
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "mistyped",
    ["FR76 3000 6000 0112 3456 7890 188", "FR77 3000 6000 0112 3456 7890 189",
     "DE89 3704 0044 0532 0130 01"],
    ids=["last digit", "check digits", "german"],
)
def test_a_mistyped_iban_in_a_note_is_masked_all_the_same(mistyped: str):
    # Its structure is an IBAN's: somebody's account, one key stroke off.
    masked = mask_personal_data(f"IBAN {mistyped} (erreur de frappe)")
    assert masked.startswith(f"IBAN {mistyped[:4]} ****") and masked.endswith("(erreur de frappe)")
    assert mistyped[-6:].replace(" ", "") not in masked.replace(" ", "")


@given(
    ibans(), nirs(), st.text(alphabet=st.characters(categories=["L", "Zs"]), max_size=20)
)
def test_no_iban_or_nir_stays_whole_in_a_note(iban: str, nir: str, words: str):
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    masked = mask_personal_data(f"{words} {spaced} {words} {nir} {words}")
    digits = "".join(c for c in masked if c.isalnum())
    assert iban[4:] not in digits and nir[1:] not in digits


def test_a_revealed_french_phone_reads_in_the_national_form():
    assert readable_phone("+33741207379") == "07 41 20 73 79"


def test_a_revealed_foreign_phone_reads_in_the_international_form():
    assert readable_phone("+14155552671") == "+1 415-555-2671"
