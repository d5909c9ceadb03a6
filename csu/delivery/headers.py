"""E-mail headers that every client reads back whole.

Python's own folding of a long From cuts an RFC 2047 encoded word in the middle of a
word (``=?utf-8?q?…=C3=89ducatio?=`` then `` =?utf-8?q?n?=``): valid, yet several
readers, Python's ``email.policy.default`` parser among them, keep the folding space
and show « Éducatio n nationale ». :data:`MAIL_POLICY` writes the From display name
itself: ASCII words stay as they are, each run of other words is one encoded word
(cut, when longer than RFC 2047's 75 characters, only between words, the space kept
inside), and the line is folded between words only.

:func:`ascii_address` gives the envelope and the To header of an address whose domain
only is non-ASCII (``jean@exemple-été.fr``) in its IDNA form
(``jean@xn--exemple-t-i4ab.fr``): the same mailbox, which needs no SMTPUTF8 of the relay.
:func:`recipient_address` does so for a To header that may carry a name too
(« Élise Dupont <elise@exemple-été.fr> »): the name is the policy's to encode (RFC
2047), never the address, where no reader decodes an encoded word.
"""

import re
from email.headerregistry import Address
from email.policy import EmailPolicy
from typing import Any

import email_validator

MAX_ENCODED_WORD = 75  # RFC 2047 § 2
MAX_LINE = 78  # RFC 5322 § 2.1.1
# A word of a phrase that needs no encoding nor quoting (RFC 5322 atext).
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
# Bytes the Q encoding keeps as they are in a phrase (RFC 2047 § 5 (3)).
_Q_PLAIN = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def ascii_address(address: str) -> str:
    """``address`` with its domain in IDNA (« xn-- ») when its local part is ASCII, as
    email-validator gives it (``ascii_email``); else as it is: a non-ASCII local part
    (« élise@… ») has no ASCII form and needs SMTPUTF8 whatever the domain."""
    if address.isascii():
        return address
    try:
        checked = email_validator.validate_email(
            address, check_deliverability=False, globally_deliverable=False
        )
    except email_validator.EmailNotValidError:
        return address  # checked when typed: left to the relay as it is
    return checked.ascii_email or address


def recipient_address(recipient: str) -> Address | None:
    """The To header's :class:`Address` for ``recipient`` (an address, or a name and
    its address), the domain in IDNA (:func:`ascii_address`); None when ``recipient``
    is not one address (left to the caller as it is)."""
    addresses = MAIL_POLICY.header_factory("To", recipient).addresses
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        return None
    found = addresses[0]
    # By its parts: a non-ASCII local part is refused as an addr_spec, not as a part.
    domain = ascii_address(found.addr_spec).rpartition("@")[2]
    return Address(display_name=found.display_name, username=found.username, domain=domain)


def encoded_word(text: str) -> str:
    """``text`` as one RFC 2047 encoded word (UTF-8, Q encoding for a phrase)."""
    encoded = "".join(
        chr(byte) if byte in _Q_PLAIN else "_" if byte == 0x20 else f"={byte:02X}"
        for byte in text.encode("utf-8")
    )
    return f"=?utf-8?q?{encoded}?="


def phrase_words(name: str) -> list[str]:
    """A display name as the words of its header: atoms as they are, each run of other
    words encoded together, never a word cut unless it alone exceeds an encoded word."""
    words: list[str] = []
    run: list[str] = []
    for word in name.split():
        if _ATOM.fullmatch(word):
            words.extend(_encoded_run(run))
            run = []
            words.append(word)
        else:
            run.append(word)
    words.extend(_encoded_run(run))
    return words


def _fits(text: str) -> bool:
    return len(encoded_word(text)) <= MAX_ENCODED_WORD


def _encoded_run(run: list[str]) -> list[str]:
    """Consecutive words to encode, in as few encoded words as fit; where the run is cut,
    the space between the words goes inside the first (a reader drops the space
    between two encoded words)."""
    pieces: list[str] = []
    current = ""
    for word in run:
        candidate = f"{current} {word}" if current else word
        if _fits(candidate):
            current = candidate
            continue
        if current:
            pieces.append(current + " ")
        current = ""
        for char in word:  # a word longer than an encoded word: cut between characters
            if current and not _fits(current + char + " "):
                pieces.append(current)
                current = ""
            current += char
    if current:
        pieces.append(current)
    return [encoded_word(piece) for piece in pieces]


def folded_from(display_name: str, addr_spec: str, linesep: str) -> str:
    """``From: <words> <addr>`` folded between words at 78 characters."""
    tokens = [*phrase_words(display_name), f"<{addr_spec}>"]
    lines = ["From:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > MAX_LINE and lines[-1] != "From:":
            lines.append("")
        lines[-1] += f" {token}"
    return linesep.join(lines) + linesep


def _whole_words_from(name: str, value: Any, policy: EmailPolicy) -> str | None:
    """The From header written by :func:`folded_from`, or None to leave it to Python:
    another header, a UTF-8 message (SMTPUTF8: no encoded words), or an ASCII name."""
    if name.lower() != "from" or policy.utf8:
        return None
    addresses: tuple[Any, ...] = getattr(value, "addresses", ())
    if len(addresses) != 1 or not isinstance(addresses[0], Address):
        return None
    address = addresses[0]
    if address.display_name.isascii() or not address.addr_spec.isascii():
        return None
    return folded_from(address.display_name, address.addr_spec, policy.linesep)


class _WholeWordsPolicy(EmailPolicy):
    """``email.policy.default``, except the From header (:func:`folded_from`)."""

    def fold(self, name: str, value: Any) -> str:
        folded = _whole_words_from(name, value, self)
        return super().fold(name, value) if folded is None else folded

    def fold_binary(self, name: str, value: Any) -> bytes:
        folded = _whole_words_from(name, value, self)
        return super().fold_binary(name, value) if folded is None else folded.encode("ascii")


MAIL_POLICY = _WholeWordsPolicy()
"""The policy of the e-mails CSU writes (SMTP and the outbox folder)."""
