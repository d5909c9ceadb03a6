"""docs/postgresql-roles.sql applied for real: the workstations' role appends to the
journal through the services but can neither change nor delete an entry."""

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from csu.domain.clock import fixed_clock
from csu.services.audit import integrate_journal, verify_journal
from csu.services.context import Deps
from csu.services.voters import search_voters
from csu.store.engine import make_engine
from tests.conftest import ADMIN, AGENT, NOW, TEST_KEY, PostgresServer

ROLES_SQL = Path(__file__).resolve().parents[2] / "docs" / "postgresql-roles.sql"
pytestmark = pytest.mark.postgres


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def app_role(postgres_server: PostgresServer) -> Iterator[tuple[str, str]]:
    """A migrated database and, after the grants file ran in it, the URLs of its owner
    and of the app role (a name of its own: roles are shared by the whole server)."""
    owner_url = postgres_server.fresh_database()
    role = f"csu_app_t{os.getpid()}"
    with psycopg.connect(libpq(owner_url), autocommit=True) as owner:
        owner.execute(f'DROP ROLE IF EXISTS "{role}"')
        owner.execute(f'CREATE ROLE "{role}" LOGIN')
        # A hardened server, where functions are not executable by everyone: the grants
        # file names those the workstations call (the sequencer's batch, migration 0019).
        owner.execute("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC")
        owner.execute(ROLES_SQL.read_text(encoding="utf-8").replace("csu_app", role))
    yield owner_url, make_url(owner_url).set(username=role).render_as_string(
        hide_password=False
    )
    postgres_server.drop(make_url(owner_url).database or "")
    with psycopg.connect(libpq(owner_url).rsplit("/", 1)[0] + "/postgres",
                         autocommit=True) as server:
        server.execute(f'DROP ROLE IF EXISTS "{role}"')


def refused(url: str, statement: str) -> bool:
    with psycopg.connect(libpq(url)) as conn:
        try:
            conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            return True
    return False


def test_the_app_role_appends_to_the_journal_through_a_service(
    app_role: tuple[str, str],
) -> None:
    _, app_url = app_role
    engine = make_engine(app_url)
    deps = Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW))

    search_voters(deps, AGENT, "dupont")
    search_voters(deps, AGENT, "martin")

    assert verify_journal(deps, ADMIN).count == 2
    engine.dispose()


def test_the_app_role_cannot_update_or_delete_a_journal_entry(
    app_role: tuple[str, str],
) -> None:
    _, app_url = app_role
    engine = make_engine(app_url)
    search_voters(Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW)), AGENT, "dupont")
    engine.dispose()

    assert refused(app_url, "UPDATE journal_entry SET outcome = 'x' WHERE seq = 1")
    assert refused(app_url, "DELETE FROM journal_entry WHERE seq = 1")
    assert refused(app_url, "TRUNCATE journal_entry")
    assert refused(app_url, "DELETE FROM journal_head")
    assert refused(app_url, "ALTER TABLE journal_entry DISABLE TRIGGER USER")
    assert refused(app_url, "CREATE TABLE public.intruder (id int)")


def test_the_app_role_cannot_change_or_delete_a_signed_checkpoint(
    app_role: tuple[str, str],
) -> None:
    owner_url, app_url = app_role
    with psycopg.connect(libpq(owner_url), autocommit=True) as owner:
        owner.execute(
            "INSERT INTO checkpoint (size, root_hash, origin, key_name, key_id, note, "
            "created_at, created_by) VALUES (0, '', 'o', 'k', '00000000', 'n', now(), 'sup')"
        )
    assert refused(app_url, "UPDATE checkpoint SET size = 1")
    assert refused(app_url, "DELETE FROM checkpoint")
    assert refused(app_url, "TRUNCATE checkpoint")


def test_the_app_role_integrates_a_queued_row_it_must_set_aside(
    app_role: tuple[str, str],
) -> None:
    owner_url, app_url = app_role
    with psycopg.connect(libpq(owner_url), autocommit=True) as owner:
        owner.execute("ALTER TABLE journal_queue DISABLE TRIGGER USER")
        owner.execute("INSERT INTO journal_queue (event_id, body) VALUES ('x', 'pas du JSON')")
        owner.execute("ALTER TABLE journal_queue ENABLE TRIGGER USER")
    engine = make_engine(app_url)
    deps = Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW))
    assert integrate_journal(deps, ADMIN) == 1
    assert verify_journal(deps, ADMIN).count == 1
    engine.dispose()


def test_every_function_of_the_schema_is_executable_by_the_app_role(
    app_role: tuple[str, str],
) -> None:
    # A function a migration adds and the grants file forgets fails every append of a
    # hardened server's workstations (csu_journal_body_problem, migration 0023, did).
    # Trigger functions fire whoever writes: they need no grant.
    owner_url, app_url = app_role
    role = make_url(app_url).username
    with psycopg.connect(libpq(owner_url)) as owner:
        denied = owner.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'csu%%' "
            "AND p.prorettype <> 'trigger'::regtype "
            "AND NOT has_function_privilege(%s, p.oid, 'EXECUTE')",
            (role,),
        ).fetchall()
    assert denied == []
