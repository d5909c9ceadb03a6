"""The transactional outbox: written with its change, delivered after the commit through
real transports (aiosmtpd, a local HTTP gateway), retried with backoff, resent, abandoned."""

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import func, select, text

from csu.delivery import DeliveryFailed, Message
from csu.delivery.sms_http import SmsHttpDelivery
from csu.delivery.smtp import SmtpDelivery
from csu.domain import sealing
from csu.domain.masking import mask_email, mask_phone
from csu.services.context import Forbidden, ServiceError
from csu.services.outbox import (
    FIRST_RETRY,
    MAX_ATTEMPTS,
    PER_DAY,
    PER_HOUR,
    SEAL_PURPOSE,
    STATE_LABELS,
    UNLIMITED_PURPOSE,
    Outgoing,
    abandon,
    deliver,
    deliver_due,
    enqueue,
    list_messages,
    resend,
)
from csu.services.support import with_support
from csu.store.journal import Actor
from csu.store.tables import OutboundMessage, Voter
from tests.conftest import AGENT, NOW, SUPERVISOR, TEST_KEY
from tests.local_http import local_http, port_of
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    PRESIDENT_NORD,
    Desk,
    bodies,
    desk_fixture,
    entries,
)

NUMBER = "+33612345678"
NATIONAL_DIGITS = "612345678"
ADDRESS = "jeanne.dupont@interieur.gouv.fr"
SENDER = "CSU électeurs — Élections professionnelles 2022"
SMS_SENDER = "ElecMININT"  # the election's sms_sender: gateways take 11 characters
SUBJECT = "Votre code de vérification"
CODE = "482915"
BODY = f"{SENDER} : votre code de vérification est {CODE}. Il ne sert qu'une fois."
TOKEN = "jeton-secret-de-la-passerelle"
SYSTEM = Actor(operator="système", role=None, workstation=None)
SENDER_ADDRESS = "csu-electeurs@elections.example"


# ------------------------------------------------------------------ transports


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Gateway:
    """A local SMS gateway: answers the statuses in turn (the last one repeats)."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Any] = field(default_factory=list)

    def delivery(self) -> SmsHttpDelivery:
        return SmsHttpDelivery(self.url, TOKEN, timeout=5)


def _handler_for(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            data = json.loads(self.rfile.read(length) or b"null")
            gateway.requests.append(data)
            status = gateway.statuses.pop(0) if len(gateway.statuses) > 1 else gateway.statuses[0]
            if status == 200:
                self.send_response(200)
                answer = json.dumps({"id": f"gw-{len(gateway.requests)}"}).encode()
            else:  # a careless gateway echoes the number in its error
                self.send_response(status, f"Internal error for {data['to']}")
                answer = f"cannot deliver to {data['to']}".encode()
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours *_proxy variables: the test gateway is reached directly."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(name="gateway")  # importable as gateway_fixture by other modules
def gateway_fixture() -> Iterator[Gateway]:
    with local_http() as server:
        state = Gateway(url=f"http://127.0.0.1:{port_of(server)}/v1/sms")
        server.RequestHandlerClass = _handler_for(state)
        yield state


def posted(gateway: Gateway) -> list[Any]:
    """What the gateway received, less the message's idempotency key (a random
    ``reference``: tests/delivery/test_sms_reference.py)."""
    return [{k: v for k, v in request.items() if k != "reference"} for request in gateway.requests]


def gateway_down() -> SmsHttpDelivery:
    return SmsHttpDelivery(f"http://127.0.0.1:{free_port()}/v1/sms", TOKEN, timeout=2)


@dataclass
class Mailbox:
    """An aiosmtpd handler keeping what it accepts, parsed."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(mail, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), mail))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int

    def delivery(self) -> SmtpDelivery:
        return SmtpDelivery(
            "127.0.0.1", self.port, security="none", sender_address=SENDER_ADDRESS, timeout=5
        )


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(mailbox, port)
    finally:
        controller.stop()


