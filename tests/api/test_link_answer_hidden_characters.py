"""``POST /v1/tokens/redeem`` with a control or invisible character in an identity answer
(a zero-width space, a unit separator, a bidirectional mark, as a paste brings them):
refused as a login's secrets are, a 422 naming the answer's field and the position,
never counted as a wrong answer, and journalled with the link's election."""

# ruff: noqa: F811  (portal: test_redeem_identity's fixture, taken by the tests below)

import pytest

from csu.services.platform_clients import add_platform_client
from tests.api.conftest import Api
from tests.api.test_redeem_identity import (  # noqa: F401
    identity,
    portal,
    post,
    sent_password_link,
)
from tests.api.test_tokens import sent_link
from tests.conftest import ADMIN
from tests.services.intervention_support import entries

HIDDEN = ["\u200b", "\u001f", "\u202e", "\u200e"]


def hidden_in(answers: dict[str, str], factor: str, hidden: str) -> dict[str, str]:
    """``answers`` with ``hidden`` after the first character of ``factor``'s."""
    typed = answers[factor]
    return answers | {factor: typed[:1] + hidden + typed[1:]}


@pytest.mark.parametrize("factor", ["numen", "birth_department"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_hidden_character_in_an_answer_is_refused_naming_its_field_and_position(
    portal: Api, factor: str, hidden: str
) -> None:
    token = sent_password_link(portal)
    typed = hidden_in(identity(portal.desk), factor, hidden)
    response = post(portal, {"token": token, "identity": typed})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == f"identity.{factor}"
    assert error["message"].startswith("caractère interdit en position 2 (")
    assert f"U+{ord(hidden):04X}" in error["message"]


def test_a_hidden_character_in_an_answer_counts_no_wrong_answer(portal: Api) -> None:
    token = sent_password_link(portal)
    right = identity(portal.desk)
    typed = hidden_in(right, "birth_department", "\u200b")
    for _ in range(3):  # the link's limit of wrong answers (3, the cell's policy)
        assert post(portal, {"token": token, "identity": typed}).status_code == 422
    shown = post(portal, {"token": token, "identity": right})
    assert shown.status_code == 200 and shown.json()["kind"] == "password"


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_hidden_character_refusal_is_journalled_with_the_link_s_election(
    portal: Api, hidden: str
) -> None:
    token = sent_password_link(portal)
    typed = hidden_in(identity(portal.desk), "numen", hidden)
    assert post(portal, {"token": token, "identity": typed}).status_code == 422
    [entry] = [e for e in entries(portal.desk.deps, "vote_code_redeem") if e["outcome"] == "refusé"]
    assert (entry["operator"], entry["election"]) == ("plateforme:portail-2011", "men-2011")
    assert entry["details"]["status"] == 422
    assert entry["details"]["reason"].startswith("NUMEN : caractère interdit en position 2 (")


def test_a_hidden_character_for_a_link_out_of_reach_is_answered_as_an_unknown_link(
    api: Api,
) -> None:
    token = sent_link(api)  # men-2022: out of the reach of a key of minint-2022 alone
    other = add_platform_client(api.desk.deps, ADMIN, "autre", ["minint-2022"]).key
    typed = {"numen": "1\u200b2A1234567ABC"}
    elsewhere = post(api, {"token": token, "identity": typed}, key=other)
    unknown = post(api, {"token": "x" * 32, "identity": typed}, key=other)
    assert (elsewhere.status_code, elsewhere.json()) == (404, unknown.json())
