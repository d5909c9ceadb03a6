"""The look-up box's journalled searches on a roll of N voters (SQLite), beside a raw point
query: ``search_voters`` with its ``recherche`` entry in the same transaction (an API
caller, or Entrée on a query), and ``record_search``, which journals the search the agent
settled on after typing without a journal entry per keystroke (``bench.lookup``).

Anchors, on a bare sqlite3 connection to the same file: the point query (the voter by
matricule, in a read transaction), and a bare write transaction of the journal's shape
(read the head, insert an entry, move the head, commit): the floor of any journalled
action on this disk."""

import hashlib
import json
import random
import sqlite3
import sys
import uuid
from typing import Any

from bench.common import line, median_ms, timed
from bench.lookup import AGENT, populated, sample_queries
from csu.services.context import Deps
from csu.services.voters import record_search, search_voters


def anchors(deps: Deps, matricules: list[str]) -> tuple[sqlite3.Connection, Any, Any]:
    connection = sqlite3.connect(deps.engine.url.database or "", isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")  # as the store's connections
    connection.execute("CREATE TABLE IF NOT EXISTS bench_head (id INTEGER PRIMARY KEY, seq INT)")
    connection.execute("CREATE TABLE IF NOT EXISTS bench_entry (seq INTEGER PRIMARY KEY, body)")
    connection.execute("INSERT OR IGNORE INTO bench_head VALUES (1, 0)")
    rng = random.Random(2)

    def point_query() -> None:
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        cursor.execute(
            "SELECT id, matricule, last_name, first_name, locked_until FROM voter "
            "WHERE matricule = ?",
            (rng.choice(matricules).upper(),),
        )
        cursor.fetchall()
        cursor.execute("COMMIT")
        cursor.close()

    def bare_append() -> None:
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("SELECT seq FROM bench_head WHERE id = 1")
        seq = cursor.fetchone()[0] + 1
        body = json.dumps({"event_id": str(uuid.uuid4()), "action": "recherche"}).encode()
        cursor.execute("INSERT INTO bench_entry VALUES (?, ?)", (seq, body))
        cursor.execute("UPDATE bench_head SET seq = ? WHERE id = 1", (seq,))
        hashlib.sha256(body).hexdigest()
        cursor.execute("COMMIT")
        cursor.close()

    return connection, point_query, bare_append


def cleanup(connection: sqlite3.Connection) -> None:
    connection.execute("DROP TABLE IF EXISTS bench_head")
    connection.execute("DROP TABLE IF EXISTS bench_entry")
    connection.close()


def main(voters: int = 1_000_000, deps: Deps | None = None) -> None:
    print(f"Journalled search, {voters:,} voters, SQLite")
    deps = deps or populated(voters)
    queries = sample_queries(deps)
    matricules = queries["matricule"]
    connection, point_query, bare_append = anchors(deps, matricules)
    rng = random.Random(1)
    settled = {query: search_voters(deps, AGENT, query, journal=False) for query in matricules}
    counts: list[int] = []

    def by_matricule() -> None:
        counts.append(len(search_voters(deps, AGENT, rng.choice(matricules))))

    def by_prefix() -> None:
        counts.append(len(search_voters(deps, AGENT, rng.choice(queries["3-letter name prefix"]))))

    def recorded() -> None:
        query = rng.choice(matricules)
        record_search(deps, AGENT, query, settled[query])

    measured = {"point": point_query, "append": bare_append, "matricule": by_matricule,
                "prefix": by_prefix, "record": recorded}  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in measured}
    try:
        for function in measured.values():
            timed(function, 50)  # warm the page cache and the compiled statements
        for _ in range(10):  # interleaved rounds: a noisy neighbour slows all alike
            for name, function in measured.items():
                samples[name] += timed(function, 60)
    finally:
        cleanup(connection)
    assert all(counts), "every query should find someone"
    point = median_ms(samples["point"])
    line("anchor: raw point query by matricule", f"{point:.3f} ms")
    line("anchor: bare journal-shaped write transaction", f"{median_ms(samples['append']):.3f} ms")
    for name, label in (
        ("matricule", "search by matricule, journalled"),
        ("prefix", "search by 3-letter name prefix, journalled"),
        ("record", "record_search (the settled search)"),
    ):
        ms = median_ms(samples[name])
        line(label, f"{ms:.3f} ms", f"{ms / point:.1f} x point query (target <= 10 x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
