"""The reason typed for a sensitive act: letters and digits count, a cap, masked."""

import pytest

from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from csu.services.reasons import long_enough, minimum_words, optional_reason, typed_reason


def test_spaces_between_letters_do_not_make_a_reason() -> None:
    with pytest.raises(ServiceError, match="5 lettres ou chiffres au moins"):
        typed_reason("a b c")


def test_punctuation_alone_is_no_reason() -> None:
    with pytest.raises(ServiceError, match="Motif trop court"):
        typed_reason(".....!!!")


def test_a_reason_longer_than_the_cap_is_refused_with_its_length() -> None:
    with pytest.raises(InvalidValue) as refused:
        typed_reason("é" * 301)
    assert str(refused.value) == "Motif : 300 caractères au plus (301 ici)"


def test_a_reason_is_kept_on_one_line_with_its_spaces_tidied() -> None:
    assert typed_reason("  appel   du\tvotant  ") == "appel du votant"


def test_a_phone_number_in_a_reason_is_masked_for_the_journal() -> None:
    assert "06 12 34 56 78" not in typed_reason("rappelé au 06 12 34 56 78")


def test_a_blank_optional_reason_is_none() -> None:
    assert optional_reason("   ") is None


def test_an_optional_reason_given_follows_the_rules() -> None:
    with pytest.raises(ServiceError, match="Motif trop court"):
        optional_reason("a b")


def test_a_reason_too_short_is_refused_naming_the_minimum_as_every_field_says_it() -> None:
    with pytest.raises(ServiceError) as refused:
        typed_reason("ok")
    assert str(refused.value) == f"Motif trop court : indiquez pourquoi en {minimum_words()}."
    assert minimum_words() == "5 lettres ou chiffres au moins"


def test_only_letters_and_digits_make_a_reason_long_enough() -> None:
    assert not long_enough("a.b.c.d")
    assert long_enough("a.b.c.d.e")


@pytest.mark.parametrize("typed", ["xxxxx", "aAaAaA", "ab ab ab", "11111"])
def test_one_key_held_down_or_two_in_turn_is_no_reason(typed: str) -> None:
    with pytest.raises(ServiceError, match="Motif illisible"):
        typed_reason(typed)


def test_a_short_reason_in_words_is_one() -> None:
    assert typed_reason("appel") == "appel"
