"""Before FastAPI reads a request's body: the key of a route that asks for one is
checked (401 without reading a byte of the body), then the body is capped by route
(413 in French, announced or counted as it comes): 64 KiB for a login check or a
token, 8 MiB for a batch of émargements, which the largest batch a platform writes
fits; a large body is decoded off the event loop (csu.api.admission, csu.api.bodies)."""

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from csu.api.admission import EMARGEMENTS_BODY_BYTES, NOT_JSON, SMALL_BODY_BYTES
from csu.api.routes.emargements import EmargementIn
from csu.services.emargement import MAX_EVENTS
from tests.api.conftest import Api, login_path
from tests.services.intervention_support import entries

EMARGEMENTS = "/v1/elections/minint-2022/emargements"
SMALL_PROBLEM = "Corps de la requête trop volumineux : 64 Kio au plus à cette adresse."
BATCH_PROBLEM = (
    "Corps de la requête trop volumineux : 8 Mio au plus pour un lot d'émargements ; "
    "découpez-le en lots plus petits."
)


def chunks(size: int, piece: int = 1 << 16) -> Iterator[bytes]:
    """A JSON body of ``size`` bytes, sent in chunks (no Content-Length)."""
    yield b'{"identifier": "'
    left = size - len(b'{"identifier": "') - len(b'"}')
    while left > 0:
        yield b"a" * min(piece, left)
        left -= piece
    yield b'"}'


