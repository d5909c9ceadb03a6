"""``csu serve``: the same terminal in a browser page, for presidents without a terminal.

textual-serve runs one ``csu run`` process per browser session and relays its screen
over a websocket to xterm.js in the page. This module adds what a support cell needs
around it:

- loopback by default: HTTP carries passwords and TOTP codes in clear, so the way in
  from another machine is an HTTPS reverse proxy, named by ``--public-url``;
- every request must name this server (Host), which defeats DNS rebinding, and a
  websocket must come from this server's own page (Origin): another site's page open
  in a president's browser cannot drive a session;
- a cap on sessions at once, on sessions at once per address and on new sessions per
  address per minute, each session a process; a session left at the login screen ends
  itself (``CsuApp``);
- each session journalled under its client's address (workstation ``web:<IP>``), and
  its start and end in the server's log;
- no demo store on the network: its login screen shows the demo accounts' passwords
  and codes, the administrator's included;
- a French page that loads nothing from outside, and no directory index; every
  refusal in French, aiohttp's own too (an odd method, a line over 8 KB), and no
  ``Server`` header naming Python and aiohttp;
- every end of a session (page closed or reloaded, network gone, server stopping)
  asks its app to quit, which logs the operator out (``CsuApp.leave``); SIGTERM, then
  SIGKILL, only for a session that does not quit;
- a check of the store before listening, so a wrong ``--db`` fails once, at start.
"""

import asyncio
import errno
import ipaddress
import json
import logging
import os
import re
import shlex
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler
from rich.console import Console
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from csu.config import Settings, load_settings, normalise_db_option
from csu.domain.addresses import counted_address, recorded_address, web_workstation
from csu.domain.plural import counted
from csu.services.auth import demo_logins
from csu.services.context import ServiceError
from csu.startup import open_workplace

log = logging.getLogger("csu.serve")

TITLE = "CSU électeurs"
_LISTEN_ERRORS = {
    errno.EADDRINUSE: "port déjà utilisé (choisissez-en un autre avec --port)",
    errno.EACCES: "accès refusé (les ports sous 1024 sont réservés)",
    errno.EADDRNOTAVAIL: "cette adresse n'appartient pas à cette machine",
}
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A session's terminal size, as the page asks for it: a bound on what each process draws.
COLUMNS = (20, 500)
ROWS = (5, 200)
# The page sends key presses, sizes and pings: small messages.
MAX_MESSAGE_BYTES = 64 * 1024
# What the page shows when a message over MAX_MESSAGE_BYTES (a long paste) closed its
# session: aiohttp closes with 1009 and no reason (see _CsuWebSocket).
MESSAGE_TOO_LONG = (
    "CSU : message trop long (plus de 64 Ko, un collage ?) ; session fermée, "
    "rechargez la page pour vous reconnecter."
)
# The page itself leaves out a message over this (a long paste) and says so: the
# server's limit, less room for the JSON around the text.
MAX_PAGE_MESSAGE_BYTES = MAX_MESSAGE_BYTES - 1024
PASTE_TOO_LONG = (
    "Collage trop long pour être transmis : il n'a pas été envoyé. Rien d'autre n'a "
    "changé ; collez un texte plus court."
)
# Half of a UTF-16 pair with no other half: JSON may carry one (« \ud800 »), UTF-8
# cannot; a key press holding one is typed as U+FFFD rather than ending the session.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# How long a session's process may take to quit once its page is gone: it logs the
# operator out first (a write to the store).
STOP_SECONDS = 10
# Then SIGTERM, which the web driver turns into the same quit, for this long; SIGKILL,
# which ends the session with no logout, only after.
TERMINATE_SECONDS = 5
RATE_WINDOW_SECONDS = 60.0