class Raising:
    """A transport that raises, counting its calls."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send(self, message: Message) -> str:
        self.calls += 1
        raise self.error


# --------------------------------------------------------------------- helpers


def outgoing(channel: str = "sms") -> Outgoing:
    if channel == "sms":
        return Outgoing("otp", "sms", NUMBER, mask_phone(NUMBER), SUBJECT, BODY, SENDER)
    return Outgoing("otp", "email", ADDRESS, mask_email(ADDRESS), SUBJECT, BODY, SENDER)


def received(desk: Desk, channel: str = "sms") -> str:
    """BODY as the voter gets it on ``channel``: followed by the support numbers of the
    caller's election (csu.services.support, appended by enqueue), an SMS in GSM-7."""
    with desk.deps.reading() as session:
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None
        return with_support(session, voter, desk.caller.election, BODY, channel=channel)


def queue(desk: Desk, channel: str = "sms", who: Any = AGENT, voter_id: int | None = None) -> int:
    """One message enqueued (and committed) for the caller, at the desk's time."""
    with desk.deps.writing() as session:
        voter = session.get(Voter, voter_id or desk.caller.voter_id)
        assert voter is not None
        row = enqueue(
            session, desk.deps, who, voter, outgoing(channel),
            election_id=desk.caller.election, intervention_id=None, now=desk.clock(),
        )
        assert row.id is not None
        return row.id


def stored(desk: Desk, message_id: int) -> OutboundMessage:
    with desk.deps.reading() as session:
        row = session.get(OutboundMessage, message_id)
        assert row is not None
        return row


def raw_row(desk: Desk, message_id: int) -> str:
    """Every column of the row as the database holds it, as one text."""
    with desk.deps.reading() as session:
        values = session.execute(
            text("SELECT * FROM outbound_message WHERE id = :id"), {"id": message_id}
        ).one()
    return " | ".join(str(value) for value in values)


def count_messages(desk: Desk) -> int:
    with desk.deps.reading() as session:
        return session.execute(select(func.count()).select_from(OutboundMessage)).scalar_one()


def using(desk: Desk, delivery: Any) -> Any:
    return replace(desk.deps, delivery=delivery)


def fail_until_failed(desk: Desk, message_id: int) -> None:
    """Every attempt finds the gateway down, each retry when it is due, until ``failed``."""
    deps = using(desk, gateway_down())
    assert deliver(deps, [message_id]) == {message_id: "pending"}
    for attempt in range(1, MAX_ATTEMPTS):
        desk.clock.advance(seconds=(FIRST_RETRY * 2 ** (attempt - 1)).total_seconds())
        expected = "failed" if attempt == MAX_ATTEMPTS - 1 else "pending"
        assert deliver_due(deps) == {message_id: expected}


# ----------------------------------------------------------------- transaction


def test_a_message_queued_in_a_transaction_that_rolls_back_leaves_nothing(desk: Desk) -> None:
    before = count_messages(desk)
    with pytest.raises(RuntimeError, match="the change failed"), desk.deps.writing() as session:
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None
        enqueue(session, desk.deps, AGENT, voter, outgoing(),
                election_id=desk.caller.election, intervention_id=None, now=NOW)
        raise RuntimeError("the change failed")
    assert count_messages(desk) == before
    assert entries(desk.deps, "message_queue") == []
    assert deliver_due(desk.deps) == {}
    assert desk.outbox.sent == []


def test_enqueue_journals_the_message_with_the_masked_recipient(desk: Desk) -> None:
    message_id = queue(desk)
    [entry] = entries(desk.deps, "message_queue")
    assert (entry["operator"], entry["outcome"]) == ("agent", "ok")
    assert entry["details"]["message"] == message_id
    assert entry["details"]["recipient"] == mask_phone(NUMBER)
    assert NUMBER not in bodies(desk.deps)


