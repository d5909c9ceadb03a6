"""A supervisor handles a call on a voter of each demo election and then reads it back
(journal review, each entry written, the intervention's timeline, the dashboard, the
alerts, the approvals), the walk of test_masking_walk.py; no screen shows a raw key:

- no text anywhere reads as a code (``credential_issue``, ``factors_tried``);
- every action, outcome and detail key that the review, an entry, the timeline and the
  dashboard show is one the catalogue (csu/screens/labels.py) names, so an English key
  without an underscore (``attempts``) is caught too.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from csu.app import CsuApp
from csu.screens.dashboard import DashboardScreen
from csu.screens.intervention_timeline import InterventionTimelineScreen
from csu.screens.journal import JournalScreen
from csu.screens.journal_entry import JournalEntryScreen
from csu.screens.labels import ACTION_LABELS, DETAIL_LABELS, ENTRY_LABELS, OUTCOME_LABELS
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.services.demo import DEMO_ELECTIONS
from tests.screens.conftest import SIZE, by_department, by_numen, demo_voter, log_in
from tests.screens.test_masking_walk import (
    CCI,
    MEN,
    MEN_2011,
    MINT,
    Walk,
    close_with_note,
    find_and_open,
    identifier,
    issue,
    last_seq,
    messages,
    open_by_phone,
    personal_data,
    reveal_window,
    revoke_window,
    substitution,
    supervisor_desk,
    verify,
    vote_code_link,
)

# A code as services write them: lower case words joined by underscores.
RAW_KEY = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.@-])")
ACTIONS_SHOWN = set(ENTRY_LABELS)
OUTCOMES_SHOWN = set(OUTCOME_LABELS.values())


def detail_keys(details: Mapping[str, Any]) -> Iterable[str]:
    """The keys of recorded details, those of nested objects included."""
    for key, value in details.items():
        yield key
        if isinstance(value, dict):
            yield from detail_keys(value)


def column(table: DataTable[Any], index: int) -> list[str]:
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


@dataclass
class LabelWalk(Walk):
    """The masking walk, noting at each step every raw key and unnamed code it sees."""

    raw: list[str] = field(default_factory=list)

    def look(self, where: str) -> str:
        text = super().look(where)
        self.raw.extend(f"{where}: {key}" for key in RAW_KEY.findall(text))
        self.raw.extend(f"{where}: {code}" for code in self.unnamed())
        return text

    def unnamed(self) -> Iterable[str]:
        screen = self.pilot.app.screen
        if isinstance(screen, JournalScreen):
            table = screen.query_one("#journal-table", DataTable)
            yield from set(column(table, 3)) - ACTIONS_SHOWN
            yield from set(column(table, 4)) - OUTCOMES_SHOWN
        elif isinstance(screen, InterventionTimelineScreen):
            table = screen.query_one("#timeline-table", DataTable)
            yield from set(column(table, 3)) - ACTIONS_SHOWN
            yield from set(column(table, 4)) - OUTCOMES_SHOWN
            for step in screen.timeline.steps if screen.timeline else ():
                yield from set(detail_keys(step.details)) - set(DETAIL_LABELS)
        elif isinstance(screen, JournalEntryScreen) and screen.detail is not None:
            detail = screen.detail
            yield from {detail.action} - set(ACTION_LABELS)
            yield from {detail.outcome} - set(OUTCOME_LABELS)
            yield from set(detail_keys(detail.details)) - set(DETAIL_LABELS)
        elif isinstance(screen, DashboardScreen):
            yield from set(column(screen.query_one("#dashboard-actions", DataTable), 0)) - (
                ACTIONS_SHOWN
            )
            yield from set(column(screen.query_one("#dashboard-outcomes", DataTable), 0)) - (
                OUTCOMES_SHOWN
            )


@pytest.mark.slow  # a whole call and the supervisor's desk, per election
@pytest.mark.parametrize("election", DEMO_ELECTIONS)
async def test_no_screen_shows_a_raw_key_or_a_code_the_catalogue_does_not_name(
    app: CsuApp, demo_deps: Deps, outbox: Path, election: str
) -> None:
    voter = demo_voter(
        demo_deps, election, mobile=election != MEN_2011, work_phone=election in (MINT, CCI)
    )
    since = last_seq(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        walk = LabelWalk(pilot, personal_data(voter))
        await log_in(pilot, "superviseur")
        walk.look("recherche")
        await find_and_open(walk, voter)
        await reveal_window(walk)
        await open_by_phone(walk, voter)
        if election == MINT:
            await verify(walk, outbox, "otp_mobile", verify_birth_date=voter.birth_text)
            await issue(walk, "security_key")
            await revoke_window(walk)
            # No identifier by e-mail here (the matricule is on the arrêté): ctrl+d says so.
            await walk.press("ctrl+d")
            walk.on(VoterScreen)
            walk.look("identifiant refusé")
        elif election == MEN:
            await verify(walk, outbox, **by_numen(voter))
            await issue(walk, None)  # the vote code goes by link only
            await revoke_window(walk)
            await vote_code_link(walk)
        elif election == MEN_2011:
            await verify(walk, outbox, **by_department(voter))
            await issue(walk, None)  # the password shows on the voter's screen, by link
            await revoke_window(walk)
            await identifier(walk)
        else:
            assert election == CCI
            await verify(walk, outbox, "otp_email", verify_birth_date=voter.birth_text)
            await issue(walk, None)
            await substitution(walk)
        await messages(walk)
        await close_with_note(walk)
        await supervisor_desk(walk, demo_deps, since)

    assert walk.raw == [], walk.raw
    assert {JournalScreen, JournalEntryScreen, InterventionTimelineScreen} <= walk.seen
