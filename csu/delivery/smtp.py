"""E-mail through an SMTP server (a relay of the ministry or the cell's provider).

A message counts as sent only when the server has accepted it for its recipient:
every refusal, lost connection or certificate problem raises :class:`DeliveryFailed`
with a French sentence naming the server and its reply code (the three digits and the
enhanced status such as ``5.1.1``, never the text of the reply, which may repeat the
address or the message). The password never appears in that sentence, nor does the
recipient's address (the journal keeps masked forms).

A 5xx reply (a recipient, the sender or the message refused for good) raises
:class:`PermanentFailure`, as does a message that needs an extension the server lacks:
a retry would get the same answer. A 4xx reply, a lost connection or a timeout stays a
:class:`DeliveryFailed`, retried. Network and TLS causes are named in French
(csu.delivery.reasons).

The reference kept for a message accepted is the queue id the server names in its
answer to DATA (``250 2.0.0 Ok: queued as 4B7C21F``), when it passes
:func:`csu.delivery.safe_reference`; else ``SMTP 250``. The From display name is
encoded by whole words (csu.delivery.headers); the Message-ID is of the sender's
domain, and the same on every attempt of one message (its idempotency key).

An address whose domain only is non-ASCII (``jean@exemple-été.fr``) goes out in its
IDNA form, in the envelope and the To header (csu.delivery.headers.ascii_address): no
SMTPUTF8 is asked of the relay, which many lack. Only a non-ASCII local part needs it.
"""

import ipaddress
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Literal

from csu.delivery import DeliveryFailed, Message, PermanentFailure, safe_reference
from csu.delivery.headers import MAIL_POLICY, ascii_address
from csu.delivery.reasons import certificate_reason, os_reason, tls_reason

if TYPE_CHECKING:
    from typing_extensions import Buffer

Security = Literal["starttls", "ssl", "none"]
# Queue ids in the answer to DATA: Postfix "queued as X", Exim "id=X", Sendmail
# "X Message accepted for delivery" (an id with a digit, so that "Ok" is none).
_QUEUE_ID = (
    re.compile(r"\bqueued as\s+([^\s;,<>()]+)", re.IGNORECASE),
    re.compile(r"\bid=([^\s;,<>()]+)", re.IGNORECASE),
    re.compile(r"^(?:\d\.\d{1,3}\.\d{1,3}\s+)?([^\s]*\d[^\s]*)\s+message accepted",
               re.IGNORECASE),
)
_MSGID_KEY = re.compile(r"[A-Za-z0-9._-]{8,64}")  # what an id-left may hold of a key
_ENHANCED_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
# Sender domains no public relay or receiver accepts mail from (SPF, DMARC).
LOCAL_DOMAINS = ("localhost", "localdomain", "local", "internal", "lan", "home.arpa")
# RFC 2606 and 6761: names that never resolve on the Internet (« example » aside: the
# tests and the documentation send from it to local servers).
RESERVED_DOMAINS = ("invalid", "test")


def sender_refusal(address: str) -> str | None:
    """Why ``address`` cannot be the sender of mail to voters, or None: a domain without
    a dot or a local one (``localhost``, ``localdomain``…) would send every code and
    link to spam, or be refused by the voter's provider."""
    domain = address.rpartition("@")[2].strip().rstrip(".").casefold()
    if any(domain == local or domain.endswith(f".{local}") for local in LOCAL_DOMAINS):
        return f"le domaine « {domain} » est local : aucun destinataire ne l'accepterait"
    if "." not in domain:
        return f"le domaine « {domain} » n'a pas de point : ce n'est pas un domaine public"
    if domain.startswith("[") or _is_ip_address(domain):
        return f"« {domain} » est une adresse IP : un domaine public est attendu"
    if any(domain == name or domain.endswith(f".{name}") for name in RESERVED_DOMAINS):
        return f"le domaine « {domain} » est réservé (jamais résolu sur Internet)"
    return None