def test_enqueue_sends_nothing_before_deliver(desk: Desk, gateway: Gateway) -> None:
    message_id = queue(desk)
    assert gateway.requests == [] and desk.outbox.sent == []
    assert stored(desk, message_id).state == "pending"


# -------------------------------------------------------------- real transports


def test_an_email_is_delivered_after_the_commit_through_a_real_smtp_server(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    message_id = queue(desk, "email")
    assert deliver(using(desk, smtp_server.delivery()), [message_id]) == {message_id: "sent"}
    [(recipients, mail)] = smtp_server.mailbox.received
    assert recipients == [ADDRESS]
    assert mail["To"] == ADDRESS
    assert mail["Subject"] == SUBJECT
    assert mail["From"].addresses[0].display_name == SENDER
    assert mail["From"].addresses[0].addr_spec == SENDER_ADDRESS
    assert str(mail.get_content()).replace("\r\n", "\n").strip() == received(desk, "email")
    # The relay names no queue id in its answer: only its reply code is kept.
    assert stored(desk, message_id).reference == "SMTP 250"


def test_an_sms_is_delivered_after_the_commit_through_a_real_http_gateway(
    desk: Desk, gateway: Gateway
) -> None:
    message_id = queue(desk)
    assert deliver(using(desk, gateway.delivery()), [message_id]) == {message_id: "sent"}
    assert posted(gateway) == [{"to": NUMBER, "from": SMS_SENDER, "text": received(desk)}]
    row = stored(desk, message_id)
    assert (row.state, row.attempts, row.reference, row.sent_at) == ("sent", 1, "gw-1", NOW)


def test_a_sent_message_is_journalled_with_its_reference(desk: Desk, gateway: Gateway) -> None:
    message_id = queue(desk)
    deliver(using(desk, gateway.delivery()), [message_id], AGENT.actor)
    [entry] = entries(desk.deps, "message_sent")
    assert (entry["operator"], entry["outcome"]) == ("agent", "ok")
    assert entry["details"]["message"] == message_id
    assert entry["details"]["reference"] == "gw-1"
    assert entry["details"]["recipient"] == mask_phone(NUMBER)


def test_an_smtp_server_down_leaves_the_email_pending(desk: Desk) -> None:
    port = free_port()
    down = SmtpDelivery("127.0.0.1", port, security="none", sender_address=SENDER_ADDRESS,
                        timeout=2)
    message_id = queue(desk, "email")
    assert deliver(using(desk, down), [message_id]) == {message_id: "pending"}
    row = stored(desk, message_id)
    assert row.last_error and f"127.0.0.1:{port} injoignable" in row.last_error
    assert ADDRESS not in row.last_error
    assert row.body_sealed is not None  # kept for the retry


# -------------------------------------------------------------------- sealing


def test_recipient_and_body_are_sealed_in_the_table(desk: Desk) -> None:
    message_id = queue(desk)
    row_text = raw_row(desk, message_id)
    for clear in (NUMBER, NATIONAL_DIGITS, CODE, "votre code de vérification"):
        assert clear not in row_text
    row = stored(desk, message_id)
    assert row.recipient_sealed and row.body_sealed
    assert sealing.unseal(TEST_KEY, SEAL_PURPOSE, row.recipient_sealed) == NUMBER
    assert sealing.unseal(TEST_KEY, SEAL_PURPOSE, row.body_sealed) == (
        f"{SMS_SENDER}\n{received(desk)}"
    )
    assert row.recipient_masked == mask_phone(NUMBER)


def test_recipient_and_body_are_erased_once_sent_and_the_reference_kept(
    desk: Desk, gateway: Gateway
) -> None:
    message_id = queue(desk)
    deliver(using(desk, gateway.delivery()), [message_id])
    row = stored(desk, message_id)
    assert (row.recipient_sealed, row.body_sealed) == (None, None)
    assert row.reference == "gw-1"
    assert row.recipient_masked == mask_phone(NUMBER)


# ----------------------------------------------------------- failures, retries


def test_a_gateway_answering_500_leaves_the_message_pending_for_30_seconds(
    desk: Desk, gateway: Gateway
) -> None:
    gateway.statuses = [500, 200]
    message_id = queue(desk)
    assert deliver(using(desk, gateway.delivery()), [message_id]) == {message_id: "pending"}
    row = stored(desk, message_id)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert row.last_error and "HTTP 500" in row.last_error
    assert row.claimed_at is None and row.sent_at is None
    assert row.recipient_sealed is not None and row.body_sealed is not None


def test_a_failed_attempt_is_journalled_without_the_full_number(
    desk: Desk, gateway: Gateway
) -> None:
    gateway.statuses = [500, 200]
    message_id = queue(desk)
    deliver(using(desk, gateway.delivery()), [message_id], AGENT.actor)
    [entry] = entries(desk.deps, "message_failed")
    assert entry["outcome"] == "pending"
    assert entry["details"]["message"] == message_id
    assert entry["details"]["attempts"] == 1
    assert "HTTP 500" in entry["details"]["error"]
    assert entry["details"]["recipient"] == mask_phone(NUMBER)
    journal_text = bodies(desk.deps)
    assert NUMBER not in journal_text and NATIONAL_DIGITS not in journal_text
    assert TOKEN not in journal_text


def test_deliver_due_before_the_backoff_sends_nothing(desk: Desk, gateway: Gateway) -> None:
    gateway.statuses = [500, 200]
    deps = using(desk, gateway.delivery())
    message_id = queue(desk)
    deliver(deps, [message_id])
    desk.clock.advance(seconds=29)
    assert deliver_due(deps) == {}
    assert len(gateway.requests) == 1
    assert stored(desk, message_id).attempts == 1


def test_deliver_due_after_the_backoff_delivers(desk: Desk, gateway: Gateway) -> None:
    gateway.statuses = [500, 200]
    deps = using(desk, gateway.delivery())
    message_id = queue(desk)
    deliver(deps, [message_id])
    desk.clock.advance(seconds=30)
    assert deliver_due(deps) == {message_id: "sent"}
    assert len(gateway.requests) == 2
    row = stored(desk, message_id)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
    assert row.sent_at == NOW + timedelta(seconds=30)


def test_the_backoff_doubles_with_each_failure(desk: Desk) -> None:
    deps = using(desk, gateway_down())
    message_id = queue(desk)
    deliver(deps, [message_id])
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        row = stored(desk, message_id)
        waits.append(row.next_attempt_at - desk.clock())
        desk.clock.now = row.next_attempt_at
        deliver_due(deps)
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]


