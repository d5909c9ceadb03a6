"""The outbox's .eml files have conformant headers whatever the recipient: a domain
with accents in its IDNA form (as the SMTP path sends it), a name with accents as an
RFC 2047 encoded word, never an encoded word inside the address itself. Read back by
the standard library in strict mode, the headers are ASCII and the address whole."""

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from pathlib import Path

import pytest

from csu.delivery import Message
from csu.delivery.folder import FolderDelivery

SENDER = "CSU électeurs — Élections professionnelles 2022"


def written(tmp_path: Path, recipient: str) -> bytes:
    message = Message("email", recipient, SENDER, "Votre identifiant", "Bonjour,\n")
    return (tmp_path / FolderDelivery(tmp_path).send(message)).read_bytes()


def strictly_parsed(data: bytes) -> EmailMessage:
    mail = BytesParser(policy=policy.strict).parsebytes(data)
    assert isinstance(mail, EmailMessage)
    assert mail["To"].defects == () and mail["From"].defects == ()
    return mail


def headers_of(data: bytes) -> bytes:
    return data.split(b"\n\n", 1)[0]


@pytest.mark.parametrize(
    ("recipient", "name", "addr_spec"),
    [
        ("jean@exemple-été.fr", "", "jean@xn--exemple-t-i4ab.fr"),
        ("Élise Dupont <elise@exemple.fr>", "Élise Dupont", "elise@exemple.fr"),
        ("Élise Dupont <elise@exemple-été.fr>", "Élise Dupont", "elise@xn--exemple-t-i4ab.fr"),
    ],
    ids=["unicode domain", "name with accents", "both"],
)
def test_the_to_header_is_ascii_and_reads_back_whole(
    tmp_path: Path, recipient: str, name: str, addr_spec: str
) -> None:
    data = written(tmp_path, recipient)
    assert headers_of(data).isascii()
    [to] = strictly_parsed(data)["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, addr_spec)


def test_a_non_ascii_local_part_is_written_in_utf8_as_rfc_6532_allows(tmp_path: Path) -> None:
    # No ASCII form exists (the SMTP path asks the relay for SMTPUTF8): the header is
    # UTF-8, never an encoded word inside the address, which no reader decodes there.
    # (The stdlib's strict mode flags any non-ASCII local part: read as UTF-8 text.)
    data = written(tmp_path, "élise@exemple.fr")
    assert "\nTo: élise@exemple.fr\n" in headers_of(data).decode("utf-8")
    mail = Parser(policy=policy.SMTPUTF8).parsestr(data.decode("utf-8"))
    [to] = mail["To"].addresses
    assert to.addr_spec == "élise@exemple.fr"
