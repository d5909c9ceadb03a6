"""A base the command cannot use is told in French, naming it: a SQLite path that is a
folder, a file that is no base, a base another program keeps locked, a PostgreSQL server
or base that is not there (a file or folder this account may not read or write:
tests/test_cli_permissions.py). The drivers' own words (« unable to open database file »,
« database is locked ») are English: they never reach the operator, nor does a traceback."""

import functools
import os
import re
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from csu import startup
from csu.startup import StoreUnavailable, open_workplace
from csu.store import engine as store_engine
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said
from tests.conftest import PostgresServer
from tests.test_cli import MININT

# What the drivers, SQLAlchemy or Python say when their words leak through.
ENGLISH = (
    "unable to open",
    "database is locked",
    "not a database",
    "readonly database",
    "connection failed",
    "does not exist",
    "Connection refused",
    "Error",
    "Traceback",
)
SECRET_KEY = "cle-de-deploiement-de-test-0123456789"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return initialised(tmp_path / "base" / "cellule.sqlite")


def assert_told(result: Result, *phrases: str) -> None:
    assert_refused(result, *phrases)
    for words in ENGLISH:
        assert words not in said(result), said(result)


# --- paths that are no base --------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["init"], ["operator", "list"], ["audit", "verify"]], ids=" ".join
)
def test_a_folder_given_as_the_base_is_named_as_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", SECRET_KEY)
    folder = tmp_path / "bases"
    folder.mkdir()
    assert_told(
        csu(*command, "--db", folder),
        f"Base {folder} : c'est un dossier, pas un fichier SQLite.",
        "pas son dossier",
    )


@pytest.mark.parametrize(
    "command",
    [["operator", "list"], ["audit", "verify"], ["election", "load", MININT], ["db", "upgrade"]],
    ids=lambda command: " ".join(command[:2]),
)
def test_a_file_that_is_no_base_is_named(db: Path, command: list[str]) -> None:
    for each in db.parent.glob(f"{db.name}-*"):  # a WAL left beside it: not the point
        each.unlink()
    text = "Liste des opérateurs\n" * 200
    db.write_text(text, encoding="utf-8")
    assert_told(
        csu(*command, "--db", db),
        f"Base {db} : ce fichier n'est pas une base SQLite",
        "Vérifiez le chemin donné à --db",
    )
    assert db.read_text(encoding="utf-8") == text  # left as it was


def test_the_terminal_names_a_file_that_is_no_base(db: Path) -> None:
    for each in db.parent.glob(f"{db.name}-*"):
        each.unlink()
    db.write_bytes(b"\x00" * 4096 + b"pas une base")
    with pytest.raises(StoreUnavailable, match=re.escape(f"Base {db} : ce fichier n'est pas une")):
        open_workplace(str(db))


# --- a base another program keeps locked -------------------------------------------


@pytest.fixture
def locked(db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``db`` with its write lock held by another connection for the whole test, and
    the commands' engines waiting 0.1 s for it rather than 10."""
    short = functools.partial(store_engine.make_engine, sqlite_busy_timeout_ms=100)
    monkeypatch.setattr(startup, "make_engine", short)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield db
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_locked_base_is_named_and_the_command_does_nothing(locked: Path) -> None:
    result = csu("election", "load", MININT, "--db", locked)
    assert_told(
        result,
        f"Base {locked} : verrouillée par un autre programme qui y écrit",
        "L'opération n'a pas abouti : réessayez quand il aura fini.",
    )
    with sqlite3.connect(locked) as reader:
        assert reader.execute("SELECT count(*) FROM election").fetchone() == (0,)


def test_a_base_locked_through_every_retry_is_named_and_nothing_recorded(locked: Path) -> None:
    result = csu("platform", "add", "neovote", "--election", "minint-2022", "--db", locked)
    assert_told(
        result,
        f"Base {locked} : verrouillée par un autre programme qui y écrit",
        "Rien n'a été enregistré.",
    )


# --- PostgreSQL ---------------------------------------------------------------------


def server_url(server: PostgresServer, **parts: object) -> str:
    return server.url.set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


@pytest.mark.postgres
def test_a_postgresql_base_absent_from_the_server_is_named(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", SECRET_KEY)
    url = server_url(postgres_server, database=f"csu_absente_{os.getpid()}")
    where = f"{postgres_server.url.host}:{postgres_server.url.port or 5432}"
    assert_told(
        csu("operator", "list", "--db", url),
        f"Base PostgreSQL « csu_absente_{os.getpid()} » du serveur {where} : cette base "
        "n'existe pas sur le serveur.",
    )


@pytest.mark.postgres
def test_a_postgresql_port_where_no_server_listens_is_named(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", SECRET_KEY)
    with socket.socket() as probe:  # a port free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = server_url(postgres_server, host="127.0.0.1", port=port)
    assert_told(
        csu("operator", "list", "--db", url),
        f"Serveur PostgreSQL 127.0.0.1:{port} injoignable : connexion refusée",
    )


@pytest.mark.parametrize(
    ("query", "told"),
    [
        ("sslmode=bogus", "paramètre « sslmode » de valeur invalide"),
        ("target_session_attrs=zz", "paramètre « target_session_attrs » de valeur invalide"),
        ("bogusopt=1", "paramètre « bogusopt » inconnu"),
        ("port=abc", "port non numérique"),
    ],
)
def test_a_parameter_of_the_postgresql_address_the_client_refuses_is_named_as_the_address_s(
    monkeypatch: pytest.MonkeyPatch, query: str, told: str
) -> None:
    # libpq and SQLAlchemy refuse these before reaching any server: no server is refusing.
    monkeypatch.setenv("CSU_SECRET_KEY", SECRET_KEY)
    result = csu("operator", "list", "--db", f"postgresql://csu@127.0.0.1:9/csu?{query}")
    assert_told(result, f"Adresse de la base PostgreSQL : {told}" if "paramètre" in told else told)
    assert "Vérifiez l'adresse donnée à --db" in said(result)
    assert "le serveur l'a refusée" not in said(result)


def test_a_reading_command_on_a_healthy_base_still_works(db: Path) -> None:
    assert_done(csu("operator", "list", "--db", db))
