"""A service asked for what the caller's role does not allow refuses it and journals the
refusal (« role_refused », with the service asked), whether it checked before its
transaction or inside it: the screens never offer such an action, so each is a crafted
call (a page scripted under csu serve, a tampered terminal) that the supervisors must
be able to find."""

from collections.abc import Callable
from io import StringIO

import pytest

from csu.services.audit import export_journal, verify_journal
from csu.services.context import Forbidden, OperatorContext
from csu.services.credentials import issue_credential
from csu.services.interventions import open_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.operators import add_operator, unlock_operator
from csu.services.presence import attest_presence, presence_requests, request_presence_check
from csu.services.verification import unlock_voter, verify_identity
from csu.services.voters import reveal_field
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (
    PRESIDENT_NORD,
    PRESIDENT_SUD,
    Desk,
    desk_fixture,  # noqa: F401
    entries,
    in_person_call,
)
from tests.services.test_verification import lock_caller

Attempt = Callable[[Desk], object]

# (who asks, what, the service named in the entry)
CRAFTED: dict[str, tuple[OperatorContext, Attempt, str]] = {
    "an agent unlocking a voter": (
        AGENT,
        lambda desk: unlock_voter(desk.deps, AGENT, desk.caller.voter_id, "essai de contournement"),
        "unlock_voter",
    ),
    "an agent revealing an address": (
        AGENT,
        lambda desk: reveal_field(desk.deps, AGENT, desk.caller.voter_id, "email_pro", "essai"),
        "reveal_field",
    ),
    "a supervisor unlocking an operator": (
        SUPERVISOR,
        lambda desk: unlock_operator(desk.deps, SUPERVISOR, "agent2", reason="essai"),
        "unlock_operator",
    ),
    "a president exporting the journal": (
        PRESIDENT_NORD,
        lambda desk: export_journal(desk.deps, PRESIDENT_NORD, StringIO()),
        "export_journal",
    ),
    "an agent listing a president's requests": (
        AGENT,
        lambda desk: presence_requests(desk.deps, AGENT),
        "presence_requests",
    ),
}


def refusals(desk: Desk) -> list[dict]:
    return [entry for entry in entries(desk.deps) if entry["action"] == "role_refused"]


@pytest.mark.parametrize("case", CRAFTED, ids=list(CRAFTED))
def test_a_crafted_call_outside_one_s_role_is_refused_and_journalled(desk: Desk, case: str) -> None:
    who, attempt, service = CRAFTED[case]
    with pytest.raises(Forbidden):
        attempt(desk)
    [entry] = refusals(desk)
    assert (entry["operator"], entry["role"], entry["outcome"]) == (who.login, who.role, "refusé")
    assert entry["details"]["service"] == service


