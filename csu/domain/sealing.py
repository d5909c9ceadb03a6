"""Secrets that must be read back (an operator's TOTP seed) are sealed, not hashed:
AES-256-GCM under a key derived from the deployment key for one purpose."""

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from csu.domain.errors import InvalidValue


def _derive(key: bytes, purpose: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"csu:{purpose}".encode()
    ).derive(key)
    return AESGCM(derived)


def seal(key: bytes, purpose: str, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = _derive(key, purpose).encrypt(nonce, plaintext.encode(), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(key: bytes, purpose: str, token: str) -> str:
    try:
        data = base64.urlsafe_b64decode(token.encode())
        plain = _derive(key, purpose).decrypt(data[:12], data[12:], purpose.encode())
    except Exception as error:  # any failure means the wrong key or a damaged value
        raise InvalidValue("Secret scellé", "illisible avec la clé de ce déploiement") from error
    return plain.decode()
