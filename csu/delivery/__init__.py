"""Sending messages to voters: one interface, transports chosen by configuration.

For now one transport, :class:`csu.delivery.folder.FolderDelivery`: each message
is written as a file in a folder (the local outbox a tester reads). SMTP and an
SMS gateway come with the delivery issue.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

Channel = Literal["sms", "email"]


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one recipient. ``recipient`` is the full number or address: it
    reaches the transport only, never a table or the journal."""

    channel: Channel
    recipient: str
    sender_name: str
    subject: str
    body: str


class DeliveryFailed(Exception):
    """The transport did not accept the message; the text says why, in French."""


class Delivery(Protocol):
    def send(self, message: Message) -> str:
        """Hands the message over; returns the transport's reference for it."""
        ...
