"""A voting platform's webhook receiver, for tests: a real HTTP server on loopback, in a
thread, that checks every request with the ``standardwebhooks`` library (as a platform
would) and answers the statuses a test scripts (200 once the script is spent)."""

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and what the receiver made of it."""

    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered
    payload: dict[str, Any] | None  # the verified payload; None when the signature failed

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class PlatformStandIn:
    def __init__(self, statuses: Iterable[int] = ()) -> None:
        self.secret: str | None = None  # given by ``csu platform add``, once
        self.statuses: deque[int] = deque(statuses)
        self.received: list[Received] = []
        self._changed = threading.Condition()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                standin._receive(self, body)

            def log_message(self, *_: object) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/csu-hooks"
        # Polled every 10 ms, not every 0.5 s: shutdown() waits for the next poll, and
        # each test with a stand-in paid half a second on average for it.
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.01,), daemon=True
        )

    def _receive(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        try:
            assert self.secret is not None, "the stand-in was given no secret"
            payload = Webhook(self.secret).verify(body, headers)
        except (WebhookVerificationError, AssertionError, ValueError):
            payload, status = None, 401
        else:
            status = self.statuses.popleft() if self.statuses else 200
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        with self._changed:
            self.received.append(Received(headers, body, status, payload))
            self._changed.notify_all()

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """The payloads verified and answered with a 2xx, in order."""
        return [r.payload for r in self.received if r.payload and 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """The requests received, once there are ``count`` of them; the test fails
        naming what did arrive when they are not all there after ``timeout`` s."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            received = list(self.received)
        payloads = [(r.status, r.payload or {}) for r in received]
        arrived = [(status, p.get("type"), p.get("data", {}).get("kind")) for status, p in payloads]
        assert len(received) >= count, f"{count} requests awaited, {len(received)} came: {arrived}"
        return received

    def wait_for_events(self, *events: tuple[str, str], timeout: float = 30) -> list[Received]:
        """The requests received, once each (type, kind) of ``events`` came at least once:
        a delivery is at least once, so that under load a retried event may arrive twice
        before another arrives at all (a count of requests then ends the wait early)."""

        def seen() -> set[tuple[str, str]]:
            payloads = [r.payload or {} for r in self.received]
            return {(p.get("type"), p.get("data", {}).get("kind")) for p in payloads}

        with self._changed:
            self._changed.wait_for(lambda: set(events) <= seen(), timeout=timeout)
            received = list(self.received)
            missing = set(events) - seen()
        assert not missing, f"awaited {sorted(missing)}, came {sorted(seen())}"
        return received

    def bodies(self) -> str:
        """Every body received, as one text: to prove something never went out."""
        return "\n".join(r.body.decode() for r in self.received)

    @contextmanager
    def running(self) -> Iterator["PlatformStandIn"]:
        self._thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
