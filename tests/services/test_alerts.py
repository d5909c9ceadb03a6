"""Alerts on data built through the desk: each fires on what it watches for, and not
on the same data one step below its threshold."""

from datetime import timedelta

import pytest

from csu.domain.alerts import Alert
from csu.services.alerts import current_alerts, review_alerts
from csu.services.context import Forbidden, OperatorContext, ServiceError
from csu.services.credentials import issue_credential
from csu.services.emargement import EmargementEvent, ingest_emargements
from csu.services.identifier_delivery import send_identifier
from csu.services.interventions import close_intervention
from csu.services.platform_clients import (
    Platform,
    add_platform_client,
    authenticate,
    revoke_platform_client,
)
from csu.services.verification import verify_identity
from csu.store import journal
from csu.store.journal import Actor
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    MEN_2011_OPEN,
    PRESIDENT_NORD,
    Caller,
    Desk,
    desk_fixture,
    entries,
    handed_over,
    open_call,
    verified_call,
    wrong,
)
from tests.services.test_substitution import (
    ADDRESS,
    ask,
    cell,  # noqa: F401  (the fixture)
)
from tests.services.test_substitution import Cell as Cell_

CALLER_NUMBER = "01 44 55 66 77"
PERSONAL = "quelqu.un@exemple.fr"


def kinds(desk: Desk) -> list[str]:
    return [alert.kind for alert in current_alerts(desk.deps, SUPERVISOR)]


def of_kind(desk: Desk, kind: str) -> list[Alert]:
    return [alert for alert in current_alerts(desk.deps, SUPERVISOR) if alert.kind == kind]


def seqs_of(desk: Desk, action: str) -> list[int]:
    return [entry["seq"] for entry in entries(desk.deps, action)]


def issue_keys(desk: Desk, times: int) -> None:
    call = verified_call(desk, desk.caller)
    for _ in range(times):
        handed_over(desk.deps, AGENT, call, desk.caller.material_id, "security_key")
        desk.clock.advance(minutes=1)
    close_intervention(desk.deps, AGENT, call, "résolu")


def test_three_credential_changes_of_a_voter_in_a_day_raise_an_alert(desk: Desk) -> None:
    issue_keys(desk, 3)
    found = of_kind(desk, "credential_changes")
    assert len(found) == 1
    assert list(found[0].seqs) == seqs_of(desk, "credential_issue")


def test_two_credential_changes_raise_none(desk: Desk) -> None:
    issue_keys(desk, 2)
    assert "credential_changes" not in kinds(desk)


def test_the_review_names_the_voter_and_is_journalled(desk: Desk) -> None:
    issue_keys(desk, 3)
    views = review_alerts(desk.deps, SUPERVISOR)
    assert [view.matricule for view in views] == [desk.caller.matricule]
    assert entries(desk.deps, "alert_review")[-1]["details"]["alerts"] == 1


def append_entries(desk: Desk, login: str, action: str, count: int) -> None:
    actor = Actor(operator=login, role="agent", workstation="poste")
    with desk.deps.writing() as session:
        for _ in range(count):
            journal.append(
                session,
                actor=actor,
                action=action,
                outcome="ok",
                at=desk.clock(),
                election="minint-2022",
            )


@pytest.mark.parametrize(("issues", "flagged"), [(7, True), (6, False)])
def test_an_agent_issuing_above_three_times_the_median_is_flagged(
    desk: Desk, issues: int, flagged: bool
) -> None:
    for login in ("a1", "a2", "a3"):
        append_entries(desk, login, "credential_issue", 2)
    append_entries(desk, "rapide", "credential_issue", issues)
    found = of_kind(desk, "issue_rate")
    assert [alert.operator for alert in found] == (["rapide"] if flagged else [])


def call_from(desk: Desk, caller: Caller, number: str) -> None:
    call = open_call(desk, caller, caller_number=number)
    close_intervention(desk.deps, AGENT, call.id, "résolu")


def test_one_number_calling_for_three_voters_raises_an_alert(desk: Desk) -> None:
    for caller in (desk.caller, desk.neighbour, desk.southerner):
        call_from(desk, caller, CALLER_NUMBER)
    found = of_kind(desk, "shared_contact")
    assert len(found) == 1
    assert list(found[0].seqs) == seqs_of(desk, "intervention_open")
    assert "77" in found[0].title and "44 55 66" not in found[0].title


