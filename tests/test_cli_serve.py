"""``csu serve``: what it refuses before listening, what each browser session runs, and
the page and websocket it serves (the whole path in a browser is in tests/e2e)."""

import os
import shlex
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from csu import serve as serving
from csu.app import CsuApp
from csu.launch import run_request
from csu.serve import (
    CsuServer,
    SessionGate,
    SessionLimits,
    app_command,
    french_page,
    is_loopback,
)
from csu.services.context import Deps
from csu.startup import demo_url
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said
from tests.conftest import TEST_KEY


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)
    # serve() hands --db to the sessions through the environment: undone after each test.
    monkeypatch.setenv("CSU_DATABASE_URL", "")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    db = tmp_path / "csu.sqlite"
    return initialised(db)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[CsuServer]:
    """Stands in for listening: records the server ``csu serve`` would run."""
    started: list[CsuServer] = []
    monkeypatch.setattr(CsuServer, "serve", lambda self, debug=False: started.append(self))
    return started


def test_serve_refuses_a_non_loopback_host_without_allow_remote(served: list[CsuServer]) -> None:
    result = csu("serve", "--host", "0.0.0.0")
    assert_refused(result, "0.0.0.0 n'est pas une adresse locale", "--allow-remote")
    assert served == []


def test_serve_with_allow_remote_warns_that_passwords_travel_in_clear(
    database: Path, served: list[CsuServer]
) -> None:
    result = csu(
        "serve",
        "--host",
        "0.0.0.0",
        "--allow-remote",
        "--public-url",
        "http://10.0.0.5:8000",
        "--db",
        database,
    )
    assert_done(result)
    assert "ATTENTION : CSU écoute sur 0.0.0.0:8000 sans chiffrement" in said(result)
    [server] = served
    assert (server.host, server.public_url) == ("0.0.0.0", "http://10.0.0.5:8000")
    # Only the public address is this server's: 0.0.0.0 is no address a browser opens.
    assert server.hosts == {"10.0.0.5:8000"}


def test_allow_remote_without_a_public_url_is_refused(served: list[CsuServer]) -> None:
    result = csu("serve", "--host", "0.0.0.0", "--allow-remote")
    assert_refused(result, "--allow-remote demande --public-url")
    assert served == []


def test_serve_listens_on_loopback_port_8000_by_default(
    database: Path, served: list[CsuServer]
) -> None:
    assert_done(csu("serve", "--db", database))
    [server] = served
    assert (server.host, server.port, server.public_url) == (
        "127.0.0.1",
        8000,
        "http://127.0.0.1:8000",
    )


def test_serve_stops_at_start_when_the_database_is_missing(
    tmp_path: Path, served: list[CsuServer]
) -> None:
    result = csu("serve", "--db", tmp_path / "absente.sqlite")
    assert_refused(result, "Base introuvable", "csu init")
    assert served == []


def test_the_sessions_get_the_database_url_from_the_environment_not_the_command_line(
    database: Path, served: list[CsuServer]
) -> None:
    # A PostgreSQL URL may carry a password: `ps` shows command lines to every user.
    assert_done(csu("serve", "--db", database))
    [server] = served
    assert str(database) not in server.command
    assert os.environ["CSU_DATABASE_URL"] == f"sqlite:///{database}"


def test_serve_demo_gives_the_sessions_the_demo_database_through_the_environment(
    served: list[CsuServer],
) -> None:
    assert_done(csu("demo", "--voters", "30"))
    assert_done(csu("serve", "--demo"))
    [server] = served
    assert os.environ["CSU_DATABASE_URL"] == demo_url()
    # Each session opens the database of the environment: the demo's.
    assert run_request(shlex.split(server.command)[5:]) == (None, False)


def test_each_session_runs_the_terminal_with_this_python_as_the_process_itself() -> None:
    args = shlex.split(app_command())
    # exec: no shell stays between, so a stuck session's process can be ended.
    # -P: not the current folder first on the path (a `csu` package planted there).
    assert args[:5] == ["exec", sys.executable, "-P", "-m", "csu.launch"]
    assert run_request(args[5:]) == (None, False)  # csu.launch opens the terminal at once


