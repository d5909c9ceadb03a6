"""``csu serve``'s guards, against the real server process and its real sessions, with
raw websocket clients (aiohttp): what another site's page, a client without Origin, a
name pointed at 127.0.0.1 (DNS rebinding) and a flood of sockets get.

Everything is bounded: each wait has a deadline, and every client and session is
closed before the server is stopped."""

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSMsgType

from tests.e2e.conftest import Served, children, rss_kib, serving, wait_until

UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}
SESSION_START_SECONDS = 90  # a session is a Textual process: slow on a busy machine
SOCKETS = 50
CAP = 5  # sessions at once in the flood test: 5 processes, not 20, on a shared machine
# 50 sockets and 5 sessions grew the server by about 1 MiB when measured (of ~100 MiB,
# the store and Textual it imports to check the base): the bounds leave room for the
# allocator keeping freed pages, not for anything kept per socket.
PEAK_GROWTH_KIB = 8 * 1024
LASTING_GROWTH_KIB = 4 * 1024


async def refused_handshake(
    served: Served, headers: dict[str, str]
) -> tuple[int, str]:
    """A websocket opened with ``headers``: the HTTP status and the sentence given."""
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with aiohttp.ClientSession() as client:
            await client.ws_connect(served.ws_url, headers=headers)
    async with aiohttp.ClientSession() as client:
        response = await client.get(served.ws_url, headers={**UPGRADE, **headers})
        text = await response.text()
    assert response.status == refused.value.status
    return refused.value.status, text