def test_one_number_calling_for_two_voters_raises_none(desk: Desk) -> None:
    for caller in (desk.caller, desk.neighbour):
        call_from(desk, caller, CALLER_NUMBER)
    call_from(desk, desk.southerner, "01 44 55 66 78")
    assert "shared_contact" not in kinds(desk)


def send_to_personal(desk: Desk, caller: Caller, answers: dict[str, str], address: str) -> None:
    call = open_call(desk, caller)
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified
    send_identifier(
        desk.deps,
        AGENT,
        call.id,
        caller.material_id,
        to="personal",
        address=address,
        confirm=address,
    )
    close_intervention(desk.deps, AGENT, call.id, "résolu")


def test_a_personal_address_typed_for_two_voters_raises_an_alert(desk: Desk) -> None:
    desk.clock.now = MEN_2011_OPEN  # men-2011 (seed 003) sends identifiers
    first, second = desk.roll.without_notice, desk.roll.other_without_notice
    send_to_personal(desk, first, first.without_notice_answers(), PERSONAL)
    send_to_personal(desk, second, second.without_notice_answers(), PERSONAL.upper())
    found = of_kind(desk, "shared_contact")
    assert len(found) == 1
    queued = [
        e["seq"] for e in entries(desk.deps, "message_queue") if e["details"]["typed_recipient"]
    ]
    assert list(found[0].seqs) == queued
    assert PERSONAL not in found[0].title


def test_two_personal_addresses_raise_none(desk: Desk) -> None:
    desk.clock.now = MEN_2011_OPEN
    first, second = desk.roll.without_notice, desk.roll.other_without_notice
    send_to_personal(desk, first, first.without_notice_answers(), PERSONAL)
    send_to_personal(desk, second, second.without_notice_answers(), "autre@exemple.fr")
    assert "shared_contact" not in kinds(desk)


def test_a_case_opened_outside_support_hours_raises_an_alert(desk: Desk) -> None:
    desk.clock.now = desk.clock.now.replace(hour=19)  # 20:00 in Paris, support closed
    call_from(desk, desk.caller, "")
    found = of_kind(desk, "off_hours")
    assert [alert.operator for alert in found] == ["agent"]
    assert list(found[0].seqs) == seqs_of(desk, "intervention_open")


def test_a_case_opened_in_support_hours_raises_none(desk: Desk) -> None:
    desk.clock.now = desk.clock.now.replace(hour=16, minute=59)  # 17:59 in Paris
    call_from(desk, desk.caller, "")
    assert "off_hours" not in kinds(desk)


def fail_verifications(desk: Desk, who: OperatorContext, count: int) -> None:
    """Failed verifications, two per voter at most (a third would lock them)."""
    callers = [desk.caller, desk.caller, desk.neighbour, desk.neighbour, desk.southerner]
    for caller in callers[:count]:
        call = open_call(desk, caller, who)
        answers = {k: wrong(v) for k, v in caller.phone_answers().items()}
        assert not verify_identity(desk.deps, who, call.id, answers).verified
        close_intervention(desk.deps, who, call.id, "refusé")
        desk.clock.advance(minutes=2)


def test_five_failed_verifications_in_ten_minutes_raise_an_alert(desk: Desk) -> None:
    fail_verifications(desk, AGENT_2, 5)
    found = of_kind(desk, "verification_burst")
    assert [alert.operator for alert in found] == ["agent2"]
    failed = [e["seq"] for e in entries(desk.deps, "verification")]
    assert list(found[0].seqs) == failed


def test_four_failed_verifications_raise_none(desk: Desk) -> None:
    fail_verifications(desk, AGENT_2, 4)
    assert "verification_burst" not in kinds(desk)


def test_alerts_older_than_their_window_are_gone(desk: Desk) -> None:
    issue_keys(desk, 3)
    desk.clock.advance(hours=25)
    assert "credential_changes" not in kinds(desk)


