"""``csu serve``: what it refuses before listening, what each browser session runs, and
the page and websocket it serves (the whole path in a browser is in tests/e2e)."""

import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from csu import serve as serving
from csu.launch import run_request
from csu.serve import CsuServer, app_command, french_page, is_loopback
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, said


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)
    # serve() hands --db to the sessions through the environment: undone after each test.
    monkeypatch.setenv("CSU_DATABASE_URL", "")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    db = tmp_path / "csu.sqlite"
    assert_done(csu("init", "--db", db))
    return db


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
    result = csu("serve", "--host", "0.0.0.0", "--allow-remote", "--db", database)
    assert_done(result)
    assert "ATTENTION : CSU écoute sur 0.0.0.0:8000 sans chiffrement" in said(result)
    assert [server.host for server in served] == ["0.0.0.0"]


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


def test_each_session_runs_the_terminal_with_this_python() -> None:
    args = shlex.split(app_command(demo=True))
    assert args[:3] == [sys.executable, "-m", "csu.launch"]
    assert run_request(args[3:]) == (None, True)  # csu.launch opens the terminal at once


def test_a_public_url_that_is_not_http_is_refused(
    database: Path, served: list[CsuServer]
) -> None:
    result = csu("serve", "--db", database, "--public-url", "csu.example.fr")
    assert_refused(result, "--public-url « csu.example.fr » : une adresse http:// ou https://")


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


async def test_the_served_page_names_csu_and_points_its_websocket_at_the_public_url() -> None:
    server = CsuServer("true", "127.0.0.1", 8000, "https://csu.example.fr")
    async with TestClient(TestServer(await server._make_app())) as client:
        response = await client.get("/")
        page = await response.text()
    assert response.status == 200
    assert "<title>CSU électeurs</title>" in page
    assert 'data-session-websocket-url="wss://csu.example.fr/ws"' in page


async def test_a_websocket_opened_by_another_sites_page_is_refused() -> None:
    server = CsuServer("true", "127.0.0.1", 8000, None)
    async with TestClient(TestServer(await server._make_app())) as client:
        response = await client.get(
            "/ws",
            headers={
                "Origin": "https://site-malveillant.example",
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert response.status == 403
        assert "Origine refusée" in await response.text()


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),  # the page itself
        ("https://csu.example.fr", "127.0.0.1:8000"),  # behind the proxy, Host rewritten
        ("http://localhost:8000", "localhost:8000"),  # another name of this machine
        (None, "127.0.0.1:8000"),  # not a browser
    ],
)
def test_a_websocket_from_the_page_itself_is_allowed(origin: str | None, host: str) -> None:
    server = CsuServer("true", "127.0.0.1", 8000, "https://csu.example.fr")
    assert server.origin_allowed(origin, host)


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
