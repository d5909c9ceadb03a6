"""Reading the journal chain straight from the database driver, and checking the
tail of a long chain in a second, light process (it imports neither SQLAlchemy
nor the models, so it starts in a few hundredths of a second)::

    python -m csu.store.chain sqlite PATH START [TREE_STOP [MARKS [BODIES_FROM]]]
    python -m csu.store.chain postgresql URI START [TREE_STOP [MARKS [BODIES_FROM]]]

(``-`` instead of PATH or URI: read from ``CSU_CHAIN_TARGET``, as the verification
does so that a database password does not show in the process list)

checks the entries numbered ``START`` onwards and prints, one line each, the number
checked so far (``progress N``) as it goes, then as JSON the ``ChainCheck`` and the
Merkle nodes of the leaves ``START`` to ``TREE_STOP`` (a :class:`CompactRange`, which
the first process joins to its own to get the tree head of a checkpoint), and for each
of ``MARKS`` (sizes, comma-separated: the checkpoints to hold up against the journal)
the nodes from ``START`` to that size. The bodies of the entries numbered ``BODIES_FROM``
onwards are also read as entries (:func:`csu.domain.entry_body.entry_fault`).
"""

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from itertools import islice
from typing import Any

from csu.domain.entry_body import entry_fault, read_entry
from csu.domain.journal import GENESIS_HASH, ChainCheck, verify_chain, written_fault
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


Nodes = list[tuple[int, bytes]]


def verify_marked(
    rows: Iterable[tuple[int, bytes, str]],
    *,
    start_seq: int = 1,
    prev_hash: str = GENESIS_HASH,
    tree: CompactRange | None = None,
    tree_stop: int = 0,
    marks: Iterable[int] = (),
    progress: Callable[[int], None] | None = None,
    bodies_from: int | None = None,
) -> tuple[ChainCheck, dict[int, Nodes]]:
    """:func:`verify_chain`, and the nodes of ``tree`` once each of ``marks`` (sizes, up to
    ``tree_stop``) is reached and checked: the chain is checked a part at a time, cut at
    each mark (``islice`` on the one cursor: nothing is read twice). From entry
    ``bodies_from`` on, each body is also read as an entry, as the journal writes one:
    the first that is none fails the check, as an altered one does."""
    snapshots: dict[int, Nodes] = {}
    fault: list[tuple[int, str]] = []
    if bodies_from is not None:
        rows = _bodies_read(rows, bodies_from, fault)
    bounds = sorted({m for m in marks if start_seq <= m <= tree_stop}) if tree is not None else []
    rows = iter(rows)
    done = 0
    expected = start_seq
    for bound in [*bounds, None]:
        part = rows if bound is None else islice(rows, bound - expected + 1)
        told = None if progress is None else _offset(progress, done)
        check = verify_chain(
            part, start_seq=expected, prev_hash=prev_hash, tree=tree, tree_stop=tree_stop,
            progress=told,
        )  # fmt: skip
        done += check.count
        if not check.ok:
            return ChainCheck(done, check.last_hash, check.failed_seq, check.reason), snapshots
        if fault:  # the rows stopped at it: the chain holds up to there
            seq, why = fault[0]
            return ChainCheck(done, check.last_hash, seq, why), snapshots
        prev_hash = check.last_hash
        expected = start_seq + done
        if bound is not None:
            if expected <= bound:  # the journal ends before the mark
                break
            snapshots[bound] = tree.nodes  # type: ignore[union-attr]  # bounds need a tree
    return ChainCheck(done, prev_hash), snapshots


NOT_AN_ENTRY = "contenu qui n'est pas une entrée du journal"


def _bodies_read(
    rows: Iterable[tuple[int, bytes, str]],
    start: int,
    fault: list[tuple[int, str]],
) -> Iterator[tuple[int, bytes, str]]:
    """``rows``, up to the first from ``start`` on whose body is no entry, or none the
    journal writes (kept in ``fault``). The times are not held up against each other:
    each is its workstation's clock, and a demo's or a test's fixed clock beside a real
    one's would read as tampering."""
    for row in rows:
        seq, body = row[0], row[1]
        # (a body of any other type: verify_chain says « contenu illisible » of it)
        if seq >= start and isinstance(body, _BODY_TYPES):
            raw = body if type(body) is bytes else _as_bytes(body)
            fields = read_entry(raw)  # the entry's fields: None, and entry_fault says why
            if fields is None:
                why = entry_fault(raw)
                if why is not None:
                    fault.append((seq, f"{NOT_AN_ENTRY} : {why}"))
                    return
            else:
                why = written_fault(fields, raw)
                if why is not None:
                    fault.append((seq, why))
                    yield row  # its hash checked first: an altered entry is said to be
                    return
        yield row


# What a driver may give for a body (a tuple: isinstance with a union of types costs
# 0.2 µs an entry, a tenth of what reading it as an entry costs besides).
_BODY_TYPES = (bytes, bytearray, memoryview, str)


def _as_bytes(body: bytes | bytearray | memoryview | str) -> bytes:
    return body.encode() if isinstance(body, str) else bytes(body)


def _offset(progress: Callable[[int], None], done: int) -> Callable[[int], None]:
    return lambda count: progress(done + count)


def check_tail(
    dialect: str,
    target: str,
    start: int,
    tree: CompactRange | None = None,
    tree_stop: int = 0,
    progress: Callable[[int], None] | None = None,
    marks: Iterable[int] = (),
    bodies_from: int | None = None,
) -> tuple[ChainCheck, dict[int, Nodes]]:
    """Check the entries from ``start`` on, chained to the stored hash of the entry
    before them (the caller checks that one with the first part of the chain); the
    leaves up to ``tree_stop`` go into ``tree``, which begins at leaf ``start - 1``,
    whose nodes are kept at each of ``marks``; the bodies from ``bodies_from`` on read
    as entries."""
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
            return ChainCheck(0, "", start - 1, "entrée absente"), {}
        return verify_marked(
            iter_rows(driver, postgres, start=start),
            start_seq=start,
            prev_hash=row[0],
            tree=tree,
            tree_stop=tree_stop,
            marks=marks,
            progress=progress,
            bodies_from=bodies_from,
        )
    finally:
        driver.close()


def main(argv: list[str] | None = None) -> None:
    dialect, target, start, *rest = argv or sys.argv[1:]
    if target == "-":  # a URL with a password is not shown in the process list
        target = os.environ[TARGET_VARIABLE]
    tree_stop = int(rest[0]) if rest else 0
    marks = [int(mark) for mark in rest[1].split(",") if mark] if len(rest) > 1 else []
    bodies_from = int(rest[2]) if len(rest) > 2 and rest[2] else None
    tree = CompactRange(int(start) - 1)

    def progress(count: int) -> None:
        print(f"progress {count}", flush=True)

    check, snapshots = check_tail(
        dialect, target, int(start), tree, tree_stop, progress, marks, bodies_from
    )
    print(
        json.dumps(
            {
                "check": asdict(check),
                "nodes": _hex(tree.nodes),
                "marks": {str(mark): _hex(nodes) for mark, nodes in snapshots.items()},
            }
        ),
        flush=True,
    )


def _hex(nodes: Nodes) -> list[list[Any]]:
    return [[level, digest.hex()] for level, digest in nodes]


if __name__ == "__main__":
    main()