def test_after_max_attempts_the_message_is_failed(desk: Desk) -> None:
    message_id = queue(desk)
    fail_until_failed(desk, message_id)
    row = stored(desk, message_id)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert entries(desk.deps, "message_failed")[-1]["outcome"] == "failed"
    [view] = list_messages(desk.deps, AGENT)
    assert (view.state, view.attempts) == ("échec", MAX_ATTEMPTS)
    assert "injoignable" in (view.last_error or "")


def test_a_failed_message_is_no_longer_retried_by_deliver_due(desk: Desk) -> None:
    message_id = queue(desk)
    fail_until_failed(desk, message_id)
    desk.clock.advance(hours=1)
    working = Raising(AssertionError("must not be called"))
    assert deliver_due(using(desk, working)) == {}
    assert working.calls == 0


def test_resend_delivers_a_failed_message(desk: Desk, gateway: Gateway) -> None:
    message_id = queue(desk)
    fail_until_failed(desk, message_id)
    assert resend(using(desk, gateway.delivery()), SUPERVISOR, message_id) == "sent"
    assert posted(gateway) == [{"to": NUMBER, "from": SMS_SENDER, "text": received(desk)}]
    row = stored(desk, message_id)
    assert (row.state, row.recipient_sealed, row.body_sealed) == ("sent", None, None)
    [entry] = entries(desk.deps, "message_resend")
    assert entry["operator"] == "sup"


