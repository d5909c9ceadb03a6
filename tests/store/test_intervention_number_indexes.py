"""An intervention is looked up by 8 characters of its number, its first or its last
(the journal's filter): on PostgreSQL each from an index, whatever the collation
(migration 0029), a « % » or « _ » typed taken as itself on both dialects."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, Select, select

from csu.services.journal_review import intervention_matches
from csu.store.engine import read_session, write_session
from csu.store.tables import Intervention
from tests.conftest import NOW
from tests.store.test_journal_indexes import plan

NUMBERS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"call/{n}")) for n in range(5)]


def with_interventions(engine: Engine, numbers: list[str]) -> Engine:
    with write_session(engine) as session:
        for number in numbers:
            session.add(
                Intervention(id=number, operator_login="agent", channel="phone", opened_at=NOW)
            )
    return engine


def found(engine: Engine, typed: str) -> tuple[list[str], list[str]]:
    beginning, ending = intervention_matches(typed)
    with read_session(engine) as session:
        return tuple(  # type: ignore[return-value]
            sorted(session.execute(select(Intervention.id).where(match)).scalars())
            for match in (beginning, ending)
        )


def test_a_number_is_found_by_its_first_characters_and_by_its_last(engine: Engine) -> None:
    with_interventions(engine, NUMBERS)
    number = NUMBERS[2]
    assert found(engine, number[:8]) == ([number], [])
    assert found(engine, number[-8:]) == ([], [number])


def test_wildcards_typed_match_themselves_only(engine: Engine) -> None:
    with_interventions(engine, [*NUMBERS, "ab%_/xyz-0000-0000-0000-00000000%_/z"])
    assert found(engine, "%" * 8) == ([], [])
    assert found(engine, "_" * 8) == ([], [])
    assert found(engine, "ab%_/xyz") == (["ab%_/xyz-0000-0000-0000-00000000%_/z"], [])
    assert found(engine, "0000%_/z") == ([], ["ab%_/xyz-0000-0000-0000-00000000%_/z"])


def plan_as_sent(engine: Engine, statement: Select[Any]) -> str:
    """How PostgreSQL reads ``statement`` sent as the service sends it, its values bound
    (« $1 || $2 », which the planner folds before it looks for an index)."""
    with read_session(engine) as session:
        connection = session.connection()
        compiled = statement.compile(dialect=connection.dialect)
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
        return "\n".join(row[0] for row in rows)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("part", "index"), [(0, "ix_intervention_id_pattern"), (1, "ix_intervention_id_reversed")]
)
def test_each_lookup_reads_its_index_on_postgresql(
    postgres_store: Engine, part: int, index: str
) -> None:
    with_interventions(postgres_store, NUMBERS)
    statement = select(Intervention.id).where(intervention_matches(NUMBERS[0][-8:])[part])
    assert index in plan(postgres_store, statement)  # its values written in
    assert index in plan_as_sent(postgres_store, statement)  # bound, as the service sends it
