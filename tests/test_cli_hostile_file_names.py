"""A file whose name holds a control or bidirectional character is refused before it is
read: its name would otherwise reach the journal as it is, where an escape sequence
recolours a supervisor's review and a U+202E reorders its line. The refusal shows the
name with those characters as codes, and nothing is written."""

import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from csu.startup import open_store
from csu.store.tables import JournalEntry
from tests.cli_support import assert_refused, clean_environment, csu, initialised
from tests.test_cli import HEADER, MININT

HOSTILE = {
    "zero-width": "liste\u200b.csv",
    "newline": "liste\n=cmd.csv",
    "escape": "liste\x1b[31mrouge.csv",
    "override": "liste\u202evsc.txt",
    "isolate": "liste\u2066.csv",
}
SHOWN = {
    "zero-width": "liste\\u200b.csv",
    "newline": "liste\\n=cmd.csv",
    "escape": "liste\\x1b[31mrouge.csv",
    "override": "liste\\u202evsc.txt",
    "isolate": "liste\\u2066.csv",
}


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return initialised(tmp_path / "base" / "cellule.sqlite", MININT)


def entries(db: Path) -> list[tuple[str, bytes]]:
    _, deps = open_store(str(db))
    with deps.reading() as session:
        return [(e.action, e.body) for e in session.exec(select(JournalEntry)).all()]


def hostile(tmp_path: Path, kind: str, content: str) -> Path:
    path = tmp_path / HOSTILE[kind]
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize(
    ("command", "content"),
    [
        (["import", "voters"], f"{HEADER}\nAB1234;Dupont;Jeanne;12/03/1970;B75;ID-0001;csa\n"),
        (["import", "votes"], "identifiant;vote_le\nID-0001;02/12/2022 10:15\n"),
        (["import", "credentials"], "identifiant;type;hash;prefixe_hash\n"),
    ],
    ids=["voters", "votes", "credentials"],
)
def test_an_import_of_a_file_with_a_hostile_name_is_refused_and_journals_nothing(
    db: Path, tmp_path: Path, kind: str, command: list[str], content: str
) -> None:
    before = entries(db)
    path = hostile(tmp_path, kind, content)
    result = csu(*command, path, "--election", "minint-2022", "--db", db)
    assert_refused(
        result, "Chemin du fichier « ", f"{SHOWN[kind]} » : caractère interdit en position "
    )
    assert HOSTILE[kind] not in result.output
    assert entries(db) == before


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_an_election_file_with_a_hostile_name_is_refused(
    db: Path, tmp_path: Path, kind: str
) -> None:
    before = entries(db)
    path = tmp_path / HOSTILE[kind]
    shutil.copy(MININT, path)
    result = csu("election", "load", path, "--db", db)
    assert_refused(result, "Chemin du fichier « ", f"{SHOWN[kind]} »")
    assert entries(db) == before


def test_a_missing_file_with_a_hostile_name_is_shown_escaped(db: Path, tmp_path: Path) -> None:
    result = csu("election", "load", tmp_path / "absent\x1b[2J.toml", "--db", db)
    assert_refused(result, "absent\\x1b[2J.toml")
    assert "\x1b[2J" not in result.output


def test_a_folder_with_a_hostile_name_is_refused_too(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dir\x1b]0;PWN\x07\u202e"
    folder.mkdir()
    path = folder / "liste.csv"
    path.write_text(f"{HEADER}\n", encoding="utf-8")
    result = csu("import", "voters", path, "--election", "minint-2022", "--db", db)
    assert_refused(result, "Chemin du fichier « ", "dir\\x1b]0;PWN\\x07\\u202e/liste.csv » : ")
    assert "\x1b" not in result.output and "\u202e" not in result.output
