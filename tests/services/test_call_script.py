"""The checklist beside the voter file: the election's procedure for the call, whose
steps tick themselves from the intervention's journal; the outcome « redirigé vers le
libre-service », counted for the dashboard."""

import pytest

from csu.services.call_script import checklist, election_scripts, redirected_count
from csu.services.context import Forbidden, NotFound, ServiceError
from csu.services.credentials import confirm_read_out, issue_credential
from csu.services.interventions import close_intervention
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_vote_code_link
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    PRESIDENT_NORD,
    Desk,
    desk_fixture,
    entries,
    in_person_call,
    open_call,
    verified_call,
)


def states(desk: Desk, call_id: str, scenario: str | None = None) -> list[str]:
    return [step.state for step in checklist(desk.deps, AGENT, call_id, scenario).steps]


def test_a_new_call_starts_with_the_self_service_route(desk: Desk) -> None:
    call = open_call(desk, desk.caller)

    view = checklist(desk.deps, AGENT, call.id)

    assert (view.election_id, view.scenario, view.next_step) == ("minint-2022", "S1", 1)
    assert view.steps[0].kind_label == "orienter d'abord"
    assert "« E-Clé »" in view.redirects[0]
    assert [s.scenario for s in view.others] == ["S2", "S3"]  # S4: the president's own


def test_a_president_s_own_call_follows_the_in_person_reset(desk: Desk) -> None:
    call_id = in_person_call(desk, desk.caller, PRESIDENT_NORD)

    assert checklist(desk.deps, PRESIDENT_NORD, call_id).scenario == "S4"


def test_an_agent_s_call_in_person_follows_the_president_s_attestation(desk: Desk) -> None:
    call = open_call(desk, desk.caller, channel="president", president_login=PRESIDENT_NORD.login)

    assert checklist(desk.deps, AGENT, call.id).scenario == "S2"


def test_the_checklist_gives_the_elections_numbers_and_hours(desk: Desk) -> None:
    call = open_call(desk, desk.caller)

    support = checklist(desk.deps, AGENT, call.id).support

    assert (support.support_phone, support.csu_phone) == ("0 800 808 900", "01 80 15 43 21")
    assert "pendant le vote : tous les jours, 09:00–18:00" in support.hours


def test_steps_tick_themselves_from_the_journal(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")

    assert states(desk, call_id) == ["passed", "passed", "done", "passed", "done", "next", "todo"]

    confirm_read_out(desk.deps, AGENT, call_id, key.credential_id)
    assert checklist(desk.deps, AGENT, call_id).next_step == 7


def test_the_scenario_follows_what_was_done(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")

    view = checklist(desk.deps, AGENT, call_id)

    assert (view.scenario, view.title) == ("S3", "Mot de passe perdu")


def test_the_agent_may_choose_another_scenario_of_the_election(desk: Desk) -> None:
    call = open_call(desk, desk.caller)

    assert checklist(desk.deps, AGENT, call.id, "S2").title.startswith("Clé de sécurité par")


def test_a_scenario_the_election_has_not_is_refused_naming_those_it_has(desk: Desk) -> None:
    call = open_call(desk, desk.caller)

    with pytest.raises(ServiceError) as refused:
        checklist(desk.deps, AGENT, call.id, "S6")
    assert str(refused.value).startswith(
        "L'élection minint-2022 n'a pas de procédure pour « Réassort du code de vote » : S1 ("
    )


def test_an_education_call_follows_the_vote_code_reissue(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    assert verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers()).verified
    send_vote_code_link(
        desk.deps, AGENT, call.id, desk.teacher.material_id, "sms", "06 12 34 56 78"
    )

    view = checklist(desk.deps, AGENT, call.id)

    assert view.scenario == "S6"
    assert [s.state for s in view.steps] == ["passed", "done", "passed", "done", "next", "todo"]
    assert view.steps[4].text.startswith("« Avant de cliquer sur le lien")


def test_a_call_closed_as_redirected_ticks_the_redirect_step(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    close_intervention(desk.deps, AGENT, call.id, "redirigé", "eVote-CS, écran E-Clé")

    view = checklist(desk.deps, AGENT, call.id)

    assert view.steps[0].state == "done" and view.next_step is None
    [closed] = entries(desk.deps, "intervention_close")
    assert closed["outcome"] == "redirigé"


def test_a_call_closed_early_has_no_next_step(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    assert checklist(desk.deps, AGENT, call.id).next_step == 1
    close_intervention(desk.deps, AGENT, call.id, "refusé")

    view = checklist(desk.deps, AGENT, call.id)

    assert view.closed and view.next_step is None
    assert "next" not in [step.state for step in view.steps]


def test_another_agent_cannot_read_the_checklist_a_supervisor_can(desk: Desk) -> None:
    call = open_call(desk, desk.caller)

    with pytest.raises(NotFound):
        checklist(desk.deps, AGENT_2, call.id)
    assert checklist(desk.deps, SUPERVISOR, call.id).scenario == "S1"


def test_the_scripts_of_an_election_are_listed_in_order(desk: Desk) -> None:
    listed = election_scripts(desk.deps, AGENT, "men-2011")

    assert [(s.scenario, s.title) for s in listed] == [
        ("S7", "Électeur sans notice (non reçue ou perdue)")
    ]


def test_redirected_calls_are_counted_per_election(desk: Desk) -> None:
    for caller, outcome in (
        (desk.caller, "redirigé"),
        (desk.neighbour, "redirigé"),
        (desk.southerner, "résolu"),
        (desk.teacher, "redirigé"),
    ):
        close_intervention(desk.deps, AGENT, open_call(desk, caller).id, outcome)

    assert redirected_count(desk.deps, SUPERVISOR) == 3
    assert redirected_count(desk.deps, SUPERVISOR, "minint-2022") == 2
    assert redirected_count(desk.deps, SUPERVISOR, "men-2022", since=desk.clock.now) == 1
    desk.clock.advance(minutes=1)
    assert redirected_count(desk.deps, SUPERVISOR, since=desk.clock.now) == 0


def test_an_agent_does_not_read_the_count(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        redirected_count(desk.deps, AGENT)


def test_an_agent_is_not_offered_the_presidents_own_procedure(desk: Desk) -> None:
    """S4's « Mettre à disposition un nouveau mot de passe » is the president's alone."""
    assert "S4" not in [s.scenario for s in election_scripts(desk.deps, AGENT, "minint-2022")]
    call = open_call(desk, desk.caller)
    assert "S4" not in [s.scenario for s in checklist(desk.deps, AGENT, call.id).others]


def test_a_president_is_offered_their_own_procedure_alone(desk: Desk) -> None:
    listed = election_scripts(desk.deps, PRESIDENT_NORD, "minint-2022")
    assert [s.scenario for s in listed] == ["S4"]


def test_a_supervisor_reads_a_presidents_call_by_its_own_procedure(desk: Desk) -> None:
    call_id = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    assert checklist(desk.deps, SUPERVISOR, call_id).scenario == "S4"
