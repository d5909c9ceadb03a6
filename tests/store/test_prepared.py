"""Hot read paths' statements (csu.store.prepared): compiled once per dialect, run on
the driver's cursor, rows as tuples converted as Core converts them."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, bindparam, column, insert, select, table, update

from csu.store.engine import read_session, write_session
from csu.store.prepared import Prepared, read_together, session_cursor
from csu.store.tables import Bureau, Intervention, Voter

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
        return statement.rows_in(session, **values)


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


# Writes: parameters go through their type's bind processor, as the ORM's would.
_intervention = Intervention.__table__  # type: ignore[attr-defined]
CLOSE = Prepared(lambda: update(_intervention).where(
    _intervention.c.id == bindparam("id"), _intervention.c.closed_at.is_(None),
).values(
    closed_at=bindparam("closing", type_=_intervention.c.closed_at.type),
).returning(_intervention.c.voter_id, _intervention.c.closed_at))  # fmt: skip
OPEN = Prepared(lambda: insert(_intervention).values(
    id=bindparam("new_id"), operator_login="agent01", channel="phone",
    voter_id=bindparam("new_voter"),
    opened_at=bindparam("opening", type_=_intervention.c.opened_at.type),
))  # fmt: skip


def run(engine: Engine, statement: Prepared, **values: object) -> list[tuple[object, ...]]:
    with write_session(engine) as session, session_cursor(session) as (cursor, dialect):
        if statement is OPEN:
            statement.execute(cursor, dialect, **values)
            return []
        return statement.rows(cursor, dialect, **values)


def test_an_insert_stores_an_aware_datetime_as_the_orm_reads_it_back(engine: Engine) -> None:
    voter = stored(engine, "MI0000001")
    paris = datetime(2026, 12, 4, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    run(engine, OPEN, new_id="i-1", new_voter=voter, opening=paris)
    with read_session(engine) as session:
        row = session.get(Intervention, "i-1")
        assert row is not None
        assert row.opened_at == paris  # the same instant, read back aware
        assert row.operator_login == "agent01"  # a literal of the statement


def test_an_update_returning_gives_its_row_converted(engine: Engine) -> None:
    voter = stored(engine, "MI0000001")
    run(engine, OPEN, new_id="i-1", new_voter=voter, opening=LOCKED)
    [(voter_id, closed_at)] = run(engine, CLOSE, id="i-1", closing=LOCKED + timedelta(hours=1))
    assert voter_id == voter
    assert isinstance(closed_at, datetime)
    assert closed_at.replace(tzinfo=closed_at.tzinfo or UTC) == LOCKED + timedelta(hours=1)
    assert run(engine, CLOSE, id="i-1", closing=LOCKED) == []  # closed already: no row


def test_reads_sent_together_come_back_each_in_its_place(engine: Engine) -> None:
    first = stored(engine, "MI0000001")
    stored(engine, "MI0000002", first_name="Paul")
    with read_session(engine) as session, session_cursor(session) as (cursor, dialect):
        found = read_together(cursor, dialect, [
            (BY_NAME, {"first": "Paul"}), (BY_ID, {"voter": 12345}), (BY_ID, {"voter": first}),
        ])  # fmt: skip
    assert found[0] == [("MI0000002",)]
    assert found[1] == []
    assert found[2][0][0] == "MI0000001"


HOSTILE_NAMES = ["O'Hara", "a\\'; DROP TABLE voter; --", "%s %(x)s $1 ?", "Zoë\u200b\t\\x00", "'')"]


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_values_read_together_are_bound_as_values_whatever_they_hold(
    engine: Engine, hostile: str
) -> None:
    stored(engine, "MI0000001", first_name=hostile)
    stored(engine, "MI0000002", first_name="Paul")
    with read_session(engine) as session, session_cursor(session) as (cursor, dialect):
        found = read_together(cursor, dialect, [
            (BY_NAME, {"first": hostile}), (BY_NAME, {"first": "Paul"}),
        ])  # fmt: skip
    assert found == [[("MI0000001",)], [("MI0000002",)]]
    assert rows(engine, BY_NAME, first=hostile) == [("MI0000001",)]  # the table is whole


def test_values_read_together_come_back_converted_as_read_alone(engine: Engine) -> None:
    voter = stored(engine, "MI0000001")
    with read_session(engine) as session, session_cursor(session) as (cursor, dialect):
        (together,) = read_together(cursor, dialect, [(BY_ID, {"voter": voter})])
    assert together == rows(engine, BY_ID, voter=voter)
    assert together == [("MI0000001", date(1980, 2, 29), LOCKED, False)]


def test_a_read_of_a_batch_that_fails_rolls_its_transaction_back(engine: Engine) -> None:
    absent = Prepared(lambda: select(column("x")).select_from(table("absent")))
    with pytest.raises(Exception, match="absent"), write_session(engine) as session:
        session.add(Bureau(code="B-ghost", name="Bureau fantôme"))
        session.flush()
        with session_cursor(session) as (cursor, dialect):
            read_together(cursor, dialect, [(BY_ID, {"voter": 1}), (absent, {})])
    with read_session(engine) as session:  # and the pool's connection serves again
        assert session.get(Bureau, "B-ghost") is None
