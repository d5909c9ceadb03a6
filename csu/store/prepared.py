"""Read statements for hot paths: built with Core, compiled once per dialect, run on
the driver's cursor with positional parameters, rows read as plain tuples.

SQLAlchemy's per-call handling of a statement (cache key, compiled-cache lookup,
result set-up, row objects, and the ORM's identity map for entities) costs several
times an indexed read on these machines: a voter's file made eight such reads, a
third of a busy cell's client CPU. Values are converted as Core would (SQLite's
text timestamps to datetimes, for instance), by each column's result processor.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Dialect, Select

_GIVEN = object()  # a placeholder whose value the caller gives


class Prepared:
    """One statement, its parameters given by name (``bindparam``), compiled for each
    dialect on first use."""

    def __init__(self, build: Callable[[], Select[Any]]) -> None:
        self.build = build
        self._compiled: dict[str, tuple[str, tuple[tuple[str, Any], ...], tuple[Any, ...]]] = {}

    def rows(self, cursor: Any, dialect: Dialect, **values: Any) -> list[tuple[Any, ...]]:
        """The rows, each value converted; ``cursor`` is the driver's, in the caller's
        transaction."""
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        sql, parameters, convert = found
        cursor.execute(
            sql,
            tuple(values[name] if fixed is _GIVEN else fixed for name, fixed in parameters),
        )
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

    def _compile(
        self, dialect: Dialect
    ) -> tuple[str, tuple[tuple[str, Any], ...], tuple[Any, ...]]:
        statement = self.build()
        # psycopg also takes %s placeholders: compiled for them, parameters go as a tuple.
        target = dialect if dialect.name == "sqlite" else type(dialect)(paramstyle="format")  # type: ignore[call-arg]
        compiled = statement.compile(dialect=target)
        processors = (
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        convert = tuple(
            (index, process) for index, process in enumerate(processors) if process is not None
        )
        # Each placeholder: a parameter the caller gives (a missing one is a KeyError), or
        # a literal of the statement ("president", True), fixed at compile time.
        binds = compiled.binds
        parameters = tuple(
            (name, _GIVEN if binds[name].required else binds[name].value)
            for name in compiled.positiontup or ()
        )
        return compiled.string, parameters, convert
