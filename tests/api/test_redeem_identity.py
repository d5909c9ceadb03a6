"""``POST /v1/tokens/redeem`` with the identity the link's page asks (seed 003, men-2011:
« Vous saisissez votre NUMEN et sélectionnez les 6ème et 7ème caractères de votre carte
Vitale (Dpt de naissance) puis validez »): 422 naming the missing fields, 403 for wrong
answers without spending the link, 410 once 3 of them voided it (the cell's policy)."""

from collections.abc import Iterator

import httpx
import pytest

from csu.services.platform_clients import add_platform_client
from tests.api.conftest import Api, serve
from tests.api.test_tokens import redeem, sent_link
from tests.conftest import ADMIN
from tests.services.intervention_support import Desk, bodies, entries, wrong
from tests.services.test_election_routes import password_link, verified_without_notice

PATH = "/v1/tokens/redeem"


@pytest.fixture
def portal(desk: Desk) -> Iterator[Api]:
    """A running API and the key of the 2011 portal (men-2011 and men-2022)."""
    key = add_platform_client(desk.deps, ADMIN, "portail-2011", ["men-2011", "men-2022"]).key
    with serve(desk) as server:
        yield Api(server.url, desk, key, key)


def identity(desk: Desk) -> dict[str, str]:
    return desk.without_notice.without_notice_answers()


def sent_password_link(api: Api) -> str:
    return password_link(api.desk, verified_without_notice(api.desk))


def post(api: Api, body: dict[str, object], key: str | None = None) -> httpx.Response:
    return api.post(PATH, body, key=key)


def test_a_token_alone_gets_a_422_naming_the_fields_to_ask(portal: Api) -> None:
    token = sent_password_link(portal)
    response = post(portal, {"token": token})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        {"field": "identity.numen", "message": "champ obligatoire absent"},
        {"field": "identity.birth_department", "message": "champ obligatoire absent"},
    ]
    assert problem["detail"] == (
        "Identité : validation requise avant d'afficher le mot de passe : NUMEN et "
        "département de naissance à saisir sur la page du lien."
    )
    # Nothing spent: with the answers, the password shows.
    shown = post(portal, {"token": token, "identity": identity(portal.desk)})
    assert shown.status_code == 200
    assert shown.json()["kind"] == "password"


def test_one_answer_missing_is_named_alone(portal: Api) -> None:
    token = sent_password_link(portal)
    numen_only = {"numen": identity(portal.desk)["numen"]}
    response = post(portal, {"token": token, "identity": numen_only})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["identity.birth_department"]


def test_a_wrong_answer_is_a_403_that_leaves_the_link_usable(portal: Api) -> None:
    token = sent_password_link(portal)
    typed = identity(portal.desk) | {"numen": wrong(identity(portal.desk)["numen"])}
    refused = post(portal, {"token": token, "identity": typed})
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Identité non validée : les réponses ne correspondent pas à la liste électorale "
        "(1re erreur sur 3 : encore 2 essais avant l'annulation du lien)."
    )
    shown = post(portal, {"token": token, "identity": identity(portal.desk)})
    assert shown.status_code == 200 and shown.json()["credential"]


def test_three_wrong_answers_void_the_link_then_410(portal: Api) -> None:
    token = sent_password_link(portal)
    typed = identity(portal.desk) | {"numen": wrong(identity(portal.desk)["numen"])}
    statuses = [post(portal, {"token": token, "identity": typed}) for _ in range(3)]
    assert [r.status_code for r in statuses] == [403, 403, 403]
    assert "ce lien est désormais annulé" in statuses[-1].json()["detail"]
    after = post(portal, {"token": token, "identity": identity(portal.desk)})
    assert after.status_code == 410


def test_each_attempt_is_journalled_with_the_factor_names_only(portal: Api) -> None:
    token = sent_password_link(portal)
    right = identity(portal.desk)
    typed = right | {"numen": wrong(right["numen"])}
    post(portal, {"token": token, "identity": typed})
    post(portal, {"token": token, "identity": right})
    checks = [
        e for e in entries(portal.desk.deps, "verification")
        if e["details"]["channel"] == "link"
    ]  # fmt: skip
    assert [(c["operator"], c["outcome"]) for c in checks] == [
        ("plateforme:portail-2011", "non vérifié"),
        ("plateforme:portail-2011", "vérifié"),
    ]
    assert all(c["details"]["factors_tried"] == ["birth_department", "numen"] for c in checks)
    [refusal] = [
        e for e in entries(portal.desk.deps, "vote_code_redeem") if e["outcome"] == "refusé"
    ]
    assert refusal["details"]["status"] == 403
    text = bodies(portal.desk.deps)
    assert right["numen"] not in text and typed["numen"] not in text


def test_an_unknown_identity_field_is_refused_by_name(portal: Api) -> None:
    token = sent_password_link(portal)
    response = post(portal, {"token": token, "identity": identity(portal.desk) | {"nir": "1"}})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "identity.nir", "message": "champ inconnu"}]


def test_a_key_out_of_reach_learns_nothing_even_without_identity(portal: Api) -> None:
    token = sent_password_link(portal)
    other = add_platform_client(portal.desk.deps, ADMIN, "autre", ["minint-2022"]).key
    elsewhere = post(portal, {"token": token}, key=other)
    unknown = post(portal, {"token": "x" * 32}, key=other)
    assert (elsewhere.status_code, elsewhere.json()) == (404, unknown.json())


def test_the_vote_code_link_keeps_the_token_alone(api: Api) -> None:
    token = sent_link(api)
    asked = post(api, {"token": token, "identity": {"numen": "12A1234567ABC"}})
    assert asked.status_code == 422
    assert asked.json()["errors"] == [
        {"field": "identity.numen", "message": "non demandé par ce lien"}
    ]
    assert redeem(api, token).status_code == 200


def test_the_schema_documents_the_identity_and_the_403(portal: Api) -> None:
    with portal.client() as client:
        schema = client.get("/openapi.json").json()
    operation = schema["paths"][PATH]["post"]
    assert {"403", "410", "422"} <= set(operation["responses"])
    request = schema["components"]["schemas"]["TokenRedeemRequest"]
    assert "identity" in request["properties"] and request["required"] == ["token"]
    fields = schema["components"]["schemas"]["RedeemIdentity"]
    assert {"numen", "birth_department"} <= set(fields["properties"])
    assert fields["additionalProperties"] is False
