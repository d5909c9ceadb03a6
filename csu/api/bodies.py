"""JSON bodies decoded off the event loop when large.

FastAPI decodes a route's JSON body with ``json.loads`` on the event loop, before it
validates it. A body over ``SMALL_BODY_BYTES`` (a batch of émargements: up to a few
tenths of a second) is decoded in a worker thread instead, one at a time, with the
garbage collector paused (csu.api.admission). ``json.loads`` holds the GIL from start
to end whatever the thread: the event loop still waits for the decode in progress,
but for no more than that one.

FastAPI's documented way (« Custom Request and APIRoute class »): the routes are
:class:`JsonRoute`, whose handler gets a :class:`DecodingRequest`. Its ``json()``
raises as ``json.loads`` does, so that an undecodable body gets the same 422.

Only JSON as RFC 8259 has it is read (:func:`strict_json`): ``json.loads`` alone takes
UTF-16 and UTF-32 bodies, a byte order mark, ``NaN`` and ``Infinity``, and keeps the
last of two values of one key, where a proxy or a log in front of CSU may have read the
first. Each is refused with :class:`BodyRefused`, a 422 naming what is wrong.
"""

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

import anyio.to_thread
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from csu.api.admission import SMALL_BODY_BYTES

_UTF8_BOM = b"\xef\xbb\xbf"
_KEY_SHOWN = 40  # characters of a duplicate key quoted in the refusal


class BodyRefused(HTTPException):
    """A JSON body that is not RFC 8259 JSON, with the French reason. An HTTPException,
    as FastAPI lets those through its reading of the body (any other error there becomes
    its English 400); csu.api.app answers it as the 422 of an invalid body."""

    def __init__(self, reason: str) -> None:
        super().__init__(status_code=422, detail=reason)
        self.reason = reason


def strict_json(body: bytes) -> Any:
    """``body`` decoded as RFC 8259 JSON: UTF-8 without a byte order mark, no ``NaN``
    or ``Infinity`` (nor a number too large for a float), no key twice in an object.
    Raises :class:`BodyRefused`, or ``json.JSONDecodeError`` for what does not parse."""
    if body.startswith(_UTF8_BOM):
        raise BodyRefused("marque d'ordre des octets (BOM) en tête : UTF-8 sans BOM attendu")
    encoding = json.detect_encoding(body)
    if encoding != "utf-8":
        raise BodyRefused(f"encodage {encoding.upper()} : JSON en UTF-8 attendu")
    try:
        text = body.decode("utf-8")  # strict: no encoded surrogate, no stray byte
    except UnicodeDecodeError as error:
        where = f"octet {error.start + 1}"
        raise BodyRefused(f"{where} invalide en UTF-8 : JSON en UTF-8 attendu") from None
    return json.loads(
        text, parse_constant=_not_a_number, parse_float=_finite, object_pairs_hook=_unique
    )


def _not_a_number(name: str) -> NoReturn:
    raise BodyRefused(f"« {name} » n'est pas un nombre JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused(f"nombre hors des limites d'un flottant ({text[:_KEY_SHOWN]})")
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A function call per object: 8 MiB of empty objects take 0.5 s instead of 0.2 s,
    # a real batch of 10,000 events 8 ms instead of 6 (one large body at a time anyway).
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = key if len(key) <= _KEY_SHOWN else key[: _KEY_SHOWN - 1] + "…"
                raise BodyRefused(f"clé « {shown} » en double dans un objet")
            seen.add(key)
    return found


class DecodingRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) <= SMALL_BODY_BYTES:  # a millisecond at most: not worth a thread
                self._json = strict_json(body)
            else:
                self._json = await anyio.to_thread.run_sync(strict_json, body)
        return self._json


class JsonRoute(APIRoute):
    """A route whose JSON body is decoded by :class:`DecodingRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def decoding_off_the_loop(request: Request) -> Response:
            return await handler(DecodingRequest(request.scope, request.receive))

        return decoding_off_the_loop
