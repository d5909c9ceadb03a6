"""``csu serve`` against what an attack run found: sessions journalled under no client,
one address holding every place, a malformed key press or a long paste ending the
session, and a demo store served on the network. Real aiohttp servers and websockets;
each session is a small stand-in process speaking textual-serve's protocol (it shows
its CSU_WORKSTATION, then echoes what it is typed), so no Textual app is started."""

import asyncio
import json
import shlex
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import make_mocked_request

from csu.domain.addresses import recorded_address
from csu.serve import (
    DEMO_ON_NETWORK,
    MESSAGE_TOO_LONG,
    CsuServer,
    SessionGate,
    SessionLimits,
    web_workstation,
)
from csu.services.context import MAX_WORKSTATION
from csu.startup import demo_url
from tests.cli_support import assert_done, assert_refused, clean_environment, copy_of_demo, csu
from tests.test_cli_serve import listening, unused_port

# A session's process as textual-serve runs it: the prelude, then packets (type, 4-byte
# size, payload). It sends its workstation, then every key packet back, and quits when
# told (the « quit » meta packet a session's end sends).
STAND_IN_APP = """
import os, sys
out, keys = sys.stdout.buffer, sys.stdin.buffer
def send(data):
    out.write(b"D" + len(data).to_bytes(4, "big") + data)
    out.flush()
out.write(b"__GANGLION__\\n")
send(os.environ.get("CSU_WORKSTATION", "").encode())
while kind := keys.read(1):
    data = keys.read(int.from_bytes(keys.read(4), "big"))
    if kind == b"D":
        send(data)
    elif b'"quit"' in data:
        break
"""
STAND_IN = "exec " + shlex.join([sys.executable, "-c", STAND_IN_APP])
WAIT_SECONDS = 30


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_DATABASE_URL", "")  # serve() sets it for its sessions


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[CsuServer]:
    """Stands in for listening: records the server ``csu serve`` would run."""
    started: list[CsuServer] = []
    monkeypatch.setattr(CsuServer, "serve", lambda self, debug=False: started.append(self))
    return started


def stand_in_server(
    public_url: str | None = None, limits: SessionLimits | None = None
) -> tuple[CsuServer, str]:
    """A server of stand-in sessions on a free loopback port, and its page's origin."""
    port = unused_port()
    return CsuServer(STAND_IN, "127.0.0.1", port, public_url, limits), f"http://127.0.0.1:{port}"


async def next_message(socket: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    return await socket.receive(timeout=WAIT_SECONDS)


async def pong(socket: aiohttp.ClientWebSocketResponse, said: str) -> Any:
    """Pings the session and returns the server's answer (binary output skipped)."""
    await socket.send_str(json.dumps(["ping", said]))
    async with asyncio.timeout(WAIT_SECONDS):
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                return json.loads(message.data)
    return None


# --- every session journalled under its client's address ------------------------------


async def test_a_browser_session_runs_with_web_and_its_clients_address_as_workstation() -> None:
    server, origin = stand_in_server()
    async with listening(server) as client, client.ws_connect("/ws", origin=origin) as socket:
        shown = await next_message(socket)
    assert (shown.type, shown.data) == (WSMsgType.BINARY, b"web:127.0.0.1")


async def test_behind_the_proxy_a_session_is_journalled_under_the_address_the_proxy_saw() -> None:
    server, origin = stand_in_server(public_url="https://csu.example.fr")
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}  # the last: the proxy's
    async with (
        listening(server) as client,
        client.ws_connect("/ws", origin=origin, headers=forwarded) as socket,
    ):
        shown = await next_message(socket)
    assert shown.data == b"web:203.0.113.7"


@pytest.mark.parametrize(
    ("address", "recorded"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:DB8:0:0::7", "2001:db8::7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # a dual-stack proxy's IPv4 client
        ("fe80::1%eth0<script>", "adresse invalide"),  # a zone is any text at all
        ("poste-42.example.fr", "adresse invalide"),  # a name, or whatever a header said
        ("", "inconnue"),
    ],
)
def test_only_an_ip_address_is_recorded_as_the_client(address: str, recorded: str) -> None:
    assert recorded_address(address) == recorded


def test_the_longest_ipv6_workstation_fits_the_journals_column() -> None:
    longest = recorded_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    assert len(web_workstation(longest)) <= MAX_WORKSTATION


