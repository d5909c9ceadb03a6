"""The voter file's bureau line names a bureau once: one a roll created is named by its
code, and read « CCI-HDF-AISNE CCI-HDF-AISNE — président : … »."""

from csu.app import CsuApp
from csu.services.context import Deps
from csu.store.tables import Bureau
from tests.screens.conftest import SIZE, demo_voter, on_voter_file, screen_text


async def test_a_bureau_named_by_its_code_is_said_once(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps, "cci-hdf-2021")
    with demo_deps.writing() as session:  # as a roll names the bureaus it brings
        bureau = session.get(Bureau, voter.bureau)
        assert bureau is not None
        bureau.name = bureau.code
        session.add(bureau)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        text = screen_text(app)
        assert f"{voter.bureau} — président : " in text
        assert f"{voter.bureau} {voter.bureau}" not in text


async def test_a_bureau_with_a_name_gives_both(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps, "cci-hdf-2021")
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        assert f"{voter.bureau} CCI Aisne — président : " in screen_text(app)
