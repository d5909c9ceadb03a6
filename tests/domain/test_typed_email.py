"""An address an operator types for a voter keeps to ASCII before the @ (issue L5): such
a local part needs SMTPUTF8, which many relays refuse, and a confirmed one cannot change."""

import pytest

from csu.domain.contacts import parse_typed_email, typed_twice_alike
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email


def test_an_accent_before_the_at_is_refused_in_french() -> None:
    with pytest.raises(InvalidValue, match="accent ou caractère non latin avant le @"):
        parse_typed_email("laurence.ménard@exemple.fr")


def test_a_non_latin_local_part_is_refused() -> None:
    with pytest.raises(InvalidValue, match="avant le @"):
        parse_typed_email("почта@exemple.fr")


def test_an_accented_domain_is_accepted_as_parse_email_gives_it() -> None:
    assert parse_typed_email("ines@exémple.fr") == parse_email("ines@exémple.fr")


def test_a_plain_address_is_normalised_as_parse_email_does() -> None:
    assert parse_typed_email(" Ines.Perso@Exemple.FR ") == "Ines.Perso@exemple.fr"


def test_a_malformed_address_keeps_parse_emails_reason() -> None:
    with pytest.raises(InvalidValue, match="il manque le signe @"):
        parse_typed_email("ines.exemple.fr")


def test_an_address_typed_twice_is_one_address_whatever_its_case() -> None:
    assert typed_twice_alike("Ines.Perso@exemple.fr ", " ines.perso@EXEMPLE.fr")


def test_an_address_retyped_with_a_slip_is_not_the_same() -> None:
    assert not typed_twice_alike("ines.perso@gmial.com", "ines.perso@gmail.com")


def test_a_second_typing_that_is_no_address_differs() -> None:
    assert not typed_twice_alike("ines.perso@exemple.fr", "ines.perso@")
