"""``csu init`` (and ``csu demo``) at a path that cannot be a base: told in French, naming
what is wrong with the path, before anything is made there. A failed init leaves nothing
behind: no key file beside the path (the next init would take it for the key of
whatever base is there then), no base, no folder, no mode changed."""

import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import Result

from csu.services.context import ServiceError
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, said

ENGLISH = ("unable to open", "not a database", "Errno", "Traceback", "Error:")


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A folder of its own, whose content a test compares before and after."""
    folder = tmp_path / "ici"
    folder.mkdir()
    return folder


def content(folder: Path) -> dict[str, int]:
    """Every path under ``folder`` with its mode."""
    return {str(p.relative_to(folder)): p.lstat().st_mode for p in sorted(folder.rglob("*"))}


def assert_french(result: Result, *phrases: str) -> None:
    assert_refused(result, *phrases)
    for words in ENGLISH:
        assert words not in said(result), said(result)


def failing(*_args: object, **_kwargs: object) -> None:
    raise ServiceError("échec simulé de la migration")


def test_init_on_a_folder_says_so_and_leaves_no_key_beside_it(place: Path) -> None:
    folder = place / "bases"
    folder.mkdir()
    assert_french(
        csu("init", "--db", folder),
        f"Base {folder} : c'est un dossier, pas un fichier SQLite.",
        "pas son dossier",
    )
    assert not Path(f"{folder}.key").exists()


def test_init_on_a_folder_leaves_the_folder_and_its_mode_as_they_were(place: Path) -> None:
    folder = place / "bases"
    folder.mkdir(mode=0o755)
    before = content(place)
    assert_refused(csu("init", "--db", folder))
    assert content(place) == before
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_init_under_a_file_names_that_file_and_makes_nothing(place: Path) -> None:
    blocking = place / "notes.txt"
    blocking.write_text("pas un dossier\n", encoding="utf-8")
    before = content(place)
    path = blocking / "cellule.sqlite"
    assert_french(
        csu("init", "--db", path),
        f"Base {path} : {blocking} est un fichier, pas un dossier",
        "Vérifiez le chemin donné à --db",
    )
    assert content(place) == before


def test_init_on_a_file_that_is_no_base_leaves_it_as_it_was_and_no_key(place: Path) -> None:
    path = place / "cellule.sqlite"
    path.write_text("Liste des électeurs\n" * 50, encoding="utf-8")
    path.chmod(0o644)
    before = content(place)
    assert_french(
        csu("init", "--db", path),
        f"Base {path} : ce fichier n'est pas une base SQLite",
        "Vérifiez le chemin donné à --db",
    )
    assert content(place) == before
    assert path.read_text(encoding="utf-8") == "Liste des électeurs\n" * 50


def test_init_on_another_programs_sqlite_base_writes_nothing_there(place: Path) -> None:
    path = place / "autre.sqlite"
    with closing(sqlite3.connect(path)) as other, other:
        other.execute("CREATE TABLE voter (name TEXT)")
    before, raw = content(place), path.read_bytes()
    assert_french(
        csu("init", "--db", path),
        f"Base {path} : ce fichier est la base SQLite d'un autre programme",
        "csu init n'y écrit rien",
    )
    assert content(place) == before
    assert path.read_bytes() == raw  # not even turned to WAL mode


def test_init_on_a_pipe_says_it_is_no_ordinary_file(place: Path) -> None:
    pipe = place / "tube"
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipe here")
    os.mkfifo(pipe)
    before = content(place)
    assert_french(csu("init", "--db", pipe), f"Base {pipe} : ce n'est pas un fichier ordinaire")
    assert content(place) == before


def test_a_failed_init_of_a_new_base_leaves_neither_key_nor_base_nor_folders(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("csu.cli.db.upgrade", failing)  # after the key file is made
    assert_refused(csu("init", "--db", place / "a" / "b" / "cellule.sqlite"), "échec simulé")
    assert content(place) == {}


def test_a_failed_init_of_an_existing_base_keeps_the_base_and_its_key(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = place / "cellule.sqlite"
    assert_done(csu("init", "--db", path))
    key = Path(f"{path}.key").read_bytes()
    monkeypatch.setattr("csu.cli.db.upgrade", failing)
    assert_refused(csu("init", "--db", path), "échec simulé")
    assert path.exists() and Path(f"{path}.key").read_bytes() == key


def test_init_makes_the_missing_folders_of_a_new_base(place: Path) -> None:
    path = place / "a" / "b" / "cellule.sqlite"
    assert_done(csu("init", "--db", path))
    assert path.exists() and Path(f"{path}.key").exists()


def test_demo_on_a_folder_says_so_and_leaves_the_folder_as_it_was(place: Path) -> None:
    folder = place / "bases"
    folder.mkdir(mode=0o755)
    before = content(place)
    assert_french(
        csu("demo", "--db", folder, "--voters", "3"),
        f"Base {folder} : c'est un dossier, pas un fichier SQLite.",
    )
    assert content(place) == before


def test_demo_under_a_file_names_that_file_and_makes_nothing(place: Path) -> None:
    blocking = place / "notes.txt"
    blocking.write_text("pas un dossier\n", encoding="utf-8")
    before = content(place)
    path = blocking / "demo.sqlite"
    assert_french(
        csu("demo", "--db", path, "--voters", "3"),
        f"Base {path} : {blocking} est un fichier, pas un dossier",
    )
    assert content(place) == before


def test_demo_on_another_programs_sqlite_base_leaves_it_as_it_was(place: Path) -> None:
    path = place / "autre.sqlite"
    with closing(sqlite3.connect(path)) as other, other:
        other.execute("CREATE TABLE note (text TEXT)")
    before, raw = content(place), path.read_bytes()
    assert_french(csu("demo", "--db", path, "--voters", "3"), "n'est pas une base de démo")
    assert content(place) == before
    assert path.read_bytes() == raw


def test_a_failed_demo_build_leaves_no_folder_it_made(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("csu.services.demo.build_demo", failing)
    assert_refused(csu("demo", "--db", place / "a" / "demo.sqlite", "--voters", "3"), "échec")
    assert content(place) == {}
