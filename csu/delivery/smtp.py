"""E-mail through an SMTP server (a relay of the ministry or the cell's provider).

A message counts as sent only when the server has accepted it for its recipient:
every refusal, lost connection or certificate problem raises :class:`DeliveryFailed`
with a French sentence naming the server and its reason. The password never appears
in that sentence, nor does the recipient's address (the journal keeps masked forms).
"""

import re
import smtplib
import socket
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from csu.delivery import DeliveryFailed, Message

Security = Literal["starttls", "ssl", "none"]


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
                mail, from_addr=self.sender_address, to_addrs=[message.recipient]
            )
        except Exception as error:
            smtp.close()
            raise self._failure(error, message, stage) from error
        if refused:  # never with one recipient (smtplib raises), but never reported sent
            smtp.close()
            (code, reply), *_ = refused.values()
            raise DeliveryFailed(
                self._clean(
                    f"destinataire refusé par le serveur de courriel {self.server} "
                    f"({_reply(code, reply)})",
                    message,
                )
            )
        # Accepted: a failing QUIT no longer changes the outcome.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
        return str(mail["Message-ID"])

    def _build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        try:
            # As in the outbox: Address keeps a display name with commas or quotes whole.
            mail["From"] = Address(display_name=message.sender_name, addr_spec=self.sender_address)
            mail["To"] = message.recipient
            mail["Subject"] = message.subject
        except ValueError as error:  # a line break in a header: never sent as is
            raise DeliveryFailed("en-tête de courriel invalide (retour à la ligne)") from error
        mail["Date"] = format_datetime(datetime.now(UTC))
        # The sender's domain, not socket.getfqdn(), which may wait on a slow DNS.
        mail["Message-ID"] = make_msgid(domain=self.sender_address.rpartition("@")[2] or None)
        # Quoted-printable keeps the French body 7-bit: no 8BITMIME needed on the relay.
        mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
        return mail

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
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
        return DeliveryFailed(self._clean(self._explain(error, stage), message))

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
                return f"le {server} ne prend pas en charge ce message ({error})"
            case smtplib.SMTPServerDisconnected() if isinstance(error.__context__, TimeoutError):
                return f"{server} injoignable (pas de réponse en {self.timeout:g} s)"
            case smtplib.SMTPServerDisconnected():
                return f"connexion coupée par le {server} ({error})"
            case smtplib.SMTPResponseException():
                reason = _reply(error.smtp_code, error.smtp_error)
                return f"réponse inattendue du {server} ({reason})"
            case smtplib.SMTPException():
                return f"échange impossible avec le {server} ({error})"
            case ssl.SSLCertVerificationError():
                return f"certificat du {server} refusé ({error.verify_message or error.reason})"
            case ssl.SSLError():
                return f"connexion chiffrée au {server} impossible ({error.reason})"
            case TimeoutError():
                return f"{server} injoignable (pas de réponse en {self.timeout:g} s)"
            case socket.gaierror():
                return f"{server} injoignable (nom inconnu : {error.strerror})"
            case OSError():
                return f"{server} injoignable ({error.strerror or error})"
            case UnicodeEncodeError() if stage == "login":
                return f"identifiant ou mot de passe non ASCII, que le {server} ne peut recevoir"
            case _:
                return f"envoi impossible par le {server} ({type(error).__name__})"

    def _clean(self, text: str, message: Message) -> str:
        """Masks the password and the recipient should a server echo them back."""
        if self._password:
            text = text.replace(self._password, "***")
        if message.recipient:
            text = re.sub(f"<?{re.escape(message.recipient)}>?", "<destinataire>", text, flags=re.I)
        return text


def _reply(code: int, reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return " ".join(f"{code} {reply}".split())
