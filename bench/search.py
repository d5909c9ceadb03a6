"""The look-up box on a roll of N voters (SQLite): ``search_voters`` as an agent runs
it, by matricule and by a 3-letter name prefix, each search with its journal entry."""

import random
import sys

from sqlmodel import select

from bench.common import line, median_ms, timed
from bench.lookup import populated
from csu.domain.identifiers import normalise_name
from csu.services.context import Deps, OperatorContext
from csu.services.voters import search_voters
from csu.store.tables import Voter

AGENT = OperatorContext(login="bench-agent", role="agent", workstation="bench")


def main(voters: int = 1_000_000, deps: Deps | None = None) -> None:
    print(f"Search (matricule, name prefix), {voters:,} voters, SQLite, journalled")
    deps = deps or populated(voters)
    with deps.reading() as session:
        rows = session.execute(select(Voter.matricule, Voter.last_name).limit(200_000)).all()
    matricules = [row[0].lower() for row in rows]  # typed in lower case, as agents do
    prefixes = sorted({normalise_name(row[1])[:3] for row in rows if len(row[1]) >= 3})
    rng = random.Random(1)
    counts: list[int] = []

    def by_matricule() -> None:
        counts.append(len(search_voters(deps, AGENT, rng.choice(matricules))))

    def by_prefix() -> None:
        counts.append(len(search_voters(deps, AGENT, rng.choice(prefixes))))

    timed(by_matricule, 100)  # warm the page cache
    samples = timed(by_matricule, 1_000)
    assert all(counts), "every matricule should be found"
    line("search by matricule (median)", f"{median_ms(samples):.3f} ms", "target < 5 ms")
    counts.clear()
    timed(by_prefix, 50)
    samples = timed(by_prefix, 500)
    average = sum(counts) / len(counts)
    line(
        f"search by 3-letter name prefix (median, {average:.0f} hits)",
        f"{median_ms(samples):.3f} ms",
        "target < 20 ms",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
