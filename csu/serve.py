"""``csu serve``: the same terminal in a browser page, for presidents without a terminal.

textual-serve runs one ``csu run`` process per browser session and relays its screen
over a websocket to xterm.js in the page. This module adds what a support cell needs
around it: loopback by default (HTTP carries passwords and TOTP codes in clear, so the
only way in from another machine is an HTTPS reverse proxy), a refusal of websockets
opened by another site's page, a French page that loads nothing from outside, and a
check of the store before listening so a wrong ``--db`` fails once, at start.
"""

import errno
import ipaddress
import logging
import os
import re
import shlex
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from rich.console import Console
from textual_serve.server import Server

from csu.config import normalise_db_option
from csu.services.context import ServiceError
from csu.startup import open_workplace

TITLE = "CSU électeurs"
_LISTEN_ERRORS = {
    errno.EADDRINUSE: "port déjà utilisé (choisissez-en un autre avec --port)",
    errno.EACCES: "accès refusé (les ports sous 1024 sont réservés)",
    errno.EADDRNOTAVAIL: "cette adresse n'appartient pas à cette machine",
}

# The page textual-serve ships, made French and self-contained (see french_page).
_PAGE_EDITS: tuple[tuple[str, str], ...] = (
    ("<html>", '<html lang="fr">'),
    ("<head>", "<head>\n    <meta charset=\"utf-8\" />\n    <title>{{ application.name }}</title>"),
    ("Session ended.", "Session terminée. Rechargez la page pour vous reconnecter."),
    (">Restart<", ">Recommencer<"),
    (">Start<", ">Démarrer<"),
)
# Google Fonts: the page would tell a third party each time a president opens it; the
# font ships with textual-serve anyway (static/fonts), and xterm falls back to monospace.
_EXTERNAL_STYLESHEET = re.compile(r"\s*<link[^>]*href=\"https?://[^\"]*\"[^>]*/>", re.S)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only ever reaches this machine (127.0.0.0/8, ::1, localhost).

    A name counts when every address it resolves to is a loopback one; a name that
    does not resolve does not count (``serve`` would fail to listen on it anyway)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos
    )


def app_command(demo: bool) -> str:
    """The shell command each browser session runs: the fast entry point (csu.launch),
    with this very interpreter so the page opens the CSU that ``serve`` runs from."""
    args = [sys.executable, "-m", "csu.launch", "run"]
    if demo:
        args.append("--demo")
    return shlex.join(args)


def french_page(template: str) -> str:
    page = _EXTERNAL_STYLESHEET.sub("", template)
    for old, new in _PAGE_EDITS:
        page = page.replace(old, new, 1)
    return page


def default_public_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class CsuServer(Server):
    """textual-serve's server with a French page and a same-origin websocket."""

    def __init__(self, command: str, host: str, port: int, public_url: str | None) -> None:
        super().__init__(
            command,
            host=host,
            port=port,
            title=TITLE,
            public_url=public_url or default_public_url(host, port),
        )
        self.console = Console(stderr=True)

    def initialize_logging(self) -> None:
        # textual-serve logs tracebacks with their local variables: a failed session
        # could print a president's typed password. Warnings and errors only, no locals.
        logging.basicConfig(level=logging.WARNING, format="%(name)s : %(message)s")

    async def _make_app(self) -> web.Application:
        application = await super()._make_app()
        template = (Path(self.templates_path) / "app_index.html").read_text(encoding="utf-8")
        loader = jinja2.DictLoader({"app_index.html": french_page(template)})
        aiohttp_jinja2.setup(application, loader=loader)
        return application

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(
            f"CSU électeurs servi sur {self.public_url} — Ctrl+C pour arrêter.", highlight=False
        )

    def origin_allowed(self, origin: str | None, host_header: str | None) -> bool:
        """A browser always sends Origin with a websocket: it must be this server's page
        (the public URL, or the Host it asked for), not another site's page driving a
        session from the president's browser. Clients without Origin are not browsers."""
        if origin is None:
            return True
        netloc = urlsplit(origin).netloc.lower()
        allowed = {urlsplit(self.public_url).netloc.lower()}
        if host_header:
            allowed.add(host_header.lower())
        return netloc in allowed

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self.origin_allowed(request.headers.get("Origin"), request.headers.get("Host")):
            raise web.HTTPForbidden(text="Origine refusée : ouvrez la page de CSU elle-même.")
        return await super().handle_websocket(request)


def check_store(db: str | None, demo: bool) -> None:
    """Opens the store once as a session would, so a wrong --db or a missing key stops
    ``serve`` at start with the reason instead of every browser session."""
    workplace = open_workplace(db, demo)
    workplace.deps.engine.dispose()


def serve(
    host: str,
    port: int,
    *,
    db: str | None = None,
    demo: bool = False,
    public_url: str | None = None,
    allow_remote: bool = False,
    warn: Any = print,
) -> None:
    """Checks the host and the store, then serves until Ctrl+C or SIGTERM."""
    if not 0 < port < 65536:
        raise ServiceError(f"Port {port} impossible : un port va de 1 à 65535.")
    if not is_loopback(host) and not allow_remote:
        raise ServiceError(
            f"{host} n'est pas une adresse locale : la page passe les mots de passe et les "
            "codes en clair (HTTP). Écoutez sur 127.0.0.1 derrière un proxy HTTPS "
            "(--public-url https://…), ou ajoutez --allow-remote pour exposer quand même."
        )
    if public_url is not None and urlsplit(public_url).scheme not in ("http", "https"):
        raise ServiceError(f"--public-url « {public_url} » : une adresse http:// ou https://.")
    if db:
        # Through the environment, not the command line: a PostgreSQL URL may carry a
        # password, which `ps` would show to every user of the machine.
        os.environ["CSU_DATABASE_URL"] = normalise_db_option(db)
    check_store(db, demo)
    if not is_loopback(host):
        warn(
            f"ATTENTION : CSU écoute sur {host}:{port} sans chiffrement. Les mots de passe "
            "et les codes TOTP des opérateurs circulent en clair sur le réseau."
        )
    server = CsuServer(app_command(demo and not db), host, port, public_url)
    try:
        server.serve()
    except OSError as error:
        reason = _LISTEN_ERRORS.get(error.errno or 0, "erreur réseau")
        raise ServiceError(f"Impossible d'écouter sur {host}:{port} : {reason}.") from error
