"""Hot read paths' statements (csu.store.prepared): compiled once per dialect, run on
the driver's cursor, rows as tuples converted as Core converts them."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, bindparam, select

from csu.store.engine import read_session, write_session
from csu.store.prepared import Prepared
from csu.store.tables import Voter

_voter = Voter.__table__  # type: ignore[attr-defined]
LOCKED = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)

BY_ID = Prepared(lambda: select(
    _voter.c.matricule, _voter.c.birth_date, _voter.c.locked_until,
    _voter.c.email_pro.is_not(None),
).where(_voter.c.id == bindparam("voter")))  # fmt: skip
BY_NAME = Prepared(lambda: select(_voter.c.matricule).where(
    _voter.c.last_name == "DURAND", _voter.c.first_name == bindparam("first"),
).order_by(_voter.c.matricule))  # fmt: skip


def stored(engine: Engine, matricule: str, first_name: str = "Léa") -> int:
    with write_session(engine) as session:
        voter = Voter(
            matricule=matricule, pseudonym=f"p-{matricule}", last_name="DURAND",
            first_name=first_name, search_name="durand lea", search_name_rev="lea durand",
            birth_date=date(1980, 2, 29), locked_until=LOCKED, updated_at=LOCKED,
        )  # fmt: skip
        session.add(voter)
        session.flush()
        assert voter.id is not None
        return voter.id


def rows(engine: Engine, statement: Prepared, **values: object) -> list[tuple[object, ...]]:
    with read_session(engine) as session:
        connection = session.connection()
        cursor = connection.connection.cursor()
        try:
            return statement.rows(cursor, connection.dialect, **values)
        finally:
            cursor.close()


def test_rows_come_back_as_tuples_with_values_converted_as_core_does(engine: Engine) -> None:
    voter = stored(engine, "MI0000001")
    [row] = rows(engine, BY_ID, voter=voter)
    assert row[:2] == ("MI0000001", date(1980, 2, 29))
    locked = row[2]
    assert isinstance(locked, datetime)
    assert (locked if locked.tzinfo else locked.replace(tzinfo=UTC)) == LOCKED
    assert row[3] is False


def test_a_literal_of_the_statement_is_kept_beside_the_parameters(engine: Engine) -> None:
    stored(engine, "MI0000001")
    stored(engine, "MI0000002", first_name="Paul")
    assert rows(engine, BY_NAME, first="Paul") == [("MI0000002",)]


def test_a_parameter_left_out_is_refused_not_read_as_null(engine: Engine) -> None:
    stored(engine, "MI0000001")
    with pytest.raises(KeyError, match="voter"):
        rows(engine, BY_ID)


def test_no_row_gives_an_empty_list(engine: Engine) -> None:
    assert rows(engine, BY_ID, voter=12345) == []
