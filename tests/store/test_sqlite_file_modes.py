"""A SQLite store holds names, birth dates and contacts: its files are its owner's only
(0600), like the key file beside it, the -wal and -shm files included."""

import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from csu.store.engine import make_engine
from tests.cli_support import assert_done, clean_environment, csu


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_something(path: Path) -> None:
    """One write through the engine: SQLite creates the file and its WAL companions."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE note (text TEXT)")
            connection.exec_driver_sql("INSERT INTO note VALUES ('Jeanne Dupont, 12/03/1970')")
        with engine.connect() as connection:  # -wal and -shm exist while a connection is open
            companions = [Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(p.exists() for p in companions)
            assert [mode(p) for p in (path, *companions)] == [0o600] * 3
            connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


def test_a_new_database_and_its_wal_files_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "base" / "cellule.sqlite"
    write_something(path)
    assert mode(path) == 0o600


def test_a_database_left_readable_by_others_is_tightened_on_opening(tmp_path: Path) -> None:
    path = tmp_path / "ancienne.sqlite"
    with closing(sqlite3.connect(path)) as old:  # as an older version left it
        old.execute("CREATE TABLE voter (name TEXT)")
        old.commit()
    path.chmod(0o644)
    write_something(path)
    assert mode(path) == 0o600


def test_csu_init_creates_database_and_key_for_their_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(tmp_path, monkeypatch)
    path = tmp_path / "cellule.sqlite"
    assert_done(csu("init", "--db", path))
    assert (mode(path), mode(Path(f"{path}.key"))) == (0o600, 0o600)
