"""``POST /v1/tokens/redeem`` with an identity answer of the wrong shape (a NUMEN of 2
characters, a département that is none): a 422 naming the answer's field, as on the
phone (« Format incorrect »), never counted as a wrong answer. Three of them voided
the link as three wrong answers."""

# ruff: noqa: F811  (portal: test_redeem_identity's fixture, taken by the tests below)

import pytest

from tests.api.conftest import Api
from tests.api.test_redeem_identity import (  # noqa: F401
    identity,
    portal,
    post,
    sent_password_link,
)
from tests.services.intervention_support import bodies, entries


@pytest.mark.parametrize(
    ("factor", "typed"), [("numen", "12"), ("numen", "123456"), ("birth_department", "XYZ")]
)
def test_an_answer_of_the_wrong_shape_is_refused_naming_its_field(
    portal: Api, factor: str, typed: str
) -> None:
    token = sent_password_link(portal)
    response = post(portal, {"token": token, "identity": identity(portal.desk) | {factor: typed}})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == f"identity.{factor}"


def test_answers_of_the_wrong_shape_count_no_wrong_answer(portal: Api) -> None:
    token = sent_password_link(portal)
    right = identity(portal.desk)
    for typed in ("12", "123456", "1"):
        response = post(portal, {"token": token, "identity": right | {"numen": typed}})
        assert response.status_code == 422
    shown = post(portal, {"token": token, "identity": right})
    assert shown.status_code == 200 and shown.json()["kind"] == "password"


def test_the_journal_keeps_the_field_of_a_shape_refused_never_what_was_typed(
    portal: Api,
) -> None:
    """A fault may quote the answer (« XYZ n'est pas un département »)."""
    token = sent_password_link(portal)
    typed = identity(portal.desk) | {"birth_department": "XYZ"}
    assert post(portal, {"token": token, "identity": typed}).status_code == 422
    refused = [e for e in entries(portal.desk.deps, "vote_code_redeem") if e["outcome"] == "refusé"]
    assert [e["details"]["reason"] for e in refused] == [
        "Département de naissance : format incorrect"
    ]
    assert "XYZ" not in bodies(portal.desk.deps)
