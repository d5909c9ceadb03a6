"""« Résolu » after a code issued in the call whose hand-over was never confirmed (it
stays active, the voter may not have it) needs a note saying how the voter got it: the
service refuses it for every client, as the closing window does."""

import pytest

from csu.domain.errors import InvalidValue
from csu.domain.interventions import UNCONFIRMED_RESOLVED
from csu.services.context import ServiceError
from csu.services.credentials import confirm_read_out, issue_credential, revoke_credential
from csu.services.interventions import close_intervention, current_intervention
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    desk_fixture,
    entries,
    verified_call,
)


def key_never_confirmed(desk: Desk) -> str:
    call_id = verified_call(desk, desk.caller)
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    return call_id


def test_resolved_without_a_note_is_refused_and_the_call_stays_open(desk: Desk) -> None:
    call_id = key_never_confirmed(desk)
    with pytest.raises(InvalidValue, match="remise du code n'a pas été confirmée"):
        close_intervention(desk.deps, AGENT, call_id, "résolu")
    assert entries(desk.deps, "intervention_close") == []
    assert current_intervention(desk.deps, AGENT) is not None


def test_the_refusal_names_the_note(desk: Desk) -> None:
    call_id = key_never_confirmed(desk)
    with pytest.raises(InvalidValue) as refused:
        close_intervention(desk.deps, AGENT, call_id, "résolu", "   ")
    assert (refused.value.field, refused.value.fault) == ("Note", UNCONFIRMED_RESOLVED)


def test_resolved_with_a_note_closes(desk: Desk) -> None:
    call_id = key_never_confirmed(desk)
    close_intervention(desk.deps, AGENT, call_id, "résolu", "clé notée par l'électeur")
    assert [e["outcome"] for e in entries(desk.deps, "intervention_close")] == ["résolu"]


def test_resolved_after_the_read_out_was_confirmed_needs_no_note(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    issued = issue_credential(
        desk.deps, AGENT, call_id, desk.caller.material_id, "security_key"
    )
    confirm_read_out(desk.deps, AGENT, call_id, issued.credential_id)
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    assert [e["outcome"] for e in entries(desk.deps, "intervention_close")] == ["résolu"]


def test_resolved_after_the_unconfirmed_key_was_invalidated_needs_no_note(desk: Desk) -> None:
    call_id = key_never_confirmed(desk)
    revoke_credential(
        desk.deps, AGENT, call_id, desk.caller.material_id, "security_key", "clé non remise"
    )
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    assert [e["outcome"] for e in entries(desk.deps, "intervention_close")] == ["résolu"]


def test_another_outcome_needs_no_note(desk: Desk) -> None:
    call_id = key_never_confirmed(desk)
    close_intervention(desk.deps, AGENT, call_id, "abandonné")
    assert [e["outcome"] for e in entries(desk.deps, "intervention_close")] == ["abandonné"]


def test_another_operators_call_is_refused_as_before_not_asked_a_note(desk: Desk) -> None:
    call_id = key_never_confirmed(desk)
    with pytest.raises(ServiceError) as refused:
        close_intervention(desk.deps, AGENT_2, call_id, "résolu")
    assert not isinstance(refused.value, InvalidValue)
    assert "remise" not in str(refused.value)