# The page textual-serve ships, made French and self-contained (see french_page).
# The script shows in the « session ended » dialog why the server closed the session
# (all sessions busy…), and leaves out a paste too long for the server, saying so; only
# this server's websocket reaches the page (Origin check).
_PAGE_SCRIPT = """<script>
      (() => {
        const Native = window.WebSocket;
        const MAX_BYTES = __MAX_PAGE_MESSAGE__;
        const tooLong = (data) =>
          typeof data === "string" && new TextEncoder().encode(data).length > MAX_BYTES;
        const say = (text) => {
          let notice = document.getElementById("csu-notice");
          if (!notice) {
            notice = document.createElement("div");
            notice.id = "csu-notice";
            notice.setAttribute("role", "alert");
            notice.style.cssText = "position:fixed;top:8px;left:50%;transform:translateX(-50%);"
              + "z-index:1000;background:#8b0000;color:#fff;padding:8px 16px;"
              + "font:16px sans-serif;border-radius:4px;max-width:90%";
            document.body.appendChild(notice);
          }
          notice.textContent = text;
          notice.hidden = false;
          clearTimeout(notice.timer);
          notice.timer = setTimeout(() => { notice.hidden = true; }, 8000);
        };
        window.WebSocket = class extends Native {
          constructor(...args) {
            super(...args);
            this.addEventListener("close", (event) => {
              const message = document.querySelector(".closed-dialog .message");
              if (event.reason && message) message.textContent = event.reason;
            });
          }
          send(data) {
            // A paste too long for the server (which would close the session) is left
            // out, said on the page; the session and what was typed before stay.
            if (tooLong(data)) { say(__PASTE_TOO_LONG__); return; }
            super.send(data);
          }
        };
      })();
    </script>
    <script src="{{ config.static.url }}js/textual.js"></script>""".replace(
    "__MAX_PAGE_MESSAGE__", str(MAX_PAGE_MESSAGE_BYTES)
).replace("__PASTE_TOO_LONG__", json.dumps(PASTE_TOO_LONG))
_PAGE_EDITS: tuple[tuple[str, str], ...] = (
    ("<html>", '<html lang="fr">'),
    ("<head>", '<head>\n    <meta charset="utf-8" />\n    <title>{{ application.name }}</title>'),
    ('<script src="{{ config.static.url }}js/textual.js"></script>', _PAGE_SCRIPT),
    ("Session ended.", "Session terminée. Rechargez la page pour vous reconnecter."),
    (">Restart<", ">Recommencer<"),
    (">Start<", ">Démarrer<"),
)
# Google Fonts: the page would tell a third party each time a president opens it; the
# font ships with textual-serve anyway (static/fonts), and xterm falls back to monospace.
_EXTERNAL_STYLESHEET = re.compile(r"\s*<link[^>]*href=\"https?://[^\"]*\"[^>]*/>", re.S)
# Every response: never inside another site's frame (a framed page would pass the
# Origin check and could be clicked through), no MIME sniffing, no referrer leak.
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# What CSU answers instead of aiohttp's English (« 405: Method Not Allowed », « Got
# more than 8190 bytes when reading… » quoting the request back).
_FRENCH_ERRORS = {
    400: "Requête illisible.",
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Méthode non autorisée.",
    413: "Requête trop volumineuse.",
    500: "Erreur interne du serveur : rechargez la page ; si elle persiste, prévenez le support.",
}
TOO_LONG = "Requête refusée : adresse ou en-tête de plus de 8 Ko."
# Every response names this server so, not « Python/3.11 aiohttp/3.x »: what runs here,
# and in which version, is nobody's business.
SERVER_NAME = "CSU"
# The sentence a page shows when csu serve stops (a close reason: 123 bytes at most).
SERVER_STOPPING = "CSU : le serveur s'arrête ; rechargez la page dans quelques minutes."
# Why a demo store is served on this machine only.
DEMO_ON_NETWORK = (
    "Base de démonstration : sa page de connexion affiche les mots de passe et les codes "
    "TOTP de ses comptes, administrateur compris ; servie sur le réseau, elle donnerait ces "
    "comptes à quiconque ouvre la page. Servez-la sur cette machine seulement (sans "
    "--allow-remote ni --public-url), ou servez une base créée par « csu init »."
)

Origin = tuple[str, str, int]  # scheme, host name (lower case, no brackets), port


