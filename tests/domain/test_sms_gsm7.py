"""SMS text (issue M3): the GSM-7 alphabet, transliteration into it, segment counting,
and the one number an SMS ends with (issue L6)."""

import pytest

from csu.domain.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_gsm7,
    measure,
    segments,
    to_gsm7,
    with_contact,
)


def test_the_default_alphabet_has_its_127_characters_besides_the_escape() -> None:
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC
    assert set("^{}\\[~]|€") <= GSM7_EXTENSION


def test_the_accented_letters_gsm7_has_are_kept() -> None:
    text = "é è à ù ì ò Ç É Ä Ö Ñ Ü ä ö ñ ü"
    assert to_gsm7(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Élections 2022 — Éducation nationale", "Élections 2022 - Éducation nationale"),
        ("du 1er – 8 décembre", "du 1er - 8 décembre"),
        ("N° vert", "No vert"),
        ("œuvre, Œuvre", "oeuvre, OEuvre"),
        ("l’électeur", "l'électeur"),
        ("« Générer un code »", '" Générer un code "'),
        ("“oui”", '"oui"'),
        ("vous-même, être, connaître, reçu, là-bas", "vous-meme, etre, connaitre, recu, là-bas"),
        ("attendez…", "attendez..."),
    ],
)
def test_characters_gsm7_lacks_become_close_gsm7_ones(raw: str, expected: str) -> None:
    assert to_gsm7(raw) == expected
    assert is_gsm7(to_gsm7(raw))


def test_non_breaking_spaces_become_spaces() -> None:
    assert to_gsm7("code\u00a0: 12\u202f34") == "code : 12 34"


def test_invisible_characters_are_dropped() -> None:
    assert to_gsm7("co\u200bde\u00ad") == "code"


def test_a_character_with_no_close_equivalent_becomes_a_question_mark() -> None:
    assert to_gsm7("code 中") == "code ?"


def test_a_gsm7_text_is_left_as_it_is() -> None:
    text = "CSU électeurs : 01 80 15 43 21 [20 €]"
    assert to_gsm7(text) is text


def test_160_septets_take_one_segment() -> None:
    assert measure("a" * 160) == ("GSM-7", 160, 1)


def test_161_septets_take_two_segments_of_153() -> None:
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_an_extension_character_takes_two_septets() -> None:
    assert measure("€" * 80) == ("GSM-7", 160, 1)
    assert measure("€" * 81).segments == 2


def test_an_escaped_pair_is_not_split_between_two_segments() -> None:
    # 152 septets, then « € » (2): it goes whole into the second part.
    assert segments("a" * 152 + "€" + "a" * 152) == 3
    assert segments("a" * 151 + "€" + "a" * 153) == 2


def test_one_character_outside_gsm7_sends_the_whole_sms_in_ucs2() -> None:
    assert measure("a" * 69 + "—") == ("UCS-2", 70, 1)
    assert measure("a" * 70 + "—") == ("UCS-2", 71, 2)
    assert segments("a" * 133 + "—") == 2
    assert segments("a" * 134 + "—") == 3


def test_a_character_beyond_the_basic_plane_takes_two_ucs2_units() -> None:
    assert measure("🙂" * 35) == ("UCS-2", 70, 1)


def test_an_empty_sms_is_one_segment() -> None:
    assert measure("") == ("GSM-7", 0, 1)


def test_an_sms_ends_with_the_number_to_call() -> None:
    line = "CSU électeurs : 01 80 15 43 21"
    text = with_contact("Votre code est 123456.", line, "01 80 15 43 21")
    assert text == "Votre code est 123456.\nCSU électeurs : 01 80 15 43 21"


def test_an_sms_that_gives_the_number_already_does_not_repeat_it() -> None:
    body = "Si vous n'avez rien demandé, appelez le 01 99 00 12 34."
    assert with_contact(body, "Assistance : 01 99 00 12 34", "01 99 00 12 34") == body


def test_the_number_is_recognised_whatever_its_separators() -> None:
    body = "Appelez le 01.99.00.12.34."
    assert with_contact(body, "Assistance : 01 99 00 12 34", "01 99 00 12 34") == body


def test_a_longer_number_holding_the_same_digits_is_another_number() -> None:
    body = "Référence 330199001234."
    text = with_contact(body, "Assistance : 01 99 00 12 34", "01 99 00 12 34")
    assert text.endswith("\nAssistance : 01 99 00 12 34")


def test_an_sms_with_its_number_is_in_gsm7() -> None:
    text = with_contact("Élections — code", "Support (N° vert) : 0 800 808 900", "0 800 808 900")
    assert text == "Élections - code\nSupport (No vert) : 0 800 808 900"
