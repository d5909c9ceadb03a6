"""PostgreSQL test databases used again, reset to their template, instead of a new copy
of the template for each test.

A ``CREATE DATABASE ... TEMPLATE`` copies the whole template through the WAL, system
catalogues included, and the ``DROP`` after it removes the files: about 100 ms of the
machine's CPU a test (server and client), measured on these 2 cores; the suite made 947 of
them, a sixth of its CPU. Resetting a used copy costs a few milliseconds:

- the template keeps a copy of its rows in a schema of its own (``PRISTINE``), which each
  copy inherits;
- when a test gives its database back, the database is renamed first (an engine the test
  left behind, or one of its threads, can no longer reach it: its name is gone), then, in
  one transaction with triggers off (the journal refuses deletes, foreign keys would
  order them), every table is emptied and refilled from ``PRISTINE`` and every sequence
  set back;
- a database whose schema the test changed (a migration run down, a role granted, a
  trigger disabled: anything the fingerprint below sees) is dropped, not used again.
"""

import itertools
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import psycopg
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from csu.store.engine import make_engine
from csu.store.migrate import upgrade

PRISTINE = "csu_test_pristine"
T = TypeVar("T")

# What a test may change besides rows: tables, columns, defaults, indexes, constraints,
# triggers (and whether they are enabled), functions, owners and grants, schemas, the
# database's settings. No oid or file name: two copies of one template print the same.
FINGERPRINT = r"""
SELECT md5(coalesce(string_agg(item, E'\n' ORDER BY item), '')) FROM (
  SELECT format('rel %s %s %s %s %s %s', c.relname, c.relkind, c.relpersistence,
                c.relowner::regrole, c.relacl, c.reloptions) AS item
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('col %s.%s %s %s %s %s %s %s', c.relname, a.attname,
                format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated,
                a.attidentity, pg_get_expr(d.adbin, d.adrelid), a.attacl)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('trg %s %s', tgenabled, pg_get_triggerdef(oid))
    FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
  SELECT format('fn %s %s %s %s', oid::regprocedure, md5(prosrc), proowner::regrole, proacl)
    FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('nsp %s %s %s', nspname, nspowner::regrole, nspacl) FROM pg_namespace
   WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
  UNION ALL
  SELECT format('pol %s %s', polrelid::regclass, polname) FROM pg_policy
  UNION ALL
  SELECT format('acl %s %s', defaclrole::regrole, defaclacl) FROM pg_default_acl
  UNION ALL
  SELECT format('ext %s %s', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT 'set ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
   WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) AS items
"""

TABLES = """
SELECT c.relname,
       string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
         FILTER (WHERE a.attgenerated = '')
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND NOT a.attisdropped
 GROUP BY c.relname ORDER BY c.relname
"""


def libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class RecycledDatabases:
    """Copies of the database ``template`` on the server of ``admin``: ``take`` gives one
    (a spare one reset after an earlier test, or a new copy), ``give_back`` resets it for
    the next test or drops it."""

    def __init__(self, admin: Engine, url: URL, template: str, prefix: str) -> None:
        self.admin = admin
        self.url = url
        self.template = template
        self.prefix = prefix
        self.numbers = itertools.count(1)  # next() on a count is atomic under the GIL
        self.spares: deque[str] = deque()
        self.lock = threading.Lock()
        self.created: set[str] = set()
        self.fingerprint = ""
        self.reset_sql = ""
        # A database a test changed is dropped behind the next test: DROP DATABASE waits
        # for a checkpoint, seconds on a loaded server, that the worker need not wait for.
        self.dropping = ThreadPoolExecutor(max_workers=1)
        self.dropped: list[Future[None]] = []

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _name(self) -> str:
        """A database name never given before in this process."""
        return f"{self.prefix}_{next(self.numbers)}"

    def new_template(self) -> str:
        """The template, empty (one a stopped run left is dropped first): its URL, to
        migrate and fill before ``seal_template``."""
        self._sql(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{self.template}"')
        return self.url_of(self.template)

    def prepare_template(self, fill: Callable[[Engine], T]) -> T:
        """The template made, migrated, filled by ``fill`` (given an engine on it) and
        sealed; what ``fill`` returns. ``close`` drops it: register ``close`` as a
        finaliser of the session (``request.session.addfinalizer``), not as a clean-up
        of the config, which runs after the session, when xdist gives a worker only ten
        seconds to stop (databases were left behind)."""
        engine = make_engine(self.new_template())
        try:
            upgrade(engine)
            filled = fill(engine)
        finally:
            engine.dispose()  # a template database must have no connection
        self.seal_template()
        return filled

    def seal_template(self) -> None:
        """Keeps the template's rows and sequences in ``PRISTINE``, once it is migrated
        (and filled): every copy then carries what to reset itself to."""
        with psycopg.connect(libpq(self.url.set(database=self.template))) as connection:
            tables = connection.execute(TABLES).fetchall()
            statements = [f"CREATE SCHEMA {PRISTINE}"]
            reset = ["SET LOCAL session_replication_role = replica"]
            for table, columns in tables:
                quoted = sql.Identifier(table).as_string(connection)
                reset.append(f"DELETE FROM public.{quoted}")
                if connection.execute(f"SELECT EXISTS (SELECT FROM public.{quoted})").fetchone()[0]:  # type: ignore[index]
                    statements.append(
                        f"CREATE TABLE {PRISTINE}.{quoted} AS "
                        f"SELECT {columns} FROM public.{quoted}"
                    )
                    reset.append(
                        f"INSERT INTO public.{quoted} ({columns}) OVERRIDING SYSTEM VALUE "
                        f"SELECT {columns} FROM {PRISTINE}.{quoted}"
                    )
            statements.append(
                f"CREATE TABLE {PRISTINE}.sequences AS SELECT sequencename, last_value, "
                "start_value FROM pg_sequences WHERE schemaname = 'public'"
            )
            reset.append(
                "SELECT count(setval(format('public.%I', sequencename)::regclass, "
                "coalesce(last_value, start_value), last_value IS NOT NULL)) "
                f"FROM {PRISTINE}.sequences"
            )
            for statement in statements:
                connection.execute(statement)  # type: ignore[arg-type]
            connection.commit()
            self.fingerprint = connection.execute(FINGERPRINT).fetchone()[0]  # type: ignore[index]
        self.reset_sql = ";\n".join(reset)

    def take(self) -> str:
        """A database like the template: a spare one, or a new copy."""
        return self.take_spare() or self.url_of(self.copy())

    def take_spare(self) -> str | None:
        """A database reset after an earlier test, if one is ready."""
        with self.lock:
            return self.url_of(self.spares.popleft()) if self.spares else None

    def copy(self) -> str:
        """A new copy of the template; its name."""
        name = self._name()
        with self.lock:
            self.created.add(name)
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def give_back(self, url: str) -> None:
        """After a test: reset the database for another, or drop it if the test changed
        more than rows (or it cannot be reset)."""
        name = make_url(url).database or ""
        spare = self._name()
        try:
            self._rename(name, spare)
        except Exception:  # still in use: not ours to reuse
            self._drop_later(name)
            return
        with self.lock:
            self.created.discard(name)
            self.created.add(spare)
        try:
            with psycopg.connect(libpq(self.url.set(database=spare))) as connection:
                connection.execute(self.reset_sql)  # type: ignore[arg-type]
                connection.commit()
                same = connection.execute(FINGERPRINT).fetchone()[0] == self.fingerprint  # type: ignore[index]
        except psycopg.Error:
            same = False
        if not same:
            self._drop_later(spare)
            return
        with self.lock:
            self.spares.append(spare)

    def _drop_later(self, name: str) -> None:
        self.dropped.append(self.dropping.submit(self.drop, name))

    def _rename(self, name: str, new: str) -> None:
        with self.admin.connect() as connection:
            for attempt in range(20):
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
                try:
                    connection.exec_driver_sql(f'ALTER DATABASE "{name}" RENAME TO "{new}"')
                    return
                except Exception:
                    if attempt == 19:
                        raise
                    connection.exec_driver_sql("SELECT pg_sleep(0.01)")

    def drop(self, name: str) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with self.lock:
            self.created.discard(name)
            if name in self.spares:
                self.spares.remove(name)

    def close(self) -> None:
        """Drops every copy and the template, all at once: each DROP DATABASE waits for a
        checkpoint, and drops waiting together share one (one after the other, the last
        test of each worker waited seconds, all workers at once at the end of the run)."""
        self.dropping.shutdown(wait=True)
        with self.lock:
            names = sorted(self.created)
        with ThreadPoolExecutor(max_workers=min(8, len(names) + 1)) as pool:
            list(pool.map(self.drop, [*names, self.template]))
        # A drop behind a test that failed says so here, once the rest is dropped.
        for dropped in self.dropped:
            dropped.result()

    def _sql(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(statement)
