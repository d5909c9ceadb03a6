"""What a request must show before its body is read: a key, a body announced as JSON,
then a body under the cap.

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

Each route has its own cap, sized to what it carries: a login check or a token a few
hundred bytes, a batch of émargements a few megabytes. A body is decoded whole before
it is validated, into Python objects that take up to 25 times its size (``[{},{},…]``,
200 MB under the émargements' cap). So a large body (over ``SMALL_BODY_BYTES``) is
handed to FastAPI only once it holds the slot for large bodies, until its answer:
however many come at once, one is decoded (csu.api.bodies), validated and served at a
time; the others wait, as the bytes they are. Meanwhile the garbage collector is
paused: those objects hold no reference cycle, and the collector, started again and
again as they are made, then once more over all of them, would walk millions of
containers on the event loop or holding the GIL (``[[],[],…]``: 1.1 s to decode
instead of 0.3 s, then a 0.2 s pass); paused, it finds them gone when it resumes.
"""

import functools
import gc
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from csu.api.problems import problem
from csu.api.refusals import refusal, refused_before_the_route
from csu.api.security import authenticated
from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError, store_wait_cap

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# A login check or a token redemption carries a few hundred bytes (at most an
# identifier of 100 characters and three secrets of 200: 6 KB even in JSON escapes);
# the other addresses read no body. Over this, a body is « large »: served one at a
# time, decoded off the event loop (csu.api.bodies).
SMALL_BODY_BYTES = 64 * 1024
# The largest batch of émargements a platform writes: 10,000 events, every field at its
# longest, in ASCII, even characters that JSON escapes, pretty-printed: 6 MB
# (tests/api/test_admission.py). The margin is for a platform's own layout.
EMARGEMENTS_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BodyCap:
    """The most bytes a route's body may hold, and the 413's detail past them."""

    max_bytes: int
    too_large: str


SMALL = BodyCap(
    SMALL_BODY_BYTES, "Corps de la requête trop volumineux : 64 Kio au plus à cette adresse."
)
EMARGEMENTS = BodyCap(
    EMARGEMENTS_BODY_BYTES,
    "Corps de la requête trop volumineux : 8 Mio au plus pour un lot d'émargements ; "
    "découpez-le en lots plus petits.",
)
# By route (its path as declared); every other address gets SMALL.
CAPS: dict[str, BodyCap] = {"/v1/elections/{election}/emargements": EMARGEMENTS}
_ROUTES = [(compile_path(path)[0], cap) for path, cap in CAPS.items()]
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
_VERSIONED = "/v1/"
# An answer given before the whole body came: the server closes the connection after
# it, rather than read (and throw away) the rest to keep the connection open.
_CLOSE = {"Connection": "close"}
# The type of a body sent as something else than JSON (or with no Content-Type at all),
# not repeated: a header's bytes may be anything.
NOT_JSON = (
    "Type de contenu non pris en charge : le corps s'envoie en JSON, avec l'en-tête "
    "« Content-Type: application/json »."
)


class BodyTooLarge(HTTPException):
    """Raised as the body is read past the cap: FastAPI lets an HTTPException through
    its reading of the body (any other error there becomes a 400), and the app's
    handler answers it as a problem."""

    def __init__(self, cap: BodyCap) -> None:
        super().__init__(status_code=413, detail=cap.too_large, headers=_CLOSE)


