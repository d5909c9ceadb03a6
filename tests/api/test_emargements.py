"""``POST /v1/elections/{election}/emargements``: the platform reports votes per
material and scrutin, in batches; through the real server (uvicorn, httpx)."""

from typing import Any

import pytest
from sqlalchemy import select

from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services.rolls import import_voters
from csu.store.tables import Emargement
from tests.api.conftest import Api, issued_login, login_path
from tests.conftest import ADMIN
from tests.services.intervention_support import MININT_BUREAUS, Caller, bodies, entries

PATH = "/v1/elections/minint-2022/emargements"
VOTED = "2022-12-02T09:15:00Z"


def vote(caller: Caller, scrutin: str, at: str = VOTED, event_id: str = "") -> dict[str, str]:
    return {
        "event_id": event_id or f"nv-{caller.identifier}-{scrutin}",
        "identifier": caller.identifier,
        "scrutin": scrutin,
        "voted_at": at,
    }


def post(api: Api, *events: dict[str, Any], key: str | None = None, path: str = PATH):
    return api.post(path, {"events": list(events)}, key=key)


def scrutins_of(caller: Caller) -> list[str]:
    return caller.row["scrutins"].split("|")


def stored_events(api: Api) -> list[str | None]:
    with api.desk.deps.reading() as session:
        return list(session.execute(select(Emargement.event_id)).scalars())


def test_a_batch_is_recorded_and_counted(api: Api) -> None:
    desk = api.desk
    response = post(api, vote(desk.caller, "csa"), vote(desk.neighbour, "csa"))
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0}
    assert sorted(stored_events(api)) == sorted(
        [f"nv-{desk.caller.identifier}-csa", f"nv-{desk.neighbour.identifier}-csa"]
    )


def test_a_batch_sent_again_only_counts_duplicates(api: Api) -> None:
    batch = [vote(api.desk.caller, "csa"), vote(api.desk.southerner, "csa")]
    post(api, *batch)
    response = post(api, *batch)
    assert response.json() == {"accepted": 0, "duplicates": 2}
    assert len(stored_events(api)) == 2


def test_one_bad_event_refuses_the_batch_naming_every_bad_one(api: Api) -> None:
    desk = api.desk
    response = post(
        api,
        vote(desk.caller, "csa"),
        {**vote(desk.neighbour, "csa"), "identifier": "MI-INCONNU"},
        vote(desk.southerner, "cse"),
        vote(desk.unreachable, "csa", at="2022-12-09T10:00:00+01:00"),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        {"field": "events.1.identifier", "message": "identifiant inconnu"},
        {"field": "events.2.scrutin",
         "message": "scrutin inconnu « cse » (scrutins de l'élection : csa, cap, ccp)"},
        {"field": "events.3.voted_at",
         "message": "hors de la période de vote (du 01/12/2022 09:00 au 08/12/2022 17:00, "
                    "heure de Paris)"},
    ]  # fmt: skip
    assert problem["detail"].startswith(
        "Émargements : lot refusé, rien n'est enregistré : 3 événements invalides — "
    )
    assert stored_events(api) == []


def test_a_refused_batch_is_journalled_without_the_identifiers(api: Api) -> None:
    post(api, vote(api.desk.caller, "cse"))
    (refusal,) = entries(api.desk.deps, "emargement_feed")
    assert (refusal["operator"], refusal["outcome"]) == ("plateforme:neovote", "refusé")
    assert refusal["details"]["status"] == 422
    assert api.desk.caller.identifier not in bodies(api.desk.deps)


def test_malformed_fields_are_refused_before_any_lookup(api: Api) -> None:
    response = post(api, {**vote(api.desk.caller, "CSA"), "voted_at": "hier à 10 h"},
                    {"event_id": "x", "identifier": "y", "scrutin": "csa"})  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "events.0.scrutin",
         "message": "forme invalide : minuscules, chiffres et tirets (ex. csa, minint-2022)"},
        {"field": "events.0.voted_at", "message": "forme invalide : date et heure RFC 3339 "
         "avec décalage (ex. 2022-12-02T10:15:00Z)"},
        {"field": "events.1.voted_at", "message": "champ obligatoire absent"},
    ]  # fmt: skip


def test_an_event_id_of_spaces_only_is_refused_naming_it(api: Api) -> None:
    response = post(api, vote(api.desk.caller, "csa", event_id="   "))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "events.0.event_id", "message": "texte vide (des espaces seulement)"}
    ]
    assert stored_events(api) == []


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\x9b", "\U000e0041"],
                         ids=["override", "zero-width", "c1", "tag"])  # fmt: skip
def test_an_event_id_with_a_bidi_or_invisible_character_is_refused(api: Api, char: str) -> None:
    response = post(api, vote(api.desk.caller, "csa", event_id=f"{char}nv-1"))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "events.0.event_id"
    assert error["message"].startswith("caractère interdit en position 1 (")
    assert stored_events(api) == []


def test_an_event_id_like_a_formula_is_kept_as_the_platform_sent_it(api: Api) -> None:
    """Only exports are read by a spreadsheet: they make such a cell text there."""
    assert post(api, vote(api.desk.caller, "csa", event_id="=cmd|'/c calc'!A1")).status_code == 200
    assert stored_events(api) == ["=cmd|'/c calc'!A1"]


def test_more_than_ten_thousand_events_a_call_are_refused(api: Api) -> None:
    events = [vote(api.desk.caller, "csa", event_id=f"e{n}") for n in range(10_001)]
    response = post(api, *events)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "events", "message": "trop d'éléments (au plus 10000)"}
    ]


def test_a_key_that_does_not_reach_the_election_is_refused(api: Api) -> None:
    response = post(api, vote(api.desk.caller, "csa"), key=api.education_key)
    assert response.status_code == 403
    assert stored_events(api) == []


def test_a_call_without_a_key_is_refused(api: Api) -> None:
    response = post(api, vote(api.desk.caller, "csa"), key="")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_thousand_events_are_one_call_and_one_journal_entry(api: Api) -> None:
    rows = list(generate_roll("minint-2022", 500, start=1000, bureaus=MININT_BUREAUS))
    path = api.desk.tmp_path / "grande-liste.csv"
    write_roll_csv(rows, path)
    assert import_voters(api.desk.deps, ADMIN, path, "minint-2022").committed
    events = [
        {"event_id": f"nv-{row['identifiant']}-{scrutin}", "identifier": row["identifiant"],
         "scrutin": scrutin, "voted_at": VOTED}
        for row in rows
        for scrutin in row["scrutins"].split("|")
    ]  # fmt: skip
    assert len(events) == 1000
    response = post(api, *events)
    assert response.json() == {"accepted": 1000, "duplicates": 0}
    (entry,) = entries(api.desk.deps, "emargement_feed")
    assert len(entry["details"]["materials"]) == 500


def test_the_login_check_then_lists_the_scrutins_left_to_vote(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    post(api, vote(api.desk.caller, "csa"))
    check = api.post(login_path(), {"identifier": api.desk.caller.identifier,
                                    "secrets": secrets})  # fmt: skip
    assert check.json() == {"valid": True, "scrutins_open": scrutins_of(api.desk.caller)[1:]}


def test_a_vote_in_every_scrutin_closes_the_login_to_voting(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)
    post(api, *(vote(api.desk.caller, scrutin) for scrutin in scrutins_of(api.desk.caller)))
    check = api.post(login_path(), {"identifier": api.desk.caller.identifier,
                                    "secrets": secrets})  # fmt: skip
    assert check.json() == {"valid": True, "scrutins_open": []}
