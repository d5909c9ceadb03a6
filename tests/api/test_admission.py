"""Before FastAPI reads a request's body: the key of a route that asks for one is
checked (401 without reading a byte of the body), then the body is capped (413 in
French beyond 32 MiB, announced or counted as it comes); the largest batch the schema
admits fits (csu.api.admission)."""

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from csu.api.admission import MAX_BODY_BYTES
from csu.services.emargement import MAX_EVENT_ID, MAX_EVENTS
from tests.api.conftest import Api, login_path

TOO_BIG = MAX_BODY_BYTES + 1
PROBLEM = "Corps de la requête trop volumineux : 32 Mio au plus"


def chunks(size: int, piece: int = 1 << 16) -> Iterator[bytes]:
    """A JSON body of ``size`` bytes, sent in chunks (no Content-Length)."""
    yield b'{"identifier": "'
    left = size - len(b'{"identifier": "') - len(b'"}')
    while left > 0:
        yield b"a" * min(piece, left)
        left -= piece
    yield b'"}'


def post(api: Api, content: bytes | Iterator[bytes], key: str = "") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    with httpx.Client(base_url=api.url, timeout=60) as client:
        return client.post(login_path(), content=content, headers=headers)


def answer_before_the_body(api: Api, headers: str) -> bytes:
    """What the server answers to a request announcing 100 MB of body, of which it is
    sent 1 KB: the answer comes without the rest."""
    where = urlsplit(api.url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as connection:
        connection.sendall(
            f"POST {login_path()} HTTP/1.1\r\nHost: csu\r\nContent-Type: application/json"
            f"\r\nContent-Length: 100000000\r\n{headers}\r\n".encode() + b"[" * 1024
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_without_a_key_the_body_is_never_read(api: Api) -> None:
    answer = answer_before_the_body(api, "")
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b"www-authenticate: Bearer" in answer.lower().replace(b"bearer", b"Bearer")


def test_with_a_wrong_key_the_body_is_never_read(api: Api) -> None:
    assert answer_before_the_body(api, "Authorization: Bearer csu_faux\r\n").startswith(
        b"HTTP/1.1 401 "
    )


def test_a_body_announced_too_large_is_refused_before_it_is_read(api: Api) -> None:
    assert answer_before_the_body(api, f"Authorization: Bearer {api.key}\r\n").startswith(
        b"HTTP/1.1 413 "
    )
    response = post(api, b"{" + b" " * TOO_BIG + b"}", key=api.key)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith(PROBLEM)


def test_a_body_sent_in_chunks_is_refused_once_past_the_cap(api: Api) -> None:
    response = post(api, chunks(TOO_BIG), key=api.key)
    assert response.status_code == 413
    assert response.json()["title"] == "Requête trop volumineuse"
    assert response.json()["detail"].startswith(PROBLEM)


def test_a_body_under_the_cap_is_read_as_before(api: Api) -> None:
    response = post(api, chunks(MAX_BODY_BYTES - 1024), key=api.key)
    assert response.status_code == 422  # read whole, then the identifier is too long
    assert response.json()["errors"][0]["field"] == "identifier"


def test_the_largest_batch_the_schema_admits_fits_under_the_cap() -> None:
    astral = "\U0001f5f3"  # each written \\ud83d\\uddf3 by an ASCII-only encoder: 12 bytes
    event = {"event_id": astral * MAX_EVENT_ID, "identifier": astral * 100,
             "scrutin": "s" * 64, "voted_at": "2022-12-02T10:15:00.123456789+01:00".ljust(40)}
    body = json.dumps({"events": [event] * MAX_EVENTS}, indent=2)  # fmt: skip
    assert len(body.encode()) < MAX_BODY_BYTES
