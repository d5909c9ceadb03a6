"""The look-up box's journalled searches on a roll of N voters (SQLite), beside a raw point
query: ``search_voters`` with its ``recherche`` entry in the same transaction (an API
caller, or Entrée on a query), and ``record_search``, which journals the search the agent
settled on after typing without a journal entry per keystroke (``bench.lookup``).

Anchors, on a bare sqlite3 connection to the same file: the point query (the voter by
matricule, in a read transaction), and a bare write transaction of the journal's shape
(read the head, insert an entry, move the head, commit): the floor of any journalled
action on this disk. Then the floors on this schema, still on the bare connection: the
journal's own append (a real entry, canonical body and chain hash, its event id made as
the store makes it, into ``journal_entry`` and its eight indexes, generated from the body),
and that append after the search's own statements (``bench.lookup.statements_of``): the
floor of a journalled search."""

import hashlib
import json
import random
import sqlite3
import sys
import uuid
from typing import Any

from bench.common import line, median_ms, timed
from bench.lookup import AGENT, populated, sample_queries, statements_of
from csu.domain.clock import rfc3339
from csu.domain.ids import time_ordered_uuid
from csu.domain.journal import canonical_form, chain_hash
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


def floors(deps: Deps, connection: sqlite3.Connection, matricules: list[str]) -> tuple[Any, Any]:
    """The journal's real append, alone and after a search's statements, on the bare
    connection: valid entries (the chain still verifies), as the store writes them."""
    recorded = [statements_of(deps, query) for query in matricules]
    rng = random.Random(3)

    def append(cursor: sqlite3.Cursor) -> None:
        cursor.execute("SELECT seq, hash FROM journal_head WHERE id = 1")
        seq, previous = cursor.fetchone()
        _, body = canonical_form({
            "event_id": time_ordered_uuid(), "ts": rfc3339(deps.clock()),
            "operator": AGENT.login, "role": AGENT.role, "workstation": AGENT.workstation,
            "election": None, "subject": None, "intervention": None, "action": "recherche",
            "outcome": "ok", "details": {"query": "MI******44", "results": 1},
        })  # fmt: skip
        digest = chain_hash(seq + 1, previous, body)
        cursor.execute(
            "INSERT INTO journal_entry (seq, body, hash) VALUES (?, ?, ?)", (seq + 1, body, digest)
        )
        cursor.execute("UPDATE journal_head SET seq = ?, hash = ? WHERE id = 1", (seq + 1, digest))

    def journal_append() -> None:
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        append(cursor)
        cursor.execute("COMMIT")
        cursor.close()

    def search_and_append() -> None:
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        for sql, parameters in rng.choice(recorded):
            cursor.execute(sql, parameters)
            cursor.fetchall()
        append(cursor)
        cursor.execute("COMMIT")
        cursor.close()

    return journal_append, search_and_append


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
    journal_append, search_and_append = floors(deps, connection, matricules)
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

    measured = {"point": point_query, "append": bare_append, "journal": journal_append,
                "floor": search_and_append, "matricule": by_matricule, "prefix": by_prefix,
                "record": recorded}  # fmt: skip
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
    for name, label in (
        ("append", "anchor: bare journal-shaped write transaction"),
        ("journal", "floor: the journal's append on this schema, bare"),
        ("floor", "floor: search statements + append, bare"),
        ("matricule", "search by matricule, journalled"),
        ("prefix", "search by 3-letter name prefix, journalled"),
        ("record", "record_search (the settled search)"),
    ):
        ms = median_ms(samples[name])
        # A prefix reads up to 50 voters and their materials, no point query: its target
        # is against its own raw queries (bench.lookup).
        target = " (target <= 10 x)" if name in ("matricule", "record") else ""
        line(label, f"{ms:.3f} ms", f"{ms / point:.1f} x point query{target}")
    floor = median_ms(samples["floor"])
    line(
        "search by matricule, journalled / its floor",
        f"{median_ms(samples['matricule']) / floor:.1f} x",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