def post(
    api: Api, content: bytes | Iterator[bytes], key: str = "", path: str = ""
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    with httpx.Client(base_url=api.url, timeout=60) as client:
        return client.post(path or login_path(), content=content, headers=headers)


@dataclass
class Answer:
    """An answer read off the socket: its status line, headers and body."""

    status: bytes
    headers: dict[str, str]
    body: bytes


def answer_before_the_body(
    api: Api, headers: str, announced: int = 100_000_000, path: str = ""
) -> Answer:
    """What the server answers to a request announcing ``announced`` bytes of body, of
    which it is sent 1 KB: the answer comes without the rest."""
    where = urlsplit(api.url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as connection:
        connection.sendall(
            f"POST {path or login_path()} HTTP/1.1\r\nHost: csu\r\nContent-Type: "
            f"application/json\r\nContent-Length: {announced}\r\n{headers}\r\n".encode()
            + b"[" * 1024
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status, *lines = head.split(b"\r\n")
        fields = dict(line.decode().lower().split(": ", 1) for line in lines)
        while len(body) < int(fields.get("content-length", "0")):
            body += connection.recv(65536)
        return Answer(status, fields, body)


def test_without_a_key_the_body_is_never_read(api: Api) -> None:
    answer = answer_before_the_body(api, "")
    assert answer.status.startswith(b"HTTP/1.1 401 ")
    assert answer.headers["www-authenticate"] == "bearer"


def test_with_a_wrong_key_the_body_is_never_read(api: Api) -> None:
    answer = answer_before_the_body(api, "Authorization: Bearer csu_faux\r\n")
    assert answer.status.startswith(b"HTTP/1.1 401 ")


def test_a_login_check_announced_over_64_kib_is_refused_before_it_is_read(api: Api) -> None:
    answer = answer_before_the_body(
        api, f"Authorization: Bearer {api.key}\r\n", announced=SMALL_BODY_BYTES + 1
    )
    assert answer.status.startswith(b"HTTP/1.1 413 ")
    assert answer.headers["content-type"] == "application/problem+json"
    assert json.loads(answer.body)["detail"] == SMALL_PROBLEM


def test_a_token_sent_in_chunks_is_refused_once_past_64_kib(api: Api) -> None:
    response = post(api, chunks(SMALL_BODY_BYTES + 1), key=api.key, path="/v1/tokens/redeem")
    assert response.status_code == 413
    assert response.json()["title"] == "Requête trop volumineuse"
    assert response.json()["detail"] == SMALL_PROBLEM


def test_a_refusal_before_the_whole_body_closes_the_connection(api: Api) -> None:
    """The server stops reading there, rather than read and throw away the rest."""
    announced = answer_before_the_body(api, f"Authorization: Bearer {api.key}\r\n")
    counted = post(api, chunks(SMALL_BODY_BYTES * 4), key=api.key)
    assert announced.status.startswith(b"HTTP/1.1 413 ")
    assert announced.headers["connection"] == "close"
    assert (counted.status_code, counted.headers["connection"]) == (413, "close")


def test_a_body_under_the_cap_is_read_as_before(api: Api) -> None:
    response = post(api, chunks(SMALL_BODY_BYTES - 1024), key=api.key)
    assert response.status_code == 422  # read whole, then the identifier is too long
    assert response.json()["errors"][0]["field"] == "identifier"


def test_a_batch_over_8_mib_is_refused_saying_to_split_it(api: Api) -> None:
    response = post(api, chunks(EMARGEMENTS_BODY_BYTES + 1), key=api.key, path=EMARGEMENTS)
    assert response.status_code == 413
    assert response.json()["detail"] == BATCH_PROBLEM


def largest_batch() -> bytes:
    """The largest batch a platform writes: 10,000 events, every field at its longest
    (its schema's maxLength), in ASCII, each character one JSON escapes (« " »: 2
    bytes), pretty-printed. The same event each time: it is looked up once."""
    schema = EmargementIn.model_json_schema()["properties"]
    event = {
        "event_id": '"' * schema["event_id"]["maxLength"],
        "identifier": '"' * schema["identifier"]["maxLength"],
        "scrutin": "s" * schema["scrutin"]["maxLength"],
        "voted_at": "2022-12-02T10:15:00.123456789+01:00",  # the longest RFC3339 admits
    }
    assert len(event["voted_at"]) <= schema["voted_at"]["maxLength"]
    return json.dumps({"events": [event] * MAX_EVENTS}, indent=2).encode()


def test_the_largest_batch_a_platform_writes_passes_the_cap(api: Api) -> None:
    body = largest_batch()
    assert 6_000_000 <= len(body) < EMARGEMENTS_BODY_BYTES
    response = post(api, body, key=api.key, path=EMARGEMENTS)
    assert response.status_code == 422  # read and decoded whole: its identifier is unknown
    assert response.json()["errors"] == [
        {"field": "events.0.identifier", "message": "identifiant inconnu"}
    ]


def test_a_large_body_that_is_not_json_is_a_422_problem(api: Api) -> None:
    response = post(api, b'{"events": [' + b"{}," * 100_000, key=api.key, path=EMARGEMENTS)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "corps", "message": "JSON illisible"}]


def test_health_answers_while_large_bodies_are_decoded(api: Api) -> None:
    """Bodies of empty arrays just under the cap, the costliest to decode: some are
    still waiting for theirs when /v1/health answers."""
    costly = b'{"events": 1, "x": [' + b"[]," * (EMARGEMENTS_BODY_BYTES // 3 - 20) + b"[]]}"
    with ThreadPoolExecutor(4) as pool:
        sent = [pool.submit(post, api, costly, api.key, EMARGEMENTS) for _ in range(4)]
        next(as_completed(sent))  # the others are being read, or decoded, or wait
        health = httpx.get(f"{api.url}/v1/health", timeout=60)
        waiting = sum(not answer.done() for answer in sent)
        assert health.json() == {"status": "ok"}
        assert waiting > 0
        assert {answer.result().status_code for answer in sent} == {422}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_not_sent_as_json_is_a_415_that_says_how_to_send_it(
    api: Api, content_type: str
) -> None:
    body = json.dumps({"identifier": "MI-1", "secrets": {"password": "x"}})  # JSON all the same
    headers = {"Content-Type": content_type} if content_type else {}
    with api.client() as client:
        answer = client.post(login_path(), content=body, headers=headers)
    assert answer.status_code == 415
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == NOT_JSON


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/x+json"]
)
def test_a_json_body_in_any_json_type_is_read(api: Api, content_type: str) -> None:
    body = json.dumps({"identifier": "MI-1", "secrets": {"password": "x"}})
    with api.client() as client:
        answer = client.post(login_path(), content=body, headers={"Content-Type": content_type})
    assert answer.status_code != 415


def test_a_wrong_key_is_a_401_before_the_type_of_its_body(api: Api) -> None:
    with api.client("csu_wrong") as client:
        answer = client.post(login_path(), content=b"x", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 401


def test_a_body_not_sent_as_json_is_journalled_as_a_415(api: Api) -> None:
    with api.client() as client:
        client.post(login_path(), content=b"{}", headers={"Content-Type": "text/plain"})
    [entry] = [e for e in entries(api.desk.deps) if e["outcome"] == "refusé"]
    assert entry["details"]["status"] == 415
    assert entry["election"] == "minint-2022"


def test_an_election_out_of_reach_is_a_403_before_the_type_of_the_body(api: Api) -> None:
    with api.client(api.education_key) as client:
        answer = client.post(
            login_path("minint-2022"), content=b"{}", headers={"Content-Type": "text/plain"}
        )
    assert answer.status_code == 403
    [entry] = [e for e in entries(api.desk.deps) if e["outcome"] == "refusé"]
    assert entry["details"]["status"] == 403


def test_a_body_not_sent_as_json_to_an_unknown_address_is_a_404(api: Api) -> None:
    with api.client() as client:
        answer = client.post(
            "/v1/nulle-part", content=b"{}", headers={"Content-Type": "text/plain"}
        )
    assert answer.status_code == 404
