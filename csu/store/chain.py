"""Reading the journal chain straight from the database driver, and checking the
tail of a long chain in a second, light process (it imports neither SQLAlchemy
nor the models, so it starts in a few hundredths of a second)::

    python -m csu.store.chain sqlite PATH START
    python -m csu.store.chain postgresql URI START

prints the ``ChainCheck`` of the entries numbered ``START`` onwards as JSON.
"""

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from csu.domain.journal import ChainCheck, verify_chain


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


def check_tail(dialect: str, target: str, start: int) -> ChainCheck:
    """Check the entries from ``start`` on, chained to the stored hash of the entry
    before them (the caller checks that one with the first part of the chain)."""
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
            iter_rows(driver, postgres, start=start), start_seq=start, prev_hash=row[0]
        )
    finally:
        driver.close()


def main(argv: list[str] | None = None) -> None:
    dialect, target, start = argv or sys.argv[1:]
    print(json.dumps(asdict(check_tail(dialect, target, int(start)))))


if __name__ == "__main__":
    main()
