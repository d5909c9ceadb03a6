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
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

import anyio.to_thread
from fastapi import Request, Response
from fastapi.routing import APIRoute

from csu.api.admission import SMALL_BODY_BYTES


class DecodingRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) <= SMALL_BODY_BYTES:  # a millisecond at most: not worth a thread
                self._json = json.loads(body)
            else:
                self._json = await anyio.to_thread.run_sync(json.loads, body)
        return self._json


class JsonRoute(APIRoute):
    """A route whose JSON body is decoded by :class:`DecodingRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def decoding_off_the_loop(request: Request) -> Response:
            return await handler(DecodingRequest(request.scope, request.receive))

        return decoding_off_the_loop