def test_an_ipv6_client_is_recorded_whole_though_counted_by_its_slash_64() -> None:
    server = CsuServer("true", "127.0.0.1", 8000, None)
    request = make_mocked_request("GET", "/ws").clone(remote="2001:db8:1:2::7")
    assert server.client_ip(request) == "2001:db8:1:2::7"
    assert server.client_address(request) == "2001:db8:1:2::/64"


async def test_each_session_start_and_end_is_logged_with_its_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="csu.serve")
    server, origin = stand_in_server()
    async with listening(server) as client:
        async with client.ws_connect("/ws", origin=origin) as socket:
            await next_message(socket)
        async with asyncio.timeout(WAIT_SECONDS):
            while server.sessions:
                await asyncio.sleep(0.05)
    lines = [record.getMessage() for record in caplog.records if record.name == "csu.serve"]
    assert lines[0] == "session 1 ouverte : web:127.0.0.1 (1 sur 20)"
    assert lines[1].startswith("session 1 fermée : web:127.0.0.1 après ")


# --- one address cannot hold every place -----------------------------------------------


class TestSessionsAtOncePerAddress:
    def gate(self, at_once: int) -> SessionGate:
        return SessionGate(SessionLimits(max_sessions=20, per_address_at_once=at_once))

    def test_an_address_holding_its_sessions_at_once_is_refused_another(self) -> None:
        gate = self.gate(at_once=3)
        for _ in range(3):
            gate.opened("192.0.2.1")
        refusal = gate.refusal("192.0.2.1")
        assert refusal is not None and refusal.code == 1008
        assert refusal.reason == (
            "CSU : déjà 3 sessions ouvertes depuis cette adresse ; "
            "fermez-en une (un onglet de CSU) puis réessayez."
        )
        assert gate.refusal("192.0.2.2") is None  # other addresses are not held back

    def test_an_address_allowed_one_session_is_told_in_the_singular(self) -> None:
        gate = self.gate(at_once=1)
        gate.opened("192.0.2.1")
        refusal = gate.refusal("192.0.2.1")
        assert refusal is not None
        assert refusal.reason.startswith("CSU : déjà 1 session ouverte depuis cette adresse")

    def test_the_sessions_open_are_counted_from_every_address(self) -> None:
        gate = self.gate(at_once=3)
        for address in ("192.0.2.1", "192.0.2.1", "192.0.2.2"):
            gate.opened(address)
        gate.closed("192.0.2.1")
        assert gate.active == 2

    def test_a_session_that_ends_gives_its_address_its_place_back(self) -> None:
        gate = self.gate(at_once=1)
        gate.opened("192.0.2.1")
        gate.closed("192.0.2.1")
        assert gate.refusal("192.0.2.1") is None
        assert gate._open == {}  # no address kept once its sessions are gone

    def test_the_refusal_fits_in_a_websocket_close_frame(self) -> None:
        gate = self.gate(at_once=10**6)
        gate._open["192.0.2.1"] = 10**6
        refusal = gate.refusal("192.0.2.1")
        assert refusal is not None and len(refusal.reason.encode()) <= 123


async def test_a_session_beyond_an_addresses_cap_is_closed_with_its_reason() -> None:
    server, origin = stand_in_server(limits=SessionLimits(per_address_at_once=2))
    async with (
        listening(server) as client,
        client.ws_connect("/ws", origin=origin) as first,
        client.ws_connect("/ws", origin=origin) as second,
    ):
        assert (await next_message(first)).type == WSMsgType.BINARY
        assert (await next_message(second)).type == WSMsgType.BINARY
        async with client.ws_connect("/ws", origin=origin) as third:
            refused = await next_message(third)
        assert (refused.type, refused.data) == (WSMsgType.CLOSE, 1008)
        assert str(refused.extra).startswith("CSU : déjà 2 sessions ouvertes depuis cette adresse")
        assert not first.closed and not second.closed


