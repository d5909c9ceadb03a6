"""Rows read cell by cell (csu.store.cells), as the checks of what a hand may have
altered read them: the same values the ORM gives, on SQLite and PostgreSQL, and on
SQLite a value not of its column's type named by its column instead of failing."""

from sqlalchemy import Engine

from csu.store.cells import CellFault, read_rows
from csu.store.engine import read_session, write_session
from csu.store.tables import Checkpoint
from tests.conftest import NOW
from tests.store.test_journal import tamper

COLUMNS = [
    Checkpoint.id, Checkpoint.size, Checkpoint.root_hash, Checkpoint.origin,
    Checkpoint.key_name, Checkpoint.key_id, Checkpoint.note, Checkpoint.created_at,
    Checkpoint.created_by,
]  # fmt: skip


def stored(engine: Engine) -> None:
    with write_session(engine) as session:
        session.add(Checkpoint(size=3, root_hash="ab" * 32, origin="o", key_name="k",
                               key_id="0a1b2c3d", note="note\n", created_at=NOW,
                               created_by="sup"))  # fmt: skip


def test_a_row_is_read_with_the_values_the_orm_gives(engine: Engine) -> None:
    stored(engine)
    with read_session(engine) as session:
        [row] = read_rows(session, COLUMNS)
        orm = session.get(Checkpoint, 1)
    assert orm is not None and row.faults == ()
    assert row.values == orm.model_dump()


def test_a_value_not_of_its_column_s_type_is_named_by_its_column(sqlite_store: Engine) -> None:
    stored(sqlite_store)
    tamper(
        sqlite_store,
        "INSERT INTO checkpoint (size, root_hash, origin, key_name, key_id, note, created_at, "
        "created_by) SELECT 2.5, root_hash, origin, x'00', key_id, CAST(x'ff' AS TEXT), "
        "'2026-13-01', created_by FROM checkpoint",
    )
    with read_session(sqlite_store) as session:
        [_, row] = read_rows(session, COLUMNS, order_by=[Checkpoint.id])
    assert row.faults == (
        CellFault("size", "invalid", "2.5"),
        CellFault("key_name", "binary"),
        CellFault("note", "not_utf8"),
        CellFault("created_at", "invalid", "2026-13-01"),
    )
    assert row.values["root_hash"] == "ab" * 32  # the row's other values still read