def test_the_entry_of_a_role_check_names_the_roles_allowed(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        presence_requests(desk.deps, AGENT)
    [entry] = refusals(desk)
    assert entry["details"] == {"service": "presence_requests", "roles": ["president"]}


def test_the_entry_of_a_permission_rule_names_the_service_and_the_rule_s_sentence(
    desk: Desk,
) -> None:
    with pytest.raises(Forbidden) as refused:
        unlock_voter(desk.deps, AGENT, desk.caller.voter_id, "essai de contournement")
    [entry] = refusals(desk)
    assert entry["details"] == {"service": "unlock_voter", "reason": str(refused.value)}


def test_a_president_asking_for_a_security_key_is_refused_and_journalled(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    with pytest.raises(Forbidden) as refused:
        issue_credential(desk.deps, PRESIDENT_NORD, call, desk.caller.material_id, "security_key")
    [entry] = refusals(desk)
    assert entry["details"] == {"service": "issue_credential", "reason": str(refused.value)}
    assert entries(desk.deps, "credential_issue") == []


def test_an_action_one_s_role_allows_journals_no_refusal(desk: Desk) -> None:
    presence_requests(desk.deps, PRESIDENT_NORD)
    assert refusals(desk) == []


def test_a_refusal_that_cannot_be_journalled_is_still_refused(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("journal hors d'atteinte")

    monkeypatch.setattr("csu.services.context._append_refusal", broken)
    with pytest.raises(Forbidden, match="superviseur"):
        export_journal(desk.deps, AGENT, StringIO())
    assert refusals(desk) == []


def test_a_refusal_journalled_keeps_the_chain_sound(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        export_journal(desk.deps, AGENT, StringIO())
    assert verify_journal(desk.deps, SUPERVISOR).ok


def test_the_same_refusal_asked_again_within_a_minute_is_journalled_once(desk: Desk) -> None:
    for _ in range(20):  # a page scripted to press the key again and again
        with pytest.raises(Forbidden):
            presence_requests(desk.deps, AGENT)
    assert len(refusals(desk)) == 1


def test_another_service_refused_within_the_minute_is_journalled_too(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        presence_requests(desk.deps, AGENT)
    with pytest.raises(Forbidden):
        export_journal(desk.deps, AGENT, StringIO())
    assert [e["details"]["service"] for e in refusals(desk)] == [
        "presence_requests",
        "export_journal",
    ]


def test_a_president_opening_a_phone_call_is_refused_and_journalled(desk: Desk) -> None:
    with pytest.raises(Forbidden, match="présentiel"):
        open_intervention(desk.deps, PRESIDENT_NORD, desk.caller.voter_id, "phone")
    [entry] = refusals(desk)
    assert entry["details"]["service"] == "open_intervention"
    assert entries(desk.deps, "intervention_open") == []


def test_a_refused_operator_creation_names_the_service_asked(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        add_operator(desk.deps, SUPERVISOR, "intrus", role="admin", password="x" * 16)
    [entry] = refusals(desk)
    assert entry["details"]["service"] == "add_operator"


# --- refused inside the service's own transaction --------------------------------------
# The rule is read from rows the transaction locks; the refusal is journalled once that
# transaction has rolled back (csu.services.context.journals_refusals).


def test_a_president_of_another_bureau_named_by_the_caller_is_no_role_refusal(
    desk: Desk,
) -> None:
    # What someone calling as president said, not the agent's act: refused, not
    # journalled as a crafted call.
    with pytest.raises(Forbidden, match="ne préside pas le bureau"):
        open_intervention(
            desk.deps, AGENT, desk.caller.voter_id, "president", president_login="pres.sud"
        )
    assert refusals(desk) == []
    assert entries(desk.deps, "intervention_open") == []


def test_an_agent_typing_an_in_person_check_is_refused_and_journalled(desk: Desk) -> None:
    call = open_intervention(desk.deps, AGENT, desk.caller.voter_id, "phone")
    with pytest.raises(Forbidden):
        verify_identity(desk.deps, AGENT, call.id, {"in_person": "cni:4821"})
    [entry] = refusals(desk)
    assert (entry["operator"], entry["details"]["service"]) == (AGENT.login, "verify_identity")
    assert entries(desk.deps, "verification") == []


def test_a_president_attesting_for_another_bureau_is_refused_and_journalled(
    desk: Desk,
) -> None:
    call = open_intervention(
        desk.deps, AGENT, desk.caller.voter_id, "president", president_login="pres.nord"
    )
    check_id = request_presence_check(desk.deps, AGENT, call.id).id
    with pytest.raises(Forbidden, match="autre bureau"):
        attest_presence(desk.deps, PRESIDENT_SUD, check_id, "cni", "1234")
    [entry] = refusals(desk)
    assert (entry["operator"], entry["details"]["service"]) == ("pres.sud", "attest_presence")


def test_a_refusal_inside_a_transaction_asked_again_is_journalled_once_a_minute(
    desk: Desk,
) -> None:
    call = open_intervention(desk.deps, AGENT, desk.caller.voter_id, "phone")
    for _ in range(5):
        with pytest.raises(Forbidden):
            verify_identity(desk.deps, AGENT, call.id, {"in_person": "cni:4821"})
    assert len(refusals(desk)) == 1


def test_a_case_taken_a_moment_earlier_by_another_supervisor_is_no_role_refusal(
    desk: Desk,
) -> None:
    from csu.services.escalation import take_escalation
    from csu.services.interventions import close_intervention

    call = open_intervention(desk.deps, AGENT, desk.caller.voter_id, "phone")
    close_intervention(desk.deps, AGENT, call.id, "escaladé", "rappel demandé par l'électeur")
    [case_id] = [e["details"]["escalation"] for e in entries(desk.deps, "escalation_open")]
    take_escalation(desk.deps, SUPERVISOR, case_id)
    other = OperatorContext(login="sup2", role="superviseur", workstation="poste-9")
    with pytest.raises(Forbidden, match="déjà pris en charge"):
        take_escalation(desk.deps, other, case_id)
    assert refusals(desk) == []


def test_a_locked_voter_s_refusals_are_no_role_refusals(desk: Desk) -> None:
    # A state, said in the file and its alert; the attempt itself has its own entry.
    lock_caller(desk)
    call = open_intervention(desk.deps, AGENT, desk.caller.voter_id, "phone")
    with pytest.raises(Forbidden, match="verrouill"):
        send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    with pytest.raises(Forbidden, match="verrouill"):
        verify_identity(desk.deps, AGENT, call.id, {"birth_date": "01/01/1970"})
    assert refusals(desk) == []
