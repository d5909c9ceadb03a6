"""The checklist on PostgreSQL, where an action's journal entry may wait in the
sequencer's queue after its commit: its step ticks all the same, and once the entry is
chained the checklist is unchanged."""

from collections.abc import Iterator

import psycopg
import pytest

from csu.services.audit import pending_entries
from csu.services.call_script import checklist
from csu.services.journal_review import ReviewFilter
from csu.store import journal, sequencer
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    verified_call,
)

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("desk", ["postgresql"], indirect=True)]


@pytest.fixture
def sequencer_held(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[psycopg.Connection]:
    """Another workstation's sequencer holds the role: this one's entries stay queued."""
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)
    url = desk.deps.engine.url.set(drivername="postgresql")
    other = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))
    yield other
    other.close()


def test_a_step_ticks_from_its_entry_still_queued(
    desk: Desk, sequencer_held: psycopg.Connection
) -> None:
    call_id = verified_call(desk, desk.caller)
    with desk.deps.reading() as session:
        queued = [e["action"] for e in journal.waiting(session, intervention=call_id)]
    assert "verification" in queued  # not chained yet

    view = checklist(desk.deps, AGENT, call_id)

    assert [s.state for s in view.steps][:4] == ["passed", "passed", "done", "next"]
    assert view.next_step == 4


def test_once_chained_the_checklist_is_the_same(
    desk: Desk, sequencer_held: psycopg.Connection
) -> None:
    call_id = verified_call(desk, desk.caller)
    before = checklist(desk.deps, AGENT, call_id)
    sequencer_held.execute("SELECT pg_advisory_unlock(%s)", (sequencer.LOCK_KEY,))
    assert sequencer.settle(desk.deps.engine)

    after = checklist(desk.deps, AGENT, call_id)

    assert after == before


def test_entries_asked_for_by_number_leave_out_those_still_queued(
    desk: Desk, sequencer_held: psycopg.Connection
) -> None:
    verified_call(desk, desk.caller)
    assert pending_entries(desk.deps, SUPERVISOR)  # the call's entries, not chained yet

    shown = pending_entries(desk.deps, SUPERVISOR, ReviewFilter(numbers=(1, 1_000)))

    assert shown == []  # a number is a place in the chain: a queued entry has none yet
