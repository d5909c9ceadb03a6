"""Engine and transactions for SQLite (one workstation) and PostgreSQL (a cell)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 131_072
_writers: "WeakKeyDictionary[Engine, Engine]" = WeakKeyDictionary()


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here, the driver the project ships."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL", **kwargs: Any) -> Engine:
    """An engine for ``url``.

    SQLite runs in WAL mode where ``NORMAL`` keeps every commit through a crash of
    the program or of a workstation session, and ``FULL`` also through a power cut,
    at the cost of one disk flush per commit (about 7 ms here).
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, sqlite_synchronous)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"unknown SQLite synchronous mode: {synchronous}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Indexes of a million voters do not fit the default 2 MiB page cache.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE) so that two
        # workstations never interleave journal appends or fail on lock upgrade.
        if connection.get_execution_options().get("csu_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error."""
    writer = _writers.get(engine)
    if writer is None:  # one option engine per engine: building it costs per call
        writer = _writers[engine] = engine.execution_options(csu_write=True)
    with Session(writer, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
