"""JSON bodies as RFC 8259 has them: UTF-8 without a byte order mark, numbers finite,
each key once per object. Anything else is refused (422), naming what is wrong."""

import json

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.test_emargements import PATH
from tests.services.intervention_support import entries

REDEEM = "/v1/tokens/redeem"
TOKEN = '{"token": "mJ3x0bQ2bH6cYtJ9Kq1w8ZrT5uVnA4sE"}'


def send(api: Api, path: str, body: bytes) -> httpx.Response:
    with api.client() as client:
        return client.post(path, content=body, headers={"Content-Type": "application/json"})


def refused_body(response: httpx.Response) -> str:
    """The one fault of a body refused whole (422, « corps »): its French message."""
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [fault] = response.json()["errors"]
    assert fault["field"] == "corps"
    return str(fault["message"])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_body_in_utf16_or_utf32_is_refused_naming_its_encoding(api: Api, encoding: str) -> None:
    message = refused_body(send(api, REDEEM, TOKEN.encode(encoding)))
    assert message == f"encodage {encoding.upper()} : JSON en UTF-8 attendu"


def test_a_body_opening_with_a_byte_order_mark_is_refused(api: Api) -> None:
    message = refused_body(send(api, REDEEM, b"\xef\xbb\xbf" + TOKEN.encode()))
    assert message == "marque d'ordre des octets (BOM) en tête : UTF-8 sans BOM attendu"


def test_a_body_with_bytes_outside_utf8_is_refused_naming_the_first(api: Api) -> None:
    message = refused_body(send(api, REDEEM, b'{"token": "\xed\xa0\x80"}'))  # a surrogate
    assert message == "octet 12 invalide en UTF-8 : JSON en UTF-8 attendu"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_number_json_does_not_have_is_refused_by_name(api: Api, constant: str) -> None:
    body = f'{{"identifier": "MI-1", "secrets": {{"password": {constant}}}}}'.encode()
    message = refused_body(send(api, "/v1/elections/minint-2022/logins/check", body))
    assert message == f"« {constant} » n'est pas un nombre JSON"


def test_a_number_beyond_a_float_is_refused(api: Api) -> None:
    message = refused_body(send(api, REDEEM, b'{"token": 1e999}'))
    assert message == "nombre hors des limites d'un flottant (1e999)"


def test_a_key_given_twice_is_refused_naming_it(api: Api) -> None:
    body = b'{"token": "premier", "token": "second"}'
    assert refused_body(send(api, REDEEM, body)) == "clé « token » en double dans un objet"


def test_a_key_given_twice_in_a_large_batch_is_refused_too(api: Api) -> None:
    """A body over 64 KiB is decoded in a worker thread: the same rules apply there."""
    event = {"event_id": "nv-1", "identifier": "MI-1", "scrutin": "csa",
             "voted_at": "2022-12-02T09:15:00Z"}  # fmt: skip
    text = json.dumps({"events": [event] * 1000})
    assert len(text) > 64 * 1024
    body = text[:-3] + ', "scrutin": "cap"}]}'  # the last event names its scrutin twice
    message = refused_body(send(api, PATH, body.encode()))
    assert message == "clé « scrutin » en double dans un objet"


def test_a_refused_body_is_journalled_as_an_invalid_request(api: Api) -> None:
    send(api, REDEEM, TOKEN.encode("utf-16"))
    [entry] = entries(api.desk.deps, "vote_code_redeem")
    assert (entry["outcome"], entry["details"]["status"]) == ("refusé", 422)
    assert entry["details"]["fields"] == ["corps"]
