"""A supervisor handles a call on a voter of each demo election, visiting every screen
and window on the way, and none shows the voter's e-mail address, an identifier that
is an address (Education: ``prenom.nom@ac-…``) or a phone number whole: look-up
results, voter file, the windows of the file (reveal, intervention, verification,
credential, S5/S6/S7, closing), outbox, journal review, each entry and the timeline,
dashboard, alerts, approvals, and the login screen after logout (the walk:
tests/screens/election_walk.py).

The closing note quotes the voter's phone and address as an agent might: the journal
keeps it as typed, and the review shows it masked.
"""

from pathlib import Path

import pytest

from csu.services.context import Deps
from csu.services.demo import DEMO_ELECTIONS, ELECTIONS_DIR
from tests.screens.election_walk import EVERY_WALK, OF_ELECTION, WALKS, walked


def test_every_shipped_election_is_walked() -> None:
    assert {path.stem for path in ELECTIONS_DIR.glob("*.toml")} == set(DEMO_ELECTIONS)


@pytest.mark.slow  # a whole call and the supervisor's desk, per election
@pytest.mark.parametrize("election", WALKS)
async def test_no_screen_shows_a_voters_address_phone_or_address_identifier(
    demo_deps: Deps, outbox: Path, election: str
) -> None:
    walk = await walked(demo_deps, outbox, election)
    assert walk.found == []
    assert EVERY_WALK | OF_ELECTION[election] <= walk.seen
    assert "Rappeler au +33" in walk.timeline  # the closing note is shown, masked
