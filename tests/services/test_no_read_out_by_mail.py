"""A value shown once is read to the voter on the phone: an intervention on a request by
e-mail gets none, even in an election whose file would allow it (a reply by e-mail
would carry the value in clear). The service refuses before anything is issued."""

import pytest

from csu.services.context import ServiceError
from csu.services.credentials import issue_credential, revoke_credential
from csu.services.elections import load_election
from csu.services.interventions import close_intervention
from csu.services.verification import verify_identity
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    desk_fixture,
    entries,
    handed_over,
    open_call,
    verified_call,
)

# minint-2022 with a policy for the e-mail channel: its keys could otherwise be issued.
BY_MAIL_TOO = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8").replace(
    'president = [["in_person"]]',
    'president = [["in_person"]]\nemail = [["birth_date", "agent_card", "iban"]]',
)


def verified_request_by_mail(desk: Desk) -> str:
    assert BY_MAIL_TOO.count("email = [[") == 1
    load_election(desk.deps, ADMIN, BY_MAIL_TOO, "minint-2022.toml")
    call = open_call(desk, desk.caller, AGENT, channel="email")
    assert verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers()).verified
    return call.id


def test_a_request_by_e_mail_gets_no_key(desk: Desk) -> None:
    call_id = verified_request_by_mail(desk)
    with pytest.raises(ServiceError, match="Une demande par courriel ne reçoit ni clé"):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert entries(desk.deps, "credential_issue") == []


def test_a_key_reported_stolen_by_e_mail_is_still_revoked(desk: Desk) -> None:
    by_phone = verified_call(desk, desk.caller)  # a key issued on an earlier call
    handed_over(desk.deps, AGENT, by_phone, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, by_phone, "résolu")
    call_id = verified_request_by_mail(desk)
    revoke_credential(
        desk.deps, AGENT, call_id, desk.caller.material_id, "security_key", "clé volée"
    )
    assert [e["outcome"] for e in entries(desk.deps, "credential_revoke")] == ["ok"]
