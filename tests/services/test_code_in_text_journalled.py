"""A note or a reason refused because it held one of the voter's own credentials, or
its key's first characters, found by their hash, is journalled (« code_in_text »):
otherwise anyone writing notes could try guesses at a voter's key prefix unseen. The
entry names the kind matched and where, never the text; a refusal by a code's shape
alone (no match) is not journalled; nothing else of the refused action is stored."""

import pytest
from sqlalchemy import select
from sqlmodel import col

from csu.services.context import CredentialInText, ServiceError
from csu.services.interventions import close_intervention
from csu.services.voters import reveal_field
from csu.store.tables import Voter
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
)
from tests.services.test_notes_hold_no_credential import PROBE_NOTE, assert_nowhere, issued


def _pseudonym(desk: Desk) -> str:
    with desk.deps.reading() as session:
        return session.execute(
            select(col(Voter.pseudonym)).where(col(Voter.id) == desk.caller.voter_id)
        ).scalar_one()


def test_a_note_refused_for_the_key_prefix_is_journalled_without_its_text(desk: Desk) -> None:
    call, [key] = issued(desk, "security_key")
    head = key.value[:6]
    before = entries(desk.deps)
    with pytest.raises(CredentialInText):
        close_intervention(desk.deps, AGENT, call, "résolu", f"préfixe lu {head} ok")
    after = entries(desk.deps)
    [entry] = [e for e in after if e["action"] == "code_in_text"]
    assert entry["outcome"] == "refusé"
    assert entry["details"] == {"kind": "security_key_prefix", "field": "La note"}
    assert entry["subject"] == _pseudonym(desk)
    assert entry["operator"] == AGENT.login
    assert entry["election"] == "minint-2022"
    # Nothing else: the intervention is not closed, no other entry.
    assert len(after) == len(before) + 1
    assert entries(desk.deps, "intervention_close", intervention=call) == []
    assert_nowhere(desk.deps, head, "préfixe lu")


def test_a_reason_refused_for_the_voter_s_password_is_journalled(desk: Desk) -> None:
    _, [password] = issued(desk, "password")
    with pytest.raises(CredentialInText):
        reveal_field(desk.deps, SUPERVISOR, desk.caller.voter_id, "email_pro",
                     f"appelant a lu {password.value}")  # fmt: skip
    [entry] = entries(desk.deps, "code_in_text")
    assert entry["details"] == {"kind": "password", "field": "Le motif"}
    assert entry["operator"] == SUPERVISOR.login
    assert entry["subject"] == _pseudonym(desk)
    assert_nowhere(desk.deps, password.value)


def test_a_refusal_by_shape_alone_is_not_journalled(desk: Desk) -> None:
    call, _ = issued(desk, "security_key")
    before = entries(desk.deps)
    with pytest.raises(ServiceError) as refused:
        close_intervention(desk.deps, AGENT, call, "résolu", PROBE_NOTE)
    assert not isinstance(refused.value, CredentialInText)
    assert entries(desk.deps, "code_in_text") == []
    assert len(entries(desk.deps)) == len(before)
