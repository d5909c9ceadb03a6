"""Reading the journal chain straight from the database driver, and checking the
tail of a long chain in a second, light process (it imports neither SQLAlchemy
nor the models, so it starts in a few hundredths of a second)::

    python -m csu.store.chain sqlite PATH START [TREE_STOP]
    python -m csu.store.chain postgresql URI START [TREE_STOP]

(``-`` instead of PATH or URI: read from ``CSU_CHAIN_TARGET``, as the verification
does so that a database password does not show in the process list)

checks the entries numbered ``START`` onwards and prints, one line each, the number
checked so far (``progress N``) as it goes, then as JSON the ``ChainCheck`` and the
Merkle nodes of the leaves ``START`` to ``TREE_STOP`` (a :class:`CompactRange`, which
the first process joins to its own to get the tree head of a checkpoint).
"""

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

from csu.domain.journal import ChainCheck, verify_chain
from csu.domain.merkle import CompactRange

TARGET_VARIABLE = "CSU_CHAIN_TARGET"  # the database, when the command line says "-"


def iter_rows(
    driver: Any, postgres: bool, start: int = 1, stop: int | None = None, batch: int = 20_000
) -> Iterator[tuple[int, bytes, str]]:
    """``(seq, body, hash)`` of the entries ``start`` to ``stop``, in sequence order."""
    mark = "%s" if postgres else "?"
    sql = f"SELECT seq, body, hash FROM journal_entry WHERE seq >= {mark}"
    params: tuple[int, ...] = (start,)
    if stop is not None:
        sql += f" AND seq <= {mark}"
        params = (start, stop)
    cursor = driver.cursor(name="csu_journal_chain") if postgres else driver.cursor()
    try:
        cursor.execute(sql + " ORDER BY seq", params)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def check_tail(
    dialect: str,
    target: str,
    start: int,
    tree: CompactRange | None = None,
    tree_stop: int = 0,
    progress: Callable[[int], None] | None = None,
) -> ChainCheck:
    """Check the entries from ``start`` on, chained to the stored hash of the entry
    before them (the caller checks that one with the first part of the chain); the
    leaves up to ``tree_stop`` go into ``tree``, which begins at leaf ``start - 1``."""
    postgres = dialect == "postgresql"
    if postgres:
        import psycopg

        driver: Any = psycopg.connect(target)
    else:
        import sqlite3

        driver = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        cursor = driver.cursor()
        cursor.execute(
            f"SELECT hash FROM journal_entry WHERE seq = {'%s' if postgres else '?'}",
            (start - 1,),
        )
        row = cursor.fetchone()
        cursor.close()
        if row is None:
            return ChainCheck(0, "", start - 1, "entrée absente")
        return verify_chain(
            iter_rows(driver, postgres, start=start),
            start_seq=start,
            prev_hash=row[0],
            tree=tree,
            tree_stop=tree_stop,
            progress=progress,
        )
    finally:
        driver.close()


def main(argv: list[str] | None = None) -> None:
    dialect, target, start, *rest = argv or sys.argv[1:]
    if target == "-":  # a URL with a password is not shown in the process list
        target = os.environ[TARGET_VARIABLE]
    tree_stop = int(rest[0]) if rest else 0
    tree = CompactRange(int(start) - 1)

    def progress(count: int) -> None:
        print(f"progress {count}", flush=True)

    check = check_tail(dialect, target, int(start), tree, tree_stop, progress)
    nodes = [[level, digest.hex()] for level, digest in tree.nodes]
    print(json.dumps({"check": asdict(check), "nodes": nodes}), flush=True)


if __name__ == "__main__":
    main()
