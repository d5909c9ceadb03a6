"""``POST /v1/tokens/redeem``: the voter opened a vote-code link (S6); the platform
spends its token and shows the new code. The same service as ``csu token redeem``."""

import json
import re
from datetime import timedelta

from csu.services.interventions import close_intervention
from csu.services.platform import check_login
from csu.services.platform_clients import add_platform_client
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_vote_code_link
from tests.api.conftest import Api, serve
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (
    Desk,
    bodies,
    entries,
    mark_voted,
    open_call,
)
from tests.services.test_election_routes import password_link, verified_without_notice

TOKEN = re.compile(r"jeton=([A-Za-z0-9_-]+)")
CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")


def sent_link(api: Api) -> str:
    """An agent verifies the men-2022 teacher and sends a link by SMS: its token."""
    desk = api.desk
    call = open_call(desk, desk.teacher)
    assert verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers()).verified
    send_vote_code_link(desk.deps, AGENT, call.id, desk.teacher.material_id, "sms",
                        "06 12 34 56 78")
    close_intervention(desk.deps, AGENT, call.id, "résolu")
    sms = [path for path in desk.outbox.sent if path.suffix == ".json"]  # a notice may follow
    [token] = TOKEN.findall(json.loads(sms[-1].read_text(encoding="utf-8"))["text"])
    return token


def redeem(api: Api, token: str, key: str | None = None):
    return api.post("/v1/tokens/redeem", {"token": token}, key=key)


def test_the_first_redeem_gives_the_new_vote_code_for_120_seconds(api: Api) -> None:
    response = redeem(api, sent_link(api))
    assert response.status_code == 200
    answer = response.json()
    assert answer["display_seconds"] == 120
    assert CODE.fullmatch(answer["vote_code"])


def test_the_vote_code_given_logs_in(api: Api) -> None:
    code = redeem(api, sent_link(api)).json()["vote_code"]
    teacher = api.desk.teacher
    assert check_login(api.desk.deps, "men-2022", teacher.identifier, teacher.birth_date,
                       vote_code=code)


def test_a_token_already_used_is_gone(api: Api) -> None:
    token = sent_link(api)
    redeem(api, token)
    again = redeem(api, token)
    assert again.status_code == 410
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["detail"].startswith("Lien invalide")


def test_a_token_voided_by_a_newer_link_is_gone(api: Api) -> None:
    older = sent_link(api)
    api.desk.clock.advance(minutes=1)
    newer = sent_link(api)
    assert redeem(api, older).status_code == 410
    assert redeem(api, newer).status_code == 200


def test_an_expired_token_is_gone(api: Api) -> None:
    token = sent_link(api)
    api.desk.clock.advance(minutes=31)
    assert redeem(api, token).status_code == 410


def test_a_token_of_a_material_that_voted_is_gone(api: Api) -> None:
    token = sent_link(api)
    mark_voted(api.desk, api.desk.teacher)
    response = redeem(api, token)
    assert response.status_code == 410
    assert "déjà voté" in response.json()["detail"]


def test_an_unknown_token_is_not_found(api: Api) -> None:
    response = redeem(api, "x" * 32)
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_a_token_of_an_election_the_key_does_not_reach_is_answered_as_unknown(
    api: Api,
) -> None:
    restricted = Api(api.url, api.desk, api.education_key, "")
    # men-2022 is in reach of both keys: make one that reaches minint-2022 only.
    minint_only = add_platform_client(api.desk.deps, ADMIN, "interieur", ["minint-2022"]).key
    token = sent_link(api)
    elsewhere = redeem(api, token, key=minint_only)
    unknown = redeem(api, "x" * 32, key=minint_only)
    assert (elsewhere.status_code, elsewhere.json()) == (404, unknown.json())
    assert redeem(restricted, token).status_code == 200  # untouched by the refusal


def test_the_redeem_is_journalled_by_the_platform_without_the_code_or_token(api: Api) -> None:
    token = sent_link(api)
    code = redeem(api, token).json()["vote_code"]
    [entry] = entries(api.desk.deps, "vote_code_redeem")
    assert (entry["operator"], entry["outcome"]) == ("plateforme:neovote", "ok")
    assert entry["details"]["material"] == api.desk.teacher.material_id
    text = bodies(api.desk.deps)
    assert code not in text and code.replace("-", "") not in text and token not in text


def test_a_refused_redeem_is_journalled_naming_the_material_by_number(api: Api) -> None:
    token = sent_link(api)
    redeem(api, token)
    api.desk.clock.advance(seconds=timedelta(minutes=1).total_seconds())
    redeem(api, token)
    refused = [e for e in entries(api.desk.deps, "vote_code_redeem") if e["outcome"] == "refusé"]
    [entry] = refused
    assert entry["operator"] == "plateforme:neovote"
    assert entry["election"] == "men-2022"
    assert entry["details"]["material"] == api.desk.teacher.material_id
    assert entry["details"]["status"] == 410


def test_a_men_2011_link_gives_a_password_named_as_such(desk: Desk) -> None:
    key = add_platform_client(desk.deps, ADMIN, "portail-2011", ["men-2011"]).key
    token = password_link(desk, verified_without_notice(desk))
    with serve(desk) as server:
        identity = desk.without_notice.without_notice_answers()  # seed 003: the link's page
        answer = Api(server.url, desk, key, key).post(
            "/v1/tokens/redeem", {"token": token, "identity": identity}
        ).json()
    assert answer["kind"] == "password"
    assert answer["vote_code"] is None
    assert answer["credential"]


def test_a_vote_code_link_names_its_kind(api: Api) -> None:
    answer = redeem(api, sent_link(api)).json()
    assert answer["kind"] == "vote_code"
    assert answer["credential"] == answer["vote_code"]


def test_a_token_not_in_url_safe_base64_says_which_characters_it_takes(api: Api) -> None:
    response = redeem(api, "abc/def+ghi")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "token", "message": "forme invalide : lettres, chiffres, « _ » et « - »"}
    ]
