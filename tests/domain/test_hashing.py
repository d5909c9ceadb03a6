"""Keyed hashes: HMAC-SHA256 of ``purpose:value``, exactly as the hmac module computes it."""

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from csu.domain import hashing

KEY = b"k" * 32


def _hmac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def test_a_keyed_hash_is_hex_and_tagged_with_its_purpose() -> None:
    digest = hashing.keyed_hash(KEY, hashing.NUMEN, "12A1234567ABC")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert digest != hashing.keyed_hash(KEY, hashing.NIR10, "12A1234567ABC")
    assert digest == _hmac(KEY, "numen", "12A1234567ABC")


# Keys shorter than, as long as and longer than SHA-256's 64-byte block (hmac hashes those).
keys = st.one_of(st.binary(max_size=200), st.sampled_from([b"", KEY, b"x" * 64, b"y" * 65]))


@given(keys, st.sampled_from([hashing.NUMEN, hashing.NIR10, "voter", ""]), st.text())
def test_a_keyed_hash_is_what_hmac_new_gives(key: bytes, purpose: str, value: str) -> None:
    assert hashing.keyed_hash(key, purpose, value) == _hmac(key, purpose, value)


@given(st.lists(st.tuples(keys, st.text(max_size=20)), max_size=12))
def test_keys_in_turn_do_not_mix_their_states(pairs: list[tuple[bytes, str]]) -> None:
    # More keys than are kept ready: each hash is still under its own key.
    for key, value in pairs:
        assert hashing.keyed_hash(key, "voter", value) == _hmac(key, "voter", value)


@given(keys, st.text(max_size=30), st.text(max_size=30))
def test_matches_compares_with_the_hmac(key: bytes, value: str, other: str) -> None:
    stored = _hmac(key, hashing.IBAN6, value)
    assert hashing.matches(key, hashing.IBAN6, value, stored)
    assert hashing.matches(key, hashing.IBAN6, other, stored) == (other == value)
    assert not hashing.matches(key, hashing.IBAN6, value, None)


def test_a_pseudonym_is_the_keyed_hash_of_the_matricule_as_a_voter() -> None:
    assert hashing.pseudonym(KEY, "MI04242421") == _hmac(KEY, "voter", "MI04242421")