def test_only_a_failed_message_may_be_resent(desk: Desk, gateway: Gateway) -> None:
    message_id = queue(desk)
    with pytest.raises(ServiceError, match="Seul un message en échec"):
        resend(using(desk, gateway.delivery()), AGENT, message_id)
    assert gateway.requests == []
    assert stored(desk, message_id).state == "pending"


def test_a_president_may_not_resend(desk: Desk, gateway: Gateway) -> None:
    message_id = queue(desk)
    fail_until_failed(desk, message_id)
    with pytest.raises(Forbidden):
        resend(using(desk, gateway.delivery()), PRESIDENT_NORD, message_id)
    assert gateway.requests == []
    assert stored(desk, message_id).state == "failed"
    assert entries(desk.deps, "message_resend") == []


def test_a_president_may_not_abandon(desk: Desk) -> None:
    message_id = queue(desk)
    with pytest.raises(Forbidden):
        abandon(desk.deps, PRESIDENT_NORD, message_id)
    assert stored(desk, message_id).state == "pending"


def test_abandon_erases_recipient_and_body(desk: Desk) -> None:
    message_id = queue(desk)
    deliver(using(desk, None), [message_id])
    abandon(desk.deps, AGENT, message_id)
    row = stored(desk, message_id)
    assert (row.state, row.recipient_sealed, row.body_sealed) == ("abandoned", None, None)
    assert row.recipient_masked == mask_phone(NUMBER)
    [entry] = entries(desk.deps, "message_abandon")
    assert entry["details"]["message"] == message_id


def test_an_abandoned_message_is_never_delivered(desk: Desk) -> None:
    message_id = queue(desk)
    abandon(desk.deps, AGENT, message_id)
    desk.clock.advance(hours=1)
    assert deliver_due(desk.deps) == {}
    assert deliver(desk.deps, [message_id]) == {message_id: "abandoned"}
    assert desk.outbox.sent == []


def test_a_sent_message_cannot_be_abandoned(desk: Desk) -> None:
    message_id = queue(desk)
    deliver(desk.deps, [message_id])
    with pytest.raises(ServiceError, match="plus en attente"):
        abandon(desk.deps, AGENT, message_id)
    assert stored(desk, message_id).state == "sent"


# --------------------------------------------------------------------- claims


def claimed(desk: Desk, message_id: int, ago: timedelta) -> None:
    """The message as a workstation left it when it died mid-send."""
    with desk.deps.writing() as session:
        row = session.get(OutboundMessage, message_id)
        assert row is not None
        row.state, row.claimed_at = "sending", desk.clock() - ago
        session.add(row)


def test_a_stale_claim_is_retried_by_deliver_due(desk: Desk, gateway: Gateway) -> None:
    message_id = queue(desk)
    claimed(desk, message_id, timedelta(minutes=3))
    assert deliver_due(using(desk, gateway.delivery())) == {message_id: "sent"}
    assert posted(gateway) == [{"to": NUMBER, "from": SMS_SENDER, "text": received(desk)}]
    assert stored(desk, message_id).state == "sent"


def test_a_recent_claim_is_left_to_its_workstation(desk: Desk, gateway: Gateway) -> None:
    message_id = queue(desk)
    claimed(desk, message_id, timedelta(minutes=1))
    deps = using(desk, gateway.delivery())
    assert deliver_due(deps) == {}
    assert deliver(deps, [message_id]) == {message_id: "sending"}
    assert gateway.requests == []


def test_a_message_is_never_marked_sent_when_the_transport_refused(desk: Desk) -> None:
    refusing = Raising(DeliveryFailed("la passerelle SMS refuse le message (HTTP 503)"))
    message_id = queue(desk)
    assert deliver(using(desk, refusing), [message_id]) == {message_id: "pending"}
    row = stored(desk, message_id)
    assert refusing.calls == 1
    assert (row.state, row.sent_at, row.reference) == ("pending", None, None)
    assert entries(desk.deps, "message_sent") == []


