"""Looking a voter up by matricule in a roll of N voters (SQLite): the indexed read that
every consultation starts with, in its own read transaction as a service runs it."""

import random
import sys

from sqlmodel import select

from bench.common import ADMIN, CACHE, KEY, line, load, median_ms, roll_file, timed
from csu.domain.clock import fixed_clock
from csu.services.context import Deps
from csu.services.rolls import import_voters
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from csu.store.tables import Material, Voter
from tests.conftest import NOW

ELECTION = "minint-2022"


def populated(voters: int) -> Deps:
    """A store holding the roll, built once and kept in bench/.cache."""
    path = CACHE / f"lookup-{voters}.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW))
    if not path.exists() or path.stat().st_size < 4096:
        upgrade(engine)
        load(deps, ELECTION)
        report = import_voters(deps, ADMIN, roll_file(ELECTION, voters), ELECTION)
        assert report.committed, report.errors[:3]
    return deps


def main(voters: int = 1_000_000, deps: Deps | None = None) -> None:
    print(f"Look-up by matricule, {voters:,} voters, SQLite")
    deps = deps or populated(voters)
    with deps.reading() as session:
        matricules = list(session.execute(select(Voter.matricule).limit(200_000)).scalars())
    rng = random.Random(1)

    def look_up() -> None:
        matricule = rng.choice(matricules)
        with deps.reading() as session:
            voter = session.exec(select(Voter).where(Voter.matricule == matricule)).one()
            session.exec(select(Material).where(Material.voter_id == voter.id)).all()

    timed(look_up, 200)  # warm the page cache
    samples = timed(look_up, 2_000)
    line("voter + materials by matricule (median)", f"{median_ms(samples):.3f} ms", "target < 1 ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
