"""An émargement's identifier is read as a login check's: the spaces around it
dropped (" ABC123 " is the material ABC123), a blank one refused."""

import pytest

from csu.services.emargement import BadEvents, EmargementEvent, ingest_emargements
from csu.services.platform_clients import Platform, authenticate
from tests.api.conftest import Api
from tests.api.test_emargements import post, stored_events, vote


def test_an_identifier_with_spaces_around_names_its_material(api: Api) -> None:
    caller = api.desk.caller
    response = post(api, {**vote(caller, "csa"), "identifier": f"  {caller.identifier} "})
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert stored_events(api) == [f"nv-{caller.identifier}-csa"]


def test_an_event_sent_again_with_spaces_around_its_identifier_is_a_duplicate(
    api: Api,
) -> None:
    caller = api.desk.caller
    post(api, vote(caller, "csa"))
    again = post(api, {**vote(caller, "csa"), "identifier": f" {caller.identifier}"})
    assert again.json() == {"accepted": 0, "duplicates": 1}


def test_a_blank_identifier_is_refused_as_a_login_checks_is(api: Api) -> None:
    response = post(api, {**vote(api.desk.caller, "csa"), "identifier": "   "})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "events.0.identifier", "message": "texte vide (des espaces seulement)"}
    ]


def test_the_service_refuses_a_blank_identifier_too(api: Api) -> None:
    platform: Platform = authenticate(api.desk.deps, api.key)
    event = EmargementEvent("nv-blanc", "   ", "csa", "2022-12-02T09:15:00Z")
    with pytest.raises(BadEvents) as refused:
        ingest_emargements(api.desk.deps, platform, "minint-2022", [event])
    assert refused.value.faults == [("events.0.identifier", "texte vide (des espaces seulement)")]