def test_a_message_is_never_marked_sent_when_the_transport_crashed(desk: Desk) -> None:
    crashing = Raising(RuntimeError("bug in a transport"))
    message_id = queue(desk)
    with contextlib.suppress(RuntimeError):
        deliver(using(desk, crashing), [message_id])
    row = stored(desk, message_id)
    assert row.state != "sent" and row.sent_at is None
    assert row.body_sealed is not None
    assert entries(desk.deps, "message_sent") == []
    # never none: once the claim is stale, another attempt delivers it
    desk.clock.advance(minutes=3)
    assert deliver_due(desk.deps) == {message_id: "sent"}
    assert len(desk.outbox.sent) == 1


def test_without_a_transport_the_message_stays_pending_with_a_french_error(desk: Desk) -> None:
    message_id = queue(desk)
    assert deliver(using(desk, None), [message_id]) == {message_id: "pending"}
    row = stored(desk, message_id)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "aucun moyen d'envoi configuré sur ce poste"
    assert row.body_sealed is not None


def test_a_message_abandoned_while_being_sent_stays_abandoned(desk: Desk) -> None:
    message_id = queue(desk)
    abandoned: list[bool] = []

    class AbandonedMeanwhile:
        def send(self, message: Message) -> str:
            with contextlib.suppress(ServiceError):
                abandon(desk.deps, SUPERVISOR, message_id)
                abandoned.append(True)
            raise DeliveryFailed("connexion coupée par la passerelle SMS avant sa réponse")

    deliver(using(desk, AbandonedMeanwhile()), [message_id])
    row = stored(desk, message_id)
    if abandoned:
        assert row.state == "abandoned"
    else:
        assert row.state == "pending" and row.body_sealed is not None


def test_a_message_delivered_after_a_stale_claim_stays_sent(desk: Desk) -> None:
    message_id = queue(desk)

    class FrozenWorkstation:
        """Claims, freezes past STALE_CLAIM while another workstation delivers, fails."""

        def send(self, message: Message) -> str:
            desk.clock.advance(minutes=3)
            assert deliver_due(desk.deps) == {message_id: "sent"}
            raise DeliveryFailed("serveur de courriel injoignable (pas de réponse en 10 s)")

    deliver(using(desk, FrozenWorkstation()), [message_id])
    assert len(desk.outbox.sent) == 1
    assert stored(desk, message_id).state == "sent"


# --------------------------------------------------------------------- limits


def test_the_fourth_message_in_an_hour_is_refused_across_agents(desk: Desk) -> None:
    for who in (AGENT, AGENT_2, AGENT):
        queue(desk, who=who)
        desk.clock.advance(minutes=10)
    before = count_messages(desk)
    with pytest.raises(ServiceError, match="dans l'heure"):
        queue(desk, who=AGENT_2)
    assert count_messages(desk) == before
    assert len(entries(desk.deps, "message_queue")) == PER_HOUR
    desk.clock.now = NOW + timedelta(hours=1, seconds=1)  # the first one is over an hour old
    queue(desk, who=AGENT_2)


def test_a_notice_is_neither_limited_nor_counted(desk: Desk) -> None:
    for _ in range(PER_HOUR):
        queue(desk)
    notice = replace(outgoing(), purpose=UNLIMITED_PURPOSE)
    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None
        for _ in range(2):
            enqueue(session, desk.deps, SYSTEM, voter, notice, election_id=None,
                    intervention_id=None, now=desk.clock(), limited=False)
    assert count_messages(desk) == PER_HOUR + 2
    desk.clock.now = NOW + timedelta(hours=1, seconds=1)
    queue(desk)  # the notices, still within the hour, do not count


