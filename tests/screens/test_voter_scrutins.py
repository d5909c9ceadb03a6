"""The voter file shows each scrutin of a material, voted or not, and when (the demo:
minint-2022 names three scrutins, and some of its voters voted in some of them)."""

from sqlmodel import select

from csu.app import CsuApp
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.store.tables import Emargement, Material, Voter
from tests.screens.conftest import SIZE, log_in, screen_text
from tests.screens.test_lookup import open_file


def voter_with(deps: Deps, *, every_scrutin: bool) -> tuple[str, list[str]]:
    """A minint-2022 voter who voted in some scrutins (or in all): their matricule, and
    the scrutins their material lists."""
    with deps.reading() as session:
        query = (
            select(Voter.matricule, Material.scrutins)
            .join(Material, Material.voter_id == Voter.id)  # type: ignore[arg-type]
            .join(Emargement, Emargement.material_id == Material.id)  # type: ignore[arg-type]
            .where(Material.election_id == "minint-2022")
            .order_by(Material.id)  # type: ignore[arg-type]
        )
        voted = Material.voted_at.is_not(None)  # type: ignore[union-attr]
        query = query.where(voted if every_scrutin else Material.voted_at.is_(None))  # type: ignore[union-attr]
        matricule, scrutins = session.exec(query).first()  # type: ignore[misc]
    assert scrutins
    return matricule, scrutins.split("|")


async def test_the_file_shows_the_scrutins_voted_and_those_left(
    app: CsuApp, demo_deps: Deps
) -> None:
    matricule, scrutins = voter_with(demo_deps, every_scrutin=False)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_file(pilot, matricule)
        assert isinstance(app.screen, VoterScreen)
        text = screen_text(app)
    first, *others = scrutins
    assert f"{first} : voté le " in text
    assert all(f"{other} : non voté" in text for other in others)
    assert "Scrutins : csa = Comité social d'administration ministériel" in text


async def test_a_voter_who_voted_every_scrutin_shows_each_with_its_time(
    app: CsuApp, demo_deps: Deps
) -> None:
    matricule, scrutins = voter_with(demo_deps, every_scrutin=True)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_file(pilot, matricule)
        text = screen_text(app)
    assert all(f"{scrutin} : voté le " in text for scrutin in scrutins)
    assert "non voté" not in text
    assert "a voté" in text
