"""The operators' password rule: 12 characters at least, not common, not from the login."""

import pytest

from csu.domain.errors import InvalidValue
from csu.domain.passwords import MIN_LENGTH, check_operator_password

STRONG = "Velo-Rouge-Lune-42"


def refusal(password: str, login: str = "c.martin", name: str | None = None) -> str:
    with pytest.raises(InvalidValue) as refused:
        check_operator_password(password, login, name)
    assert refused.value.field == "Mot de passe"
    return refused.value.fault


def test_a_long_uncommon_password_is_accepted() -> None:
    assert check_operator_password(STRONG, "c.martin", "Camille Martin") == STRONG


def test_a_password_under_twelve_characters_is_refused_with_the_count() -> None:
    assert refusal("Zq8!vLw#2pK") == "12 caractères au moins (11 saisis)"
    assert refusal("Z") == "12 caractères au moins (1 saisi)"
    assert MIN_LENGTH == 12


@pytest.mark.parametrize(
    ("password", "found"),
    [
        ("motdepasse123", "un mot de passe répandu"),
        ("azertyuiop12", "un mot de passe répandu"),
        ("123456789012", "une suite comme « abc » ou « 123 »"),
        ("aaaaaaaaaaaa", "une répétition"),
        ("01/02/1985-xq", "une date"),
    ],
)
def test_a_common_or_predictable_password_is_refused_naming_why(password: str, found: str) -> None:
    fault = refusal(password)
    assert fault.startswith("trop courant ou trop prévisible : il contient ")
    assert found in fault


@pytest.mark.parametrize("password", ["MotDePasse2024", "Soleil2024!!", "Marseille2024"])
def test_a_common_password_with_a_few_characters_added_is_still_common(password: str) -> None:
    assert "un mot de passe répandu" in refusal(password)


@pytest.mark.parametrize(
    "password",
    ["camille2024!!", "CAMILLE-pluie-9", "ellimac-Pluie-9", "c4m1ll3-2024-zz"],
    ids=["contained", "upper-case", "reversed", "l33t"],
)
def test_a_password_derived_from_the_login_is_refused(password: str) -> None:
    assert refusal(password, login="camille") == (
        "dérivé de l'identifiant « camille » ; choisissez-en un sans lien avec lui"
    )


def test_a_part_of_the_login_counts_as_the_login() -> None:
    assert refusal("Martin.Velo.42xx", login="c.martin").startswith(
        "dérivé de l'identifiant « c.martin »"
    )


def test_a_password_derived_from_the_name_is_refused_accents_aside() -> None:
    assert refusal("Helene-Velo-Lune-42", login="h.dupont", name="Hélène Dupont").startswith(
        "dérivé du nom « Hélène Dupont »"
    )


def test_a_short_part_of_the_login_does_not_count() -> None:
    # "mar" of "c.mar" is in "Marmotte": too short to say the password comes from it.
    assert check_operator_password("Marmotte-Bleue-9", "c.mar") == "Marmotte-Bleue-9"


def test_a_refusal_never_quotes_the_password() -> None:
    for password in ("motdepasse123", "camille2024!!", "Soleil2024!!"):
        assert password not in refusal(password, login="camille")


def test_a_very_long_passphrase_is_judged_and_accepted() -> None:
    long = "-".join([STRONG] * 6)
    assert check_operator_password(long, "c.martin") == long


@pytest.mark.parametrize("hidden", ["\x00", "\x1b", "\u200b", "\t"])
def test_a_password_holding_a_control_or_invisible_character_is_refused(hidden: str) -> None:
    with pytest.raises(InvalidValue, match="caractère interdit en position 9"):
        check_operator_password(f"Pluie-su{hidden}r-Brest-42", "c.martin")


def test_a_password_over_256_characters_is_refused_with_the_count() -> None:
    with pytest.raises(InvalidValue, match=r"256 caractères au plus \(1400 reçus\)"):
        check_operator_password("Pluie-sur-Brest-42 " * 70 + "x" * 70, "c.martin")
