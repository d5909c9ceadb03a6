"""What a gateway or a relay sends back never reaches the store or the journal.

Real services send (a one-time code by SMS and by e-mail, an S6 link by SMS and by
e-mail) through a real local HTTP gateway and a real aiosmtpd relay that echo the
text and the recipient in the shapes real ones use. Afterwards every column of every
table (found by SQLAlchemy inspection, cast to text) and the journal export (CSV and
JSONL) are searched for the code, the link's token, the number and the address.
"""

import dataclasses
import io
import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    LargeBinary,
    MetaData,
    Select,
    Table,
    Text,
    cast,
    inspect,
    select,
)

from csu.delivery.router import ChannelRouter
from csu.delivery.sms_http import SmsHttpDelivery
from csu.delivery.smtp import SmtpDelivery
from csu.domain.identifiers import parse_mobile
from csu.domain.masking import mask_email, mask_phone
from csu.services.audit import export_journal
from csu.services.context import Deps
from csu.services.elections import load_election
from csu.services.one_time_codes import send_one_time_code
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_vote_code_link
from csu.store.tables import OutboundMessage
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.local_http import local_http, port_of
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    desk_fixture,
    open_call,
)

TOKEN = "jeton-secret-de-la-passerelle"
TYPED_MOBILE = "07 98 76 54 31"  # S6: typed for this delivery, on no roll
PERSONAL = "ines.perso@exemple.fr"
# The roll's own record of the voter's contacts: the one place a number or address
# on record may be (a typed one, never).
ROLL_CONTACTS = {("voter", "phone_mobile"), ("voter", "phone_pro"), ("voter", "email_pro")}


# ------------------------------------------------------------------ the SMS gateway

Shape = Callable[[str, str], tuple[int, str | None, bytes]]


def _json(status: int, data: object, reason: str | None = None) -> tuple[int, str | None, bytes]:
    return status, reason, json.dumps(data, ensure_ascii=False).encode()


SMS_SHAPES: dict[str, tuple[Shape, str]] = {
    # (answer to (number, text), state of the message afterwards)
    "twilio-like": (
        lambda to, text: _json(
            201, {"sid": "SM5e1f0c2d3b4a", "body": text, "to": to, "status": "queued"}
        ),
        "sent",
    ),
    "ovh-like": (
        lambda to, text: _json(
            200,
            {"ids": [73519846201], "validReceivers": [to], "invalidReceivers": [],
             "totalCreditsRemoved": 1},
        ),
        "sent",
    ),
    "plain-text": (lambda to, text: (200, None, f"OK {to} {text}".encode()), "sent"),
    "number-as-id": (
        lambda to, text: _json(200, {"message_id": to.lstrip("+"), "to": to}), "sent"
    ),
    "error-echoing-everything": (
        lambda to, text: _json(
            400, {"error": f"cannot deliver « {text} » to {to}"}, reason=f"Bad number {to}"
        ),
        "failed",  # a 400 is permanent: no retry
    ),
}


@dataclass
class Gateway:
    url: str
    shape: Shape
    received: list[dict[str, str]] = field(default_factory=list)


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length))
            gateway.received.append(request)
            status, reason, body = gateway.shape(request["to"], request["text"])
            self.send_response(status, reason)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours *_proxy variables: the test gateway is reached directly."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@contextmanager
def running_gateway(shape: Shape) -> Iterator[Gateway]:
    with local_http() as server:
        gateway = Gateway(f"http://127.0.0.1:{port_of(server)}/v1/sms", shape)
        server.RequestHandlerClass = _handler(gateway)
        yield gateway


# ------------------------------------------------------------------- the SMTP relay

# (answer to RCPT, answer to DATA, state of the message afterwards); {recipient} and
# {line} (the line of the text with the code or the link) are filled in.
SMTP_SHAPES: dict[str, tuple[str, str, str]] = {
    "postfix-naming-the-recipient": (
        "250 2.1.5 <{recipient}> recipient ok",
        "250 2.0.0 Ok: queued as 7D3A1B2C9E for <{recipient}>",
        "sent",
    ),
    "queue-id-that-is-the-address": (
        "250 2.1.5 Ok", "250 2.0.0 Ok: queued as {recipient}", "sent"
    ),
    "message-refused-repeating-it": (
        "250 2.1.5 Ok", "554 5.7.1 <{recipient}> refused: {line}", "failed"  # 5xx: permanent
    ),
    "recipient-refused-repeating-it": (
        "550 5.1.1 <{recipient}>... User unknown", "250 2.0.0 Ok", "failed"
    ),
}


