"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1), in clear, STARTTLS and TLS."""

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from csu.delivery import DeliveryFailed, Message
from csu.delivery.smtp import SmtpDelivery

SENDER_NAME = "CSU électeurs — Élections professionnelles 2022"
SENDER_ADDRESS = "csu-electeurs@elections.example"
RECIPIENT = "jeanne.dupont@interieur.gouv.fr"
REFUSED = "inconnu@refuse.example"
SUBJECT = "Votre code de vérification"
BODY = "Bonjour,\nvotre code de vérification est 123456. Il est valable 2 min 00 s.\n"
LOGIN, PASSWORD = "cellule", "s3cret-du-relais"


def email(recipient: str = RECIPIENT) -> Message:
    return Message("email", recipient, SENDER_NAME, SUBJECT, BODY)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    mail: EmailMessage
    login: bytes | None
    tls: bool


@dataclass
class Mailbox:
    """An aiosmtpd handler: refuses addresses at refuse.example, keeps the rest."""

    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@refuse.example"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    # What the server answers to DATA: aiosmtpd's words by default; tests set a real
    # relay's (Postfix names its queue id, some repeat the recipient).
    data_reply: str = "250 Message accepted for delivery"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(mail, EmailMessage)
        auth = session.auth_data
        self.received.append(
            Received(
                sender=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                mail=mail,
                login=auth.login if isinstance(auth, LoginPassword) else None,
                tls=server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return self.data_reply.format(recipient=", ".join(envelope.rcpt_tos))


def authenticator(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == LOGIN.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@dataclass
class Server:
    mailbox: Mailbox
    port: int

    def delivery(self, **options: Any) -> SmtpDelivery:
        options.setdefault("security", "none")
        return SmtpDelivery(
            "127.0.0.1", self.port, sender_address=SENDER_ADDRESS, timeout=5, **options
        )


def running(**options: Any) -> Iterator[Server]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield Server(mailbox, port)
    finally:
        controller.stop()


@pytest.fixture(name="server")  # importable as server_fixture by other modules
def server_fixture() -> Iterator[Server]:
    """A plain relay: no TLS, AUTH offered in clear (as a trusted local relay would)."""
    yield from running(authenticator=authenticator, auth_require_tls=False)


@dataclass(frozen=True)
class Certificate:
    server: ssl.SSLContext  # for aiosmtpd
    client: ssl.SSLContext  # trusts this certificate only


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, made on the spot (EC keys: milliseconds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return Certificate(server, ssl.create_default_context(cadata=cert_pem.decode()))


@pytest.fixture(name="starttls_server")  # importable as starttls_server_fixture
def starttls_server_fixture(certificate: Certificate) -> Iterator[Server]:
    """A submission server: STARTTLS required before anything, AUTH only over TLS."""
    yield from running(
        tls_context=certificate.server, require_starttls=True, authenticator=authenticator
    )


@pytest.fixture
def tls_server(certificate: Certificate) -> Iterator[Server]:
    """Implicit TLS from the first byte (port 465 style)."""
    yield from running(ssl_context=certificate.server)


# In clear


def test_an_email_arrives_with_the_election_name_subject_and_french_body(
    server: Server,
) -> None:
    server.delivery().send(email())
    [received] = server.mailbox.received
    assert received.mail["From"].addresses[0].display_name == SENDER_NAME
    assert received.mail["From"].addresses[0].addr_spec == SENDER_ADDRESS
    assert received.mail["To"] == RECIPIENT
    assert received.mail["Subject"] == SUBJECT
    assert received.mail.get_content_charset() == "utf-8"
    assert received.mail.get_content().replace("\r\n", "\n") == BODY  # CRLF on the wire
    assert received.mail["Date"] is not None


def test_the_envelope_goes_from_the_configured_address_to_the_recipient(server: Server) -> None:
    server.delivery().send(email())
    [received] = server.mailbox.received
    assert (received.sender, received.recipients) == (SENDER_ADDRESS, [RECIPIENT])


def test_each_message_carries_a_message_id_of_the_senders_domain(server: Server) -> None:
    server.delivery().send(email())
    [received] = server.mailbox.received
    assert received.mail["Message-ID"].endswith("@elections.example>")


@pytest.mark.parametrize(
    ("reply", "queue_id"),
    [
        ("250 2.0.0 Ok: queued as 4Xk7Qn0Hbzz9", "4Xk7Qn0Hbzz9"),  # Postfix
        ("250 OK id=1qZxYw-0004Ab-Cd", "1qZxYw-0004Ab-Cd"),  # Exim
        ("250 2.0.0 3B4HkQ7L012345 Message accepted for delivery", "3B4HkQ7L012345"),  # Sendmail
        ("250 2.0.0 Ok: queued as 9F1C2B3A for <{recipient}>", "9F1C2B3A"),
    ],
    ids=["postfix", "exim", "sendmail", "postfix-naming-the-recipient"],
)
def test_the_reference_is_the_queue_id_the_server_names(
    server: Server, reply: str, queue_id: str
) -> None:
    server.mailbox.data_reply = reply
    assert server.delivery().send(email()) == queue_id


@pytest.mark.parametrize(
    "reply",
    [
        "250 Message accepted for delivery",
        "250 2.0.0 Ok: queued as <{recipient}>",  # the address where the id should be
        "250 2.0.0 Ok: queued as jeanne.dupont",
        "250 OK id=votre-code-123456",
    ],
    ids=["no-id", "address", "local-part", "text-of-the-message"],
)
def test_without_a_plain_queue_id_the_reference_is_the_reply_code(
    server: Server, reply: str
) -> None:
    server.mailbox.data_reply = reply
    assert server.delivery().send(email()) == "SMTP 250"


def test_a_server_that_is_down_fails_with_a_french_message_naming_it() -> None:
    port = free_port()  # nothing listens there
    delivery = SmtpDelivery("127.0.0.1", port, security="none", sender_address=SENDER_ADDRESS)
    with pytest.raises(DeliveryFailed) as failure:
        delivery.send(email())
    assert str(failure.value) == (
        f"serveur de courriel 127.0.0.1:{port} injoignable (connexion refusée)"
    )


def test_a_server_that_never_answers_fails_after_the_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        delivery = SmtpDelivery(
            "127.0.0.1", port, security="none", sender_address=SENDER_ADDRESS, timeout=0.2
        )
        with pytest.raises(DeliveryFailed, match=r"pas de réponse en 0\.2 s"):
            delivery.send(email())


def test_a_recipient_refused_by_the_server_fails_with_its_reply_minus_the_address(
    server: Server,
) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        server.delivery().send(email(REFUSED))
    assert str(failure.value) == (
        f"destinataire refusé par le serveur de courriel 127.0.0.1:{server.port} "
        "(code 550 5.1.1)"
    )
    assert server.mailbox.received == []


def test_login_with_the_right_password_sends(server: Server) -> None:
    server.delivery(username=LOGIN, password=PASSWORD).send(email())
    [received] = server.mailbox.received
    assert received.login == LOGIN.encode()


def test_a_wrong_password_fails_without_showing_it(server: Server) -> None:
    wrong = "mauvais-mot-de-passe"
    with pytest.raises(DeliveryFailed) as failure:
        server.delivery(username=LOGIN, password=wrong).send(email())
    assert str(failure.value) == (
        "identifiant ou mot de passe refusé par le serveur de courriel "
        f"127.0.0.1:{server.port} (code 535 5.7.8)"
    )
    assert wrong not in str(failure.value)
    assert server.mailbox.received == []


def test_an_sms_is_not_sent_by_email(server: Server) -> None:
    sms = Message("sms", "+33612345678", SENDER_NAME, SUBJECT, BODY)
    with pytest.raises(DeliveryFailed, match="ne transmet pas les SMS"):
        server.delivery().send(sms)
    assert server.mailbox.received == []


# Encrypted


def test_starttls_encrypts_before_logging_in(
    starttls_server: Server, certificate: Certificate
) -> None:
    delivery = starttls_server.delivery(
        security="starttls", username=LOGIN, password=PASSWORD, ssl_context=certificate.client
    )
    delivery.send(email())
    [received] = starttls_server.mailbox.received
    assert (received.tls, received.login) == (True, LOGIN.encode())


def test_starttls_asked_of_a_server_without_it_fails_rather_than_send_in_clear(
    server: Server,
) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        server.delivery(security="starttls").send(email())
    assert str(failure.value) == (
        f"le serveur de courriel 127.0.0.1:{server.port} ne propose pas STARTTLS"
    )
    assert server.mailbox.received == []


def test_a_certificate_the_system_does_not_trust_fails(starttls_server: Server) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        starttls_server.delivery(security="starttls").send(email())
    assert str(failure.value).startswith(
        f"certificat du serveur de courriel 127.0.0.1:{starttls_server.port} refusé ("
    )
    assert starttls_server.mailbox.received == []


def test_implicit_tls_sends_over_an_encrypted_connection(
    tls_server: Server, certificate: Certificate
) -> None:
    tls_server.delivery(security="ssl", ssl_context=certificate.client).send(email())
    [received] = tls_server.mailbox.received
    assert received.tls