def test_a_message_queued_by_the_system_names_it(desk: Desk) -> None:
    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None
        row = enqueue(session, desk.deps, SYSTEM, voter, outgoing(), election_id=None,
                      intervention_id=None, now=NOW)
    assert stored(desk, row.id or 0).created_by == "système"
    [entry] = entries(desk.deps, "message_queue")
    assert entry["operator"] == "système"


def test_the_limits_are_per_voter(desk: Desk) -> None:
    for _ in range(PER_HOUR):
        queue(desk)
    queue(desk, voter_id=desk.neighbour.voter_id)
    assert count_messages(desk) == PER_HOUR + 1


def test_the_eleventh_message_in_a_day_is_refused_across_agents(desk: Desk) -> None:
    for n in range(PER_DAY):
        queue(desk, who=(AGENT, AGENT_2, SUPERVISOR)[n % 3])
        desk.clock.advance(minutes=25)  # never 3 in an hour
    with pytest.raises(ServiceError, match="24 h"):
        queue(desk, who=AGENT_2)
    assert count_messages(desk) == PER_DAY
    desk.clock.now = NOW + timedelta(days=1, seconds=1)
    queue(desk, who=AGENT_2)


def test_the_hourly_limit_holds_for_two_agents_at_once(desk: Desk) -> None:
    """Two agents queue for the same voter at the same time, the third and fourth."""
    queue(desk, who=AGENT)
    queue(desk, who=AGENT)
    second: list[BaseException | None] = []

    def other_agent() -> None:
        try:
            queue(desk, who=AGENT_2)
            second.append(None)
        except BaseException as error:
            second.append(error)

    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None
        enqueue(session, desk.deps, AGENT, voter, outgoing(),
                election_id=desk.caller.election, intervention_id=None, now=desk.clock())
        thread = threading.Thread(target=other_agent)
        thread.start()
        _wait_until_blocked(desk, thread)
    thread.join(10)
    assert not thread.is_alive()
    assert count_messages(desk) == PER_HOUR
    [outcome] = second
    assert isinstance(outcome, ServiceError)


def _wait_until_blocked(desk: Desk, thread: threading.Thread) -> None:
    """Until the other agent's transaction waits on a lock (PostgreSQL), or a moment."""
    if desk.deps.engine.dialect.name != "postgresql":
        time.sleep(0.2)  # SQLite: its BEGIN IMMEDIATE waits for this commit whatever
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and thread.is_alive():
        with desk.deps.engine.connect() as connection:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )).scalar_one()
        if waiting:
            return
        time.sleep(0.02)


# ------------------------------------------------------------------- listing


def test_list_messages_shows_masked_recipients_and_french_states(desk: Desk) -> None:
    sent = queue(desk, "email")
    deliver(desk.deps, [sent])
    waiting = queue(desk, "sms")
    deliver(using(desk, None), [waiting])
    views = list_messages(desk.deps, AGENT)
    assert [(v.id, v.recipient, v.state) for v in views] == [
        (waiting, mask_phone(NUMBER), STATE_LABELS["pending"]),
        (sent, mask_email(ADDRESS), STATE_LABELS["sent"]),
    ]
    assert [v.state for v in views] == ["en attente", "envoyé"]
    assert NUMBER not in repr(views) and ADDRESS not in repr(views)
    assert views[1].sent_at is not None and views[1].sent_at.utcoffset() == timedelta(hours=1)


def test_list_messages_of_one_voter(desk: Desk) -> None:
    mine = queue(desk)
    queue(desk, voter_id=desk.neighbour.voter_id)
    views = list_messages(desk.deps, AGENT, voter_id=desk.caller.voter_id)
    assert [v.id for v in views] == [mine]


def test_a_president_may_not_list_messages(desk: Desk) -> None:
    queue(desk)
    with pytest.raises(Forbidden):
        list_messages(desk.deps, PRESIDENT_NORD)