@dataclass
class Relay:
    """An aiosmtpd handler answering in one shape, keeping what it received."""

    rcpt_reply: str
    data_reply: str
    port: int = 0
    recipients: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.recipients.append(address)
        reply = self.rcpt_reply.format(recipient=address)
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(mail, EmailMessage)
        text = str(mail.get_content())
        self.texts.append(text)
        line = next(
            (x for x in text.splitlines() if re.search(r"\b\d{6}\b|jeton=", x)), text[:200]
        )
        return self.data_reply.format(recipient=", ".join(envelope.rcpt_tos), line=line.strip())


@contextmanager
def running_relay(rcpt_reply: str, data_reply: str) -> Iterator[Relay]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    relay = Relay(rcpt_reply, data_reply, port)
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


def through(desk: Desk, gateway: Gateway | None = None, relay: Relay | None = None) -> Deps:
    """The desk's services, delivering through the gateway and the relay."""
    sms = SmsHttpDelivery(gateway.url if gateway else "http://127.0.0.1:9/", TOKEN, timeout=5)
    email = SmtpDelivery(
        "127.0.0.1", relay.port if relay else 9, security="none",
        sender_address="csu-electeurs@elections.example", timeout=5,
    )
    return dataclasses.replace(desk.deps, delivery=ChannelRouter(email=email, sms=sms))


# ------------------------------------------------------------------- what is stored


# Each store's tables as reflected, with the query reading them, by dialect and table
# names: every store of a run has the schema of the last migration, and reflecting it again
# at each look (and compiling queries on tables new each time) took a tenth of the
# services' tests' CPU.
_readers: dict[tuple[str, tuple[str, ...]], list[tuple[str, list[Column[Any]], Select[Any]]]] = {}


def _tables(connection: Connection) -> list[tuple[str, list[Column[Any]], Select[Any]]]:
    names = tuple(inspect(connection).get_table_names())
    key = (connection.dialect.name, names)
    if key not in _readers:
        metadata = MetaData()
        _readers[key] = []
        for name in names:
            columns = list(Table(name, metadata, autoload_with=connection).columns)
            query = select(
                *(c if isinstance(c.type, LargeBinary) else cast(c, Text) for c in columns)
            )
            _readers[key].append((name, columns, query))
    return _readers[key]


def stored(engine: Engine) -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) of every non-null value of the store."""
    with engine.connect() as connection:
        for name, columns, query in _tables(connection):
            for row in connection.execute(query):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    yield name, column.name, str(value)


def exported(deps: Deps) -> dict[str, str]:
    """The journal as the commission receives it, in both formats."""
    texts = {}
    for fmt in ("csv", "jsonl"):
        out = io.StringIO()
        export_journal(deps, SUPERVISOR, out, fmt=fmt)  # type: ignore[arg-type]
        texts[fmt] = out.getvalue()
    return texts


# Random values (event ids, hashes) may hold six digits in a row by chance: blanked
# before looking for a code, which is no typed value anyway.
_RANDOM = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-fA-F]{32,}")


def hits(text: str, secrets: "Secrets") -> list[str]:
    """The secrets found in ``text``, by what they are."""
    found = []
    folded = text.casefold()
    for name, value in secrets.plain.items():
        if value.casefold() in folded:
            found.append(name)
    bare = re.sub(r"[\s.()/-]", "", text)  # any writing of the number: 06 12…, +33-6…
    if secrets.digits and secrets.digits in bare:
        found.append("number")
    if secrets.code and re.search(
        rf"(?<![0-9A-Za-z]){secrets.code}(?![0-9A-Za-z])", _RANDOM.sub("#", text)
    ):
        found.append("code")
    return found


@dataclass
class Secrets:
    """What the voter received and the recipient, as the server saw them."""

    masked: str  # the recipient as operators and the journal see it
    plain: dict[str, str] = field(default_factory=dict)  # token, address, local part
    digits: str = ""  # the number's last 9 digits
    code: str = ""


def secrets_of(texts: list[str], recipient: str) -> Secrets:
    masked = mask_email(recipient) if "@" in recipient else mask_phone(recipient)
    found = Secrets(masked)
    if "@" in recipient:
        found.plain |= {"address": recipient, "local part": recipient.split("@")[0]}
    else:
        found.digits = re.sub(r"\D", "", recipient)[-9:]
    for text in texts:
        if match := re.search(r"jeton=([A-Za-z0-9_-]+)", text):
            found.plain["token"] = match.group(1)
        elif match := re.search(r"\b(\d{6})\b", text):
            found.code = match.group(1)
    return found


def assert_nothing_echoed(desk: Desk, deps: Deps, secrets: Secrets) -> None:
    values = list(stored(desk.deps.engine))
    # The search reads what is there: the masked recipient, in a column and in the
    # journal's binary bodies.
    assert {"outbound_message", "journal_entry"} <= {
        table for table, _, value in values if secrets.masked in value
    }
    leaks = [
        f"{table}.{column}: {what}"
        for table, column, value in values
        if (table, column) not in ROLL_CONTACTS
        for what in hits(value, secrets)
    ]
    leaks += [f"export {fmt}: {what}" for fmt, text in exported(deps).items()
              for what in hits(text, secrets)]
    assert leaks == []


def states(desk: Desk, purpose: str) -> list[str]:
    with desk.deps.reading() as session:
        rows = session.execute(
            select(OutboundMessage.state).where(OutboundMessage.purpose == purpose)
        ).scalars()
        return list(rows)


def accept_codes_by_email(desk: Desk) -> None:
    """The administrator reloads minint-2022 with one more phone set: date + e-mail code."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    sms_set = '    ["birth_date", "otp_mobile"],\n'
    assert sms_set in text
    text = text.replace(sms_set, sms_set + '    ["birth_date", "otp_email"],\n')
    load_election(desk.deps, ADMIN, text, "minint-2022.toml")


