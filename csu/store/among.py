"""``column IN (subquery)`` whose subquery the server runs first, whatever its statistics.

PostgreSQL turns ``IN (SELECT …)`` into a semi-join and orders it by its statistics. A table
analysed while nearly empty (the cell's ``credential`` on an election's first day, before
autovacuum looks at it again) is taken for a row or two: the planner then walks all of it
and probes the subquery for each row. A voter's file read every credential of the cell
(10,023 pages at 2,000 credentials). ``column = ANY(ARRAY(SELECT …))`` cannot be turned
into a join: the subquery runs once, and its few ids are looked up in the column's index.
Other dialects keep ``IN``: SQLite runs the subquery first and probes the index.

Also the chunks of a list of values an ``IN (…)`` takes at a time (:func:`in_chunks`).
"""

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.sql.visitors import InternalTraversal


class AmongSelected(ColumnElement[bool]):
    """``column`` among the values ``subquery`` (one column) selects."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], subquery: ScalarSelect[Any]) -> None:
        self.column = column
        self.subquery = subquery

    _traverse_internals = [  # what SQLAlchemy's cache key reads
        ("column", InternalTraversal.dp_clauseelement),
        ("subquery", InternalTraversal.dp_clauseelement),
    ]


@compiles(AmongSelected)
def _in(element: AmongSelected, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.subquery), **kw)


@compiles(AmongSelected, "postgresql")
def _any_array(element: AmongSelected, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY{compiler.process(element.subquery, **kw)})"


IN_CHUNK = 500
"""Values per ``IN (...)`` list: well under SQLite's and every driver's limit of parameters."""

_T = TypeVar("_T")


def in_chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """``values`` in consecutive slices of :data:`IN_CHUNK` at most."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]