def test_an_agent_is_refused_the_alerts(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        current_alerts(desk.deps, AGENT)
    with pytest.raises(Forbidden):
        review_alerts(desk.deps, PRESIDENT_NORD)


def test_a_later_refresh_keeps_the_key_of_an_alert(desk: Desk) -> None:
    issue_keys(desk, 3)
    first = of_kind(desk, "credential_changes")[0].key
    desk.clock.advance(minutes=30)
    call = verified_call(desk, desk.caller)
    issue_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key")
    later = of_kind(desk, "credential_changes")
    assert [alert.key for alert in later] == [first] and len(later[0].seqs) == 4
    assert later[0].at == desk.clock.now - timedelta(0)


def test_one_address_in_two_pending_substitution_requests_raises_an_alert(
    cell: Cell_,  # noqa: F811  (the fixture imported above)
) -> None:
    ask(cell, cell.voter)
    ask(cell, cell.other, AGENT_2, email=ADDRESS.upper())
    found = [a for a in current_alerts(cell.deps, SUPERVISOR) if a.kind == "shared_contact"]
    assert len(found) == 1
    assert list(found[0].seqs) == [e["seq"] for e in entries(cell.deps, "substitution_request")]


def test_two_addresses_in_pending_substitution_requests_raise_none(
    cell: Cell_,  # noqa: F811  (the fixture imported above)
) -> None:
    ask(cell, cell.voter)
    ask(cell, cell.other, AGENT_2, email="autre.adresse@exemple.fr")
    assert "shared_contact" not in [a.kind for a in current_alerts(cell.deps, SUPERVISOR)]


def test_typed_numbers_and_callers_numbers_hash_alike() -> None:
    """A mobile typed for an SMS for one voter and calling for another is one contact."""
    from csu.domain import alerts as rules
    from csu.services import interventions

    assert rules.CALLER_PURPOSE == interventions.PHONE_PURPOSE


# ---------------------------------------------------------------- platforms' feeds

SILENCE = timedelta(minutes=30)  # feed_silence_minutes in minint-2022.toml


def neovote(desk: Desk) -> Platform:
    """A platform client reaching minint-2022 (created now, the vote open), as its
    requests authenticate."""
    key = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"]).key
    return authenticate(desk.deps, key)


def report_vote(desk: Desk, platform: Platform, caller: Caller) -> None:
    """The platform reports that ``caller`` voted in the csa scrutin a minute ago."""
    voted = desk.clock.now - timedelta(minutes=1)
    vote = EmargementEvent(f"nv-{caller.identifier}", caller.identifier, "csa", voted)
    ingest_emargements(desk.deps, platform, "minint-2022", [vote])


def test_a_feed_silent_for_the_elections_threshold_raises_an_alert(desk: Desk) -> None:
    platform = neovote(desk)
    report_vote(desk, platform, desk.caller)
    desk.clock.advance(minutes=29)
    assert "feed_silence" not in kinds(desk)
    desk.clock.advance(minutes=1)
    [alert] = of_kind(desk, "feed_silence")
    assert alert.seqs == (seqs_of(desk, "emargement_feed")[-1],)
    assert "neovote" in alert.title and "minint-2022" in alert.title


def test_a_platform_that_never_reported_a_vote_raises_an_alert(desk: Desk) -> None:
    neovote(desk)
    desk.clock.advance(seconds=SILENCE.total_seconds())
    [alert] = of_kind(desk, "feed_silence")
    assert alert.seqs == () and "aucun lot reçu" in alert.title


def test_a_new_batch_ends_the_silence(desk: Desk) -> None:
    platform = neovote(desk)
    desk.clock.advance(seconds=SILENCE.total_seconds())
    assert of_kind(desk, "feed_silence")
    report_vote(desk, platform, desk.caller)
    assert of_kind(desk, "feed_silence") == []


def test_a_revoked_platform_raises_none(desk: Desk) -> None:
    neovote(desk)
    revoke_platform_client(desk.deps, ADMIN, "neovote")
    desk.clock.advance(hours=2)
    assert of_kind(desk, "feed_silence") == []


def test_an_agent_writing_a_voters_secret_twice_in_notes_raises_an_alert(desk: Desk) -> None:
    """Each refusal names what the text resembles (« la réponse secrète »): texts written
    again and again would tell the agent the secret."""
    call = open_call(desk, desk.teacher)
    for guess in ("défi : {}", "réponse {} donnée"):
        with pytest.raises(ServiceError):
            close_intervention(desk.deps, AGENT, call.id, "résolu",
                               guess.format(desk.teacher.row["reponse_defi"]))  # fmt: skip
    [alert] = of_kind(desk, "secret_in_text")
    assert alert.operator == AGENT.login
    assert alert.seqs == tuple(seqs_of(desk, "code_in_text"))