def verified_teacher(desk: Desk) -> str:
    call = open_call(desk, desk.teacher)
    assert verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers()).verified
    return call.id


# -------------------------------------------------------------------------- by SMS


@pytest.mark.parametrize("shape", SMS_SHAPES)
def test_a_gateway_echoing_a_one_time_code_sms_leaves_no_trace(desk: Desk, shape: str) -> None:
    answer, state = SMS_SHAPES[shape]
    with running_gateway(answer) as gateway:
        deps = through(desk, gateway=gateway)
        call = open_call(desk, desk.caller)
        send_one_time_code(deps, AGENT, call.id, "otp_mobile")
        [request] = gateway.received
        mobile = parse_mobile(desk.caller.row["telephone_mobile"]).e164
        assert (request["to"], states(desk, "otp")) == (mobile, [state])
        secrets = secrets_of([request["text"]], request["to"])
        assert secrets.code
        assert_nothing_echoed(desk, deps, secrets)


@pytest.mark.parametrize("shape", SMS_SHAPES)
def test_a_gateway_echoing_an_s6_link_sms_leaves_no_trace(desk: Desk, shape: str) -> None:
    answer, state = SMS_SHAPES[shape]
    with running_gateway(answer) as gateway:
        deps = through(desk, gateway=gateway)
        call_id = verified_teacher(desk)
        send_vote_code_link(deps, AGENT, call_id, desk.teacher.material_id, "sms", TYPED_MOBILE)
        [request] = gateway.received
        assert states(desk, "vote_code_link") == [state]
        secrets = secrets_of([request["text"]], request["to"])
        assert "token" in secrets.plain and secrets.digits == "798765431"
        assert_nothing_echoed(desk, deps, secrets)


# ------------------------------------------------------------------------ by e-mail


@pytest.mark.parametrize("shape", SMTP_SHAPES)
def test_a_relay_echoing_a_one_time_code_email_leaves_no_trace(desk: Desk, shape: str) -> None:
    rcpt_reply, data_reply, state = SMTP_SHAPES[shape]
    accept_codes_by_email(desk)
    with running_relay(rcpt_reply, data_reply) as relay:
        deps = through(desk, relay=relay)
        call = open_call(desk, desk.caller)
        send_one_time_code(deps, AGENT, call.id, "otp_email")
        assert (relay.recipients, states(desk, "otp")) == ([desk.caller.row["email_pro"]], [state])
        secrets = secrets_of(relay.texts, relay.recipients[0])
        assert secrets.code or shape == "recipient-refused-repeating-it"  # never got the text
        assert_nothing_echoed(desk, deps, secrets)


@pytest.mark.parametrize("shape", SMTP_SHAPES)
def test_a_relay_echoing_an_s6_link_email_leaves_no_trace(desk: Desk, shape: str) -> None:
    rcpt_reply, data_reply, state = SMTP_SHAPES[shape]
    with running_relay(rcpt_reply, data_reply) as relay:
        deps = through(desk, relay=relay)
        call_id = verified_teacher(desk)
        send_vote_code_link(
            deps, AGENT, call_id, desk.teacher.material_id, "email", PERSONAL,
            confirm=PERSONAL,
        )
        # Then the notice to the professional address (on record) goes the same way.
        assert relay.recipients[0] == PERSONAL
        assert states(desk, "vote_code_link") == [state]
        secrets = secrets_of(relay.texts, PERSONAL)
        assert "token" in secrets.plain or shape == "recipient-refused-repeating-it"
        assert_nothing_echoed(desk, deps, secrets)
