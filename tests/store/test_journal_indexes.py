"""The journal's subject and intervention indexes hold only the entries that name one
(migration 0018), the filters that compare these columns still read them, and the
election's index, whole, is not taken before a more selective filter's."""

import pytest
from sqlalchemy import Engine, func, select, text

from csu.store.engine import read_session
from csu.store.tables import JournalEntry
from tests.store.test_journal import append_entries

NAMING = ("subject", "intervention")


def index_definition(engine: Engine, column: str) -> str:
    name = f"ix_journal_entry_{column}_seq"
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        return connection.execute(text(query), {"name": name}).scalar_one()


def plan(engine: Engine, statement: object) -> str:
    """How the database reads ``statement``; PostgreSQL told to avoid a scan of the
    table where an index can serve (a test's table is too small to prefer one)."""
    with read_session(engine) as session:
        connection = session.connection()
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
            return "\n".join(str(row[-1]) for row in rows)
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}").all()
        return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("column", NAMING)
def test_only_entries_that_name_one_are_indexed(engine: Engine, column: str) -> None:
    definition = index_definition(engine, column).replace("(", "").replace(")", "")
    assert definition.endswith(f"WHERE {column} IS NOT NULL"), definition


@pytest.mark.parametrize("column", NAMING)
def test_a_filter_equal_to_a_value_reads_the_partial_index(engine: Engine, column: str) -> None:
    append_entries(engine, 3)
    statement = (
        select(JournalEntry.seq)
        .where(getattr(JournalEntry, column) == "x")
        .order_by(JournalEntry.seq.desc())  # type: ignore[union-attr]
        .limit(50)
    )
    assert f"ix_journal_entry_{column}_seq" in plan(engine, statement)


def test_a_filter_on_a_list_of_interventions_reads_the_partial_index(engine: Engine) -> None:
    append_entries(engine, 3)
    statement = select(JournalEntry.seq).where(
        JournalEntry.intervention.in_(["a", "b"])  # type: ignore[union-attr]
    )
    assert "ix_journal_entry_intervention_seq" in plan(engine, statement)


def test_entries_that_name_none_are_still_found_by_the_other_filters(engine: Engine) -> None:
    append_entries(engine, 2)
    with read_session(engine) as session:
        found = session.execute(
            select(JournalEntry.seq).where(
                JournalEntry.action == "consultation", JournalEntry.subject.is_(None)  # type: ignore[union-attr]
            )
        ).all()
    assert len(found) == 2


def test_the_elections_index_holds_every_entry(engine: Engine) -> None:
    assert "WHERE" not in index_definition(engine, "election")


@pytest.mark.parametrize("other", ["action", "outcome"])
def test_a_count_on_an_election_and_another_filter_reads_the_other_filters_index(
    sqlite_store: Engine, other: str
) -> None:
    # An election matches a quarter of a cell's journal; SQLite, without statistics,
    # took a partial index on it for the smaller one (469 ms at 1,000,000 entries).
    append_entries(sqlite_store, 3)
    statement = select(func.count()).where(
        JournalEntry.election == "x", getattr(JournalEntry, other) == "y"
    )
    assert f"ix_journal_entry_{other}_seq" in plan(sqlite_store, statement)
