"""Rows read as the file holds them, for the checks of what a hand may have altered.

SQLite keeps whatever is written into a column, whatever type the table declares: text
that is no date in a DATETIME, « abc » in an INTEGER, a BLOB or bytes that are not UTF-8
in a TEXT. The ORM then fails on the row with an English error that names neither the
table nor the row (Python's own on a date, SQLite's on the bytes). Here each value is
read on SQLite with its storage class and as bytes, and a value that is not of its
column's type is returned as a :class:`CellFault` for the caller to name, the row's
other values still read. PostgreSQL's columns hold only their type: read as declared.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    DateTime,
    Integer,
    LargeBinary,
    TypeDecorator,
    cast,
    func,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session

# absent: NULL where the table wants a value; binary: a BLOB where text, a number or a
# date is wanted; not_utf8: text whose bytes are not UTF-8; invalid: text (or a number)
# that is not of the column's type, ``shown`` holding it.
FaultKind = Literal["absent", "binary", "not_utf8", "invalid"]


@dataclass(frozen=True, slots=True)
class CellFault:
    column: str
    kind: FaultKind
    shown: str | None = None  # the stored value as text, for « invalid »


@dataclass(frozen=True, slots=True)
class ReadRow:
    """A row's values by column name (None where a fault is), and its faults."""

    values: dict[str, Any]
    faults: tuple[CellFault, ...] = ()


def read_rows(
    session: Session,
    columns: Sequence[Any],
    *,
    where: Sequence[Any] = (),
    order_by: Sequence[Any] = (),
    limit: int | None = None,
) -> list[ReadRow]:
    """The rows of ``columns`` (a table's mapped attributes, ``Checkpoint.size``…) that
    ``where`` keeps, in ``order_by``."""
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        query = select(*columns).where(*where).order_by(*order_by).limit(limit)
        return [
            ReadRow(dict(zip((c.key for c in columns), row, strict=True)))
            for row in session.execute(query)
        ]
    # Its storage class, and the value as bytes: text that is not UTF-8 fails any read
    # as text, in the driver, before a row is seen.
    selected: list[Any] = []
    for column in columns:
        selected += [func.typeof(column), cast(column, LargeBinary)]
    query = select(*selected).where(*where).order_by(*order_by).limit(limit)
    rows = []
    for row in session.execute(query):
        values: dict[str, Any] = {}
        faults: list[CellFault] = []
        for index, column in enumerate(columns):
            value, fault = _cell(column, row[2 * index], row[2 * index + 1], dialect)
            values[column.key] = value
            if fault is not None:
                faults.append(fault)
        rows.append(ReadRow(values, tuple(faults)))
    return rows


def _cell(
    column: InstrumentedAttribute[Any], storage: str, raw: bytes | None, dialect: Any
) -> tuple[Any, CellFault | None]:
    """The value of one SQLite cell as its column declares it, or what is wrong with it."""
    declared = column.property.columns[0]  # type: ignore[attr-defined]
    name = column.key
    if storage == "null" or raw is None:
        return None, (None if declared.nullable else CellFault(name, "absent"))
    # What the column stores (SQLModel's UTCDateTime decorates a DATETIME).
    kind = declared.type.impl_instance if isinstance(declared.type, TypeDecorator) else (
        declared.type
    )  # fmt: skip
    if isinstance(kind, LargeBinary):
        if storage == "blob":
            return bytes(raw), None
        return None, _shown_fault(name, raw)
    if storage == "blob":
        return None, CellFault(name, "binary")
    if isinstance(kind, Integer):
        if storage == "integer":
            return int(raw), None
        return None, _shown_fault(name, raw)
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None, CellFault(name, "not_utf8")
    if isinstance(kind, DateTime):
        # The column's own reading (the decorator's too), as the ORM would read it.
        parse = declared.type.dialect_impl(dialect).result_processor(dialect, None)
        try:
            return (parse(text) if parse is not None else text), None
        except (ValueError, TypeError):
            return None, CellFault(name, "invalid", text)
    return text, None


def _shown_fault(name: str, raw: bytes) -> CellFault:
    try:
        return CellFault(name, "invalid", bytes(raw).decode("utf-8"))
    except UnicodeDecodeError:
        return CellFault(name, "not_utf8")
