"""Who may call: ``Authorization: Bearer KEY``; a key reaches only its elections.
Errors are RFC 9457 problem details with a French detail."""

import dataclasses
import json
import re
from typing import Any

import httpx
import pytest

from csu.api.refusals import STORE_RETRY_AFTER_S
from csu.api.security import DOUBLE_KEY
from csu.services.platform_clients import revoke_platform_client
from csu.store.engine import make_engine
from tests.api.conftest import Api, login_path, serve
from tests.conftest import ADMIN
from tests.services.intervention_support import Desk, entries

PROBLEM = "application/problem+json"
WRONG_KEY = "csu_" + "x" * 43  # shaped like a key, no client's


def check_body(api: Api) -> dict[str, object]:
    return {
        "identifier": api.desk.caller.identifier,
        "secrets": {"security_key": "AAAA-BBBB-CCCC-DDDD", "password": "abcdefghijkm"},
    }


def journal_size(api: Api) -> int:
    """Entries in the journal, once the API's sequencer has chained what it queued."""
    return len(entries(api.desk.deps))


def test_a_call_without_a_key_is_refused_with_401(api: Api) -> None:
    response = api.post(login_path(), check_body(api), key="")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    problem = response.json()
    assert problem["status"] == 401 and problem["type"] == "about:blank"
    assert problem["detail"].startswith("Clé d'API absente ou invalide")


def test_a_wrong_key_is_refused_with_401(api: Api) -> None:
    response = api.post(login_path(), check_body(api), key=WRONG_KEY)
    assert response.status_code == 401
    assert response.json()["detail"] == "Clé d'API inconnue ou révoquée."


@pytest.mark.parametrize("second", ["Bearer " + WRONG_KEY, "", "Basic eDp5"])
def test_a_key_given_twice_is_refused_with_401_and_journalled(api: Api, second: str) -> None:
    """The first header counted, a second unread: a proxy's header added after a
    client's could pass as the client's (attack run)."""
    headers = [("Authorization", f"Bearer {api.key}"), ("Authorization", second)]
    response = httpx.post(f"{api.url}{login_path()}", json=check_body(api),
                          headers=headers, timeout=60)  # fmt: skip
    assert response.status_code == 401
    assert response.json()["detail"] == DOUBLE_KEY
    [entry] = refused_keys(api)
    assert entry["details"]["reason"] == "en double"
    assert api.key not in json.dumps(entry)


def test_a_revoked_key_is_refused_with_401(api: Api) -> None:
    revoke_platform_client(api.desk.deps, ADMIN, "neovote")
    response = api.post(login_path(), check_body(api))
    assert response.status_code == 401


def refused_keys(api: Api) -> list[dict[str, Any]]:
    return entries(api.desk.deps, "platform_key_refused")


def test_an_unknown_key_is_journalled_with_an_unknown_platform_as_actor(api: Api) -> None:
    api.post(login_path(), check_body(api), key=WRONG_KEY)
    [entry] = refused_keys(api)
    assert (entry["operator"], entry["role"], entry["outcome"]) == (
        "plateforme:(inconnue)",
        "plateforme",
        "refusé",
    )
    details = entry["details"]
    assert (details["status"], details["reason"], details["client"]) == (401, "inconnue", None)
    assert details["source"] == "127.0.0.1"
    assert details["path"] == login_path()


@pytest.mark.parametrize(
    ("forwarded", "source"),
    [
        ("10.9.9.7", "10.9.9.7"),
        ("10.9.9.7\x01", "adresse invalide"),
        ("pas-une-ip", "adresse invalide"),
        ("fe80::1%evil", "adresse invalide"),
    ],
)
def test_the_source_a_local_proxy_forwards_is_journalled_only_as_an_ip_address(
    api: Api, forwarded: str, source: str
) -> None:
    with api.client(WRONG_KEY) as client:
        client.post(login_path(), json=check_body(api), headers={"X-Forwarded-For": forwarded})
    [entry] = refused_keys(api)
    assert entry["details"]["source"] == source


def test_a_refused_key_never_reaches_the_journal(api: Api) -> None:
    api.post(login_path(), check_body(api), key=WRONG_KEY)
    [entry] = refused_keys(api)
    assert re.fullmatch(r"[0-9a-f]{64}", entry["details"]["key_prefix_hash"])
    journal = json.dumps(entries(api.desk.deps))
    assert WRONG_KEY not in journal and WRONG_KEY[:8] not in journal


def test_two_keys_are_told_apart_by_the_hash_of_their_first_characters(api: Api) -> None:
    api.post(login_path(), check_body(api), key=WRONG_KEY)
    api.desk.clock.advance(minutes=1)
    api.post(login_path(), check_body(api), key="csu_" + "y" * 43)
    api.desk.clock.advance(minutes=1)
    api.post(login_path(), check_body(api), key=WRONG_KEY)
    first, other, again = (e["details"]["key_prefix_hash"] for e in refused_keys(api))
    assert first == again != other


def test_a_call_without_a_key_is_journalled_with_nothing_of_a_key(api: Api) -> None:
    api.post(login_path(), check_body(api), key="")
    [entry] = refused_keys(api)
    assert (entry["details"]["reason"], entry["details"]["key_prefix_hash"]) == ("absente", None)


def test_a_revoked_key_is_journalled_naming_its_client(api: Api) -> None:
    revoke_platform_client(api.desk.deps, ADMIN, "neovote")
    api.post(login_path(), check_body(api))
    [entry] = refused_keys(api)
    assert (entry["details"]["reason"], entry["details"]["client"]) == ("révoquée", "neovote")
    assert api.key not in json.dumps(entry)


