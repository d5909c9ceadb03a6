"""SMS through a real HTTP gateway (http.server on 127.0.0.1, in a thread)."""

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from csu.delivery import DeliveryFailed, Message
from csu.delivery.sms_http import SmsHttpDelivery, http_status
from tests.local_http import local_http, port_of

SENDER_NAME = "CSU électeurs"
NUMBER = "+33612345678"
BODY = "CSU électeurs : votre code de vérification est 123456."
TOKEN = "jeton-secret-de-la-passerelle"


def sms(recipient: str = NUMBER) -> Message:
    return Message("sms", recipient, SENDER_NAME, "Votre code de vérification", BODY)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b'{"id": "abc"}'
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    json: object


@dataclass
class Gateway:
    url: str
    port: int
    answer: Answer = field(default_factory=Answer)
    requests: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def delivery(self, **options: object) -> SmsHttpDelivery:
        options.setdefault("timeout", 5)
        return SmsHttpDelivery(self.url, TOKEN, **options)  # type: ignore[arg-type]


def handler_for(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            data = json.loads(self.rfile.read(length) or b"null")
            gateway.requests.append(Request(self.path, dict(self.headers.items()), data))
            answer = gateway.answer
            if answer.delay:
                gateway.release.wait(answer.delay)
            self.send_response(answer.status, answer.reason)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet test output

    return Handler


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours *_proxy variables: the test gateway is reached directly."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with local_http() as server:
        port = port_of(server)
        state = Gateway(url=f"http://127.0.0.1:{port}/v1/sms", port=port)
        server.RequestHandlerClass = handler_for(state)
        try:
            yield state
        finally:
            state.release.set()  # a slow answer ends now


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_gateway_receives_the_number_sender_and_text_as_json(gateway: Gateway) -> None:
    gateway.delivery().send(sms())
    [request] = gateway.requests
    assert request.path == "/v1/sms"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {"to": NUMBER, "from": SENDER_NAME, "text": BODY}


def test_the_gateway_receives_the_bearer_token(gateway: Gateway) -> None:
    gateway.delivery().send(sms())
    [request] = gateway.requests
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_configured_sender_replaces_the_election_name(gateway: Gateway) -> None:
    gateway.delivery(sender="CSU-ELEC").send(sms())
    [request] = gateway.requests
    assert request.json == {"to": NUMBER, "from": "CSU-ELEC", "text": BODY}


def test_the_reference_is_the_id_the_gateway_answers(gateway: Gateway) -> None:
    assert gateway.delivery().send(sms()) == "abc"


def test_a_message_id_field_also_serves_as_reference(gateway: Gateway) -> None:
    gateway.answer = Answer(201, b'{"message_id": 4711, "status": "queued"}')
    assert gateway.delivery().send(sms()) == "4711"


def test_a_twilio_like_answer_gives_its_sid_and_nothing_of_the_echoed_text(
    gateway: Gateway,
) -> None:
    echo = {"sid": "SM3f2a9c0b1d", "body": BODY, "to": NUMBER, "status": "queued"}
    gateway.answer = Answer(201, json.dumps(echo).encode())
    assert gateway.delivery().send(sms()) == "SM3f2a9c0b1d"


def test_an_ovh_like_answer_gives_its_first_id_and_not_the_receivers(gateway: Gateway) -> None:
    echo = {"ids": [98765432101, 98765432102], "validReceivers": [NUMBER], "invalidReceivers": []}
    gateway.answer = Answer(200, json.dumps(echo).encode())
    assert gateway.delivery().send(sms()) == "98765432101"


def test_the_first_id_of_a_messages_list_serves_as_reference(gateway: Gateway) -> None:
    echo = {"messages": [{"to": "33612345678", "message-id": "0A00000123ABCD1", "status": "0"}]}
    gateway.answer = Answer(200, json.dumps(echo).encode())
    assert gateway.delivery().send(sms()) == "0A00000123ABCD1"


def test_a_plain_text_answer_leaves_only_the_status(gateway: Gateway) -> None:
    gateway.answer = Answer(202, f"OK {NUMBER} {BODY}".encode())
    assert gateway.delivery().send(sms()) == "HTTP 202"


@pytest.mark.parametrize(
    "answer",
    [
        {"id": "33612345678"},  # the number as id
        {"id": "0612345678"},
        {"message_id": "123456"},  # the code as id
        {"id": BODY},  # a sentence
        {"id": "a" * 65},  # too long for an id
        {"id": "x@y"},  # not an id's characters
        {"id": True},
        {"id": {"nested": "value"}},
        ["abc"],
    ],
    ids=[
        "number", "national-number", "code", "sentence", "too-long", "address-like",
        "boolean", "object", "list",
    ],
)
def test_an_id_that_is_not_a_plain_identifier_leaves_only_the_status(
    gateway: Gateway, answer: object
) -> None:
    gateway.answer = Answer(200, json.dumps(answer).encode())
    assert gateway.delivery().send(sms()) == "HTTP 200"


def test_a_server_error_fails_naming_the_gateway_and_the_status(gateway: Gateway) -> None:
    gateway.answer = Answer(500, b'{"error": "boom"}')
    with pytest.raises(DeliveryFailed) as failure:
        gateway.delivery().send(sms())
    assert str(failure.value) == (
        f"la passerelle SMS 127.0.0.1:{gateway.port} refuse le message "
        "(HTTP 500, erreur interne)"
    )


def test_a_redirect_is_not_followed_so_the_token_stays_with_the_gateway(
    gateway: Gateway,
) -> None:
    gateway.answer = Answer(302, b"", headers={"Location": "http://127.0.0.1:9/ailleurs"})
    with pytest.raises(DeliveryFailed) as failure:
        gateway.delivery().send(sms())
    assert "(HTTP 302)" in str(failure.value)
    assert "redirection non suivie" in str(failure.value)
    assert len(gateway.requests) == 1


def test_a_closed_port_fails_naming_the_gateway() -> None:
    port = closed_port()
    delivery = SmsHttpDelivery(f"http://127.0.0.1:{port}/sms", TOKEN)
    with pytest.raises(DeliveryFailed) as failure:
        delivery.send(sms())
    assert str(failure.value) == f"passerelle SMS 127.0.0.1:{port} injoignable (connexion refusée)"


def test_a_gateway_slower_than_the_timeout_fails(gateway: Gateway) -> None:
    gateway.answer = Answer(delay=2)
    with pytest.raises(DeliveryFailed) as failure:
        gateway.delivery(timeout=0.2).send(sms())
    assert str(failure.value) == (
        f"passerelle SMS 127.0.0.1:{gateway.port} injoignable (pas de réponse en 0.2 s)"
    )


def test_an_error_keeps_the_standard_phrase_not_the_gateways_reason_nor_body(
    gateway: Gateway,
) -> None:
    # A careless gateway echoing token, number and text in its reason phrase and body.
    gateway.answer = Answer(
        401, f"{BODY} to {NUMBER}".encode(), reason=f"Bad token {TOKEN} for {NUMBER}"
    )
    with pytest.raises(DeliveryFailed) as failure:
        gateway.delivery().send(sms())
    assert str(failure.value) == (
        f"la passerelle SMS 127.0.0.1:{gateway.port} refuse le message "
        "(HTTP 401, authentification refusée)"
    )


def test_an_unknown_status_is_named_by_its_code_only(gateway: Gateway) -> None:
    gateway.answer = Answer(599, b"", reason=f"refused {NUMBER}")
    with pytest.raises(DeliveryFailed) as failure:
        gateway.delivery().send(sms())
    assert str(failure.value).endswith("refuse le message (HTTP 599)")


def test_an_invalid_url_fails_without_a_request() -> None:
    with pytest.raises(DeliveryFailed, match="adresse de la passerelle SMS invalide"):
        SmsHttpDelivery("127.0.0.1:8080/sms", TOKEN).send(sms())


def test_an_email_is_not_sent_by_the_sms_gateway(gateway: Gateway) -> None:
    email = Message("email", "jeanne.dupont@interieur.gouv.fr", SENDER_NAME, "Code", BODY)
    with pytest.raises(DeliveryFailed, match="ne transmet pas les courriels"):
        gateway.delivery().send(email)
    assert gateway.requests == []


def test_a_status_is_said_in_french_words() -> None:
    assert http_status(429) == "HTTP 429, trop de requêtes"
