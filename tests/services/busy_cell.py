"""An election's first day on PostgreSQL, for tests of how many pages a statement reads.

The roll is imported and analysed; the day tables were analysed while empty and filled
since, their statistics not taken again (autovacuum may lag behind the morning's rush).
With those statistics the planner may walk a whole day table for one voter's row, and
the risk is not monotonic in size: it sees the table's real number of pages, so a plan
that walks at 1,000 rows may probe an index at 10,000. These helpers capture what a
service runs and read the pages each statement's plan touches."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg import sql as psycopg_sql
from sqlalchemy import Engine, event, text

from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services.context import Deps
from csu.services.elections import load_election
from csu.services.rolls import import_voters
from csu.store.prepared import _GIVEN, Prepared
from tests.conftest import ADMIN
from tests.services.intervention_support import ELECTIONS, MININT_BUREAUS

ELECTION = "minint-2022"
FEW_PAGES = 20  # what one voter's statement may touch, index and heap pages together


def loaded(deps: Deps, tmp_path: Path, voters: int, election: str = ELECTION) -> None:
    """``election`` loaded and a roll of ``voters`` imported."""
    text_ = (ELECTIONS / f"{election}.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text_, f"{election}.toml")
    path = tmp_path / "roll.csv"
    write_roll_csv(list(generate_roll(election, voters, bureaus=MININT_BUREAUS)), path)
    assert import_voters(deps, ADMIN, path, election).committed


def run_sql(deps: Deps, sql: str, parameters: dict[str, Any] | None = None) -> None:
    with deps.engine.begin() as connection:
        connection.execute(text(sql), parameters or {})


def analysed_empty(deps: Deps, *tables: str) -> None:
    """The roll's tables analysed full, ``tables`` analysed as they are (empty) and left
    so: autovacuum, which could analyse them again while the test runs, is off for them
    (this database only)."""
    for table in ("voter", "material", *tables):
        run_sql(deps, f"ANALYZE {table}")
    for table in tables:
        run_sql(deps, f"ALTER TABLE {table} SET (autovacuum_enabled = false)")


def material_of(deps: Deps, offset: int = 0) -> tuple[int, int]:
    """The id and voter of the roll's material at ``offset``, by id."""
    with deps.engine.connect() as connection:
        row = connection.execute(
            text("SELECT id, voter_id FROM material ORDER BY id LIMIT 1 OFFSET :n"), {"n": offset}
        ).one()
    return row[0], row[1]


def table_pages(deps: Deps, table: str) -> int:
    with deps.engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT pg_relation_size(:t) / current_setting('block_size')::int"),
                {"t": table},
            ).scalar_one()
        )


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements run meanwhile, through SQLAlchemy or on the driver's cursor
    (csu.store.prepared), with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    send = Prepared.send

    def sent(self: Prepared, cursor: Any, dialect: Any, values: Any) -> None:
        compiled = self._for(dialect)
        seen.append((compiled.sql, tuple(
            fixed if fixed is not _GIVEN else values[name]
            for name, fixed, _ in compiled.parameters
        )))  # fmt: skip
        send(self, cursor, dialect, values)

    event.listen(engine, "before_cursor_execute", record)
    Prepared.send = sent  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Prepared.send = send  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", record)


def plan(engine: Engine, statement: str, parameters: Any) -> str:
    """The statement's actual plan, as text (shown when a test fails)."""
    with engine.connect() as connection, connection.begin() as transaction:
        rows = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {statement}", parameters
        ).all()
        transaction.rollback()
    return "\n".join(row[0] for row in rows)


def pages(engine: Engine, statement: str, parameters: Any) -> int:
    """The shared pages (index and heap, hit or read) the statement's plan touches. Run
    in a transaction rolled back: EXPLAIN ANALYZE runs a write for real."""
    with engine.connect() as connection, connection.begin() as transaction:
        [[plan]] = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", parameters
        ).all()
        transaction.rollback()
    top = plan[0]["Plan"]
    return int(top["Shared Hit Blocks"]) + int(top["Shared Read Blocks"])


def generic_pages(engine: Engine, statement: str, parameters: dict[str, Any]) -> int:
    """:func:`pages` for the generic plan PostgreSQL may keep for a statement psycopg
    prepared after a few runs, made without the parameters' values
    (``plan_cache_mode = force_generic_plan``)."""
    names: list[str] = []

    def numbered(found: re.Match[str]) -> str:
        if found.group(1) not in names:
            names.append(found.group(1))
        return f"${names.index(found.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", numbered, statement)
    with engine.connect() as connection, connection.begin() as transaction:
        driver = connection.connection.driver_connection
        # EXECUTE takes no bound parameter: its values as psycopg quotes literals.
        arguments = ", ".join(
            psycopg_sql.Literal(parameters[name]).as_string(driver) for name in names
        )
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql(f"PREPARE csu_generic AS {prepared}")
        [[plan]] = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE csu_generic({arguments})"
        ).all()
        connection.exec_driver_sql("DEALLOCATE csu_generic")  # a rollback keeps it
        transaction.rollback()
    top = plan[0]["Plan"]
    return int(top["Shared Hit Blocks"]) + int(top["Shared Read Blocks"])


def most_pages(deps: Deps, call: Callable[[], object], kept: Callable[[str], bool]) -> int:
    """The most pages one of the statements ``call`` ran that ``kept`` keeps touches
    (its plan shown on failure)."""
    with statements(deps.engine) as seen:
        call()
    chosen = [(statement, parameters) for statement, parameters in seen if kept(statement)]
    assert chosen, "the call ran none of the statements looked for"
    counted = [(pages(deps.engine, s, p), i) for i, (s, p) in enumerate(chosen)]
    worst, at = max(counted)
    print(f"{worst} pages:\n{plan(deps.engine, *chosen[at])}")
    return worst
