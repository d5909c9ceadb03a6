"""A request's body is capped before FastAPI reads it (and before the key is looked at):
413 in French beyond 32 MiB, announced or counted as it comes; the largest batch the
schema admits fits (csu.api.body_limit)."""

import json
from collections.abc import Iterator

import httpx

from csu.api.body_limit import MAX_BODY_BYTES
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


def test_a_body_announced_too_large_is_refused_before_it_is_read(api: Api) -> None:
    response = post(api, b"{" + b" " * TOO_BIG + b"}")
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