def test_a_flood_of_bad_keys_leaves_one_entry_per_source_and_minute(api: Api) -> None:
    before = journal_size(api)
    with api.client(WRONG_KEY) as client:
        answers = [client.post(login_path(), json=check_body(api)) for _ in range(30)]
    assert {answer.status_code for answer in answers} == {401}
    assert journal_size(api) == before + 1
    api.desk.clock.advance(seconds=61)
    api.post(login_path(), check_body(api), key=WRONG_KEY)
    [_, later] = refused_keys(api)
    assert later["details"]["not_journalled_before"] == 29  # the flood, counted


def test_an_election_the_key_does_not_reach_is_refused_with_403(api: Api) -> None:
    response = api.post(login_path("minint-2022"), check_body(api), key=api.education_key)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == (
        "Cette clé d'API ne donne pas accès à l'élection « minint-2022 »."
    )


@pytest.mark.parametrize("body", [{}, {"identifier": 12}, {"events": "x"}])
def test_an_election_out_of_reach_is_a_403_whatever_the_body(api: Api, body: object) -> None:
    # FastAPI validates the body before the route looks at the election: the 422 came
    # first, naming the fields of a call the key may not make at all.
    for path in (login_path("minint-2022"), "/v1/elections/minint-2022/emargements"):
        response = api.post(path, body, key=api.education_key)
        assert response.status_code == 403
        assert response.json()["detail"] == (
            "Cette clé d'API ne donne pas accès à l'élection « minint-2022 »."
        )
    refused = [e for e in entries(api.desk.deps) if e["outcome"] == "refusé"]
    assert [(e["election"], e["details"]["status"]) for e in refused] == [("minint-2022", 403)] * 2


def test_an_invalid_body_for_an_election_in_reach_is_still_a_422(api: Api) -> None:
    response = api.post(login_path("minint-2022"), {}, key=api.key)
    assert response.status_code == 422


def test_a_refusal_is_journalled_with_the_platform_as_actor(api: Api) -> None:
    api.post(login_path("minint-2022"), check_body(api), key=api.education_key)
    [entry] = entries(api.desk.deps, "platform_login_check")
    assert (entry["operator"], entry["role"], entry["outcome"]) == (
        "plateforme:educ-vote",
        "plateforme",
        "refusé",
    )
    assert entry["election"] == "minint-2022"
    assert entry["details"]["status"] == 403


def test_an_invalid_body_is_a_problem_naming_the_fields_in_french(api: Api) -> None:
    response = api.post(login_path(), {"secrets": {"password": 12, "pin": "1234"}})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert {(e["field"], e["message"]) for e in problem["errors"]} == {
        ("identifier", "champ obligatoire absent"),
        ("secrets.password", "texte attendu"),
        ("secrets.pin", "champ inconnu"),
    }
    assert problem["detail"].startswith("Requête invalide : ")


def test_an_invalid_body_from_a_known_platform_is_journalled(api: Api) -> None:
    api.post(login_path(), {"identifier": ""})
    [entry] = entries(api.desk.deps, "platform_login_check")
    assert entry["outcome"] == "refusé" and entry["operator"] == "plateforme:neovote"
    assert entry["details"]["fields"] == ["identifier", "secrets"]


def test_malformed_json_is_a_422_problem(api: Api) -> None:
    with api.client() as client:
        response = client.post(
            login_path(), content=b"{pas du json", headers={"content-type": "application/json"}
        )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "corps", "message": "JSON illisible"}]


def test_an_unknown_address_is_a_404_problem(api: Api) -> None:
    with api.client() as client:
        response = client.get("/v1/rien")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "Aucune ressource à cette adresse."


def test_a_bad_body_without_a_key_is_refused_with_401_first(api: Api) -> None:
    response = api.post(login_path(), {"identifier": 42}, key="")
    assert response.status_code == 401


def test_a_body_that_is_not_utf_8_is_a_422_problem(api: Api) -> None:
    with api.client() as client:
        response = client.post(
            "/v1/tokens/redeem", content=b"\x01\xff", headers={"content-type": "application/json"}
        )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "corps", "message": "octet 2 invalide en UTF-8 : JSON en UTF-8 attendu"}
    ]


def test_an_address_with_a_trailing_slash_is_a_404_problem_not_a_redirect(api: Api) -> None:
    """A redirect would ask the client to send its body (a token, secrets) again, to an
    address built from the Host header."""
    with api.client() as client:
        health = client.get("/v1/health/", headers={"Host": "ailleurs.example"})
        redeem = client.post("/v1/tokens/redeem/", json={"token": "abc"})
    for response in (health, redeem):
        assert response.status_code == 404
        assert "location" not in response.headers
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"] == "Aucune ressource à cette adresse."


def test_a_store_out_of_reach_is_a_503_saying_when_to_retry(desk: Desk) -> None:
    out_of_reach = make_engine("postgresql://postgres@127.0.0.1:1/csu")  # nothing listens
    with serve(desk, dataclasses.replace(desk.deps, engine=out_of_reach)) as server:
        api = Api(server.url, desk, WRONG_KEY, "")  # no store to tell it is wrong
        response = api.post(login_path(), {"identifier": "MI-1", "secrets": {}})
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(STORE_RETRY_AFTER_S)
    assert response.json()["detail"].startswith("La base de données est momentanément indisponible")


def test_every_503_is_documented_with_retry_after(api: Api) -> None:
    document = httpx.get(f"{api.url}/openapi.json").json()
    unavailable = [answers["503"] for operations in document["paths"].values()
                   for answers in (op["responses"] for op in operations.values())
                   if "503" in answers]  # fmt: skip
    assert len(unavailable) == 3  # the login check, the redeem, the émargements
    assert all("Retry-After" in answer["headers"] for answer in unavailable)
