"""A throwaway HTTP server on a free port of 127.0.0.1, for the stand-ins of an SMS
gateway: the test sets its handler once it knows the server's address."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def local_http() -> Iterator[ThreadingHTTPServer]:
    """A threaded server answering on a thread of its own until the block ends; set
    ``server.RequestHandlerClass`` (read for each request) to what it should answer."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def port_of(server: ThreadingHTTPServer) -> int:
    return int(server.server_address[1])