async def first_message(socket: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    return await socket.receive(timeout=SESSION_START_SECONDS)


async def test_a_websocket_from_another_sites_page_is_refused(served_demo: Served) -> None:
    status, text = await refused_handshake(
        served_demo, {"Origin": "https://site-malveillant.example"}
    )
    assert status == 403
    assert text == f"Origine refusée : ouvrez la page de CSU elle-même ({served_demo.origin})."
    assert children(served_demo.pid) == []  # no session was started for it


async def test_a_websocket_without_origin_is_refused(served_demo: Served) -> None:
    status, text = await refused_handshake(served_demo, {})
    assert (status, text) == (403, "Origine absente : seule la page de CSU ouvre une session.")
    assert children(served_demo.pid) == []


async def test_a_name_pointed_at_loopback_is_refused_even_with_its_own_origin(
    served_demo: Served,
) -> None:
    # DNS rebinding: the attacker's page, loaded from their name, now resolves to
    # 127.0.0.1; its requests carry that name as Host and as Origin.
    port = served_demo.origin.rsplit(":", 1)[1]
    rebound = f"csu-rebinding.example:{port}"
    status, text = await refused_handshake(
        served_demo, {"Host": rebound, "Origin": f"http://{rebound}"}
    )
    assert status == 421
    assert text == f"Adresse inattendue : ouvrez la page de CSU à {served_demo.origin}"
    async with aiohttp.ClientSession() as client:
        page = await client.get(served_demo.url, headers={"Host": rebound})
        assert page.status == 421
        assert "Adresse inattendue" in await page.text()
    assert children(served_demo.pid) == []


async def test_the_static_folder_has_no_index_and_errors_are_french(served_demo: Served) -> None:
    async with aiohttp.ClientSession() as client:
        index = await client.get(f"{served_demo.url}static/")
        listing = await client.get(f"{served_demo.url}static/js/")
        script = await client.get(f"{served_demo.url}static/js/textual.js")
        assert (index.status, listing.status, script.status) == (403, 403, 200)
        assert await listing.text() == "Accès refusé."  # no « Index of /static/js »
        missing = await client.get(f"{served_demo.url}absente")
        assert (missing.status, await missing.text()) == (404, "Page introuvable.")


async def test_fifty_sockets_at_once_get_the_cap_and_the_server_memory_stays_bounded(
    live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(
        live_demo_template,
        tmp_path,
        SERVE_MAX_SESSIONS=str(CAP),
        SERVE_SESSIONS_PER_MINUTE=str(SOCKETS),
        SERVE_SESSIONS_PER_ADDRESS=str(SOCKETS),  # all from 127.0.0.1: the global cap here
    ) as served:
        async with aiohttp.ClientSession() as client:
            # Warm-up: the page and one whole session, so that lazy imports and first
            # allocations are counted before the measure, not in it.
            assert (await client.get(served.url)).status == 200
            async with client.ws_connect(served.ws_url, origin=served.origin) as warm:
                assert (await first_message(warm)).type == WSMsgType.BINARY
            wait_until(lambda: children(served.pid) == [], 30, "ended (warm-up session)")
            before = rss_kib(served.pid)

            sockets = await asyncio.gather(
                *(client.ws_connect(served.ws_url, origin=served.origin) for _ in range(SOCKETS))
            )
            messages = await asyncio.gather(*(first_message(socket) for socket in sockets))
            peak = rss_kib(served.pid)
            running = len(children(served.pid))
            for socket in sockets:
                await socket.close()
        wait_until(lambda: children(served.pid) == [], 30, "ended (sessions of the flood)")
        after = rss_kib(served.pid)

    started = [m for m in messages if m.type == WSMsgType.BINARY]  # the app's first frame
    refused = [m for m in messages if m.type == WSMsgType.CLOSE]
    assert (len(started), len(refused)) == (CAP, SOCKETS - CAP)
    full = f"CSU : toutes les sessions ({CAP}) sont occupées ; réessayez dans quelques minutes."
    assert {(m.data, m.extra) for m in refused} == {(1013, full)}
    assert running <= CAP  # one process per session, never more than the cap
    assert peak - before < PEAK_GROWTH_KIB, (before, peak)
    assert after - before < LASTING_GROWTH_KIB, (before, after)


async def test_a_session_left_at_the_login_screen_ends_by_itself(
    live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(live_demo_template, tmp_path, SERVE_LOGIN_MINUTES="0.05") as served:
        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(served.ws_url, origin=served.origin) as socket,
        ):
            assert (await first_message(socket)).type == WSMsgType.BINARY
            assert len(children(served.pid)) == 1
            # 3 s at the login screen, checked every 5 s: the app quits, the server
            # closes the page's websocket normally.
            closed = None
            async with asyncio.timeout(60):
                async for _ in socket:
                    pass
                closed = socket.close_code
        assert closed == 1000
        wait_until(lambda: children(served.pid) == [], 30, "ended (idle session)")


async def test_keys_pressed_at_the_login_screen_do_not_keep_a_session_open(
    live_demo_template: Path, tmp_path: Path
) -> None:
    """A stranger's page pressing a key now and then (no login) still ends: otherwise a
    few of them hold every place of the server."""
    with serving(live_demo_template, tmp_path, SERVE_LOGIN_MINUTES="0.05") as served:
        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(served.ws_url, origin=served.origin) as socket,
        ):
            assert (await first_message(socket)).type == WSMsgType.BINARY

            async def keys() -> None:
                while not socket.closed:
                    await socket.send_str(json.dumps(["stdin", "a"]))
                    await asyncio.sleep(1)

            pressing = asyncio.create_task(keys())
            closed = None
            async with asyncio.timeout(60):
                async for _ in socket:
                    pass
                closed = socket.close_code
            pressing.cancel()
        assert closed == 1000
        wait_until(lambda: children(served.pid) == [], 30, "ended (keys, no login)")


async def test_a_message_nested_thousands_deep_is_ignored_and_the_session_goes_on(
    live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(live_demo_template, tmp_path) as served:
        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(served.ws_url, origin=served.origin) as socket,
        ):
            assert (await first_message(socket)).type == WSMsgType.BINARY
            await socket.send_str("[" * 5000 + "]" * 5000)  # RecursionError in json.loads
            await socket.send_str(json.dumps(["ping", "encore là ?"]))
            answer = None
            async with asyncio.timeout(30):  # the session's output, then the pong
                async for message in socket:
                    if message.type == WSMsgType.TEXT:
                        answer = json.loads(message.data)
                        break
            assert answer == ["pong", "encore là ?"], socket.close_code
            assert not socket.closed and len(children(served.pid)) == 1


async def test_an_address_opening_too_many_sessions_in_a_minute_is_refused(
    live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(live_demo_template, tmp_path, SERVE_SESSIONS_PER_MINUTE="2") as served:
        async with aiohttp.ClientSession() as client:
            for _ in range(2):
                async with client.ws_connect(served.ws_url, origin=served.origin) as socket:
                    assert (await first_message(socket)).type == WSMsgType.BINARY
            async with client.ws_connect(served.ws_url, origin=served.origin) as third:
                message = await first_message(third)
        wait_until(lambda: children(served.pid) == [], 30, "ended (sessions)")
    assert (message.type, message.data) == (WSMsgType.CLOSE, 1008)
    assert message.extra == (
        "CSU : trop de sessions commencées depuis cette adresse en une minute ; "
        "réessayez dans une minute."
    )


async def test_serve_on_ipv6_loopback_written_in_brackets(
    live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(live_demo_template, tmp_path, host="[::1]") as served:
        assert served.url.startswith("http://[::1]:")
        async with aiohttp.ClientSession() as client:
            page = await (await client.get(served.url)).text()
            assert f'data-session-websocket-url="{served.ws_url}"' in page
            async with client.ws_connect(served.ws_url, origin=served.origin) as socket:
                assert (await first_message(socket)).type == WSMsgType.BINARY
        wait_until(lambda: children(served.pid) == [], 30, "ended (session)")
