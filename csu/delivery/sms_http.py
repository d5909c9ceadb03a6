"""SMS through an HTTP gateway: one JSON POST per message, authenticated by a bearer token.

The gateway receives ``{"to": "+33612345678", "from": "...", "text": "..."}``. A message
counts as sent only on a 2xx answer; anything else raises :class:`DeliveryFailed` with
a French sentence naming the gateway's host and the HTTP status, never the token, the
full URL (which may carry a key) nor the recipient's number.
"""

import http.client
import json
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from csu.delivery import DeliveryFailed, Message

REFERENCE_CHARS = 200
# Gateways answer with a short status; more than this is not read.
MAX_ANSWER_BYTES = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is refused: urllib would replay the POST as a GET (nothing sent, yet
    a 200) and forward the bearer token to wherever the gateway points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def gateway_host(url: str) -> str | None:
    """The host (and port) named in errors, or None when the URL is not http(s)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return f"{host}:{port}" if port else host


class SmsHttpDelivery:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        sender: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context`` defaults to the system's authorities with host name checks."""
        self.url = url.strip()
        self._token = token
        self.sender = sender or None
        self.timeout = timeout
        self._ssl_context = ssl_context
        self.host = gateway_host(self.url)

    def send(self, message: Message) -> str:
        if message.channel != "sms":
            raise DeliveryFailed("une passerelle SMS ne transmet pas les courriels")
        if self.host is None:
            raise DeliveryFailed(
                "adresse de la passerelle SMS invalide (une URL http:// ou https:// est attendue)"
            )
        payload = {
            "to": message.recipient,
            "from": self.sender or message.sender_name,
            "text": message.body,
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            method="POST",
        )
        opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=self._ssl_context)
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                answer = response.read(MAX_ANSWER_BYTES)
                status, reason = response.status, response.reason
        except Exception as error:
            raise DeliveryFailed(self._clean(self._explain(error), message)) from error
        return _reference(answer) or f"HTTP {status} {reason}"

    def _explain(self, error: Exception) -> str:
        gateway = f"passerelle SMS {self.host}"
        if isinstance(error, urllib.error.HTTPError):
            error.close()
            status = f"HTTP {error.code} {error.reason}"
            if 300 <= error.code < 400:
                return f"la {gateway} redirige ailleurs ({status}) : redirection non suivie"
            return f"la {gateway} refuse le message ({status})"
        if isinstance(error, urllib.error.URLError) and isinstance(error.reason, Exception):
            error = error.reason
        match error:
            case ssl.SSLCertVerificationError():
                return f"certificat de la {gateway} refusé ({error.verify_message or error.reason})"
            case ssl.SSLError():
                return f"connexion chiffrée à la {gateway} impossible ({error.reason})"
            case TimeoutError():
                return f"{gateway} injoignable (pas de réponse en {self.timeout:g} s)"
            case socket.gaierror():
                return f"{gateway} injoignable (nom inconnu : {error.strerror})"
            case http.client.RemoteDisconnected():
                return f"connexion coupée par la {gateway} avant sa réponse"
            case OSError():
                return f"{gateway} injoignable ({error.strerror or error})"
            case http.client.HTTPException():
                return f"réponse illisible de la {gateway} ({type(error).__name__})"
            case urllib.error.URLError():
                return f"{gateway} injoignable ({error.reason})"
            case _:
                return f"envoi impossible par la {gateway} ({type(error).__name__})"

    def _clean(self, text: str, message: Message) -> str:
        """Masks the token and the number should a gateway echo them back."""
        if self._token:
            text = text.replace(self._token, "***")
        if message.recipient:
            text = re.sub(f"<?{re.escape(message.recipient)}>?", "<destinataire>", text, flags=re.I)
        # Any other writing of a number (33612…, 06 12 …) a gateway may echo back.
        # (Dots excluded: they would catch the gateway's IP address.)
        return re.sub(r"\+?\d(?:[\d -]{7,})\d", "<numéro>", text)


def _reference(answer: bytes) -> str:
    """The gateway's id for the message, else the start of its answer."""
    text = answer.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("id", "message_id"):
            if data.get(key) not in (None, ""):
                return str(data[key])[:REFERENCE_CHARS]
    return text[:REFERENCE_CHARS]
