"""An SMTP relay's 5xx reply is a permanent refusal: the message fails at once, so the
agent sees it during the call, rather than being retried five times over 8 minutes;
a 4xx reply stays transient. A real SMTP server (aiosmtpd on 127.0.0.1)."""

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from csu.delivery import DeliveryFailed, Message, PermanentFailure
from csu.delivery.smtp import SmtpDelivery
from csu.services.outbox import deliver, deliver_due
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
)
from tests.services.test_outbox import queue, stored

SENDER_ADDRESS = "csu-electeurs@elections.example"


@dataclass
class Relay:
    """Answers RCPT and DATA as told; counts the messages it accepted."""

    rcpt_reply: str = "250 OK"
    data_reply: str = "250 2.0.0 Ok: queued as 7D3A1B2C9E"
    accepted: list[bytes] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            assert isinstance(envelope.content, bytes)
            self.accepted.append(envelope.content)
        return self.data_reply


@dataclass
class Running:
    relay: Relay
    port: int

    def delivery(self) -> SmtpDelivery:
        return SmtpDelivery("127.0.0.1", self.port, security="none",
                            sender_address=SENDER_ADDRESS, timeout=5)  # fmt: skip


@pytest.fixture(name="relay")
def relay_fixture() -> Iterator[Running]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    relay = Relay()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Running(relay, port)
    finally:
        controller.stop()


def email() -> Message:
    return Message("email", "jeanne.dupont@interieur.gouv.fr", "CSU", "Code", "Code : 123456.")


@pytest.mark.parametrize(
    ("rcpt", "data"),
    [
        ("550 5.1.1 Recipient address rejected", "250 OK"),
        ("553 5.1.3 Bad recipient address syntax", "250 OK"),
        ("250 OK", "554 5.7.1 Message rejected as spam"),
        ("250 OK", "552 5.3.4 Message too big"),
    ],
    ids=["rcpt-550", "rcpt-553", "data-554", "data-552"],
)
def test_a_5xx_reply_is_a_permanent_failure(relay: Running, rcpt: str, data: str) -> None:
    relay.relay.rcpt_reply, relay.relay.data_reply = rcpt, data
    with pytest.raises(PermanentFailure):
        relay.delivery().send(email())


@pytest.mark.parametrize(
    ("rcpt", "data"),
    [
        ("450 4.2.1 Mailbox busy", "250 OK"),
        ("452 4.3.1 Insufficient system storage", "250 OK"),
        ("250 OK", "451 4.3.0 Try again later"),
    ],
    ids=["rcpt-450", "rcpt-452", "data-451"],
)
def test_a_4xx_reply_is_no_permanent_failure(relay: Running, rcpt: str, data: str) -> None:
    relay.relay.rcpt_reply, relay.relay.data_reply = rcpt, data
    with pytest.raises(DeliveryFailed) as failure:
        relay.delivery().send(email())
    assert not isinstance(failure.value, PermanentFailure)


def test_an_email_refused_550_fails_at_once_with_the_reply_code(
    desk: Desk, relay: Running
) -> None:
    relay.relay.rcpt_reply = "550 5.1.1 <jeanne.dupont@interieur.gouv.fr>: User unknown"
    message_id = queue(desk, "email")
    deps = replace(desk.deps, delivery=relay.delivery())
    assert deliver(deps, [message_id]) == {message_id: "failed"}
    desk.clock.advance(minutes=10)
    assert deliver_due(deps) == {}
    row = stored(desk, message_id)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error == (
        f"destinataire refusé par le serveur de courriel 127.0.0.1:{relay.port} "
        "(code 550 5.1.1)"
    )


def test_an_email_deferred_450_is_retried(desk: Desk, relay: Running) -> None:
    relay.relay.rcpt_reply = "450 4.2.1 Mailbox busy"
    message_id = queue(desk, "email")
    deps = replace(desk.deps, delivery=relay.delivery())
    assert deliver(deps, [message_id]) == {message_id: "pending"}
    relay.relay.rcpt_reply = "250 OK"
    desk.clock.advance(seconds=30)
    assert deliver_due(deps) == {message_id: "sent"}
    assert len(relay.relay.accepted) == 1
