"""Sealed secrets (an operator's TOTP seed): readable back only with the same key."""

import pytest

from csu.domain import sealing
from csu.domain.errors import InvalidValue

KEY = b"k" * 32


def test_a_sealed_secret_reads_back_with_the_same_key_and_purpose() -> None:
    token = sealing.seal(KEY, "totp", "JBSWY3DPEHPK3PXP")
    assert sealing.unseal(KEY, "totp", token) == "JBSWY3DPEHPK3PXP"


def test_the_sealed_form_does_not_contain_the_secret() -> None:
    assert "JBSWY3DPEHPK3PXP" not in sealing.seal(KEY, "totp", "JBSWY3DPEHPK3PXP")


def test_two_seals_of_one_secret_differ() -> None:
    assert sealing.seal(KEY, "totp", "S") != sealing.seal(KEY, "totp", "S")


@pytest.mark.parametrize(("key", "purpose"), [(b"x" * 32, "totp"), (KEY, "autre")])
def test_another_key_or_purpose_cannot_read_it(key: bytes, purpose: str) -> None:
    token = sealing.seal(KEY, "totp", "S")
    with pytest.raises(InvalidValue, match="illisible avec la clé de ce déploiement"):
        sealing.unseal(key, purpose, token)


def test_a_damaged_token_is_refused_with_a_french_message() -> None:
    with pytest.raises(InvalidValue):
        sealing.unseal(KEY, "totp", "pas-un-jeton")
