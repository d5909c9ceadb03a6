"""The migrations build exactly the schema the tables declare, on SQLite and PostgreSQL."""

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import csu.store.tables  # noqa: F401  (registers the tables on the metadata)
from csu.domain.errors import InvalidValue
from csu.services.audit import verify_journal
from csu.services.credentials import issue_credential
from csu.store.engine import make_engine
from csu.store.migrate import (
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401
    Desk,
    desk_fixture,
    verified_call,
)

# On SQLite the journal's index columns are generated from the hashed body
# (migration 0001, SQLITE_JOURNAL_TABLE): a generated column reads as nullable, and
# the uniqueness of event_id is a unique index made by raw SQL, not a constraint.
SQLITE_GENERATED = {"event_id", "ts", "action", "outcome"}


# Indexes made on PostgreSQL only (Index.ddl_if), which Alembic's comparison ignores.
POSTGRESQL_ONLY = {
    index.name
    for table in SQLModel.metadata.tables.values()
    for index in table.indexes
    if index._ddl_if is not None and index._ddl_if.dialect == "postgresql"
}


def _cosmetic(dialect: str, diff: Any) -> bool:
    if dialect != "sqlite":
        return False
    if diff[0] == "add_index" and diff[1].name in POSTGRESQL_ONLY:
        return True
    if isinstance(diff, list):  # column changes come as a list of one
        return all(_cosmetic(dialect, item) for item in diff)
    kind = diff[0]
    if kind == "modify_nullable":
        _, _, table, column, *_ = diff
        return table == "journal_entry" and column in SQLITE_GENERATED
    if kind == "remove_index":
        return diff[1].name == "uq_journal_entry_event_id"
    if kind == "add_constraint":
        constraint = diff[1]
        return constraint.table.name == "journal_entry" and [
            c.name for c in constraint.columns
        ] == ["event_id"]
    return False


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found = compare_metadata(context, SQLModel.metadata)
    return [diff for diff in found if not _cosmetic(engine.dialect.name, diff)]


def test_the_migrated_store_matches_the_tables(engine: Engine) -> None:
    assert differences(engine) == []


def test_every_table_is_created_with_every_column(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            if table.name == "journal_entry" and column.name in SQLITE_GENERATED and (
                engine.dialect.name == "sqlite"
            ):
                continue  # generated from the body, see SQLITE_GENERATED
            assert columns[column.name]["nullable"] == column.nullable, (
                f"{table.name}.{column.name}"
            )


def test_the_store_is_at_the_head_revision(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_upgrading_again_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert differences(engine) == []


def test_down_to_the_first_revision_and_back_up(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert current_revision(engine) == "0001"
    assert "one_time_code" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert differences(engine) == []


# ------------------------------------------- 0017 on a store in use


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in ("voter", "material", "credential", "intervention", "journal_entry")
        }


def test_the_pseudonym_index_replaces_its_constraint_in_a_store_in_use(desk: Desk) -> None:
    """0017 rebuilds the voter table on SQLite while materials, credentials and
    interventions point at it: every row and reference stays, and a pseudonym is still
    unique."""
    engine = desk.deps.engine
    call = verified_call(desk, desk.caller)  # an intervention and a credential, in use
    issue_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key")
    downgrade(engine, "0016")
    before = counts(engine)
    upgrade(engine)
    assert counts(engine) == before
    assert differences(engine) == []
    assert verify_journal(desk.deps, SUPERVISOR).ok
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE voter SET pseudonym = (SELECT min(pseudonym) FROM voter) "
            "WHERE id = (SELECT max(id) FROM voter)"
        )


def test_an_upgrade_that_would_leave_a_broken_reference_is_refused_in_french(
    sqlite_store: Engine,
) -> None:
    """SQLite's migrations run with foreign keys off (a table others point at may be
    rebuilt): a store whose rows already point nowhere is refused before the commit,
    in a sentence, and stays at its revision."""
    downgrade(sqlite_store, "0016")
    raw = sqlite_store.raw_connection()
    raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    raw.driver_connection.execute(  # type: ignore[union-attr]
        "INSERT INTO material (election_id, voter_id, capacity, identifier, bureau_code, "
        "status, created_at) VALUES ('nulle-part', 424242, 'électeur', 'ID-X', 'B-X', "
        "'active', '2022-12-01 00:00:00')"
    )
    raw.driver_connection.commit()  # type: ignore[union-attr]
    raw.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    raw.close()
    with pytest.raises(InvalidValue) as refusal:
        upgrade(sqlite_store)
    assert "mise à jour du schéma annulée" in str(refusal.value)
    assert "table material" in str(refusal.value)
    assert current_revision(sqlite_store) == "0016"


@pytest.mark.postgres
def test_a_postgresql_database_not_in_utf8_is_refused_in_french(postgres_store: Engine) -> None:
    """The server reads the journal's UTF-8 bodies (its sequencer, the audit): a LATIN1
    database would stop the chain at the first entry holding a character LATIN1 lacks."""
    name = f"{postgres_store.url.database}_latin1"
    with postgres_store.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
        admin.exec_driver_sql(
            f"CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
            "TEMPLATE template0"
        )
    latin1 = make_engine(postgres_store.url.set(database=name))
    try:
        with pytest.raises(InvalidValue) as refusal:
            upgrade(latin1)
        assert "encodage LATIN1 : CSU a besoin d'une base en UTF8" in str(refusal.value)
        assert current_revision(latin1) is None
    finally:
        latin1.dispose()
        with postgres_store.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            admin.exec_driver_sql(f"DROP DATABASE {name}")
