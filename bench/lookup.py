"""Looking a voter up in a roll of N voters (SQLite): ``search_voters`` as the look-up box
runs it while the agent types (``journal=False``), beside the raw queries it runs.

The anchor replays the very statements and parameters the service sent, on a bare
sqlite3 connection in one read transaction: what remains between the two figures is the
service's own cost (parsing the query, the pool, building the hits)."""

import random
import sqlite3
import sys
from pathlib import Path
from typing import Any

from sqlmodel import select

from bench.common import ADMIN, CACHE, KEY, line, load, median_ms, roll_file, timed
from csu.domain.clock import fixed_clock
from csu.domain.identifiers import normalise_name
from csu.services.context import Deps, OperatorContext
from csu.services.rolls import import_voters
from csu.services.voters import _request, _search, _statements, search_voters
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from csu.store.tables import Voter
from tests.conftest import NOW

ELECTION = "minint-2022"
AGENT = OperatorContext(login="bench-agent", role="agent", workstation="bench")


def populated(voters: int) -> Deps:
    """A store holding the roll, built once and kept in bench/.cache. Built under
    another name and renamed when complete: a run stopped while it builds leaves
    nothing that a later run would take for the whole roll."""
    path = CACHE / f"lookup-{voters}.sqlite"
    if not path.exists():
        building = path.with_name(f"{path.stem}.building.sqlite")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{building}")
        deps = Deps(engine=engine, key=KEY, clock=fixed_clock(NOW))
        upgrade(engine)
        load(deps, ELECTION)
        report = import_voters(deps, ADMIN, roll_file(ELECTION, voters), ELECTION)
        assert report.committed, report.errors[:3]
        engine.dispose()  # the last connection closed: the WAL is folded into the file
        building.replace(path)
    return Deps(engine=make_engine(f"sqlite:///{path}"), key=KEY, clock=fixed_clock(NOW))


def sample_queries(deps: Deps, count: int = 500) -> dict[str, list[str]]:
    """Matricules typed in lower case, as agents do, and 3-letter name prefixes."""
    with deps.reading() as session:
        rows = session.execute(select(Voter.matricule, Voter.last_name).limit(200_000)).all()
    rng = random.Random(1)
    picked = rng.sample(rows, min(count, len(rows)))
    prefixes = sorted({normalise_name(row[1])[:3] for row in rows if len(row[1]) >= 3})
    return {
        "matricule": [row[0].lower() for row in picked],
        "3-letter name prefix": [rng.choice(prefixes) for _ in range(count)],
    }


class Recorder:
    """A driver cursor that keeps what it was asked to run."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        self.statements.append((sql, tuple(parameters)))
        return self.cursor.execute(sql, parameters)

    def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()


def statements_of(deps: Deps, query: str) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements ``search_voters`` runs for ``query``, with their parameters."""
    request = _request(AGENT, query, 50)
    assert request is not None
    connection = sqlite3.connect(deps.engine.url.database or "")
    try:
        recorder = Recorder(connection.cursor())
        _search(recorder, _statements(deps.engine.dialect), request, NOW)
        return recorder.statements
    finally:
        connection.close()


def raw_replay(deps: Deps) -> tuple[sqlite3.Connection, Any]:
    """A bare sqlite3 connection (autocommit, as the store's) and a function running a
    list of statements in one read transaction."""
    connection = sqlite3.connect(deps.engine.url.database or "", isolation_level=None)

    def run(statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        for sql, parameters in statements:
            cursor.execute(sql, parameters)
            cursor.fetchall()
        cursor.execute("COMMIT")
        cursor.close()

    return connection, run


def main(voters: int = 1_000_000, deps: Deps | None = None) -> None:
    print(f"Look-up as the agent types (search_voters, journal=False), {voters:,} voters, SQLite")
    deps = deps or populated(voters)
    connection, replay = raw_replay(deps)
    try:
        for label, queries in sample_queries(deps).items():
            recorded = [statements_of(deps, query) for query in queries]
            turn = iter(range(10**9))

            def service(queries: list[str] = queries, turn: Any = turn) -> None:
                search_voters(deps, AGENT, queries[next(turn) % len(queries)], journal=False)

            def raw(recorded: list[Any] = recorded, turn: Any = turn) -> None:
                replay(recorded[next(turn) % len(recorded)])

            timed(service, 200)  # warm the page cache and the compiled statements
            timed(raw, 200)
            # Interleaved rounds, so that a noisy neighbour slows both alike.
            ours: list[float] = []
            anchor: list[float] = []
            for _ in range(10):
                ours += timed(service, 100)
                anchor += timed(raw, 100)
            count = sum(len(r) for r in recorded) / len(recorded)
            service_ms, raw_ms = median_ms(ours), median_ms(anchor)
            line(f"{label}: service (median)", f"{service_ms:.3f} ms")
            line(f"{label}: its raw queries ({count:.0f}), one transaction", f"{raw_ms:.3f} ms")
            line(f"{label}: ratio", f"{service_ms / raw_ms:.1f} x", "target <= 5 x")
    finally:
        connection.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
