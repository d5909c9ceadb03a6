"""What a request must show before its body is read: a key, then a body under the cap.

FastAPI reads and decodes a route's whole JSON body before it looks at the key (the
body is one of the route's parameters, and its dependencies come after). Anyone who
reached the port could then make the API decode tens of megabytes of small JSON objects
(a gigabyte of Python objects) without a key. Here the key of a request that carries a
body to the API (every such route asks for one) is checked first, as
:func:`csu.api.security.current_platform` checks it (the refusal journalled, throttled),
and the route then finds the platform on the request. Then the body is capped, announced
by Content-Length or counted as it comes. FastAPI's own ``max_body_size`` would answer
a body announced too large in English plain text, whatever the app answers: every
answer of this API is a problem in French (RFC 9457).
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from csu.api.problems import problem
from csu.api.refusals import status_of
from csu.api.security import authenticated
from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from csu.services.platform_clients import Unauthenticated

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The largest body a platform sends is a batch of 10,000 émargements: about 2 MB as
# platforms write them, 26 MB if every character the schema admits were written as
# JSON escapes of characters outside the BMP (tests/api/test_admission.py).
MAX_BODY_BYTES = 32 * 1024 * 1024
TOO_LARGE = (
    "Corps de la requête trop volumineux : 32 Mio au plus (un lot d'émargements : "
    "10 000 événements au plus)."
)
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
_VERSIONED = "/v1/"


class BodyTooLarge(HTTPException):
    """Raised as the body is read past the cap: FastAPI lets an HTTPException through
    its reading of the body (any other error there becomes a 400), and the app's
    handler answers it as a problem (``TOO_LARGE``)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class Admission:
    """ASGI middleware of ``api``: 401 before the body for a request carrying one to
    ``/v1/`` without a valid key; 413 for a body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, api: FastAPI, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.api = api
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._asks_for_a_key(scope):
            refusal = await self._key_refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        if _announced(scope) > self.max_bytes:
            await problem(413, TOO_LARGE)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        await self.app(scope, counted, send)

    @staticmethod
    def _asks_for_a_key(scope: Scope) -> bool:
        """Whether the request would carry a body to a route of the API's version: all
        of those ask for a key (``/v1/health``, the one route without, is a GET)."""
        return scope["method"] not in _BODILESS and scope["path"].startswith(_VERSIONED)

    async def _key_refusal(self, scope: Scope) -> JSONResponse | None:
        """None when the key is valid (the platform then kept on the request's state),
        else the answer: 401, or the store's refusal (503 when it is unavailable)."""
        scope.setdefault("app", self.api)  # Request.app, as the router would set it
        try:
            await run_in_threadpool(authenticated, Request(scope))
        except Unauthenticated as refused:
            return problem(401, str(refused), headers={"WWW-Authenticate": "Bearer"})
        except (ServiceError, InvalidValue) as error:
            return problem(status_of(error), str(error))
        return None


def _announced(scope: Scope) -> int:
    """The Content-Length the client announced (0 if none or unreadable: then the
    bytes are counted as they come)."""
    announced = Headers(scope=scope).get("content-length", "")
    return int(announced) if announced.isdigit() else 0
