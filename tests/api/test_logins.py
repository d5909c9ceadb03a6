"""``POST /v1/elections/{election}/logins/check``: the platform checks a login with
the secrets the election's login needs; failures count per identifier."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from csu.domain.election import parse_election
from csu.domain.errors import InvalidValue
from csu.services.credentials import issue_credential
from csu.services.elections import load_election
from csu.services.emargement import open_scrutins
from csu.services.platform_clients import add_platform_client
from csu.store.tables import Material
from tests.api.conftest import Api, issued_login, login_path, serve
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (
    ELECTIONS,
    bodies,
    entries,
    mark_voted,
    verified_call,
    wrong,
)

LIMIT = 5  # no [platform] in minint-2022.toml: the default of the cell's policy
LOCK = timedelta(minutes=15)


def with_policy(**values: int) -> str:
    """The shipped minint-2022.toml with other values in its [platform] table."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    for key, value in values.items():
        text, found = re.subn(rf"^{key} = \d+", f"{key} = {value}", text, flags=re.MULTILINE)
        assert found == 1, key
    return text


def check(api: Api, identifier: str, secrets: dict[str, str], election: str = "minint-2022"):
    return api.post(login_path(election), {"identifier": identifier, "secrets": secrets})


def test_the_credentials_an_agent_issued_log_in(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    response = check(api, api.desk.caller.identifier, secrets)
    assert response.status_code == 200
    with api.desk.deps.reading() as session:
        material = session.get(Material, api.desk.caller.material_id)
        assert material is not None
        expected = open_scrutins(session, material)
    assert expected  # the caller votes in the scrutins of their roll row
    assert response.json() == {"valid": True, "scrutins_open": expected}


def test_secrets_typed_without_dashes_or_in_lower_case_log_in(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    typed = {**secrets, "security_key": secrets["security_key"].replace("-", "").lower()}
    assert check(api, api.desk.caller.identifier, typed).json()["valid"]


def test_a_wrong_secret_fails_without_saying_which(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    identifier = api.desk.caller.identifier
    bad_key = check(api, identifier, {**secrets, "security_key": wrong(secrets["security_key"])})
    bad_password = check(api, identifier, {**secrets, "password": wrong(secrets["password"])})
    assert bad_key.status_code == bad_password.status_code == 200
    assert bad_key.json() == bad_password.json() == {"valid": False, "scrutins_open": []}


def test_an_unknown_identifier_fails_like_a_wrong_secret(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    response = check(api, "INCONNU-0000", secrets)
    assert response.json() == {"valid": False, "scrutins_open": []}


def test_a_credential_replaced_since_no_longer_logs_in(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    call_id = verified_call(api.desk, api.desk.caller)
    issue_credential(api.desk.deps, AGENT, call_id, api.desk.caller.material_id, "password")
    assert not check(api, api.desk.caller.identifier, secrets).json()["valid"]


def test_a_material_that_voted_logs_in_with_no_scrutin_left_open(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    mark_voted(api.desk, api.desk.caller)
    response = check(api, api.desk.caller.identifier, secrets)
    assert response.json() == {"valid": True, "scrutins_open": []}


def test_the_secrets_are_those_of_the_election_file(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    response = check(api, api.desk.caller.identifier, {"password": secrets["password"],
                                                       "vote_code": "ABCD"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "Secrets : security_key absent, vote_code inattendu (l'élection minint-2022 "
        "demande : clé de sécurité, mot de passe ; clés : security_key, password)"
    )


def test_a_secret_missing_is_named_in_errors(api: Api) -> None:
    body = {"identifier": "MEN-0000001", "secrets": {"vote_code": None}}
    response = api.post(login_path("men-2022"), body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "secrets.vote_code", "message": "secret absent (l'élection men-2022 "
                                                  "demande : code de vote ; clés : vote_code)"}
    ]  # fmt: skip


def test_an_election_whose_codes_the_cell_does_not_issue_is_named_in_errors(api: Api) -> None:
    text = (ELECTIONS / "cci-hdf-2021.toml").read_text(encoding="utf-8")
    load_election(api.desk.deps, ADMIN, text, "cci-hdf-2021.toml")
    key = add_platform_client(api.desk.deps, ADMIN, "cci-vote", ["cci-hdf-2021"]).key
    response = api.post(login_path("cci-hdf-2021"), {"identifier": "CC1", "secrets": {}}, key)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "election", "message": "la cellule ne délivre aucun code pour l'élection "
                                         "cci-hdf-2021 : elle ne peut pas en vérifier les "
                                         "connexions"}
    ]  # fmt: skip


def test_a_missing_secret_counts_no_failure(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    for _ in range(LIMIT):
        check(api, api.desk.caller.identifier, {"password": secrets["password"]})
    assert check(api, api.desk.caller.identifier, secrets).json()["valid"]


@pytest.mark.parametrize("hidden", ["\u200b", "\u202e", "\u001f", "\t"])
def test_a_secret_holding_a_hidden_character_is_refused_naming_it(api: Api, hidden: str) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    key = secrets["security_key"]
    typed = {**secrets, "security_key": key[:4] + hidden + key[4:]}
    response = check(api, api.desk.caller.identifier, typed)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "secrets.security_key"
    assert error["message"].startswith("caractère interdit en position 5 (")


def test_a_secret_holding_a_hidden_character_counts_no_failure(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    typed = {**secrets, "password": "\u200b" + secrets["password"]}
    for _ in range(LIMIT):
        assert check(api, api.desk.caller.identifier, typed).status_code == 422
    assert check(api, api.desk.caller.identifier, secrets).json()["valid"]


def test_after_the_limit_of_failures_checks_are_refused_with_retry_after(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    bad = {**secrets, "password": wrong(secrets["password"])}
    for _ in range(LIMIT):
        assert check(api, api.desk.caller.identifier, bad).status_code == 200
    api.desk.clock.advance(minutes=5)
    locked = check(api, api.desk.caller.identifier, secrets)  # even the right secrets
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(10 * 60)
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["detail"].startswith("Trop d'échecs de connexion pour cet identifiant")


def test_the_lock_ends_after_its_minutes(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    bad = {**secrets, "password": wrong(secrets["password"])}
    for _ in range(LIMIT):
        check(api, api.desk.caller.identifier, bad)
    api.desk.clock.advance(seconds=LOCK.total_seconds())
    assert check(api, api.desk.caller.identifier, secrets).json()["valid"]


def test_failures_count_per_identifier(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    neighbour = issued_login(api.desk, api.desk.neighbour)
    bad = {**secrets, "password": wrong(secrets["password"])}
    for _ in range(LIMIT):
        check(api, api.desk.caller.identifier, bad)
    assert check(api, api.desk.caller.identifier, secrets).status_code == 429
    assert check(api, api.desk.neighbour.identifier, neighbour).json()["valid"]


def test_an_unknown_identifier_is_locked_like_a_known_one(api: Api) -> None:
    guess = {"security_key": "AAAA-BBBB-CCCC-DDDD", "password": "abcdefghijkm"}
    for _ in range(LIMIT):
        assert check(api, "INCONNU-0000", guess).status_code == 200
    assert check(api, "INCONNU-0000", guess).status_code == 429


def test_a_success_starts_the_count_again(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    bad = {**secrets, "password": wrong(secrets["password"])}
    for _ in range(LIMIT - 1):
        check(api, api.desk.caller.identifier, bad)
    assert check(api, api.desk.caller.identifier, secrets).json()["valid"]
    for _ in range(LIMIT - 1):
        check(api, api.desk.caller.identifier, bad)
    assert check(api, api.desk.caller.identifier, secrets).json()["valid"]


def test_the_count_survives_a_restart_of_the_server(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    bad = {**secrets, "password": wrong(secrets["password"])}
    for _ in range(LIMIT - 1):
        check(api, api.desk.caller.identifier, bad)
    with serve(api.desk) as again:
        restarted = Api(again.url, api.desk, api.key, api.education_key)
        check(restarted, api.desk.caller.identifier, bad)
        assert check(restarted, api.desk.caller.identifier, secrets).status_code == 429


def test_every_check_is_journalled_by_the_platform_naming_the_material(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    check(api, api.desk.caller.identifier, secrets)
    check(api, api.desk.caller.identifier, {**secrets, "password": wrong(secrets["password"])})
    ok, failed = entries(api.desk.deps, "platform_login_check")
    assert (ok["operator"], ok["role"], ok["outcome"]) == ("plateforme:neovote", "plateforme",
                                                          "valide")
    assert ok["details"]["material"] == api.desk.caller.material_id
    assert (failed["outcome"], failed["details"]["failures"]) == ("invalide", 1)


def test_the_journal_never_holds_the_identifier_or_the_secrets(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    check(api, api.desk.caller.identifier, secrets)
    check(api, "INCONNU-0000", secrets)
    text = bodies(api.desk.deps)
    for clear in (api.desk.caller.identifier, "INCONNU-0000", *secrets.values()):
        assert clear not in text


def test_the_limit_and_the_lock_come_from_the_election_file(api: Api) -> None:
    text = with_policy(login_failures_limit=2, login_lock_minutes=60)
    load_election(api.desk.deps, ADMIN, text, "minint-2022.toml")
    secrets = issued_login(api.desk, api.desk.caller)
    bad = {**secrets, "password": wrong(secrets["password"])}
    for _ in range(2):
        check(api, api.desk.caller.identifier, bad)
    locked = check(api, api.desk.caller.identifier, secrets)
    assert (locked.status_code, locked.headers["retry-after"]) == (429, "3600")


def test_a_limit_below_one_is_refused_naming_the_key() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_election(with_policy(login_failures_limit=0), "minint-2022.toml")
    assert str(refused.value) == (
        "minint-2022.toml : platform.login_failures_limit : doit valoir au moins 1"
    )


def test_an_identifier_with_a_control_character_is_refused(api: Api) -> None:
    response = check(api, "MI-\x00123", {"security_key": "A", "password": "B"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "identifier", "message": "caractère de contrôle refusé"}
    ]


@pytest.mark.parametrize(
    "char",
    ["\x85", "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff", "\u00ad", "\U000e0041",
     "\ufe0f", "\u3164"],
    ids=["c1", "override", "isolate", "mark", "zero-width", "bom", "soft-hyphen", "tag",
         "variation-selector", "hangul-filler"],
)  # fmt: skip
def test_an_identifier_with_a_bidi_or_invisible_character_is_refused_naming_it(
    api: Api, char: str
) -> None:
    response = check(api, f"MI-{char}123", {"security_key": "A", "password": "B"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "identifier"
    assert error["message"].startswith("caractère interdit en position 4 (")
    assert f"U+{ord(char):04X}" in error["message"]


def test_an_identifier_with_accents_is_still_checked(api: Api) -> None:
    response = check(api, "MI-é123", {"security_key": "A", "password": "B"})
    assert response.status_code == 200


def test_an_identifier_of_spaces_only_is_refused_naming_it(api: Api) -> None:
    response = check(api, "   ", {"security_key": "A", "password": "B"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "identifier", "message": "texte vide (des espaces seulement)"}
    ]


def test_failures_at_the_same_moment_are_each_counted_once(api: Api) -> None:
    guess = {"security_key": "AAAA-BBBB-CCCC-DDDD", "password": "abcdefghijkm"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: check(api, "INCONNU-0000", guess), range(8)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * LIMIT + [429] * (8 - LIMIT)
    counted = [e["details"].get("failures") for e in entries(api.desk.deps, "platform_login_check")
               if e["outcome"] == "invalide"]
    assert sorted(counted) == [0, 1, 2, 3, 4]  # the fifth locks and starts the count again