def french_error(status: int, error: BaseException | None = None) -> str:
    """The sentence of an error response CSU did not word itself."""
    if isinstance(error, LineTooLong):
        return TOO_LONG
    return _FRENCH_ERRORS.get(status, f"Requête refusée (erreur {status}).")


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


def bare_host(host: str) -> str:
    """The address to listen on: ``[::1]``, as written in URLs, is ``::1``."""
    if not (host.startswith("[") and host.endswith("]")):
        return host
    try:
        return str(ipaddress.IPv6Address(host[1:-1]))
    except ValueError:
        raise ServiceError(
            f"--host « {host} » : entre crochets, une adresse IPv6 est attendue (ex. [::1])."
        ) from None


def app_command() -> str:
    """The shell command each browser session runs: the fast entry point (csu.launch),
    with this very interpreter so the page opens the CSU that ``serve`` runs from.
    ``exec``: the session's process is the app itself, which a stop can end. The
    database comes through the environment (``serve`` sets ``CSU_DATABASE_URL``).
    ``-P``: not the current folder first on the path, where a planted ``csu`` package
    would be run in CSU's stead."""
    return "exec " + shlex.join([sys.executable, "-P", "-m", "csu.launch", "run"])


def french_page(template: str) -> str:
    page = _EXTERNAL_STYLESHEET.sub("", template)
    for old, new in _PAGE_EDITS:
        page = page.replace(old, new, 1)
    return page


