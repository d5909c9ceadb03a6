"""The ends of a browser session that need no browser: the network gone under a
page (a raw websocket client that stops answering), and a session that does not hear
textual-serve's quit. Apart from tests/e2e/test_serve_session_end.py: Playwright's
sync API and pytest-asyncio's loop cannot share a module."""

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSMsgType

from csu import serve
from tests.e2e.conftest import serving, totp
from tests.e2e.test_serve_session_end import ended, entries_of


async def screen_shows(socket: aiohttp.ClientWebSocketResponse, text: str) -> None:
    """Reads the session's output until ``text`` was drawn (as UTF-8 in its frames),
    answering the server's pings meanwhile, as a page does while its network holds."""
    seen = ""
    async with asyncio.timeout(60):
        while text not in seen:
            message = await socket.receive()
            if message.type == WSMsgType.PING:
                await socket.pong(message.data)
                continue
            assert message.type == WSMsgType.BINARY, message
            seen = (seen + message.data.decode("utf-8", "ignore"))[-20_000:]


async def test_a_page_whose_network_drops_is_logged_out(
    live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(live_demo_template, tmp_path, SERVE_HEARTBEAT_SECONDS="5") as served:
        async with aiohttp.ClientSession() as client:
            socket = await client.ws_connect(served.ws_url, origin=served.origin, autoping=False)
            await screen_shows(socket, "démonstration")  # the store is open: the form works
            # 1.8 s: a ping meanwhile is answered within the server's 2.5 s (screen_shows).
            for keys in ("president", "\t", "demo", "\t", totp("president"), "\r"):
                await socket.send_str(json.dumps(["stdin", keys]))
                await asyncio.sleep(0.3)
            await screen_shows(socket, "Tapez au moins 2 caractères.")
            assert entries_of(served, "president")[-1] == ("login", "ok")
            # The network goes: nothing more reaches the server, not even the answers to
            # its pings; after its heartbeat (5 s here, CSU_SERVE_HEARTBEAT_SECONDS) and half
            # of it it closes the session.
            await asyncio.to_thread(ended, served)
            await socket.close()
    assert entries_of(served, "president")[-1] == ("logout", "ok")


class FakeService:
    """An AppService whose quit never reaches the app: its ``stop`` returns at once."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    async def stop(self) -> None:
        await asyncio.sleep(3600)


# A session that never hears the quit but, as the web driver, quits on SIGTERM (after
# writing what it would: its logout).
DEAF_SESSION = """
import signal, sys, time
def quit(*_):
    open(sys.argv[1], "w").write("déconnecté")
    sys.exit(0)
signal.signal(signal.SIGTERM, quit)
print("prêt", flush=True)
time.sleep(3600)
"""


async def test_a_session_that_does_not_hear_the_quit_gets_sigterm_before_sigkill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "STOP_SECONDS", 0.5)
    marker = tmp_path / "logout"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DEAF_SESSION, str(marker), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert await process.stdout.readline() == "prêt\n".encode()
    await serve._stop(FakeService(process))  # type: ignore[arg-type]
    assert process.returncode == 0  # it quit on its own, not killed
    assert marker.read_text() == "déconnecté"
