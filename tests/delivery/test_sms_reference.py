"""The SMS gateway gets a stable reference per message (JSON ``reference`` and the
``Idempotency-Key`` header), the same on every automatic attempt, so that a gateway
that took a message but answered after the timeout can drop the retry; and a 4xx that
a retry would only repeat fails the message at once. A real HTTP gateway on 127.0.0.1."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from csu.delivery import DeliveryFailed, Message, PermanentFailure
from csu.delivery.sms_http import SmsHttpDelivery
from csu.services.outbox import deliver, deliver_due, resend
from tests.conftest import SUPERVISOR
from tests.local_http import local_http, port_of
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
)
from tests.services.test_outbox import (  # noqa: F401  (fixture: "no_proxy")
    no_proxy,
    queue,
    stored,
    using,
)

TOKEN = "jeton-secret-de-la-passerelle"
KEY = "4f1c2a9e0b7d46d1a3c5e8f9b2d4c6a1"


def sms(key: str | None = KEY) -> Message:
    return Message("sms", "+33612345678", "CSU", "Code", "Votre code est 123456.", key)


@dataclass
class Posted:
    json: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Gateway:
    """Answers each POST with the next status (the last one repeats); a status of
    ``None`` takes the message and answers only once released (after the client's
    timeout), as a gateway slower than CSU's patience."""

    url: str
    statuses: list[int | None] = field(default_factory=lambda: [200])
    posted: list[Posted] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def delivery(self, timeout: float = 5) -> SmsHttpDelivery:
        return SmsHttpDelivery(self.url, TOKEN, timeout=timeout)


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            gateway.posted.append(
                Posted(json.loads(self.rfile.read(length)), dict(self.headers.items()))
            )
            statuses = gateway.statuses
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            if status is None:  # taken, answered too late
                gateway.release.wait(10)
                status = 200
            body = json.dumps({"id": f"gw-{len(gateway.posted)}"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(name="gateway")
def gateway_fixture() -> Iterator[Gateway]:
    with local_http() as server:
        state = Gateway(url=f"http://127.0.0.1:{port_of(server)}/v1/sms")
        server.RequestHandlerClass = _handler(state)
        try:
            yield state
        finally:
            state.release.set()  # a slow answer ends now


# ------------------------------------------------------------------ the transport


def test_the_reference_goes_in_the_json_and_as_idempotency_key(gateway: Gateway) -> None:
    gateway.delivery().send(sms())
    [posted] = gateway.posted
    assert (posted.json["reference"], posted.headers["Idempotency-Key"]) == (KEY, KEY)


def test_a_message_without_a_key_is_posted_without_reference(gateway: Gateway) -> None:
    gateway.delivery().send(sms(key=None))
    [posted] = gateway.posted
    assert "reference" not in posted.json and "Idempotency-Key" not in posted.headers


def test_a_gateway_400_is_a_permanent_failure(gateway: Gateway) -> None:
    gateway.statuses = [400]
    with pytest.raises(PermanentFailure, match=r"refuse le message \(HTTP 400"):
        gateway.delivery().send(sms())


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 503])
def test_a_gateway_status_a_retry_may_change_is_no_permanent_failure(
    gateway: Gateway, status: int
) -> None:
    gateway.statuses = [status]
    with pytest.raises(DeliveryFailed) as failure:
        gateway.delivery().send(sms())
    assert not isinstance(failure.value, PermanentFailure)


# --------------------------------------------------------------------- the outbox


def test_a_retry_after_a_gateway_answering_too_late_carries_the_same_reference(
    desk: Desk, gateway: Gateway
) -> None:
    """The gateway takes the SMS but answers after CSU's timeout; the retry 30 s later
    names the same message, which the gateway can drop as a copy."""
    gateway.statuses = [None, 200]
    message_id = queue(desk)
    assert deliver(using(desk, gateway.delivery(timeout=0.3)), [message_id]) == {
        message_id: "pending"
    }
    desk.clock.advance(seconds=30)
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "sent"}
    first, second = gateway.posted
    assert first.json["reference"] == second.json["reference"]
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


def test_two_messages_have_different_references(desk: Desk, gateway: Gateway) -> None:
    deliver(using(desk, gateway.delivery()), [queue(desk), queue(desk)])
    first, second = gateway.posted
    assert first.json["reference"] != second.json["reference"]


def test_the_reference_is_no_value_of_the_message(desk: Desk, gateway: Gateway) -> None:
    """128 random bits: nothing of the number, the text or the message's number."""
    message_id = queue(desk)
    deliver(using(desk, gateway.delivery()), [message_id])
    [posted] = gateway.posted
    reference = posted.json["reference"]
    assert len(reference) == 32 and int(reference, 16) >= 0
    assert reference not in (posted.json["to"] + posted.json["text"])


def test_an_operators_resend_carries_a_new_reference(desk: Desk, gateway: Gateway) -> None:
    """Asked once the cause is fixed: a gateway that kept the refused attempts under
    the old reference must not drop it."""
    gateway.statuses = [400, 200]
    message_id = queue(desk)
    assert deliver(using(desk, gateway.delivery()), [message_id]) == {message_id: "failed"}
    assert resend(using(desk, gateway.delivery()), SUPERVISOR, message_id) == "sent"
    first, second = gateway.posted
    assert first.json["reference"] != second.json["reference"]


def test_a_gateway_400_fails_the_message_at_once(desk: Desk, gateway: Gateway) -> None:
    gateway.statuses = [400, 200]
    message_id = queue(desk)
    assert deliver(using(desk, gateway.delivery()), [message_id]) == {message_id: "failed"}
    desk.clock.advance(minutes=10)
    assert deliver_due(using(desk, gateway.delivery())) == {}
    assert len(gateway.posted) == 1
    row = stored(desk, message_id)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error is not None and "refuse le message (HTTP 400" in row.last_error
    assert entries(desk.deps, "message_failed")[-1]["outcome"] == "failed"


def test_a_gateway_429_leaves_the_message_for_a_retry(desk: Desk, gateway: Gateway) -> None:
    gateway.statuses = [429]
    message_id = queue(desk)
    assert deliver(using(desk, gateway.delivery()), [message_id]) == {message_id: "pending"}