def test_a_public_url_that_is_not_http_is_refused(database: Path, served: list[CsuServer]) -> None:
    result = csu("serve", "--db", database, "--public-url", "csu.example.fr")
    assert_refused(result, "--public-url « csu.example.fr » : une adresse http:// ou https://")
    assert served == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_recognised(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "nom-inconnu.invalid"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_the_page_is_french_and_loads_nothing_from_another_site() -> None:
    template = (Path(serving.Server("x").templates_path) / "app_index.html").read_text()
    page = french_page(template)
    assert 'lang="fr"' in page
    assert "Session terminée" in page and ">Recommencer<" in page
    assert "googleapis" not in page and "Session ended" not in page


PROXIED = CsuServer("true", "127.0.0.1", 8000, "https://csu.example.fr")


@pytest.mark.parametrize(
    "origin",
    [
        "https://csu.example.fr",  # the page through the HTTPS proxy
        "https://CSU.example.fr:443",  # the same origin, written otherwise
        "http://127.0.0.1:8000",  # the page opened on this machine, on the address served
    ],
)
def test_a_websocket_from_the_served_page_is_allowed(origin: str) -> None:
    assert PROXIED.origin_refusal(origin) is None


@pytest.mark.parametrize(
    "origin",
    [
        "https://site-malveillant.example",
        "https://csu.example.fr.site-malveillant.example",
        "http://csu.example.fr",  # not the scheme served
        "https://csu.example.fr:8443",
        "http://localhost:8000",  # not the address served
        "null",  # a sandboxed frame or a local file
    ],
)
def test_a_websocket_from_any_other_origin_is_refused(origin: str) -> None:
    assert PROXIED.origin_refusal(origin) == (
        "Origine refusée : ouvrez la page de CSU elle-même (https://csu.example.fr)."
    )


def test_a_websocket_without_origin_is_refused_as_not_coming_from_a_page() -> None:
    assert PROXIED.origin_refusal(None) == (
        "Origine absente : seule la page de CSU ouvre une session."
    )


def test_the_host_header_may_name_the_public_url_or_the_loopback_address_served() -> None:
    # The proxy passes Host (nginx: proxy_set_header Host $host) or puts its upstream.
    assert PROXIED.hosts == {"csu.example.fr", "csu.example.fr:443", "127.0.0.1:8000"}


def test_behind_a_proxy_the_client_is_the_address_the_proxy_appended() -> None:
    request = make_mocked_request(
        "GET", "/ws", headers={"X-Forwarded-For": "203.0.113.9, 192.0.2.44"}
    ).clone(remote="127.0.0.1")
    # The proxy on this machine appends the address it saw; the first is the client's word.
    assert PROXIED.client_address(request) == "192.0.2.44"


def test_an_ipv6_client_is_counted_by_its_slash_64() -> None:
    server = CsuServer("true", "127.0.0.1", 8000, None)
    one, other = (
        make_mocked_request("GET", "/ws").clone(remote=f"2001:db8:1:2::{n}") for n in (1, 2)
    )
    assert server.client_address(one) == server.client_address(other) == "2001:db8:1:2::/64"


def test_without_a_proxy_x_forwarded_for_is_ignored() -> None:
    server = CsuServer("true", "127.0.0.1", 8000, None)
    request = make_mocked_request("GET", "/ws", headers={"X-Forwarded-For": "192.0.2.44"}).clone(
        remote="127.0.0.1"
    )
    assert server.client_address(request) == "127.0.0.1"


def test_serve_listens_on_ipv6_loopback_written_in_brackets(
    database: Path, served: list[CsuServer]
) -> None:
    assert_done(csu("serve", "--host", "[::1]", "--db", database))
    [server] = served
    assert (server.host, server.public_url) == ("::1", "http://[::1]:8000")
    assert server.hosts == {"[::1]:8000"}


def test_brackets_around_something_else_than_ipv6_are_refused(served: list[CsuServer]) -> None:
    assert_refused(
        csu("serve", "--host", "[localhost]"), "entre crochets, une adresse IPv6 est attendue"
    )
    assert served == []


def test_the_session_limits_come_from_the_settings(
    database: Path, served: list[CsuServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SERVE_MAX_SESSIONS", "3")
    monkeypatch.setenv("CSU_SERVE_SESSIONS_PER_MINUTE", "4")
    assert_done(csu("serve", "--db", database))
    [server] = served
    assert server.limits == SessionLimits(max_sessions=3, per_address_per_minute=4)


def test_the_session_limits_default_to_twenty_at_once_and_ten_a_minute(
    database: Path, served: list[CsuServer]
) -> None:
    assert_done(csu("serve", "--db", database))
    [server] = served
    assert server.limits == SessionLimits(max_sessions=20, per_address_per_minute=10)


@pytest.mark.parametrize(
    ("variable", "value", "phrase"),
    [
        ("CSU_SERVE_MAX_SESSIONS", "0", "CSU_SERVE_MAX_SESSIONS = 0 : un nombre positif"),
        ("CSU_SERVE_LOGIN_MINUTES", "-1", "CSU_SERVE_LOGIN_MINUTES = -1.0 : un nombre positif"),
        ("CSU_SERVE_SESSIONS_PER_MINUTE", "dix", "CSU_SERVE_SESSIONS_PER_MINUTE : nombre entier"),
    ],
)
def test_a_session_limit_that_is_not_a_positive_number_is_refused(
    served: list[CsuServer],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    phrase: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert_refused(csu("serve"), phrase)
    assert served == []


class TestSessionGate:
    """At most N sessions at once, at most M new ones per address in any minute."""

    def gate(self, max_sessions: int = 20, per_minute: int = 10) -> tuple[SessionGate, list[float]]:
        now = [1000.0]
        return SessionGate(SessionLimits(max_sessions, per_minute), lambda: now[0]), now

    def test_a_session_over_the_cap_is_told_to_come_back_later(self) -> None:
        gate, _ = self.gate(max_sessions=2)
        gate.opened("192.0.2.1")
        gate.opened("192.0.2.2")
        refusal = gate.refusal("192.0.2.3")
        assert refusal is not None and refusal.code == 1013
        assert refusal.reason == (
            "CSU : toutes les sessions (2) sont occupées ; réessayez dans quelques minutes."
        )

    def test_a_session_that_ends_frees_its_place(self) -> None:
        gate, _ = self.gate(max_sessions=1)
        gate.opened("192.0.2.1")
        gate.closed("192.0.2.1")
        assert gate.refusal("192.0.2.3") is None

    def test_an_address_over_its_rate_waits_for_the_minute_to_pass(self) -> None:
        gate, now = self.gate(per_minute=2)
        gate.opened("192.0.2.1")
        now[0] += 30
        gate.opened("192.0.2.1")
        refusal = gate.refusal("192.0.2.1")
        assert refusal is not None and refusal.code == 1008
        assert gate.refusal("192.0.2.2") is None  # other addresses are not held back
        now[0] += 30  # the first start is a minute old
        assert gate.refusal("192.0.2.1") is None

    def test_the_gate_forgets_addresses_after_a_minute(self) -> None:
        gate, now = self.gate()
        for number in range(100):
            gate.opened(f"192.0.2.{number}")
            gate.closed(f"192.0.2.{number}")
        now[0] += 61
        gate.refusal("192.0.2.200")
        assert gate._starts == {}

    def test_every_close_reason_fits_in_a_websocket_close_frame(self) -> None:
        gate, _ = self.gate(max_sessions=10**6, per_minute=1)
        gate.opened("192.0.2.1")
        gate._open["198.51.100.9"] = 10**6  # a million sessions open, the longest count
        reasons = [gate.refusal("192.0.2.1"), gate.refusal("192.0.2.2")]
        assert all(r is not None and len(r.reason.encode()) <= 123 for r in reasons)


@asynccontextmanager
async def listening(server: CsuServer) -> AsyncIterator[TestClient]:
    """``server`` on its own loopback port, as a browser reaches it."""
    test_server = TestServer(await server._make_app(), host=server.host, port=server.port)
    async with TestClient(test_server) as client:
        yield client


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_every_response_forbids_framing_by_another_site() -> None:
    port = unused_port()
    async with listening(CsuServer("true", "127.0.0.1", port, None)) as client:
        response = await client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


async def test_a_session_over_the_cap_is_closed_with_its_reason() -> None:
    port = unused_port()
    server = CsuServer("true", "127.0.0.1", port, None, SessionLimits(max_sessions=1))
    origin = f"http://127.0.0.1:{port}"
    async with listening(server) as client, client.ws_connect("/ws", origin=origin) as first:
        async with client.ws_connect("/ws", origin=origin) as second:
            message = await second.receive(timeout=10)
        assert (message.type, message.data) == (WSMsgType.CLOSE, 1013)
        assert message.extra == (
            "CSU : toutes les sessions (1) sont occupées ; réessayez dans quelques minutes."
        )
        assert not first.closed


async def test_the_served_page_names_csu_and_points_its_websocket_at_the_public_url() -> None:
    port = unused_port()
    server = CsuServer("true", "127.0.0.1", port, "https://csu.example.fr")
    async with listening(server) as client:
        response = await client.get("/")
        page = await response.text()
    assert response.status == 200
    assert "<title>CSU électeurs</title>" in page
    assert 'data-session-websocket-url="wss://csu.example.fr/ws"' in page


def test_a_port_already_in_use_is_said_in_french(database: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CSU_DATA_DIR": str(tmp_path)}
        result = subprocess.run(
            [sys.executable, "-m", "csu.launch", "serve", "--port", str(port), "--db", database],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Impossible d'écouter sur 127.0.0.1:{port} : port déjà utilisé" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("port", ["0", "99999"])
def test_a_port_out_of_range_is_said_in_french(served: list[CsuServer], port: str) -> None:
    assert_refused(csu("serve", "--port", port), "un port va de 1 à 65535")
    assert served == []


async def test_a_terminal_left_at_its_login_screen_stays_open(tmp_path: Path) -> None:
    # Only a browser session ends at its login screen (CSU_SERVE_LOGIN_MINUTES): an
    # agent's terminal waits for its operator. The served case is in tests/e2e.
    engine = make_engine(f"sqlite:///{tmp_path / 'csu.sqlite'}")
    upgrade(engine)
    app = CsuApp(Deps(engine, TEST_KEY), "poste-test")
    async with app.run_test() as pilot:
        app.login_idle_seconds = 1
        app._last_activity -= 60  # a minute without a key press at the login screen
        app._check_idle()
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert type(app.screen).__name__ == "LoginScreen"
    engine.dispose()
