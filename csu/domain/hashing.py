"""Keyed hashes of secrets and keyed pseudonyms of voters.

Identity secrets are never stored in clear: only HMAC-SHA256 under the
deployment key of their normalised value, tagged with what they are so
that equal values of two kinds never share a hash.
"""

import hashlib
import hmac


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """Hex HMAC-SHA256 of ``purpose:value`` under ``key``."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def matches(key: bytes, purpose: str, value: str, stored: str | None) -> bool:
    """Whether ``value`` hashes to ``stored``, compared in constant time."""
    if not stored:
        return False
    return hmac.compare_digest(keyed_hash(key, purpose, value), stored)


def pseudonym(key: bytes, matricule: str) -> str:
    """The voter's keyed pseudonym, the only name the journal knows."""
    return keyed_hash(key, "voter", matricule)


# What each keyed hash is of: the tag keeps equal values of two kinds apart.
NUMEN = "numen"
NIR10 = "nir10"
BIRTH_DEPARTMENT = "birth_department"
IBAN6 = "iban6"
CARD6 = "card6"
CHALLENGE_ANSWER = "challenge_answer"
TYPED_LOGIN = "typed_login"  # a login typed at the login screen that names no operator
