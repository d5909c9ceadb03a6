"""What csu serve answers to requests its page never sends: in French, as its other
refusals, and never naming Python nor aiohttp, whether the request reached a route
(an odd method, a download path) or could not even be read (a line over 8 KB, a
malformed method). The page, its files and its websocket still work."""

import asyncio

import aiohttp
import pytest

from csu.serve import SECURITY_HEADERS, SERVER_NAME, TOO_LONG
from tests.e2e.conftest import Served


async def raw_request(served: Served, head: bytes) -> tuple[int, dict[str, str], str]:
    """Sends ``head`` as it is (no client would) and reads the answer: status, headers
    and body."""
    host, port = served.origin.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        await writer.drain()
        async with asyncio.timeout(10):
            answer = await reader.read()
    finally:
        writer.close()
    top, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = top.decode("latin-1").split("\r\n")
    headers = {name: value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body.decode("utf-8")


def host_of(served: Served) -> bytes:
    return served.origin.removeprefix("http://").encode()


@pytest.mark.parametrize("method", ["DELETE", "POST", "PUT", "OPTIONS", "PATCH"])
async def test_a_method_the_page_never_sends_is_refused_in_french(
    served_demo: Served, method: str
) -> None:
    async with aiohttp.ClientSession() as client:
        response = await client.request(method, served_demo.url)
        assert (response.status, await response.text()) == (405, "Méthode non autorisée.")
        assert "GET" in response.headers["Allow"]


async def test_a_download_path_is_a_page_not_found(served_demo: Served) -> None:
    async with aiohttp.ClientSession() as client:
        response = await client.get(f"{served_demo.url}download/cle-inventee")
        assert (response.status, await response.text()) == (404, "Page introuvable.")


async def test_an_address_over_8_kb_is_refused_in_french_without_quoting_it(
    served_demo: Served,
) -> None:
    status, headers, body = await raw_request(
        served_demo,
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: " + host_of(served_demo) + b"\r\n\r\n",
    )
    assert (status, body) == (400, TOO_LONG)
    assert SECURITY_HEADERS.items() <= headers.items()


async def test_a_header_over_8_kb_is_refused_in_french(served_demo: Served) -> None:
    status, _, body = await raw_request(
        served_demo,
        b"GET / HTTP/1.1\r\nHost: "
        + host_of(served_demo)
        + b"\r\nX-Long: "
        + b"b" * 9000
        + b"\r\n\r\n",
    )
    assert (status, body) == (400, TOO_LONG)


async def test_a_malformed_method_is_refused_in_french(served_demo: Served) -> None:
    status, _, body = await raw_request(
        served_demo, b"BR@W / HTTP/1.1\r\nHost: " + host_of(served_demo) + b"\r\n\r\n"
    )
    assert (status, body) == (400, "Requête illisible.")


async def test_no_answer_names_python_or_aiohttp(served_demo: Served) -> None:
    servers: set[str] = set()
    async with aiohttp.ClientSession() as client:
        for path in ("", "static/js/textual.js", "absente", "static/js/"):
            response = await client.get(f"{served_demo.url}{path}")
            servers.add(response.headers["Server"])
        response = await client.delete(served_demo.url)
        servers.add(response.headers["Server"])
        response = await client.get(served_demo.url, headers={"Host": "ailleurs.example"})
        servers.add(response.headers["Server"])
        async with client.ws_connect(served_demo.ws_url, origin=served_demo.origin) as socket:
            servers.add(socket._response.headers["Server"])
    _, headers, _ = await raw_request(served_demo, b"BR@W / HTTP/1.1\r\n\r\n")
    servers.add(headers["Server"])
    assert servers == {SERVER_NAME}


async def test_the_page_its_script_and_its_websocket_still_work(served_demo: Served) -> None:
    async with aiohttp.ClientSession() as client:
        page = await client.get(served_demo.url)
        script = await client.get(f"{served_demo.url}static/js/textual.js")
        assert (page.status, script.status) == (200, 200)
        assert "Session terminée" in await page.text()
        async with client.ws_connect(served_demo.ws_url, origin=served_demo.origin) as socket:
            first = await socket.receive(timeout=90)
            assert first.type == aiohttp.WSMsgType.BINARY  # the app's first frame
