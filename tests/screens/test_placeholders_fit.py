"""Every field's placeholder of the verification window is whole at 80x24, in every
election's window: « code reçu par SMS » read « code reçu par SM » beside its button."""

import pytest
from rich.cells import cell_len
from textual.widgets import Input

from csu.app import CsuApp
from csu.services.context import Deps
from tests.screens.conftest import demo_voter
from tests.screens.test_verification_window_scroll import SIZE, window

# Each election's first voter, and in those that send a code by SMS a voter with a mobile
# on record too (the buttons' labels differ: « Envoyer par SMS », « Aucun portable
# enregistré », and the fields beside them take what they leave).
CASES = [
    ("minint-2022", True), ("minint-2022", False), ("cci-hdf-2021", True),
    ("cci-hdf-2021", False), ("men-2022", False), ("men-2011", False),
]


@pytest.mark.parametrize(("election", "mobile"), CASES)
async def test_every_placeholder_of_the_verification_window_is_whole_at_80_columns(
    app: CsuApp, demo_deps: Deps, election: str, mobile: bool
) -> None:
    voter = demo_voter(demo_deps, election, mobile=mobile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await window(pilot, voter)
        fields = [field for field in screen.query(Input) if field.placeholder]
        assert fields
        cut = {
            field.id: field.placeholder
            for field in fields
            if cell_len(field.placeholder) > field.content_region.width
        }
        assert cut == {}
