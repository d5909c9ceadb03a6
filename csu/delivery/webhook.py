"""Webhooks to a voting platform: one JSON POST per event, signed by the Standard
Webhooks scheme (https://www.standardwebhooks.com): headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
``id.timestamp.body`` under the client's ``whsec_`` secret), made by the
``standardwebhooks`` library that receivers verify with.

The timestamp is the wall clock of each attempt, not the time of the event: receivers
refuse a signature more than five minutes off their own clock (replay protection),
and a retry an hour later must still pass.

An event counts as delivered only on a 2xx answer. Anything else raises
:class:`~csu.delivery.DeliveryFailed` with a French sentence naming the receiver's
host and the HTTP status (its code and standard phrase), never the receiver's own
words, the full URL (it may carry a token) nor anything of the payload. Redirects are
not followed: the signed body would go wherever the receiver points.
"""

import http.client
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

from csu.delivery import DeliveryFailed
from csu.delivery.reasons import certificate_reason, os_reason, tls_reason
from csu.delivery.sms_http import gateway_host, http_status
from csu.domain.errors import InvalidValue
from csu.domain.urls import request_url

# Receivers answer with a short status; more than this is not read.
MAX_ANSWER_BYTES = 16 * 1024
USER_AGENT = "csu-webhooks/1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``at`` (aware)."""
    moment = at.astimezone(UTC)  # the library reads a naive or UTC time as UTC
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
    }


class WebhookSender:
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``ssl_context`` defaults to the system's authorities with host name checks;
        ``clock`` is the wall clock the signatures are dated by."""
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._clock = clock

    def send(self, url: str, secret: str, message_id: str, body: str) -> str:
        """POSTs ``body`` (JSON text) signed; returns ``HTTP <status>`` on a 2xx."""
        host = gateway_host(url)
        if host is None:
            raise DeliveryFailed("adresse des webhooks invalide (https:// attendue)")
        try:  # one stored before csu platform add refused it: said, not « réponse illisible »
            request_url(url, "adresse des webhooks")
        except InvalidValue as refusal:
            raise DeliveryFailed(f"adresse des webhooks invalide : {refusal.fault}") from None
        headers = signed_headers(secret, message_id, body, self._clock())
        request = urllib.request.Request(
            url,
            data=body.encode(),
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
            method="POST",
        )
        opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=self._ssl_context)
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read(MAX_ANSWER_BYTES)  # read, never kept: it may echo the body
                status = response.status
        except Exception as error:
            raise DeliveryFailed(self._explain(error, host)) from error
        return f"HTTP {status}"

    def _explain(self, error: Exception, host: str) -> str:
        receiver = f"récepteur de webhooks {host}"
        if isinstance(error, urllib.error.HTTPError):
            error.close()  # its body is never read
            status = http_status(error.code)
            if 300 <= error.code < 400:
                return f"le {receiver} redirige ailleurs ({status}) : redirection non suivie"
            return f"le {receiver} refuse l'événement ({status})"
        if isinstance(error, urllib.error.URLError) and isinstance(error.reason, Exception):
            error = error.reason
        # French words only (csu.delivery.reasons), never an exception's class name.
        match error:
            case ssl.SSLCertVerificationError():
                return f"certificat du {receiver} refusé ({certificate_reason(error)})"
            case ssl.SSLError():
                return f"connexion chiffrée au {receiver} impossible ({tls_reason(error)})"
            case TimeoutError():
                return f"{receiver} injoignable (pas de réponse en {self.timeout:g} s)"
            case http.client.RemoteDisconnected():
                return f"connexion coupée par le {receiver} avant sa réponse"
            case urllib.error.URLError():  # an OSError, with no cause of its own here
                return f"{receiver} injoignable"
            case OSError():
                return f"{receiver} injoignable ({os_reason(error)})"
            case http.client.HTTPException():
                return f"réponse illisible du {receiver}"
            case _:
                return f"envoi impossible au {receiver} (erreur inattendue)"
