"""SMS through an HTTP gateway: one JSON POST per message, authenticated by a bearer token.

The gateway receives ``{"to": "+33612345678", "from": "...", "text": "...",
"reference": "..."}``: ``reference`` (also the ``Idempotency-Key`` header) is the same
on every attempt of one message, so that a gateway which took a message but answered
after the timeout can drop the retry rather than send the SMS twice. A message counts
as sent only on a 2xx answer; anything else raises :class:`DeliveryFailed` with a French
sentence naming the gateway's host and the HTTP status (its code and the standard
phrase, never the gateway's own reason phrase or body), never the token, the full URL
(which may carry a key) nor the recipient's number. A 4xx other than 408, 409, 425 and
429 (a bad number, payload or token) raises :class:`PermanentFailure`: a retry would
get the same answer.

Gateways often echo the message in their answer (Twilio-like ``{"sid", "body", "to"}``,
OVH-like ``{"ids", "validReceivers"}``): the reference kept is only the value of a
known id field that passes :func:`csu.delivery.safe_reference`, else ``HTTP 200``.
"""

import http.client
import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from csu.delivery import DeliveryFailed, Message, PermanentFailure, safe_reference
from csu.delivery.reasons import certificate_reason, os_reason, tls_reason

# Gateways answer with a short status; more than this is not read.
MAX_ANSWER_BYTES = 64 * 1024
# Where gateways put their id for the message: at the top of the answer, or in the
# first item of a list (``ids``: OVH; ``messages``: Vonage and others).
ID_FIELDS = ("id", "message_id", "messageId", "message-id", "sid")
LIST_FIELDS = ("ids", "message_ids", "messageIds", "messages")
# 4xx answers a retry may change: timeout, the same key still in progress (IETF
# idempotency-key draft), too early, too many requests. Any other 4xx is permanent.
TRANSIENT_4XX = frozenset({408, 409, 425, 429})


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
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if message.idempotency_key:
            payload["reference"] = message.idempotency_key
            headers["Idempotency-Key"] = message.idempotency_key
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers=headers,
            method="POST",
        )
        opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=self._ssl_context)
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                answer = response.read(MAX_ANSWER_BYTES)
                status = response.status
        except Exception as error:
            text = self._clean(self._explain(error), message)
            if (
                isinstance(error, urllib.error.HTTPError)
                and 400 <= error.code < 500
                and error.code not in TRANSIENT_4XX
            ):
                raise PermanentFailure(text) from error
            raise DeliveryFailed(text) from error
        return _reference(answer, message) or f"HTTP {status}"

    def _explain(self, error: Exception) -> str:
        gateway = f"passerelle SMS {self.host}"
        if isinstance(error, urllib.error.HTTPError):
            error.close()  # its body is never read: it may echo the message
            status = http_status(error.code)
            if 300 <= error.code < 400:
                return f"la {gateway} redirige ailleurs ({status}) : redirection non suivie"
            return f"la {gateway} refuse le message ({status})"
        if isinstance(error, urllib.error.URLError) and isinstance(error.reason, Exception):
            error = error.reason
        # French words only (csu.delivery.reasons): never the system's English text nor
        # an exception's class name.
        match error:
            case ssl.SSLCertVerificationError():
                return f"certificat de la {gateway} refusé ({certificate_reason(error)})"
            case ssl.SSLError():
                return f"connexion chiffrée à la {gateway} impossible ({tls_reason(error)})"
            case TimeoutError():
                return f"{gateway} injoignable (pas de réponse en {self.timeout:g} s)"
            case http.client.RemoteDisconnected():
                return f"connexion coupée par la {gateway} avant sa réponse"
            case urllib.error.URLError():  # an OSError, with no cause of its own here
                return f"{gateway} injoignable"
            case OSError():
                return f"{gateway} injoignable ({os_reason(error)})"
            case http.client.HTTPException():
                return f"réponse illisible de la {gateway}"
            case _:
                return f"envoi impossible par la {gateway} (erreur inattendue)"

    def _clean(self, text: str, message: Message) -> str:
        """Masks the token and the number should a gateway echo them back."""
        if self._token:
            text = text.replace(self._token, "***")
        if message.recipient:
            text = re.sub(f"<?{re.escape(message.recipient)}>?", "<destinataire>", text, flags=re.I)
        # Any other writing of a number (33612…, 06 12 …) a gateway may echo back.
        # (Dots excluded: they would catch the gateway's IP address.)
        return re.sub(r"\+?\d(?:[\d -]{7,})\d", "<numéro>", text)


# What the statuses a gateway or a platform answers mean, in the agents' words.
_STATUS_WORDS: dict[int, str] = {
    400: "requête refusée", 401: "authentification refusée", 403: "accès refusé",
    404: "adresse inconnue", 408: "délai dépassé", 409: "envoi déjà en cours",
    413: "message trop long", 422: "contenu refusé", 425: "trop tôt",
    429: "trop de requêtes", 500: "erreur interne", 502: "passerelle en erreur",
    503: "service indisponible", 504: "délai dépassé en amont",
}  # fmt: skip


def http_status(code: int) -> str:
    """``HTTP 500, erreur interne``: the code and what it means in French, never the
    reason phrase the server sent (a careless gateway puts the number there)."""
    words = _STATUS_WORDS.get(code)
    return f"HTTP {code}, {words}" if words else f"HTTP {code}"


def _reference(answer: bytes, message: Message) -> str | None:
    """The gateway's id for the message, when a known field holds a safe one."""
    try:
        data = json.loads(answer.decode("utf-8", errors="replace"))
    except ValueError:
        return None  # plain text: nothing is taken from it
    for candidate in _candidates(data):
        reference = safe_reference(candidate, message)
        if reference is not None:
            return reference
    return None


def _candidates(data: object) -> list[object]:
    if not isinstance(data, dict):
        return []
    found = [data[key] for key in ID_FIELDS if key in data]
    for key in LIST_FIELDS:
        items = data.get(key)
        if isinstance(items, list) and items:
            first = items[0]
            if isinstance(first, dict):
                found.extend(first[name] for name in ID_FIELDS if name in first)
            else:
                found.append(first)
    return found
