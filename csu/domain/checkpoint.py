"""Signed checkpoints of the journal, in the formats transparency logs share, so that an
auditor can check them with their own tools (e.g. Go's golang.org/x/mod/sumdb/note):

- a C2SP *signed note* (c2sp.org/signed-note): a text ending in a newline, a blank
  line, then signature lines ``— <key name> base64(key ID (4 bytes) || signature)``;
  Ed25519 signs the text; key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4];
- whose text is a C2SP *tlog-checkpoint* (c2sp.org/tlog-checkpoint): the origin, the
  tree size in decimal, the base64 RFC 6962 Merkle root of the first ``size`` entries;
- keys as Go's note package writes them: ``name+hex(key ID)+base64(0x01 || public key)``
  for the verifier key, ``PRIVATE+KEY+name+hex(key ID)+base64(0x01 || seed)`` for the
  signer key.

Errors are :class:`NoteError`, whose text is a French sentence for the auditor.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from csu.domain.text import escaped

ED25519 = 0x01  # the signature type byte of c2sp.org/signed-note
DASH = "\u2014"  # em dash: signature lines start with "— "
MAX_SIGNATURES = 100  # as Go's note.Open: a note with more is refused
_SPACES = re.compile(r"\s")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
# A key's ID as Go's note package reads it: 8 hexadecimal digits (strconv.ParseUint, base 16).
_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


class NoteError(ValueError):
    """A key, note or checkpoint that cannot be used; the text says why, in French."""


def check_key_name(name: str) -> str:
    if not name or _SPACES.search(name) or "+" in name:
        raise NoteError(
            f"Nom de clé « {name} » invalide : non vide, sans espace ni « + » "
            "(par exemple csu.exemple.fr/journal)."
        )
    return name


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


PRIVATE_PREFIX = "PRIVATE+KEY+"


def is_public_key(text: str) -> bool:
    """Whether ``text`` is a verifier key (checked whole: name, hash and key agree)."""
    try:
        NoteVerifier.parse(text)
    except NoteError:
        return False
    return True


def _stated_key_id(text: str, key: str) -> bytes:
    """The key ID a key states between its name and its data, or a :class:`NoteError`
    naming it (``key``: « Clé publique », « Clé de signature »): read before the data,
    so that a wrong ID is not reported as the data's fault."""
    if not _KEY_ID.fullmatch(text):
        shown = escaped(text if len(text) <= 20 else text[:19] + "…")
        raise NoteError(
            f"{key} illisible : son empreinte « {shown} » (après le nom) doit compter 8 "
            "chiffres hexadécimaux (0-9, a-f)."
        )
    return bytes.fromhex(text)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("encodage base64 illisible") from None


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A public key that checks notes: what the cell hands to auditors."""

    name: str
    key_id: bytes
    public: bytes  # 32 bytes, RFC 8032 encoding

    @classmethod
    def parse(cls, text: str) -> "NoteVerifier":
        """A verifier key ``name+hash+base64(0x01 || key)``."""
        if text.strip().startswith(PRIVATE_PREFIX):  # the secret, given where the public goes
            raise NoteError(
                "Clé publique attendue, mais c'est la clé privée : donnez le fichier .pub "
                "(ou la ligne nom+empreinte+clé que « csu audit keygen » affiche), et gardez "
                "la clé privée pour vous."
            )
        parts = text.strip().split("+", 2)  # base64 may hold "+", a name may not
        if len(parts) != 3:
            raise NoteError(
                "Clé publique illisible : attendu nom+empreinte+clé "
                "(la ligne affichée par « csu audit keygen »)."
            )
        name, hash_hex, data = parts
        check_key_name(name)
        stated = _stated_key_id(hash_hex, "Clé publique")
        try:
            key = _b64decode(data)
        except NoteError:
            raise NoteError("Clé publique illisible : la clé n'est pas en base64.") from None
        if len(key) != 33 or key[0] != ED25519:
            raise NoteError("Clé publique illisible : ce n'est pas une clé Ed25519.")
        identifier = key_id(name, key[1:])
        if stated != identifier:
            raise NoteError("Clé publique altérée : son empreinte ne correspond pas à la clé.")
        return cls(name, identifier, key[1:])

    def __str__(self) -> str:
        data = base64.b64encode(bytes([ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{data}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """The cell's private key (kept in a file outside the database)."""

    name: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> "NoteSigner":
        return cls(check_key_name(name), Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> "NoteSigner":
        """A signer key ``PRIVATE+KEY+name+hash+base64(0x01 || seed)``."""
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            if is_public_key(text):
                raise NoteError(
                    "Clé de signature attendue, mais c'est la clé publique (le fichier .pub) : "
                    "donnez la clé privée écrite par « csu audit keygen » (le même nom, "
                    "sans .pub)."
                )
            raise NoteError(
                "Clé de signature illisible : attendu PRIVATE+KEY+nom+empreinte+clé "
                "(le fichier écrit par « csu audit keygen »)."
            )
        name, hash_hex, data = parts[2:]
        check_key_name(name)
        stated = _stated_key_id(hash_hex, "Clé de signature")
        try:
            seed = _b64decode(data)
        except NoteError:
            raise NoteError("Clé de signature illisible : la clé n'est pas en base64.") from None
        if len(seed) != 33 or seed[0] != ED25519:
            raise NoteError("Clé de signature illisible : ce n'est pas une clé Ed25519.")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed[1:]))
        if stated != signer.key_id:
            raise NoteError("Clé de signature altérée : son empreinte ne correspond pas.")
        return signer

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, _raw_public(self.private.public_key()))

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.key_id, _raw_public(self.private.public_key()))

    def private_text(self) -> str:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        seed = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        data = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{data}"

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which ends with a newline)."""
        _check_text(text)
        signature = self.private.sign(text.encode())
        line = base64.b64encode(self.key_id + signature).decode()
        return f"{text}\n{DASH} {self.name} {line}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or _CONTROL.search(text):
        raise NoteError("Texte de note invalide : il doit finir par un saut de ligne.")


@dataclass(frozen=True, slots=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]

    @classmethod
    def parse(cls, note: str) -> "Note":
        """Split a signed note into its text and signature lines (nothing verified)."""
        if _CONTROL.search(note) or "\ufeff" in note:
            raise NoteError("Note signée illisible : caractères de contrôle interdits.")
        cut = note.rfind("\n\n")
        if cut < 0 or not note.endswith("\n"):
            raise NoteError(
                "Note signée illisible : il faut un texte, une ligne vide puis les signatures."
            )
        text, lines = note[: cut + 1], note[cut + 2 : -1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise NoteError("Note signée illisible : trop de signatures.")
        signatures = []
        for line in lines:
            match = re.fullmatch(rf"{DASH} (\S+) (\S+)", line)
            if match is None:
                raise NoteError(f"Ligne de signature illisible : « {line[:80]} ».")
            try:
                blob = _b64decode(match[2])
            except NoteError:
                raise NoteError(f"Signature illisible de la clé « {match[1]} ».") from None
            if len(blob) < 5:
                raise NoteError(f"Signature trop courte de la clé « {match[1]} ».")
            signatures.append(NoteSignature(match[1], blob[:4], blob[4:]))
        return cls(text, tuple(signatures))

    def open(self, verifier: NoteVerifier) -> str:
        """The text, once the signature of ``verifier`` is found and checks."""
        for signature in self.signatures:
            if (signature.name, signature.key_id) == (verifier.name, verifier.key_id):
                if not verifier.verify(self.text.encode(), signature.signature):
                    raise NoteError(
                        f"Signature invalide : la note a été modifiée après sa signature par "
                        f"« {verifier.name} »."
                    )
                return self.text
        found = ", ".join(f"{s.name} ({s.key_id.hex()})" for s in self.signatures)
        raise NoteError(
            f"Signé par une autre clé ({found}), "
            f"pas par « {verifier.name} » ({verifier.key_id.hex()})."
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head of the journal's Merkle tree at ``size`` entries (tlog-checkpoint text)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    def sign(self, signer: NoteSigner) -> str:
        if not self.origin or "\n" in self.origin:
            raise NoteError("Origine du point de contrôle invalide : une ligne non vide.")
        return signer.sign(self.text())

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        lines = text.split("\n")
        if lines[-1] != "" or len(lines) < 4 or not all(lines[:-1]):
            raise NoteError(
                "Point de contrôle illisible : attendu l'origine, la taille et la racine, "
                "une par ligne."
            )
        origin, size_text, root_text, *extensions = lines[:-1]
        if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size_text):
            raise NoteError(f"Point de contrôle illisible : taille « {size_text[:30]} ».")
        try:
            root = _b64decode(root_text)
        except NoteError:
            root = b""
        if len(root) != 32:
            raise NoteError("Point de contrôle illisible : la racine n'est pas une empreinte.")
        return cls(origin, int(size_text), root, tuple(extensions))

    @classmethod
    def open(cls, note: str, verifier: NoteVerifier) -> "Checkpoint":
        """The checkpoint of a signed note, once its signature by ``verifier`` checks."""
        return cls.parse(Note.parse(note).open(verifier))

    @classmethod
    def read(cls, note: str) -> "Checkpoint":
        """The checkpoint of a signed note, signature not checked (for display)."""
        return cls.parse(Note.parse(note).text)
