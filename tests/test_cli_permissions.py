"""A base in a file or folder this account may not read or write is named in French,
with the file or folder and what the account lacks. Each test runs `csu` in a process of
its own, where file permissions apply (for root, without the capabilities that let it
read and write anything): left out of `make test-fast` (tests/conftest.py)."""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import clean_environment, initialised
from tests.test_cli import MININT
from tests.test_cli_database_errors import ENGLISH


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return initialised(tmp_path / "base" / "cellule.sqlite")


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
