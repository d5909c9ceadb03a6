"""The From display name reaches the voter whole: read back from the raw message with
``email.policy.default`` (whose parser keeps the space between two encoded words, as
some clients do), it is the election's sender name, never « Éducatio n ». The
Message-ID is the same on every attempt of one message. A real SMTP server (aiosmtpd)."""

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from csu.delivery import Message
from csu.delivery.folder import FolderDelivery
from csu.delivery.headers import MAX_LINE, phrase_words
from csu.delivery.smtp import SmtpDelivery
from tests.services.intervention_support import ELECTIONS

SENDER_ADDRESS = "csu-electeurs@elections.example.fr"
# The sender names of the elections shipped, and harder ones.
NAMES = [
    "Élections professionnelles 2022 — Éducation nationale",
    "Élections professionnelles 2011 — Éducation nationale",
    "CSU électeurs — Élections professionnelles 2022",
    "Élections CCI Hauts-de-France 2021",
    "Cellule « électeurs » de l'Éducation nationale, académie d'Aix-Marseille — 2022",
    "Préfecture de la région Provence-Alpes-Côte d'Azur — élections des représentants",
]


@dataclass
class Raw:
    """An aiosmtpd handler keeping each message as the bytes the relay received."""

    messages: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(envelope.content)
        return "250 2.0.0 Ok: queued as 7D3A1B2C9E"


@pytest.fixture(name="relay")
def relay_fixture() -> Iterator[tuple[Raw, SmtpDelivery]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    raw = Raw()
    controller = Controller(raw, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield raw, SmtpDelivery("127.0.0.1", port, security="none",
                                sender_address=SENDER_ADDRESS, timeout=5)  # fmt: skip
    finally:
        controller.stop()


def mail(name: str, key: str | None = None) -> Message:
    return Message("email", "jeanne.dupont@interieur.gouv.fr", name, "Code", "123456", key)


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def test_the_shipped_elections_are_among_the_names_tested() -> None:
    shipped = {
        line.split("=", 1)[1].strip().strip('"')
        for path in ELECTIONS.glob("*.toml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("sender_name")
    }
    assert shipped and shipped <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_from_display_name_reads_back_whole(
    relay: tuple[Raw, SmtpDelivery], name: str
) -> None:
    raw, delivery = relay
    delivery.send(mail(name))
    [received] = raw.messages
    [address] = parsed(received)["From"].addresses
    assert (address.display_name, address.addr_spec) == (name, SENDER_ADDRESS)


@pytest.mark.parametrize("name", NAMES)
def test_the_from_header_keeps_to_78_characters_a_line(
    relay: tuple[Raw, SmtpDelivery], name: str
) -> None:
    raw, delivery = relay
    delivery.send(mail(name))
    [received] = raw.messages
    lines = received.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("From:"))
    folded = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith(" "):  # the next header
            break
        folded.append(line)
    assert all(len(line) <= MAX_LINE for line in folded), folded


def test_an_encoded_word_never_ends_inside_a_word() -> None:
    """Each encoded word of a run ends with its word, or with the space after it."""
    words = phrase_words("Élections professionnelles 2022 — Éducation nationale")
    assert words == [
        "=?utf-8?q?=C3=89lections?=",
        "professionnelles",
        "2022",
        "=?utf-8?q?=E2=80=94_=C3=89ducation?=",
        "nationale",
    ]


def test_the_outbox_folder_writes_the_same_from(tmp_path: Any) -> None:
    folder = FolderDelivery(tmp_path / "outbox")
    name = NAMES[0]
    written = folder.send(mail(name))
    [address] = parsed((tmp_path / "outbox" / written).read_bytes())["From"].addresses
    assert address.display_name == name


def test_every_attempt_of_a_message_carries_the_same_message_id(
    relay: tuple[Raw, SmtpDelivery],
) -> None:
    raw, delivery = relay
    key = "0f3a5c7e9b1d2f4a6c8e0a2c4e6a8c0e"
    delivery.send(mail(NAMES[0], key))
    delivery.send(mail(NAMES[0], key))
    delivery.send(mail(NAMES[0], "1f3a5c7e9b1d2f4a6c8e0a2c4e6a8c0e"))
    ids = [str(parsed(message)["Message-ID"]) for message in raw.messages]
    assert ids[0] == ids[1] == f"<csu.{key}@elections.example.fr>"
    assert ids[2] != ids[0]
