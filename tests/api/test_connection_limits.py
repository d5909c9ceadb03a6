"""What a client may hold of ``csu api`` (csu.api.connections): a connection whose
request does not come in time is closed, requests on a keep-alive connection are still
answered, a connection over the cap gets 503, and a flood is logged a line a minute.
Real servers, with a short deadline or a small cap given to csu.api.server.config."""

import http.client
import logging
import socket
import time
from urllib.parse import urlsplit

from csu.api.connections import FloodFilter, flood_filters
from csu.services.platform_clients import add_platform_client
from tests.api.conftest import PLATFORM, LiveServer, serve
from tests.conftest import ADMIN
from tests.services.intervention_support import Desk

DEADLINE_S = 0.5
WAIT_S = 30  # a safety net only: the server closes or answers long before


def connect(server: LiveServer) -> socket.socket:
    address = urlsplit(server.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=WAIT_S)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_a_connection_sending_a_partial_head_is_closed_after_the_deadline(desk: Desk) -> None:
    with serve(desk, request_deadline_s=DEADLINE_S) as server, connect(server) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\n")
        assert read_until_closed(sock) == b""  # closed, without an answer


def test_a_request_whose_body_stops_coming_is_closed_after_the_deadline(desk: Desk) -> None:
    key = add_platform_client(desk.deps, ADMIN, PLATFORM, ["minint-2022"]).key
    with serve(desk, request_deadline_s=DEADLINE_S) as server, connect(server) as sock:
        sock.sendall(
            b"POST /v1/tokens/redeem HTTP/1.1\r\nHost: csu\r\n"
            b"Authorization: Bearer " + key.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"token": '
        )
        assert read_until_closed(sock) == b""


def test_requests_on_a_keep_alive_connection_are_answered_past_the_deadline(
    desk: Desk,
) -> None:
    """Each request's head has the deadline from the answer before it: the third comes
    later than the deadline after the connection opened, on the same connection."""
    deadline_s = 1.5
    with serve(desk, request_deadline_s=deadline_s) as server:
        address = urlsplit(server.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=WAIT_S)
        try:
            statuses = []
            for pause in (0, 0.6 * deadline_s, 0.6 * deadline_s):
                time.sleep(pause)
                connection.request("GET", "/v1/health")
                response = connection.getresponse()
                response.read()
                statuses.append(response.status)
                if pause == 0:
                    first_socket = connection.sock
            assert statuses == [200, 200, 200]
            assert connection.sock is first_socket  # never reconnected
        finally:
            connection.close()


def test_a_connection_over_the_cap_gets_503(desk: Desk) -> None:
    with serve(desk, max_connections=1) as server:
        address = urlsplit(server.url)
        held = http.client.HTTPConnection(address.hostname, address.port, timeout=WAIT_S)
        over = http.client.HTTPConnection(address.hostname, address.port, timeout=WAIT_S)
        try:
            held.request("GET", "/v1/health")  # answered, and kept open
            assert held.getresponse().read() == b'{"status":"ok"}'
            over.request("GET", "/v1/health")
            assert over.getresponse().status == 503
        finally:
            held.close()
            over.close()


def test_a_connection_over_the_cap_gets_503_for_the_start_of_a_request(desk: Desk) -> None:
    """The attack's connections (a request's first line, then nothing) over the cap are
    answered and closed at once, instead of holding a descriptor until their deadline."""
    with serve(desk, max_connections=1) as server:
        address = urlsplit(server.url)
        held = http.client.HTTPConnection(address.hostname, address.port, timeout=WAIT_S)
        try:
            held.request("GET", "/v1/health")
            assert held.getresponse().read() == b'{"status":"ok"}'
            with connect(server) as over:
                over.sendall(b"GET /v1/health HTTP/1.1\r\n")
                assert read_until_closed(over).startswith(b"HTTP/1.1 503 Service Unavailable")
        finally:
            held.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def failed_accept() -> logging.LogRecord:
    """The record asyncio's exception handler logs when accept() finds no descriptor."""
    error = OSError(24, "Too many open files")
    return logging.LogRecord(
        "asyncio", logging.ERROR, __file__, 1,
        "socket.accept() out of system resource\nsocket: <asyncio.TransportSocket fd=6>",
        (), (OSError, error, None),
    )  # fmt: skip


def test_a_flood_of_failed_accepts_logs_the_first_then_a_count_a_minute() -> None:
    clock = Clock()
    accepts = flood_filters()["asyncio"]
    flood = FloodFilter(accepts.floods, clock=clock)
    first = failed_accept()
    assert flood.filter(first) and first.exc_info is not None  # as asyncio wrote it
    kept = []
    for _ in range(240):  # four a second, for a minute
        clock.now += 0.25
        record = failed_accept()
        if flood.filter(record):
            kept.append(record)
    assert [(record.getMessage(), record.exc_info) for record in kept] == [
        (
            "Connexions refusées faute de descripteurs de fichiers : 240 fois en 60 s "
            "(une ligne par minute au plus).",
            None,
        )
    ]


def test_other_records_pass_the_flood_filters() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Application startup complete.", (), None
    )
    filters = flood_filters()["uvicorn.error"]
    assert all(filters.filter(record) for _ in range(3))
