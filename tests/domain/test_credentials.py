"""Credentials: generation, display, typed copies read back, storage scheme, spelling."""

import random
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain.credentials import (
    HMAC_MIN_BITS,
    PREFIX_LENGTH,
    SCHEME_ARGON2,
    SCHEME_HMAC,
    display,
    generate,
    normalise_typed,
    parse_typed,
    prefix,
    prefix_fault,
    scheme_for,
    spell,
    spelled,
)
from csu.domain.election import CredentialFormat
from csu.domain.errors import InvalidValue

UNAMBIGUOUS = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
MIXED = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"

KEY = CredentialFormat(kind="security_key", alphabet=UNAMBIGUOUS, length=16, group=4)
PASSWORD = CredentialFormat(kind="password", alphabet=MIXED, length=12, group=0)
VOTE_CODE = CredentialFormat(kind="vote_code", alphabet=UNAMBIGUOUS, length=12, group=4)
FIELD = "Clé de sécurité"
ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"


def refusal(fmt: CredentialFormat, typed: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_typed(fmt, typed, FIELD)
    return caught.value


# ---------------------------------------------------------------- formats


def test_key_format_is_the_one_of_the_minint_2022_election():
    spec = tomllib.loads((ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8"))
    key = spec["credentials"]["security_key"]
    assert (key["alphabet"], key["length"], key["group"]) == (UNAMBIGUOUS, 16, 4)


# ---------------------------------------------------------------- generation


def test_generated_key_has_16_characters_of_its_alphabet():
    value = generate(KEY)
    assert len(value) == 16
    assert set(value) <= set(UNAMBIGUOUS)


def test_generated_keys_never_hold_look_alike_characters():
    values = "".join(generate(KEY) for _ in range(200))
    assert not set(values) & set("0O1ILU")


def test_generation_draws_with_the_given_choice():
    assert generate(KEY, random.Random(7).choice) == generate(KEY, random.Random(7).choice)


def test_generation_draws_one_character_per_position():
    assert generate(KEY, lambda alphabet: alphabet[-1]) == "Z" * 16


def test_generated_value_holds_no_separator():
    value = generate(KEY)
    assert "-" not in value and " " not in value


# ---------------------------------------------------------------- display


def test_key_is_displayed_in_four_groups_with_dashes():
    assert display(KEY, "K7MPX2QD9RFAH3TW") == "K7MP-X2QD-9RFA-H3TW"


def test_password_without_group_is_displayed_in_one_piece():
    assert display(PASSWORD, "aB3dE5gH7jK9") == "aB3dE5gH7jK9"


# ---------------------------------------------------------------- storage scheme


def test_security_key_is_stored_as_keyed_hmac():
    assert KEY.bits >= HMAC_MIN_BITS
    assert scheme_for(KEY) == SCHEME_HMAC


def test_twelve_character_password_is_stored_with_argon2id():
    assert scheme_for(PASSWORD) == SCHEME_ARGON2


def test_twelve_character_vote_code_is_stored_with_argon2id():
    assert scheme_for(VOTE_CODE) == SCHEME_ARGON2


# ---------------------------------------------------------------- typed copies


def test_typed_key_with_spaces_dashes_and_lower_case_gives_the_stored_value():
    assert parse_typed(KEY, " k7mp x2qd-9rfa.h3tw ", FIELD) == "K7MPX2QD9RFAH3TW"


def test_normalising_keeps_the_case_of_a_mixed_case_alphabet():
    assert normalise_typed(PASSWORD, "aB3d E5gH-7jK9") == "aB3dE5gH7jK9"


def test_normalising_lower_cases_for_a_lower_case_alphabet():
    lower = CredentialFormat(kind="vote_code", alphabet="abcdefgh", length=4)
    assert normalise_typed(lower, "AbCd") == "abcd"


def test_normalising_does_not_validate():
    assert normalise_typed(KEY, "o0-il") == "O0IL"


def test_normalising_keeps_a_separator_that_belongs_to_the_alphabet():
    dashed = CredentialFormat(kind="password", alphabet="abc-.", length=5)
    assert normalise_typed(dashed, "a-b. c") == "a-b.c"


def test_normalising_does_not_turn_sharp_s_into_two_letters():
    assert normalise_typed(KEY, "ß") == "ß"


def test_wrong_length_is_refused_with_both_lengths_and_the_field():
    error = refusal(KEY, "K7MP-X2QD-9RFA-H3T")
    assert str(error) == "Clé de sécurité : 16 caractères attendus, 15 reçus"
    assert error.field == FIELD


def test_lengths_are_counted_in_the_singular_and_the_plural():
    assert refusal(KEY, "K").fault == "16 caractères attendus, 1 reçu"
    one = CredentialFormat(kind="vote_code", alphabet=UNAMBIGUOUS, length=1)
    assert refusal(one, "K7").fault == "1 caractère attendu, 2 reçus"


def test_one_unreadable_character_beyond_those_listed_is_one_other():
    fmt = CredentialFormat(kind="security_key", alphabet="abcdef" + UNAMBIGUOUS, length=16)
    assert prefix_fault(fmt) == ("alphabet", (
        "le facteur security_key_prefix compare les 6 premiers caractères dictés, en "
        "majuscules et sans signes : la clé ne doit compter que des majuscules de A à Z et "
        "des chiffres (hors de ceux-ci : « a », « b », « c », « d », « e » et 1 autre)"
    ))  # fmt: skip


def test_empty_typed_key_is_absent():
    assert str(refusal(KEY, " - ")) == "Clé de sécurité : valeur absente"


def test_character_out_of_the_alphabet_is_named():
    error = refusal(KEY, "K7MP-X2QD-9RFA-H3TO")
    assert str(error) == "Clé de sécurité : caractère « O » hors de l'alphabet de la clé"


def test_every_character_out_of_the_alphabet_is_named_once():
    error = refusal(KEY, "K0MP-X2QD-9RFA-H3OO")
    assert error.fault == "caractères « 0 », « O » hors de l'alphabet de la clé"


def test_prefix_is_the_first_six_characters():
    assert prefix("K7MPX2QD9RFAH3TW") == "K7MPX2"
    assert PREFIX_LENGTH == 6


# ---------------------------------------------------------------- spelling


def test_upper_case_key_is_spelled_without_saying_the_case():
    assert spell("K7M") == ["K comme Kléber", "7 chiffre sept", "M comme Marcel"]


def test_lower_case_value_is_spelled_without_saying_the_case():
    assert spell("k0") == ["k comme Kléber", "0 chiffre zéro"]


def test_mixed_case_value_is_spelled_with_the_case_of_each_letter():
    assert spell("aB") == ["a minuscule comme Anatole", "B majuscule comme Berthe"]


def test_a_one_case_password_of_a_mixed_case_alphabet_is_spelled_with_the_case():
    assert spell("ab7", PASSWORD.alphabet) == [
        "a minuscule comme Anatole",
        "b minuscule comme Berthe",
        "7 chiffre sept",
    ]


def test_dash_and_other_characters_are_quoted():
    assert spell("A-é") == ["A comme Anatole", "« - » tiret", "« é »"]


def test_spelled_joins_the_spelling_with_commas():
    assert spelled("K7M") == "K comme Kléber, 7 chiffre sept, M comme Marcel"


# ---------------------------------------------------------------- properties


@given(st.randoms(use_true_random=False))
def test_displayed_key_parses_back_to_its_value(rnd: random.Random):
    value = generate(KEY, rnd.choice)
    assert parse_typed(KEY, display(KEY, value), FIELD) == value


@given(st.randoms(use_true_random=False))
def test_displayed_key_typed_in_lower_case_parses_back_to_its_value(rnd: random.Random):
    value = generate(KEY, rnd.choice)
    assert parse_typed(KEY, display(KEY, value).lower(), FIELD) == value


@given(st.randoms(use_true_random=False))
def test_generated_password_parses_back_to_itself(rnd: random.Random):
    value = generate(PASSWORD, rnd.choice)
    assert parse_typed(PASSWORD, display(PASSWORD, value), "Mot de passe") == value


@given(st.randoms(use_true_random=False), st.sampled_from([KEY, PASSWORD, VOTE_CODE]))
def test_spelling_has_one_phrase_per_character(rnd: random.Random, fmt: CredentialFormat):
    value = generate(fmt, rnd.choice)
    assert len(spell(value)) == len(value)


@given(st.text(max_size=40))
def test_parsing_any_text_returns_a_valid_key_or_refuses(text: str):
    try:
        value = parse_typed(KEY, text, FIELD)
    except InvalidValue as error:
        assert str(error).startswith(f"{FIELD} : ")
    else:
        assert len(value) == 16 and set(value) <= set(UNAMBIGUOUS)