class Admission:
    """ASGI middleware of ``api``: 401 before the body for a request carrying one to
    ``/v1/`` without a valid key; 415 for one not announced as JSON; 413 for a body over
    its route's cap (``CAPS``). Every
    service a request calls waits for a busy store ``store_wait_s`` at most, then
    answers 503 (csu.services.context.store_wait_cap)."""

    def __init__(self, app: ASGIApp, api: FastAPI, store_wait_s: float | None = None) -> None:
        self.app = app
        self.api = api
        self.store_wait_s = store_wait_s
        # One at a time: the memory of one body's objects, and the event loop waits for
        # one decode at most (json.loads holds the GIL, whatever the thread); a batch's
        # service takes the store's write lock anyway, so the wait costs a platform little.
        self.large = anyio.Semaphore(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Set in the request's own task: the worker threads of its services copy it.
        with store_wait_cap(self.store_wait_s):
            await self._admit(scope, receive, send)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._asks_for_a_key(scope):
            refused = await self._key_refusal(scope)
            if refused is not None:
                await refused(scope, receive, send)
                return
            route = _route_of(scope)
            if route is not None and not _sent_as_json(scope):  # else the router's 404
                await (await self._type_refusal(scope, *route))(scope, receive, send)
                return
        cap = _cap(scope)
        if _announced(scope) > cap.max_bytes:
            await problem(413, cap.too_large, headers=_CLOSE)(scope, receive, send)
            return
        received = 0
        holding = collecting = False

        async def counted() -> Message:
            nonlocal received, holding, collecting
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.max_bytes:
                    raise BodyTooLarge(cap)
                if received > SMALL_BODY_BYTES and not message.get("more_body", False):
                    await self.large.acquire()  # its last bytes wait for the slot
                    holding, collecting = True, gc.isenabled()
                    gc.disable()
            return message

        try:
            await self.app(scope, counted, send)
        finally:
            if holding:
                if collecting:
                    gc.enable()
                self.large.release()

    @staticmethod
    def _asks_for_a_key(scope: Scope) -> bool:
        """Whether the request would carry a body to a route of the API's version: all
        of those ask for a key (``/v1/health``, the one route without, is a GET)."""
        return scope["method"] not in _BODILESS and scope["path"].startswith(_VERSIONED)

    async def _type_refusal(self, scope: Scope, action: str, election: object) -> JSONResponse:
        """415 for a body not announced as JSON to the route ``action``, journalled in the
        platform's name; but the 403 first for an election the key does not reach, as
        whatever the body."""
        forbidden = await run_in_threadpool(
            refused_before_the_route, self.api.state.deps, Request(scope).state.platform,
            action, election, 415, "type de contenu non pris en charge",
        )  # fmt: skip
        if forbidden is not None:
            forbidden.headers.update(_CLOSE)
            return forbidden
        return problem(415, NOT_JSON, headers=_CLOSE)

    async def _key_refusal(self, scope: Scope) -> JSONResponse | None:
        """None when the key is valid (the platform then kept on the request's state),
        else the answer: 401, or the store's refusal (503 when it is unavailable)."""
        scope.setdefault("app", self.api)  # Request.app, as the router would set it
        try:
            await run_in_threadpool(authenticated, Request(scope))
        except (ServiceError, InvalidValue) as error:  # Unauthenticated too: 401
            return refusal(error, headers=_CLOSE)
        return None


@functools.cache
def _named_routes() -> list[tuple[re.Pattern[str], str]]:
    """The routes that read a body, by their address: each refusal here is journalled
    under the route's name, as the route's own refusals are. (The routes import this
    module: read once it is loaded.)"""
    from csu.api.routes import emargements, logins, tokens

    return [
        (compile_path(f"/v1{route.path}")[0], route.name)
        for module in (emargements, logins, tokens)
        for route in module.router.routes
        if isinstance(route, APIRoute)
    ]


def _route_of(scope: Scope) -> tuple[str, object] | None:
    """The name of the route that reads the request's body, and the election its address
    names (the router has not matched it yet); None for an address no such route has."""
    for pattern, name in _named_routes():
        found = pattern.match(scope["path"])
        if found:
            return name, found.groupdict().get("election")
    return None


def _cap(scope: Scope) -> BodyCap:
    """The cap of the route the request goes to (its path matched as the router will)."""
    return next((cap for path, cap in _ROUTES if path.match(scope["path"])), SMALL)


def _sent_as_json(scope: Scope) -> bool:
    """Whether the body is announced as JSON (``application/json``, or a ``+json`` type),
    as FastAPI reads it: any other body it would not decode, and the route would say
    « objet JSON attendu » of a body that may well be one."""
    media = Headers(scope=scope).get("content-type", "").partition(";")[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _announced(scope: Scope) -> int:
    """The Content-Length the client announced (0 if none or unreadable: then the
    bytes are counted as they come)."""
    announced = Headers(scope=scope).get("content-length", "")
    return int(announced) if announced.isdigit() else 0
