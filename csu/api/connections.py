"""What one client may hold of ``csu api``: a connection that has not sent its request in
time is closed, connections beyond a cap get 503, and a flood of either writes a line a
minute to the log, not one per connection.

uvicorn closes an idle keep-alive connection (5 s after an answer) but never one whose
request is still arriving: a client that opened 24,000 connections and sent on each
the first line of a request only held them all, until accept() failed for want of file
descriptors (EMFILE), ``/v1/health`` went unanswered, and asyncio logged that failure
with its traceback some 300,000 times in 25 s (128 MB). So:

- a request's head must arrive within ``REQUEST_DEADLINE_S`` of the connection's
  opening, or of the end of the answer before it on a keep-alive connection; then its
  body may pause ``REQUEST_DEADLINE_S`` at most between two of its bytes (a batch of
  émargements may weigh 8 MiB: a deadline for the whole would cut a slow link), while
  CSU waits for it (not while CSU itself has stopped reading, or has not yet said
  « 100 Continue »). A connection past its deadline is closed, without an answer;
- a connection opened when ``MAX_CONNECTIONS`` are already open gets 503 as soon as
  its first bytes come (uvicorn's own, ``limit_concurrency``, for a whole request; the
  same for the start of one), or is closed after ``OVER_CAP_DEADLINE_S`` if none come:
  the connections beyond the cap hold a descriptor for a moment, not ten seconds;
- the log says the first refusal of each kind, then how many followed, a line a minute
  at most (:class:`FloodFilter`).

Over TLS, asyncio completes the handshake before the protocol sees the connection:
its own 60 s handshake timeout bounds that wait, and those connections count only once
their handshake is done. A reverse proxy in front still does this better."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# The longest a client may take to send a request's head, or to go on with its body.
REQUEST_DEADLINE_S = 10.0
# A connection opened over the cap: time to send its first bytes and get its 503.
OVER_CAP_DEADLINE_S = 1.0
# Connections served at once: the next one gets 503.
MAX_CONNECTIONS = 1000
# One line a minute at most for each kind of flood.
FLOOD_INTERVAL_S = 60.0

# Logged (on uvicorn's logger, at INFO) when a deadline closes a connection.
CLOSED_LATE = "Connexion de %s fermée : requête incomplète après %g s."
# uvicorn's warning for each 503 over the cap, and its 503 (flow_control.py).
OVER_CAP = "Exceeded concurrency limit."
SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 19\r\nconnection: close\r\n\r\nService Unavailable"
)


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """``wanted``, or half the descriptors the process may open if that is fewer: the
    cap must be reached before accept() fails (the database, the argon2 workers and the
    connections over the cap, each held a moment, need descriptors too)."""
    try:
        import resource
    except ImportError:  # not a POSIX system
        return wanted
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft // 2))


class BoundedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol (h11: httptools is not installed), with a deadline
    for each request as it arrives. A subclass sets the deadline: see
    :func:`bounded_protocol`."""

    request_deadline_s: ClassVar[float] = REQUEST_DEADLINE_S
    over_cap_deadline_s: ClassVar[float] = OVER_CAP_DEADLINE_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline: asyncio.TimerHandle | None = None
        self.waited_s = self.request_deadline_s
        self.over_cap = False

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)  # counted among the connections
        cap = self.limit_concurrency
        self.over_cap = cap is not None and len(self.connections) >= cap  # uvicorn's test
        self._arm(self.over_cap_deadline_s if self.over_cap else self.request_deadline_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.over_cap and self.cycle is None and not self.transport.is_closing():
            # Over the cap, and not a whole request (uvicorn answers those): the start
            # of one gets the same 503 now, not a descriptor held until its deadline.
            self.logger.warning(OVER_CAP)
            self.transport.write(SERVICE_UNAVAILABLE)
            self.transport.close()
            return
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may take a pipelined request at once
        if not self.transport.is_closing():
            self._arm(self.request_deadline_s)  # the next request's head, from now
            self._follow()

    def _follow(self) -> None:
        """After bytes came or an answer ended. A head keeps the deadline it had from
        its start; a body CSU still waits for gets a new one at each of its bytes; a
        complete request has none (the app's turn)."""
        state = self.conn.their_state
        if state is h11.IDLE:
            return
        if state is h11.SEND_BODY:
            if self.cycle is not None and not self.cycle.response_complete:
                self._arm(self.request_deadline_s)
            # else: the rest of a body already answered, under the next head's deadline
            return
        self._disarm()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.waited_s = seconds
        self.deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _expire(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self._csu_holds_the_body():
            self._arm(self.request_deadline_s)
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        self.logger.info(CLOSED_LATE, client, self.waited_s)
        self.transport.close()  # connection_lost tells h11 and the app

    def _csu_holds_the_body(self) -> bool:
        """Whether the body waits on CSU, not on the client: reading paused (the app has
        not taken what came), or a « 100 Continue » the client waits for and the app has
        not yet asked to send."""
        if self.flow.read_paused:
            return True
        cycle = self.cycle
        return (
            cycle is not None
            and not cycle.response_complete
            and self.conn.their_state is h11.SEND_BODY
            and cycle.waiting_for_100_continue
        )


def bounded_protocol(request_deadline_s: float = REQUEST_DEADLINE_S) -> type[asyncio.Protocol]:
    """The protocol class for uvicorn's ``http=``, with this deadline."""
    if request_deadline_s == REQUEST_DEADLINE_S:
        return BoundedH11Protocol
    return type(
        "BoundedH11Protocol", (BoundedH11Protocol,), {"request_deadline_s": request_deadline_s}
    )


@dataclass
class Flood:
    """One kind of record that may come by the thousand: the first is logged, then
    ``summary`` (French, ``{count}`` and ``{seconds}``) a minute later at most."""

    matches: Callable[[logging.LogRecord], bool]
    summary: str
    last: float | None = None
    dropped: int = 0


class FloodFilter(logging.Filter):
    """Logs the first record of each flood as it came, drops the next ones for
    ``interval_s`` while counting them, then turns the first record after that into the
    count. (A count not yet logged when a flood ends is not logged: the next record of
    its kind would have carried it.)"""

    def __init__(
        self,
        floods: list[Flood],
        interval_s: float = FLOOD_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.floods = floods
        self.interval_s = interval_s
        self.clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        flood = next((each for each in self.floods if each.matches(record)), None)
        if flood is None:
            return True
        now = self.clock()
        if flood.last is not None and now - flood.last < self.interval_s:
            flood.dropped += 1
            return False
        if flood.last is not None and flood.dropped:
            count, seconds = flood.dropped + 1, round(now - flood.last)
            record.msg = flood.summary.format(count=count, seconds=seconds)
            record.args = ()
            record.exc_info = record.exc_text = record.stack_info = None
        flood.last, flood.dropped = now, 0
        return True


def _message_starts(logger: str, start: str) -> Callable[[logging.LogRecord], bool]:
    return lambda record: record.name == logger and str(record.msg).startswith(start)


def flood_filters() -> dict[str, FloodFilter]:
    """The filter of each logger that a flood of clients fills, by the logger's name."""
    return {
        # The event loop's handler: once per failed accept(), with its traceback.
        "asyncio": FloodFilter([
            Flood(
                _message_starts("asyncio", "socket.accept() out of system resource"),
                "Connexions refusées faute de descripteurs de fichiers : {count} fois en "
                "{seconds} s (une ligne par minute au plus).",
            ),
        ]),
        "uvicorn.error": FloodFilter([
            Flood(
                _message_starts("uvicorn.error", OVER_CAP),
                "Trop de connexions ouvertes : {count} requêtes refusées (503) en "
                "{seconds} s (une ligne par minute au plus).",
            ),
            Flood(
                _message_starts("uvicorn.error", CLOSED_LATE),
                "{count} connexions fermées en {seconds} s : requête incomplète après le "
                "délai (une ligne par minute au plus).",
            ),
        ]),
    }  # fmt: skip


def quiet_floods() -> None:
    """Puts the flood filters on their loggers, once per process."""
    for name, each in flood_filters().items():
        logger = logging.getLogger(name)
        if not any(isinstance(present, FloodFilter) for present in logger.filters):
            logger.addFilter(each)
