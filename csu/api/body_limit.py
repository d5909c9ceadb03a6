"""A cap on the size of a request's body, before anything reads it.

FastAPI reads and decodes a route's whole JSON body before the key is looked at (the
body is one of the route's parameters): without a cap, anyone who reaches the port
could make the API hold gigabytes, for a body announced by Content-Length as for one
sent in chunks. FastAPI's own ``max_body_size`` answers a body announced too large in
English plain text, whatever the app answers; every answer of this API is a problem
in French (RFC 9457), hence this middleware.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from csu.api.problems import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The largest body a platform sends is a batch of 10,000 émargements: about 2 MB as
# platforms write them, 26 MB if every character the schema admits were written as
# JSON escapes of characters outside the BMP (tests/api/test_body_limit.py).
MAX_BODY_BYTES = 32 * 1024 * 1024
TOO_LARGE = (
    "Corps de la requête trop volumineux : 32 Mio au plus (un lot d'émargements : "
    "10 000 événements au plus)."
)


class BodyTooLarge(HTTPException):
    """Raised as the body is read past the cap: FastAPI lets an HTTPException through
    its reading of the body (any other error there becomes a 400), and the app's
    handler answers it as a problem (``TOO_LARGE``)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodyLimit:
    """ASGI middleware: 413 for a body over ``max_bytes``, as announced (before any
    byte is read) or as counted while the route reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
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


def _announced(scope: Scope) -> int:
    """The Content-Length the client announced (0 if none or unreadable: then the
    bytes are counted as they come)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
