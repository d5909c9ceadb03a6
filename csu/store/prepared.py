"""Statements for hot paths: built with Core, compiled once per dialect, run on the
driver's cursor with positional parameters, rows read as plain tuples.

SQLAlchemy's per-call handling of a statement (cache key, compiled-cache lookup,
result set-up, row objects, and the ORM's identity map and unit of work for entities)
costs several times an indexed read on these machines: a voter's file made eight such
reads, a third of a busy cell's client CPU. Values go and come back as Core would
convert them: each parameter by its type's bind processor (aware datetimes stored in
UTC), each column read by its result processor (SQLite's text timestamps to
datetimes, for instance).
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql.base import Executable

_GIVEN = object()  # a placeholder whose value the caller gives

_Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # Each placeholder in order: its name, the literal fixed at compile time (or
    # _GIVEN: the caller's), and the bind processor of its type (or None).
    parameters: tuple[tuple[str, Any, _Convert | None], ...]
    convert: tuple[tuple[int, _Convert], ...]  # (column index, result processor)


class Prepared:
    """One statement (a SELECT, or an INSERT/UPDATE … RETURNING), its parameters given
    by name (``bindparam``), compiled for each dialect on first use."""

    def __init__(self, build: Callable[[], Executable]) -> None:
        self.build = build
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, cursor: Any, dialect: Dialect, **values: Any) -> list[tuple[Any, ...]]:
        """The rows, each value converted; ``cursor`` is the driver's, in the caller's
        transaction. A parameter left out is a KeyError, never a silent NULL."""
        self.send(cursor, dialect, values)
        return self.fetched(cursor, dialect)

    def rows_in(self, session: Any, **values: Any) -> list[tuple[Any, ...]]:
        """``rows``, in an ORM session's transaction."""
        with session_cursor(session) as (cursor, dialect):
            return self.rows(cursor, dialect, **values)

    def execute(self, cursor: Any, dialect: Dialect, **values: Any) -> None:
        """Runs a statement that gives no rows (an INSERT without RETURNING)."""
        self.send(cursor, dialect, values)

    def send(self, cursor: Any, dialect: Dialect, values: Mapping[str, Any]) -> None:
        """Runs the statement on ``cursor`` (in a pipeline: sends it)."""
        compiled = self._for(dialect)
        cursor.execute(compiled.sql, tuple(
            fixed if fixed is not _GIVEN
            else values[name] if process is None or values[name] is None
            else process(values[name])
            for name, fixed, process in compiled.parameters
        ))  # fmt: skip

    def fetched(self, cursor: Any, dialect: Dialect) -> list[tuple[Any, ...]]:
        """The rows of the statement ``send`` ran on ``cursor``, each value converted."""
        convert = self._for(dialect).convert
        rows = cursor.fetchall()
        if not convert:
            return rows  # sqlite3 and psycopg give tuples
        converted = []
        for row in rows:
            values_of_row = list(row)
            for index, process in convert:  # only the columns that need it
                if values_of_row[index] is not None:
                    values_of_row[index] = process(values_of_row[index])
            converted.append(tuple(values_of_row))
        return converted

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement: Any = self.build()
        # psycopg also takes %s placeholders: compiled for them, parameters go as a tuple.
        target = dialect if dialect.name == "sqlite" else type(dialect)(paramstyle="format")  # type: ignore[call-arg]
        compiled = statement.compile(dialect=target)
        processors = (
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.exported_columns  # a SELECT's, or what RETURNING gives
        )
        convert = tuple(
            (index, process) for index, process in enumerate(processors) if process is not None
        )
        parameters = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                parameters.append((name, _GIVEN, process))
            else:  # a literal of the statement ("president", True)
                value = bind.value if process is None or bind.value is None else process(bind.value)
                parameters.append((name, value, None))
        return _Compiled(compiled.string, tuple(parameters), convert)


@contextmanager
def session_cursor(session: Any) -> Iterator[tuple[Any, Dialect]]:
    """The driver's cursor in an ORM session's transaction, and its dialect."""
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        yield cursor, connection.dialect
    finally:
        cursor.close()


def read_together(
    cursor: Any, dialect: Dialect, reads: Sequence[tuple[Prepared, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of several independent reads, in order. On PostgreSQL they go in one
    round trip (psycopg's pipeline mode): on a network, each round trip costs an
    action more than an indexed read does. SQLite is in the process: one after another."""
    if dialect.name == "sqlite":
        return [prepared.rows(cursor, dialect, **values) for prepared, values in reads]
    connection = cursor.connection
    cursors = [connection.cursor() for _ in reads]
    try:
        with connection.pipeline():
            for each, (prepared, values) in zip(cursors, reads, strict=True):
                prepared.send(each, dialect, values)
        return [
            prepared.fetched(each, dialect)
            for each, (prepared, _) in zip(cursors, reads, strict=True)
        ]
    finally:
        for each in cursors:
            each.close()
