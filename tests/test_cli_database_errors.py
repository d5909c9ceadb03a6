"""A base the command cannot use is told in French, naming it: a SQLite path that is a
folder, a file that is no base, a file or folder this account may not read or write, a
base another program keeps locked, a PostgreSQL server or base that is not there. The
drivers' own words (« unable to open database file », « database is locked ») are
English: they never reach the operator, nor does a traceback."""

import functools
import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
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


# --- files and folders this account may not read or write ---------------------------


def unprivileged(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``csu ARGS`` in a process where file permissions apply: as is for an ordinary
    account; for root, without the capabilities that let it read and write anything."""
    command = [sys.executable, "-m", "csu.cli", *(str(arg) for arg in args)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root without setpriv: file permissions would not apply")
        dropped = "--bounding-set=-dac_override,-dac_read_search,-fowner"
        command = [setpriv, dropped, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.stderr.startswith("setpriv:"):
        pytest.skip(f"capabilities cannot be dropped here: {done.stderr.strip()}")
    return done


def assert_told_in(done: subprocess.CompletedProcess[str], *phrases: str) -> None:
    told = " ".join(f"{done.stdout} {done.stderr}".split())
    assert done.returncode == 1, told
    for phrase in phrases:
        assert phrase in told, told
    for words in ENGLISH:
        assert words not in told, told


@pytest.fixture
def modes() -> Iterator[list[Path]]:
    """Paths whose mode a test changes: given back their owner's full rights after it,
    so that the temporary folder can be removed."""
    changed: list[Path] = []
    yield changed
    for path in changed:
        os.chmod(path, stat.S_IRWXU)


def chmod(modes: list[Path], path: Path, mode: int) -> None:
    modes.append(path)
    os.chmod(path, mode)


def test_a_read_only_base_refuses_a_writing_command_naming_the_file(
    db: Path, modes: list[Path]
) -> None:
    chmod(modes, db, 0o400)
    assert_told_in(
        unprivileged("election", "load", MININT, "--db", db),
        f"Base {db} : cette commande doit y écrire, or le fichier est en lecture seule pour "
        "ce compte (droits).",
    )


def test_a_read_only_base_still_answers_a_command_that_only_reads(
    db: Path, modes: list[Path]
) -> None:
    chmod(modes, db, 0o400)
    done = unprivileged("audit", "verify", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "journal intègre" in done.stdout


def test_the_terminal_refuses_a_read_only_base_naming_the_file(
    db: Path, modes: list[Path]
) -> None:
    chmod(modes, db, 0o400)
    assert_told_in(
        unprivileged("run", "--db", db),
        f"Base {db} : le terminal doit y écrire, or le fichier est en lecture seule",
    )


def test_a_base_in_a_folder_it_may_not_write_is_named_with_the_folder(
    db: Path, modes: list[Path]
) -> None:
    reader = sqlite3.connect(db)  # the last to close: its -wal and -shm go with it
    reader.execute("SELECT count(*) FROM operator")
    reader.close()
    assert not list(db.parent.glob(f"{db.name}-*"))
    chmod(modes, db.parent, 0o500)
    assert_told_in(
        unprivileged("operator", "list", "--db", db),
        f"Base {db} : SQLite doit créer cellule.sqlite-wal et cellule.sqlite-shm à côté "
        f"d'elle, même pour la lire, or le dossier {db.parent} n'est pas accessible en "
        "écriture à ce compte (droits).",
    )


def test_an_unreadable_base_is_named(db: Path, modes: list[Path]) -> None:
    chmod(modes, db, 0)
    assert_told_in(
        unprivileged("operator", "list", "--db", db),
        f"Base {db} : fichier illisible pour ce compte (droits).",
    )


def test_a_base_in_a_folder_it_may_not_enter_is_named_with_the_folder(
    db: Path, modes: list[Path]
) -> None:
    chmod(modes, db.parent, 0)
    assert_told_in(
        unprivileged("operator", "list", "--db", db),
        f"Base {db} : le dossier {db.parent} n'est pas accessible à ce compte (droits).",
    )


def test_init_in_a_folder_it_may_not_write_is_named_with_the_folder(
    tmp_path: Path, modes: list[Path]
) -> None:
    folder = tmp_path / "bases"
    folder.mkdir()
    chmod(modes, folder, 0o500)
    db = folder / "cellule.sqlite"
    assert_told_in(
        unprivileged("init", "--db", db),
        f"Base {db} : impossible de la créer : le dossier {folder} n'est pas accessible en "
        "écriture à ce compte (droits).",
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


def test_a_reading_command_on_a_healthy_base_still_works(db: Path) -> None:
    assert_done(csu("operator", "list", "--db", db))