def _is_ip_address(domain: str) -> bool:
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return False
    return True


class _KeepsDataReply(smtplib.SMTP):
    """smtplib drops the answer to DATA, where the server names its queue id."""

    data_reply: tuple[int, bytes] | None = None

    def data(self, msg: "Buffer | str") -> tuple[int, bytes]:
        reply = super().data(msg)
        self.data_reply = reply
        return reply


class _KeepsDataReplySsl(_KeepsDataReply, smtplib.SMTP_SSL):
    pass


class SmtpDelivery:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender_address: str,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context`` defaults to the system's authorities with host name checks;
        tests pass one that trusts their own certificate."""
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.sender_address = sender_address
        self.timeout = timeout
        self._ssl_context = ssl_context

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: Message) -> str:
        if message.channel != "email":
            raise DeliveryFailed("un serveur de courriel ne transmet pas les SMS")
        mail = self._build(message)
        stage = "connect"
        try:
            smtp = self._connect()
        except Exception as error:
            raise self._failure(error, message, stage) from error
        try:
            if self.username:
                stage = "login"
                smtp.login(self.username, self._password or "")
            stage = "send"
            refused = smtp.send_message(
                mail, from_addr=self.sender_address, to_addrs=[ascii_address(message.recipient)]
            )
        except Exception as error:
            smtp.close()
            raise self._failure(error, message, stage) from error
        if refused:  # never with one recipient (smtplib raises), but never reported sent
            smtp.close()
            (code, reply), *_ = refused.values()
            failure = PermanentFailure if 500 <= code < 600 else DeliveryFailed
            raise failure(
                self._clean(
                    f"destinataire refusé par le serveur de courriel {self.server} "
                    f"({_reply(code, reply)})",
                    message,
                )
            )
        # Accepted: a failing QUIT no longer changes the outcome.
        answer: tuple[int, bytes] | None = getattr(smtp, "data_reply", None)
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
        return _queue_id(answer, message) or f"SMTP {answer[0] if answer else 250}"

    def _build(self, message: Message) -> EmailMessage:
        mail = EmailMessage(policy=MAIL_POLICY)
        try:
            # As in the outbox: Address keeps a display name with commas or quotes whole.
            mail["From"] = Address(display_name=message.sender_name, addr_spec=self.sender_address)
            mail["To"] = ascii_address(message.recipient)
            mail["Subject"] = message.subject
        except ValueError as error:  # a line break in a header: never sent as is
            raise PermanentFailure("en-tête de courriel invalide (retour à la ligne)") from error
        mail["Date"] = format_datetime(datetime.now(UTC))
        # The sender's domain, not socket.getfqdn(), which may wait on a slow DNS; the
        # same id on every attempt, so that a copy accepted before a timeout is known.
        domain = self.sender_address.rpartition("@")[2] or None
        key = message.idempotency_key
        if key and _MSGID_KEY.fullmatch(key) and domain:
            mail["Message-ID"] = f"<csu.{key}@{domain}>"
        else:
            mail["Message-ID"] = make_msgid(domain=domain)
        # Quoted-printable keeps the French body 7-bit: no 8BITMIME needed on the relay.
        mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
        return mail

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return _KeepsDataReplySsl(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        smtp = _KeepsDataReply(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=self._context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _failure(self, error: Exception, message: Message, stage: str) -> DeliveryFailed:
        text = self._clean(self._explain(error, stage), message)
        return PermanentFailure(text) if _permanent(error, stage) else DeliveryFailed(text)

    def _explain(self, error: Exception, stage: str) -> str:
        server = f"serveur de courriel {self.server}"
        match error:
            case smtplib.SMTPRecipientsRefused():
                code, reply = next(iter(error.recipients.values()), (0, b""))
                return f"destinataire refusé par le {server} ({_reply(code, reply)})"
            case smtplib.SMTPSenderRefused():
                reason = _reply(error.smtp_code, error.smtp_error)
                return f"expéditeur {self.sender_address} refusé par le {server} ({reason})"
            case smtplib.SMTPAuthenticationError():
                reason = _reply(error.smtp_code, error.smtp_error)
                return f"identifiant ou mot de passe refusé par le {server} ({reason})"
            case smtplib.SMTPDataError():
                return (
                    f"message refusé par le {server} ({_reply(error.smtp_code, error.smtp_error)})"
                )
            case smtplib.SMTPNotSupportedError() if stage == "connect":
                return f"le {server} ne propose pas STARTTLS"
            case smtplib.SMTPNotSupportedError() if stage == "login":
                return f"le {server} ne propose pas l'authentification"
            case smtplib.SMTPNotSupportedError():
                return f"le {server} ne prend pas en charge ce message (extension manquante)"
            case smtplib.SMTPServerDisconnected() if isinstance(error.__context__, TimeoutError):
                return f"{server} injoignable (pas de réponse en {self.timeout:g} s)"
            case smtplib.SMTPServerDisconnected():
                return f"connexion coupée par le {server}"
            case smtplib.SMTPResponseException() if error.smtp_code < 0:  # no reply code
                return f"réponse illisible du {server}"
            case smtplib.SMTPResponseException():
                reason = _reply(error.smtp_code, error.smtp_error)
                return f"réponse inattendue du {server} ({reason})"
            case smtplib.SMTPException():
                return f"échange impossible avec le {server} (réponse inattendue)"
            # French words only (csu.delivery.reasons), never an exception's class name.
            case ssl.SSLCertVerificationError():
                return f"certificat du {server} refusé ({certificate_reason(error)})"
            case ssl.SSLError():
                return f"connexion chiffrée au {server} impossible ({tls_reason(error)})"
            case TimeoutError():
                return f"{server} injoignable (pas de réponse en {self.timeout:g} s)"
            case OSError():
                return f"{server} injoignable ({os_reason(error)})"
            case UnicodeEncodeError() if stage == "login":
                return f"identifiant ou mot de passe non ASCII, que le {server} ne peut recevoir"
            case _:
                return f"envoi impossible par le {server} (erreur inattendue)"

    def _clean(self, text: str, message: Message) -> str:
        """Masks the password and the recipient should a server echo them back."""
        if self._password:
            text = text.replace(self._password, "***")
        for recipient in {message.recipient, ascii_address(message.recipient)} - {""}:
            text = re.sub(f"<?{re.escape(recipient)}>?", "<destinataire>", text, flags=re.I)
        return text


def _permanent(error: Exception, stage: str) -> bool:
    """A refusal a retry would only repeat: a 5xx reply to the message (its recipient,
    sender or content), or an extension the message needs that the server lacks. A 4xx
    reply, and every connection or TLS problem, may pass later."""
    match error:
        case smtplib.SMTPRecipientsRefused():
            codes = [code for code, _ in error.recipients.values()]
            return bool(codes) and all(500 <= code < 600 for code in codes)
        case smtplib.SMTPResponseException():
            return 500 <= error.smtp_code < 600
        case smtplib.SMTPNotSupportedError():
            return stage == "send"
    return False


def _reply(code: int, reply: bytes | str) -> str:
    """``code 550 5.1.1``: the reply code and enhanced status, never the reply's text."""
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    enhanced = _ENHANCED_STATUS.match(reply.strip())
    return f"code {code}" + (f" {enhanced.group()}" if enhanced else "")


def _queue_id(reply: tuple[int, bytes] | None, message: Message) -> str | None:
    if reply is None:
        return None
    text = reply[1].decode("utf-8", errors="replace").strip()
    for pattern in _QUEUE_ID:
        found = pattern.search(text)
        if found is not None:
            return safe_reference(found.group(1), message)
    return None
