"""What a key learns of an election it does not reach: nothing. A token, an identifier
or an election out of its reach is answered as an unknown one would be."""

from typing import Any

from csu.services.platform_clients import add_platform_client
from tests.api.conftest import Api, login_path
from tests.api.test_emargements import PATH, post, vote
from tests.api.test_tokens import redeem, sent_link
from tests.conftest import ADMIN
from tests.services.intervention_support import entries

MININT_SECRETS = {"security_key": "K7MP-X2QD-9RFA-H3TW", "password": "k7Mpx2QD9rfa"}


def test_a_token_out_of_reach_is_journalled_with_the_true_reason(api: Api) -> None:
    minint_only = add_platform_client(api.desk.deps, ADMIN, "interieur", ["minint-2022"]).key
    redeem(api, sent_link(api), key=minint_only)  # a men-2022 link
    [entry] = [e for e in entries(api.desk.deps, "vote_code_redeem") if e["outcome"] == "refusé"]
    assert entry["operator"] == "plateforme:interieur"
    assert entry["details"]["status"] == 404  # as answered
    assert entry["details"]["reason"] == (
        "Cette clé d'API ne donne pas accès à l'élection « men-2022 »."
    )


def test_an_identifier_of_another_election_checks_as_an_unknown_one(api: Api) -> None:
    def check(identifier: str) -> Any:
        body = {"identifier": identifier, "secrets": MININT_SECRETS}
        return api.post(login_path("minint-2022"), body)

    elsewhere, unknown = check(api.desk.teacher.identifier), check("MI-INCONNU")
    assert elsewhere.status_code == unknown.status_code == 200
    assert elsewhere.json() == unknown.json() == {"valid": False, "scrutins_open": []}


def test_an_identifier_of_another_election_in_a_batch_is_an_unknown_one(api: Api) -> None:
    teacher = api.desk.teacher  # men-2022
    elsewhere = post(api, {**vote(api.desk.caller, "csa"), "identifier": teacher.identifier})
    unknown = post(api, {**vote(api.desk.caller, "csa"), "identifier": "MI-INCONNU"})
    assert elsewhere.status_code == unknown.status_code == 422
    assert (
        elsewhere.json()["errors"]
        == unknown.json()["errors"]
        == [{"field": "events.0.identifier", "message": "identifiant inconnu"}]
    )


def test_an_election_out_of_reach_is_refused_as_one_that_does_not_exist(api: Api) -> None:
    """The 403 names the election the platform itself named, whether it exists or not."""
    answers: dict[str, list[Any]] = {"minint-2022": [], "nulle-part-2030": []}
    for election, found in answers.items():
        login = {"identifier": "MI-1", "secrets": MININT_SECRETS}
        found.append(api.post(login_path(election), login, key=api.education_key))
        path = PATH.replace("minint-2022", election)
        found.append(post(api, vote(api.desk.caller, "csa"), key=api.education_key, path=path))
    for known, unknown in zip(*answers.values(), strict=True):
        assert known.status_code == unknown.status_code == 403
        assert known.json()["detail"].replace("minint-2022", "?") == (
            unknown.json()["detail"].replace("nulle-part-2030", "?")
        )


def test_an_address_naming_no_possible_election_is_refused_without_echoing_it(
    api: Api,
) -> None:
    """A NUL or a bidirectional override in the address: 422, neither said back in the
    answer nor written into the journal's election column."""
    hostile = "%E2%80%AE%00"  # U+202E then NUL
    answers = [
        api.post(login_path(hostile), {}, key=api.education_key),
        api.post(login_path(hostile), {"identifier": "MI-1", "secrets": MININT_SECRETS}),
        post(api, vote(api.desk.caller, "csa"), path=PATH.replace("minint-2022", hostile)),
    ]
    assert [answer.status_code for answer in answers] == [422, 422, 422]
    for answer in answers:
        assert "\u202e" not in answer.text and "\\u202e" not in answer.text
    refused = [
        entry
        for action in ("platform_login_check", "emargement_feed")
        for entry in entries(api.desk.deps, action)
        if entry["outcome"] == "refusé"
    ]
    # journalled, as every refusal of an authenticated platform
    assert {entry["action"] for entry in refused} == {"platform_login_check", "emargement_feed"}
    assert all(entry["election"] is None for entry in refused)
    assert not any("\u202e" in str(entry["details"]) for entry in refused)