def test_the_sessions_per_address_come_from_the_settings(
    tmp_path: Path, served: list[CsuServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SERVE_SESSIONS_PER_ADDRESS", "5")
    assert_done(csu("init", "--db", tmp_path / "csu.sqlite"))
    assert_done(csu("serve", "--db", tmp_path / "csu.sqlite"))
    [server] = served
    assert server.limits.per_address_at_once == 5


def test_the_sessions_per_address_default_to_three(tmp_path: Path, served: list[CsuServer]) -> None:
    assert_done(csu("init", "--db", tmp_path / "csu.sqlite"))
    assert_done(csu("serve", "--db", tmp_path / "csu.sqlite"))
    [server] = served
    assert server.limits.per_address_at_once == 3


def test_sessions_per_address_that_is_not_positive_is_refused(
    served: list[CsuServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SERVE_SESSIONS_PER_ADDRESS", "0")
    assert_refused(csu("serve"), "CSU_SERVE_SESSIONS_PER_ADDRESS = 0 : un nombre positif")
    assert served == []


# --- a malformed key press or a long paste ---------------------------------------------


async def test_a_lone_surrogate_is_typed_as_the_replacement_character() -> None:
    server, origin = stand_in_server()
    async with listening(server) as client, client.ws_connect("/ws", origin=origin) as socket:
        await next_message(socket)  # the workstation
        await socket.send_str('["stdin", "a\\ud800b"]')  # JSON may hold one, UTF-8 cannot
        typed = await next_message(socket)
        assert typed.data == "a\ufffdb".encode()
        assert await pong(socket, "encore là ?") == ["pong", "encore là ?"]
        assert not socket.closed


async def test_a_lone_surrogate_does_not_end_the_session() -> None:
    # What the page never sends but any client may: the session goes on.
    sent: list[bytes] = []

    class Session:
        async def send_bytes(self, data: bytes) -> None:
            sent.append(data)

    class Page:
        def __aiter__(self) -> AsyncIterator[SimpleNamespace]:
            return self.messages()

        async def messages(self) -> AsyncIterator[SimpleNamespace]:
            for text in ('["stdin", "\\udfff"]', '["stdin", "x"]'):
                yield SimpleNamespace(type=WSMsgType.TEXT, data=text)

    server = CsuServer("true", "127.0.0.1", 8000, None)
    await server._process_messages(Page(), Session())  # type: ignore[arg-type]
    assert sent == ["\ufffd".encode(), b"x"]


async def test_a_message_too_long_closes_the_session_saying_why() -> None:
    server, origin = stand_in_server()
    async with listening(server) as client, client.ws_connect("/ws", origin=origin) as socket:
        await next_message(socket)
        await socket.send_str(json.dumps(["stdin", "x" * 100_000]))  # a 100 KB paste
        closed = await next_message(socket)
    assert (closed.type, closed.data) == (WSMsgType.CLOSE, 1009)
    assert closed.extra == MESSAGE_TOO_LONG
    assert "message trop long" in MESSAGE_TOO_LONG and len(MESSAGE_TOO_LONG.encode()) <= 123


# --- no demo store on the network ------------------------------------------------------


@pytest.fixture
def demo() -> Path:
    """What `csu demo --voters 30` leaves where the demo lives (built once a process)."""
    return copy_of_demo(Path(demo_url().removeprefix("sqlite:///")))


@pytest.mark.parametrize(
    "network",
    [
        ("--public-url", "https://csu.example.fr"),  # behind a proxy
        ("--host", "0.0.0.0", "--allow-remote", "--public-url", "http://10.0.0.5:8000"),
    ],
)
def test_a_demo_store_is_not_served_on_the_network(
    demo: Path, served: list[CsuServer], network: tuple[str, ...]
) -> None:
    result = csu("serve", "--demo", *network)
    assert_refused(result, DEMO_ON_NETWORK)
    assert "ATTENTION" not in result.output  # refused before any warning
    assert served == []


def test_a_copy_of_the_demo_store_is_not_served_on_the_network_either(
    demo: Path, tmp_path: Path, served: list[CsuServer]
) -> None:
    copy = tmp_path / "copie" / "cellule.sqlite"
    copy.parent.mkdir()
    shutil.copy(demo, copy)
    shutil.copy(demo.with_name(demo.name + ".key"), copy.with_name(copy.name + ".key"))
    assert_refused(
        csu("serve", "--db", copy, "--public-url", "https://csu.example.fr"),
        "Base de démonstration : sa page de connexion affiche les mots de passe",
    )
    assert served == []


def test_a_demo_store_is_still_served_on_this_machine(demo: Path, served: list[CsuServer]) -> None:
    assert_done(csu("serve", "--demo"))
    [server] = served
    assert server.host == "127.0.0.1" and not server.behind_proxy
