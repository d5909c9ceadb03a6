"""Sending messages to voters: one interface, transports chosen by configuration.

Transports: :class:`csu.delivery.folder.FolderDelivery` writes each message as a file
in the local outbox (the default), and each letter as a PDF in the print folder;
:class:`csu.delivery.smtp.SmtpDelivery` hands e-mail to a relay,
:class:`csu.delivery.sms_http.SmsHttpDelivery` posts SMS to a gateway;
:class:`csu.delivery.router.ChannelRouter` picks one per channel.

What a transport returns or raises is stored (the message's reference, its last
error) and journalled for ever: never anything a server sent back but a short
identifier that passes :func:`safe_reference`, and fixed sentences with status codes.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Channel = Literal["sms", "email", "post"]

# What a reference may look like: a short identifier, nothing a sentence, a number
# with its "+" or an address could pass.
REFERENCE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# What a transport returns when it got no safe id: the status only.
STATUS = re.compile(r"(?:HTTP|SMTP) \d{3}")
# Runs of letters and digits of the message (code, token, words of the text) that a
# reference must not repeat.
_RUN = re.compile(r"[^\W_]{6,}|[A-Za-z0-9_-]{6,}")


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one recipient. ``recipient`` is the full number or address: it
    reaches the transport only, never a table or the journal. A letter (channel
    ``post``) has the postal address as recipient and its PDF, base64, as body
    (csu.services.letters)."""

    channel: Channel
    recipient: str
    sender_name: str
    subject: str
    body: str
    # The same on every attempt of one message (the outbox draws it): a gateway that
    # took a message but answered too late can drop the retry (SMS ``reference`` and
    # ``Idempotency-Key``; the e-mail's Message-ID). None: a fresh one per attempt.
    idempotency_key: str | None = None


class DeliveryFailed(Exception):
    """The transport did not accept the message; the text says why, in French, with
    fixed words and status codes only (it is stored and journalled)."""


class PermanentFailure(DeliveryFailed):
    """A refusal that a retry would only repeat (an SMTP 5xx reply, a gateway's 4xx
    other than 408, 409, 425 and 429): the outbox marks the message failed at once."""


class Delivery(Protocol):
    def send(self, message: Message) -> str:
        """Hands the message over; returns the transport's reference for it (an
        identifier that passes :func:`safe_reference`, or a status such as ``HTTP 200``)."""
        ...


@runtime_checkable
class KeepsCopies(Protocol):
    """A transport that keeps a copy of what it sent (the outbox folder): the copies
    hold codes, links and addresses, so they are erased on request and after a while."""

    def erase(self, references: Iterable[str] = (), *, dry_run: bool = False) -> int:
        """Erases the copies these references name and those older than the
        retention; returns how many were (with ``dry_run``: would be) erased."""
        ...


def safe_reference(value: object, message: Message) -> str | None:
    """``value`` as a reference to store, or None: only a string or integer matching
    :data:`REFERENCE` that repeats nothing of the recipient or the text (a gateway
    echoing the number or the code in its id field gets no reference at all)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not REFERENCE.fullmatch(text):
        return None
    return None if _echoes(text, message) else text


def storable_reference(reference: str) -> str | None:
    """What of a transport's return may be stored: an id of :data:`REFERENCE`'s shape
    or a :data:`STATUS`; anything else (a transport that forgot the rule) is dropped."""
    if REFERENCE.fullmatch(reference) or STATUS.fullmatch(reference):
        return reference
    return None


def _echoes(reference: str, message: Message) -> bool:
    folded = reference.casefold()
    clear = f"{message.recipient}\n{message.body}".casefold()
    if len(folded) >= 4 and folded in clear:
        return True
    if any(run in folded for run in _RUN.findall(clear)):
        return True
    # Any writing of the number: +33 6…, 0033…, 06-12-…; its last 8 digits suffice.
    digits = re.sub(r"\D", "", message.recipient)
    return len(digits) >= 8 and digits[-8:] in re.sub(r"\D", "", reference)
