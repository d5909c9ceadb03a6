"""« Résolu » after a code issued in the call whose hand-over was never confirmed (it
stays active, the voter may not have it) needs a note saying how the voter got it: the
service refuses it for every client, as the closing window does."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from csu.domain.errors import InvalidValue
from csu.domain.interventions import UNCONFIRMED_RESOLVED
from csu.services import interventions
from csu.services.audit import integrate_journal
from csu.services.context import ServiceError
from csu.services.credentials import confirm_read_out, issue_credential, revoke_credential
from csu.services.interventions import (
    close_intervention,
    current_intervention,
    intervention_steps,
)
from csu.store import journal, sequencer
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    desk_fixture,
    entries,
    handed_over,
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


@contextmanager
def sequencer_held(desk: Desk) -> Iterator[None]:
    """Another sequencer at work (PostgreSQL): what is committed meanwhile stays queued."""
    url = desk.deps.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))
        yield


def read_out_left_queued(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> str:
    """A call whose key was chained at once and whose read-out waits in the queue, no
    background sequencer to chain it: the call's id."""
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)
    call_id = verified_call(desk, desk.caller)
    issued = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    with sequencer_held(desk):
        confirm_read_out(desk.deps, AGENT, call_id, issued.credential_id)
    return call_id


@pytest.mark.parametrize("desk", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)  # SQLite chains every entry at once: nothing waits
def test_a_read_out_chained_while_the_close_reads_the_journal_is_still_seen(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: each statement reads the base as it is then. The read-out, queued when
    the close read the chain, was chained before it read the queue: in neither, and a
    close the read-out allowed was refused (CI, under load). Whichever the close reads
    first, the sequencer chains the read-out just after."""
    call_id = read_out_left_queued(desk, monkeypatch)
    reads = [interventions._QUEUED_HERE, interventions._CHAINED_HERE]
    originals = {id(read): read.rows for read in reads}
    done: list[bool] = []

    def chained_after_the_first_read(read: Any) -> Any:
        def rows(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
            found = originals[id(read)](*args, **kwargs)
            if not done:  # the sequencer, between the close's two reads
                done.append(True)
                integrate_journal(desk.deps, ADMIN)
            return found

        return rows

    for read in reads:
        monkeypatch.setattr(read, "rows", chained_after_the_first_read(read))
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    assert [e["outcome"] for e in entries(desk.deps, "intervention_close")] == ["résolu"]


@pytest.mark.parametrize("desk", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)  # SQLite chains every entry at once: nothing waits
def test_an_entry_chained_after_the_queue_was_read_is_one_step_not_two(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in the queue, then in the chain: the timeline shows it once."""
    call_id = read_out_left_queued(desk, monkeypatch)
    read_queue = journal.waiting

    def chained_just_after(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        found = read_queue(*args, **kwargs)
        integrate_journal(desk.deps, ADMIN)  # the sequencer, between two reads
        return found

    monkeypatch.setattr(journal, "waiting", chained_just_after)
    steps = intervention_steps(desk.deps, AGENT, call_id)
    assert [step.action for step in steps].count("credential_read_out") == 1


@pytest.mark.parametrize("desk", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)  # SQLite chains every entry at once: nothing waits
def test_the_queue_is_read_for_one_intervention_by_its_id(desk: Desk) -> None:
    """Read in SQL first (a busy cell's queue is not parsed whole on every close)."""
    call_id = verified_call(desk, desk.caller)
    with sequencer_held(desk):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
        with desk.deps.reading() as session:
            mine = journal.waiting(session, intervention=call_id)
            others = journal.waiting(session, intervention="0" * 8 + call_id[8:])
    assert "credential_issue" in [fields["action"] for fields in mine]
    assert others == []