def default_public_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def origin_of(url: str) -> Origin | None:
    """Scheme, host and port of an http(s) URL or an Origin header; None when it names
    no such origin (``null``, a bare name, a bad port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def host_headers(origin: Origin) -> set[str]:
    """The Host header values a browser sends for a page of ``origin``."""
    scheme, name, port = origin
    shown = f"[{name}]" if ":" in name else name
    hosts = {f"{shown}:{port}"}
    if port == _DEFAULT_PORTS[scheme]:
        hosts.add(shown)
    return hosts


@dataclass(frozen=True)
class SessionLimits:
    """How many sessions ``csu serve`` runs at once, how many an address may open in a
    minute, and how many it may hold at once (each is a process holding a store
    connection)."""

    max_sessions: int = 20
    per_address_per_minute: int = 10
    # A page silent for this and half of it more (no answer to the pings) loses its
    # session: the network went, and the operator is logged out.
    heartbeat_seconds: float = 15
    # Without it one address, opening its 10 a minute and leaving them at the login
    # screen, would hold every place.
    per_address_at_once: int = 3


@dataclass(frozen=True)
class Refusal:
    """Why a websocket got no session: its close code and the sentence the page shows.
    A close reason holds at most 123 bytes of UTF-8."""

    code: int
    reason: str


class SessionGate:
    """Admits new sessions: at most ``max_sessions`` at once, at most
    ``per_address_at_once`` open from one address, and at most
    ``per_address_per_minute`` started from one address in any 60 seconds."""

    def __init__(self, limits: SessionLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._starts: dict[str, deque[float]] = {}
        self._open: dict[str, int] = {}  # sessions open per address, none at 0

    @property
    def active(self) -> int:
        """Sessions open now, from every address."""
        return sum(self._open.values())

    def refusal(self, address: str) -> Refusal | None:
        self._forget(self.clock() - RATE_WINDOW_SECONDS)
        if self._open.get(address, 0) >= self.limits.per_address_at_once:
            held = counted(self.limits.per_address_at_once, "session ouverte", "sessions ouvertes")
            return Refusal(
                WSCloseCode.POLICY_VIOLATION,
                f"CSU : déjà {held} depuis cette adresse ; fermez-en une (un onglet de CSU) "
                "puis réessayez.",
            )
        if len(self._starts.get(address, ())) >= self.limits.per_address_per_minute:
            return Refusal(
                WSCloseCode.POLICY_VIOLATION,
                "CSU : trop de sessions commencées depuis cette adresse en une minute ; "
                "réessayez dans une minute.",
            )
        if self.active >= self.limits.max_sessions:
            return Refusal(
                WSCloseCode.TRY_AGAIN_LATER,
                f"CSU : toutes les sessions ({self.limits.max_sessions}) sont occupées ; "
                "réessayez dans quelques minutes.",
            )
        return None

    def opened(self, address: str) -> None:
        self._open[address] = self._open.get(address, 0) + 1
        self._starts.setdefault(address, deque()).append(self.clock())

    def closed(self, address: str) -> None:
        """A session opened from ``address`` ended: its place is free again."""
        if address in self._open:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]

    def _forget(self, before: float) -> None:
        """Drops starts older than the window, so the table holds the last minute only."""
        for address in list(self._starts):
            starts = self._starts[address]
            while starts and starts[0] <= before:
                starts.popleft()
            if not starts:
                del self._starts[address]


class CsuServer(Server):
    """textual-serve's server with a French page, Host and Origin checks and limits."""

    def __init__(
        self,
        command: str,
        host: str,
        port: int,
        public_url: str | None,
        limits: SessionLimits | None = None,
    ) -> None:
        served_url = default_public_url(host, port)
        super().__init__(
            command, host=host, port=port, title=TITLE, public_url=public_url or served_url
        )
        self.console = Console(stderr=True, soft_wrap=True)
        self.limits = limits or SessionLimits()
        self.gate = SessionGate(self.limits)
        public = origin_of(self.public_url)
        if public is None:
            raise ServiceError(f"--public-url « {self.public_url} » : adresse illisible.")
        self.origins: set[Origin] = {public}
        served = origin_of(served_url)
        if is_loopback(host) and served is not None:
            # The page opened directly on this machine, beside the proxy's address.
            self.origins.add(served)
        self.hosts = set().union(*(host_headers(origin) for origin in self.origins))
        # Behind a proxy every session comes from loopback: the client is the address
        # the proxy appended to X-Forwarded-For.
        self.behind_proxy = public != served
        self.sessions: set[web.WebSocketResponse] = set()  # the pages with a session
        self.started = 0  # sessions started: each one's number in the log

    def serve(self, debug: bool = False) -> None:
        """Serves until SIGINT or SIGTERM, as textual-serve's ``serve`` does, but on CSU's
        own connection handler (:class:`_CsuProtocol`), and ending every session (each
        logs its operator out) before stopping."""
        self.debug = debug
        self.initialize_logging()
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        # Sessions are closed first (end_sessions): they need STOP_SECONDS at most.
        runner = _CsuRunner(
            await self._make_app(), shutdown_timeout=STOP_SECONDS + TERMINATE_SECONDS + 5
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            await stopping.wait()
        finally:
            await runner.cleanup()

    def initialize_logging(self) -> None:
        # textual-serve logs tracebacks with their local variables: a failed session
        # could print a president's typed password. Warnings and errors only, no locals;
        # CSU's own lines also at INFO: each session's start and end, with its address.
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s : %(message)s")
        log.setLevel(logging.INFO)

    async def _make_app(self) -> web.Application:
        application = web.Application(middlewares=[self.check_host])
        template = (Path(self.templates_path) / "app_index.html").read_text(encoding="utf-8")
        loader = jinja2.DictLoader({"app_index.html": french_page(template)})
        aiohttp_jinja2.setup(application, loader=loader)
        application.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                # No /download/{key}: CSU hands no file to the page (a screenshot would
                # take a voter's file out of the journal's sight), and textual-serve's
                # answer there was English, quoting the key asked for.
                # No directory index: the listing would only tell a visitor what runs here.
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        application.on_startup.append(self.on_startup)
        application.on_shutdown.append(self.end_sessions)
        application.on_response_prepare.append(_add_security_headers)
        return application

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(
            f"CSU électeurs servi sur {self.public_url} ({self.limits.max_sessions} sessions "
            f"au plus, {self.limits.per_address_at_once} par adresse) — Ctrl+C pour arrêter.",
            highlight=False,
        )

    @web.middleware
    async def check_host(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """A page reached under another name is refused: a site whose name an attacker
        points at 127.0.0.1 (DNS rebinding) would otherwise read this server as its own."""
        if request.headers.get("Host", "").strip().lower() not in self.hosts:
            log.warning("requête refusée : Host %r inattendu", request.headers.get("Host"))
            raise web.HTTPMisdirectedRequest(
                text=f"Adresse inattendue : ouvrez la page de CSU à {self.public_url}"
            )
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as error:
            if error.status >= 400 and error.text in (None, "", f"{error.status}: {error.reason}"):
                # aiohttp's English default: /static/ without an index, an unknown page, a
                # method other than GET. Reworded in place: its headers (Allow) stay.
                error.text = french_error(error.status)
            raise
        return response

    async def end_sessions(self, application: web.Application) -> None:
        """csu serve stops (SIGTERM, ctrl+c): each page's session is closed, with the
        reason shown on the page, so that each logs its operator out (``_stop``) before
        the server waits for its handlers; aiohttp alone waited a minute, then cancelled
        them, and the sessions died with the server."""
        pages = list(self.sessions)
        await asyncio.gather(
            *(
                page.close(code=WSCloseCode.GOING_AWAY, message=SERVER_STOPPING.encode())
                for page in pages
            ),
            return_exceptions=True,
        )

    def origin_refusal(self, origin: str | None) -> str | None:
        """Why a websocket's Origin is refused, or None. Browsers always send Origin with
        a websocket; it must be this server's page (its public URL, or the loopback
        address served), never whatever the request's Host says."""
        if origin is None:
            return "Origine absente : seule la page de CSU ouvre une session."
        if origin_of(origin) not in self.origins:
            return f"Origine refusée : ouvrez la page de CSU elle-même ({self.public_url})."
        return None

    def client_ip(self, request: web.Request) -> str:
        """The client's address as the journal names the session's workstation and the
        log names the session (``recorded_address``): the peer, or behind the proxy
        the address the proxy appended to X-Forwarded-For (the one it saw)."""
        address = request.remote or ""
        if self.behind_proxy and _ip_is_loopback(address):
            forwarded = request.headers.getall("X-Forwarded-For", [])
            address = (forwarded[-1].split(",")[-1].strip() if forwarded else "") or address
        return recorded_address(address)

    def client_address(self, request: web.Request) -> str:
        """Whom the per-address limits count: :meth:`client_ip`, by
        :func:`~csu.domain.addresses.counted_address` (an IPv6 client by its /64)."""
        return counted_address(self.client_ip(request))

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        refused = self.origin_refusal(request.headers.get("Origin"))
        if refused is not None:
            log.warning("websocket refusé : %s (Origin %r)", refused, request.headers.get("Origin"))
            raise web.HTTPForbidden(text=refused)
        websocket = _CsuWebSocket(
            heartbeat=self.limits.heartbeat_seconds, max_msg_size=MAX_MESSAGE_BYTES
        )
        await websocket.prepare(request)
        address = self.client_address(request)
        workstation = web_workstation(self.client_ip(request))
        refusal = self.gate.refusal(address)
        if refusal is not None:
            # Accepted then closed, so that the page can show the reason.
            log.warning("session refusée pour %s : %s", workstation, refusal.reason)
            await websocket.close(code=refusal.code, message=refusal.reason.encode())
            return websocket
        self.gate.opened(address)
        self.sessions.add(websocket)
        self.started += 1
        number, began = self.started, time.monotonic()
        log.info(
            "session %d ouverte : %s (%d sur %d)",
            number, workstation, self.gate.active, self.limits.max_sessions,
        )  # fmt: skip
        try:
            await self._run_session(websocket, request, workstation)
        finally:
            self.sessions.discard(websocket)
            self.gate.closed(address)
            log.info(
                "session %d fermée : %s après %d s (code %s)",
                number, workstation, time.monotonic() - began, websocket.close_code or "—",
            )  # fmt: skip
        return websocket

    async def _run_session(
        self, websocket: web.WebSocketResponse, request: web.Request, workstation: str
    ) -> None:
        width = _clamp(to_int(request.query.get("width", "80"), 80), COLUMNS)
        height = _clamp(to_int(request.query.get("height", "24"), 24), ROWS)

        async def close() -> None:  # the app quit: the page shows « session terminée »
            await websocket.close()

        service = _SessionService(
            self.command,
            workstation=workstation,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=self.download_manager,
        )
        try:
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except Exception as error:  # one session failing never stops the others
            log.error("session interrompue : %s", type(error).__name__)
        finally:
            await _stop(service)
            await websocket.close()

    async def _process_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        """The page's messages to the session: keys, size, focus, pings. A malformed
        message is ignored rather than ending the session."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except (ValueError, RecursionError):  # nested thousands deep: malformed too
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                # A lone surrogate (« \ud800 ») has no UTF-8: typed as U+FFFD instead.
                typed = _LONE_SURROGATE.sub("\ufffd", data)
                await app_service.send_bytes(typed.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await app_service.set_terminal_size(
                    _clamp(to_int(str(data.get("width")), 80), COLUMNS),
                    _clamp(to_int(str(data.get("height")), 24), ROWS),
                )
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()


class _SessionService(AppService):
    """textual-serve's session process, told its workstation the way it is told the
    store: through the environment (``CSU_WORKSTATION``, read by :class:`Settings`)."""

    def __init__(self, command: str, *, workstation: str, **options: Any) -> None:
        super().__init__(command, **options)
        self.workstation = workstation

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        environment["CSU_WORKSTATION"] = self.workstation
        return environment


class _CsuWebSocket(web.WebSocketResponse):
    """A page's websocket whose close for a message over MAX_MESSAGE_BYTES (1009, which
    aiohttp sends with no reason) says why, so the page shows it (_PAGE_SCRIPT)
    rather than a bare « session terminée »."""

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True
    ) -> bool:
        if code == WSCloseCode.MESSAGE_TOO_BIG and not message:
            message = MESSAGE_TOO_LONG.encode()
        return await super().close(code=code, message=message, drain=drain)


async def _stop(service: AppService) -> None:
    """Asks the session's app to quit, which logs its operator out (``CsuApp.leave``),
    and waits for its process. One still there after STOP_SECONDS gets SIGTERM, which
    the web driver turns into the same quit (a quit lost on the way still logs out);
    SIGKILL, with no logout, only TERMINATE_SECONDS later: a stuck session never
    outlives its page."""
    process = service._process  # textual-serve keeps no other handle on it
    try:
        async with asyncio.timeout(STOP_SECONDS):
            await service.stop()
            if process is not None:
                await process.wait()
        return
    except TimeoutError:
        pass
    if process is None or process.returncode is not None:
        return
    log.warning("session sans réponse à l'arrêt : SIGTERM")
    process.terminate()
    try:
        async with asyncio.timeout(TERMINATE_SECONDS):
            await process.wait()
        return
    except TimeoutError:
        pass
    log.warning("session sans réponse à SIGTERM : SIGKILL (pas de déconnexion journalisée)")
    process.kill()
    await process.wait()


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    response.headers["Server"] = SERVER_NAME  # aiohttp's default set it already


class _CsuProtocol(RequestHandler):
    """aiohttp's connection handler, whose own answers, given before any route or
    middleware runs (a request it cannot read: a line over 8 KB, a malformed method),
    or after a handler failed, are CSU's: French, with the security headers, and
    without quoting the request back."""

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, BadHttpMessage) and request.writer.output_size == 0:
            # One line: aiohttp logged a traceback that quoted the request.
            log.warning("requête illisible refusée (%s) : %s", status, type(exc).__name__)
        else:
            super().handle_error(request, status, exc, message)  # logs; raises once sent
        response = web.Response(
            status=status,
            text=french_error(status, exc),
            headers={**SECURITY_HEADERS, "Server": SERVER_NAME},
        )
        response.force_close()
        return response


class _CsuHttpServer(web.Server):
    """aiohttp's server, each connection handled by :class:`_CsuProtocol`."""

    def __call__(self) -> RequestHandler:
        return _CsuProtocol(self, loop=self._loop, **self._kwargs)


class _CsuRunner(web.AppRunner):
    """aiohttp's runner, whose server is :class:`_CsuHttpServer` (aiohttp offers no
    option to choose the connection handler)."""

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        return _CsuHttpServer(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=made._loop,
            **made._kwargs,
        )


def _ip_is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def check_store(db: str | None, *, on_network: bool = False) -> None:
    """Opens the store once as a session would, so a wrong --db or a missing key stops
    ``serve`` at start with the reason instead of every browser session. ``on_network``
    (--allow-remote, --public-url): a demo store whose login screen would show its
    accounts' passwords and codes is refused."""
    workplace = open_workplace(db)
    try:
        if on_network and demo_logins(workplace.deps):
            raise ServiceError(DEMO_ON_NETWORK)
    finally:
        workplace.deps.engine.dispose()


def session_limits(settings: Settings) -> SessionLimits:
    """The limits of the settings; a value that is not a positive number is refused."""
    for name, value in (
        ("CSU_SERVE_MAX_SESSIONS", settings.serve_max_sessions),
        ("CSU_SERVE_SESSIONS_PER_MINUTE", settings.serve_sessions_per_minute),
        ("CSU_SERVE_SESSIONS_PER_ADDRESS", settings.serve_sessions_per_address),
        ("CSU_SERVE_LOGIN_MINUTES", settings.serve_login_minutes),
    ):
        if value <= 0:
            raise ServiceError(f"{name} = {value} : un nombre positif est attendu.")
    return SessionLimits(
        settings.serve_max_sessions,
        settings.serve_sessions_per_minute,
        settings.serve_heartbeat_seconds,
        per_address_at_once=settings.serve_sessions_per_address,
    )


def serve(
    host: str,
    port: int,
    *,
    db: str | None = None,
    public_url: str | None = None,
    allow_remote: bool = False,
    warn: Any = print,
) -> None:
    """Checks the host and the store, then serves until Ctrl+C or SIGTERM."""
    if not 0 < port < 65536:
        raise ServiceError(f"Port {port} impossible : un port va de 1 à 65535.")
    host = bare_host(host)
    where = default_public_url(host, port).removeprefix("http://")
    if not is_loopback(host) and not allow_remote:
        raise ServiceError(
            f"{host} n'est pas une adresse locale : la page passe les mots de passe et les "
            "codes en clair (HTTP). Écoutez sur 127.0.0.1 derrière un proxy HTTPS "
            "(--public-url https://…), ou ajoutez --allow-remote pour exposer quand même."
        )
    if allow_remote and public_url is None:
        raise ServiceError(
            "--allow-remote demande --public-url : l'adresse exacte sous laquelle les "
            "navigateurs ouvrent la page (ex. --public-url https://csu.example.fr) ; "
            "toute autre adresse est refusée."
        )
    if public_url is not None and origin_of(public_url) is None:
        raise ServiceError(
            f"--public-url « {public_url} » : une adresse http:// ou https:// avec un nom "
            "d'hôte est attendue (ex. https://csu.example.fr)."
        )
    limits = session_limits(load_settings(db))  # a bad CSU_* value: ConfigError, in French
    if db:
        # Through the environment, not the command line: a PostgreSQL URL may carry a
        # password, which `ps` would show to every user of the machine.
        os.environ["CSU_DATABASE_URL"] = normalise_db_option(db)
    check_store(db, on_network=allow_remote or public_url is not None)
    if not is_loopback(host):
        warn(
            f"ATTENTION : CSU écoute sur {where} sans chiffrement. Les mots de passe "
            "et les codes TOTP des opérateurs circulent en clair sur le réseau."
        )
    server = CsuServer(app_command(), host, port, public_url, limits)
    try:
        server.serve()
    except OSError as error:
        reason = _LISTEN_ERRORS.get(error.errno or 0, "erreur réseau")
        raise ServiceError(f"Impossible d'écouter sur {where} : {reason}.") from error
