"""The PostgreSQL test databases used again (tests.pg_recycle): a database given back
comes to the next test as the template left it, or not at all."""

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from csu.store import journal
from csu.store.engine import make_engine, write_session
from csu.store.journal import Actor
from tests.conftest import NOW, PostgresServer

pytestmark = pytest.mark.postgres

ACTOR = Actor("agent", "agent", "poste-test")
NEW_CLIENT = (
    "INSERT INTO platform_client (name, key_hash, key_hint, created_at, created_by) "
    "VALUES ('plateforme', 'h', 'h', now(), 'admin') RETURNING id"
)


def run(url: str, *statements: str) -> list[tuple[object, ...]]:
    """The rows of the last statement, all run in one transaction."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            rows: list[tuple[object, ...]] = []
            for statement in statements:
                result = connection.exec_driver_sql(statement)
                rows = [tuple(row) for row in result] if result.returns_rows else []
            return rows
    finally:
        engine.dispose()


def used(server: PostgresServer) -> str:
    """A database a test wrote in: a journal entry, a bureau."""
    url = server.fresh_database()
    appended(url)
    run(url, "INSERT INTO bureau (code, name, president_name) VALUES ('B-X', '', '')")
    return url


def reused(server: PostgresServer, url: str) -> str:
    server.give_back(url)
    again = server.fresh_database()
    assert make_url(again).database in server.copies.created
    return again


def test_a_database_given_back_comes_back_with_the_templates_rows_only(
    postgres_server: PostgresServer,
) -> None:
    template = postgres_server.copies.url_of(postgres_server.template)
    again = reused(postgres_server, used(postgres_server))
    assert run(again, "SELECT count(*) FROM bureau") == [(0,)]
    assert run(again, "SELECT count(*) FROM journal_entry") == [(0,)]
    head = "SELECT seq, hash FROM journal_head"
    assert run(again, head) == run(template, head)
    postgres_server.give_back(again)


def test_its_sequences_start_again_as_in_the_template(postgres_server: PostgresServer) -> None:
    url = postgres_server.fresh_database()
    first = run(url, NEW_CLIENT)
    again = reused(postgres_server, url)
    assert run(again, NEW_CLIENT) == first
    postgres_server.give_back(again)


def appended(url: str) -> None:
    engine = make_engine(url)
    with write_session(engine) as session:
        journal.append(session, actor=ACTOR, action="recherche", outcome="ok", at=NOW)
    engine.dispose()


def test_the_journal_refuses_deletes_again_once_reset(postgres_server: PostgresServer) -> None:
    again = reused(postgres_server, used(postgres_server))
    appended(again)
    with pytest.raises(DBAPIError, match="ajout seul"):
        run(again, "DELETE FROM journal_entry")
    postgres_server.give_back(again)


def test_the_name_a_test_had_no_longer_reaches_the_database(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.fresh_database()
    left_behind = create_engine(url)  # as a thread of the test might keep one
    postgres_server.give_back(url)
    with pytest.raises(OperationalError, match="does not exist"):
        left_behind.connect()
    left_behind.dispose()


def test_a_database_whose_schema_a_test_changed_is_dropped_not_used_again(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.fresh_database()
    run(url, "ALTER TABLE journal_entry DISABLE TRIGGER USER")
    spares = len(postgres_server.copies.spares)
    postgres_server.give_back(url)
    assert len(postgres_server.copies.spares) == spares
    again = postgres_server.fresh_database()
    appended(again)
    with pytest.raises(DBAPIError, match="ajout seul"):
        run(again, "DELETE FROM journal_entry")
    postgres_server.give_back(again)
