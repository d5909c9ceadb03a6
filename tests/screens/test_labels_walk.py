"""A supervisor handles a call on a voter of each demo election and then reads it back
(journal review, each entry written, the intervention's timeline, the dashboard, the
alerts, the approvals), the walk of tests/screens/election_walk.py; no screen shows a
raw key:

- no text anywhere reads as a code (``credential_issue``, ``factors_tried``);
- every action, outcome and detail key that the review, an entry, the timeline and the
  dashboard show is one the catalogue (csu/domain/labels.py) names, so an English key
  without an underscore (``attempts``) is caught too.
"""

from pathlib import Path

import pytest

from csu.screens.intervention_timeline import InterventionTimelineScreen
from csu.screens.journal import JournalScreen
from csu.screens.journal_entry import JournalEntryScreen
from csu.services.context import Deps
from tests.screens.election_walk import WALKS, walked


@pytest.mark.slow  # a whole call and the supervisor's desk, per election
@pytest.mark.parametrize("election", WALKS)
async def test_no_screen_shows_a_raw_key_or_a_code_the_catalogue_does_not_name(
    demo_deps: Deps, outbox: Path, election: str
) -> None:
    walk = await walked(demo_deps, outbox, election)
    assert walk.raw == [], walk.raw
    assert {JournalScreen, JournalEntryScreen, InterventionTimelineScreen} <= walk.seen
