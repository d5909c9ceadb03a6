"""An address whose domain only is non-ASCII (« jean@exemple-été.fr ») goes to a real
SMTP server (aiosmtpd, SMTPUTF8 offered) in its IDNA form, envelope and To header, with
no SMTPUTF8 asked; a non-ASCII local part still asks for it."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from csu.delivery import Message, PermanentFailure
from csu.delivery.headers import ascii_address
from csu.delivery.smtp import SmtpDelivery
from tests.delivery.test_smtp import SENDER_ADDRESS, SENDER_NAME, free_port

UNICODE_DOMAIN = "jean@exemple-été.fr"
PUNYCODE = "jean@xn--exemple-t-i4ab.fr"
UNICODE_LOCAL = "élise@exemple.fr"


@dataclass
class Seen:
    recipients: list[str]
    mail_options: list[str]
    mail: EmailMessage


@dataclass
class Recorder:
    """Keeps what the client asked in MAIL FROM and RCPT TO, and the message; refuses
    the recipients at bloqué-ici.fr (550 5.1.1), naming them back."""

    seen: list[Seen] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "bloqu" in address:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(mail, EmailMessage)
        self.seen.append(Seen(list(envelope.rcpt_tos), list(envelope.mail_options), mail))
        return "250 OK"


@dataclass
class Relay:
    recorder: Recorder
    port: int

    def delivery(self) -> SmtpDelivery:
        return SmtpDelivery(
            "127.0.0.1", self.port, security="none", sender_address=SENDER_ADDRESS, timeout=5
        )


@pytest.fixture
def relay() -> Iterator[Relay]:
    """A relay that offers SMTPUTF8: whether the client asks for it is the client's."""
    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True, decode_data=False
    )
    controller.start()
    try:
        yield Relay(recorder, port)
    finally:
        controller.stop()


def email(recipient: str) -> Message:
    return Message("email", recipient, SENDER_NAME, "Votre code", "Votre code est 123456.\n")


def test_the_ascii_form_of_an_address_is_email_validators() -> None:
    assert ascii_address(UNICODE_DOMAIN) == PUNYCODE
    assert ascii_address("jeanne.dupont@interieur.gouv.fr") == "jeanne.dupont@interieur.gouv.fr"
    assert ascii_address(UNICODE_LOCAL) == UNICODE_LOCAL  # no ASCII form: SMTPUTF8 needed


def test_a_unicode_domain_goes_out_in_idna_without_smtputf8(relay: Relay) -> None:
    relay.delivery().send(email(UNICODE_DOMAIN))
    [seen] = relay.recorder.seen
    assert seen.recipients == [PUNYCODE]
    assert "SMTPUTF8" not in [option.upper() for option in seen.mail_options]
    assert seen.mail["To"] == PUNYCODE


def test_a_non_ascii_local_part_still_asks_for_smtputf8(relay: Relay) -> None:
    relay.delivery().send(email(UNICODE_LOCAL))
    [seen] = relay.recorder.seen
    assert seen.recipients == [UNICODE_LOCAL]
    assert "SMTPUTF8" in [option.upper() for option in seen.mail_options]


def test_a_refused_idna_recipient_is_a_permanent_failure_without_the_address(
    relay: Relay,
) -> None:
    with pytest.raises(PermanentFailure) as raised:
        relay.delivery().send(email("jean@bloqué-ici.fr"))
    text = str(raised.value)
    assert "code 550 5.1.1" in text
    assert "bloqu" not in text and "jean" not in text
