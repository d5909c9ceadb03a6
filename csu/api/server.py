"""Serving the API with uvicorn: on a socket bound beforehand, so that a port in use
or a foreign address fails with a French sentence, before anything starts."""

import errno
import socket
import ssl
from pathlib import Path

import uvicorn

from csu.api.app import STORE_WAIT_S, THREADS, create_app
from csu.api.connections import (
    REQUEST_DEADLINE_S,
    bounded_protocol,
    connection_cap,
    quiet_floods,
)
from csu.services.context import Deps, ServiceError
from csu.services.files import describe_os_error, read_text

_LISTEN_ERRORS = {
    errno.EADDRINUSE: "port déjà utilisé (choisissez-en un autre avec --port)",
    errno.EACCES: "accès refusé (les ports sous 1024 sont réservés)",
    errno.EADDRNOTAVAIL: "cette adresse n'appartient pas à cette machine",
}


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``, or a French refusal. Its connections send
    without Nagle's delay (TCP_NODELAY, which they inherit; asyncio sets it too, for
    sockets opened as IPPROTO_TCP): an answer written in two parts would otherwise wait
    for the client's delayed ACK, ~40 ms."""
    if not 0 < port < 65536:
        raise ServiceError(f"Port {port} impossible : un port va de 1 à 65535.")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as error:
        raise ServiceError(f"Adresse d'écoute « {host} » introuvable.") from error
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        reason = _LISTEN_ERRORS.get(error.errno or 0, "erreur réseau")
        raise ServiceError(f"Impossible d'écouter sur {host}:{port} : {reason}.") from error
    return sock


# A PEM certificate chain or key: a few kilobytes; far more is not one.
MAX_PEM_BYTES = 1024 * 1024


def check_tls(certfile: Path | None, keyfile: Path | None) -> None:
    """Both files or neither; a certificate and key that load, or a French refusal.
    Each is first read as every file a command names is (csu.services.files): a FIFO,
    a device or a directory is refused by name instead of being waited on or read."""
    if (certfile is None) != (keyfile is None):
        raise ServiceError("--certfile et --keyfile vont ensemble : donnez les deux.")
    if certfile is None or keyfile is None:
        return
    read_text(certfile, "Certificat TLS (--certfile)", MAX_PEM_BYTES)
    read_text(keyfile, "Clé TLS (--keyfile)", MAX_PEM_BYTES)
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except ssl.SSLError as error:  # an OSError too: first
        said = f" (OpenSSL : {error.reason})" if error.reason else ""
        raise ServiceError(
            f"Certificat ou clé TLS inutilisable ({certfile}, {keyfile}) : il faut un "
            "certificat et sa clé privée au format PEM, la clé non chiffrée et "
            f"correspondant au certificat{said}."
        ) from error
    except OSError as error:  # changed since it was read
        raise ServiceError(
            f"Certificat ou clé TLS illisible ({certfile}, {keyfile}) : "
            f"{describe_os_error(error)}."
        ) from error


def config(
    deps: Deps,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    threads: int = THREADS,
    log_level: str = "info",
    ends_process: bool = False,
    store_wait_s: float | None = STORE_WAIT_S,
    request_deadline_s: float = REQUEST_DEADLINE_S,
    max_connections: int | None = None,
) -> uvicorn.Config:
    """uvicorn's configuration of ``csu api``. A request's head must come within
    ``request_deadline_s`` (its body without a pause longer), and ``max_connections``
    (by default csu.api.connections.connection_cap()) are served at once, the others
    answered 503 (csu.api.connections); a flood of either is logged a line a minute."""
    built = uvicorn.Config(
        create_app(deps, threads=threads, ends_process=ends_process, store_wait_s=store_wait_s),
        http=bounded_protocol(request_deadline_s),
        # uvicorn answers 503 once this many are open, counting the one that asks.
        limit_concurrency=(connection_cap() if max_connections is None else max_connections) + 1,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        # X-Forwarded-For/-Proto believed from a reverse proxy on this machine only.
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1,::1",
        server_header=False,
        log_level=log_level,
        timeout_graceful_shutdown=10,
    )
    quiet_floods()  # after uvicorn has set its loggers up
    return built


def serve(
    deps: Deps,
    sock: socket.socket,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    threads: int = THREADS,
    store_wait_s: float | None = STORE_WAIT_S,
) -> None:
    """Serves until Ctrl+C or SIGTERM."""
    server = uvicorn.Server(
        config(
            deps,
            certfile=certfile,
            keyfile=keyfile,
            threads=threads,
            ends_process=True,
            store_wait_s=store_wait_s,
        )
    )
    server.run(sockets=[sock])
