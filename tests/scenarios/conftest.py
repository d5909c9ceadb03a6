"""Each seed's procedures walked through the real app, as a caller of that election
would: the demo database and the Pilot helpers of the screens' tests.

After each walk, every journal entry naming an intervention must be one the call script
can read (tests/journal_facts.py): the walks write them through the real services."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from csu.services.context import Deps
from tests.conftest import NOW
from tests.journal_facts import unlisted_facts
from tests.screens.conftest import app, copy_of_demo, demo_template, outbox  # noqa: F401


@pytest.fixture
def demo_deps(demo_template: Path, tmp_path: Path, outbox: Path) -> Iterator[Deps]:  # noqa: F811
    for deps in copy_of_demo(demo_template, tmp_path, outbox, NOW):
        yield deps
        unlisted = unlisted_facts(deps)
        assert not unlisted, f"entries naming an intervention not in JOURNAL_DETAILS: {unlisted}"
