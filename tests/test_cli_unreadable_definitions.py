"""An election stored by an older CSU that this version no longer reads (its matricule
pattern in a construction RE2 does not read, say) is named by `csu db upgrade` and by
`csu init` on the store, before the cell opens on it: every listing of the elections
would fail with its fault. Loading the corrected file over it mends the store."""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised
from tests.test_cli import ELECTIONS, MININT

MEN = ELECTIONS / "men-2022.toml"
UNREADABLE = r"^[A-Z0-9]{4,12}\Z"  # Python's end of text: RE2 reads no \Z


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """minint-2022 and men-2022 loaded, then minint-2022's stored pattern rewritten as an
    older CSU, matching with Python's re, would have taken it."""
    path = initialised(tmp_path / "cellule.sqlite", MININT, MEN)
    with closing(sqlite3.connect(path)) as conn, conn:
        [(text,)] = conn.execute("SELECT definition FROM election WHERE id = 'minint-2022'")
        definition = json.loads(text) | {"matricule_pattern": UNREADABLE}
        conn.execute(
            "UPDATE election SET definition = ? WHERE id = 'minint-2022'",
            (json.dumps(definition),),
        )
    return path


@pytest.mark.parametrize("command", [["db", "upgrade"], ["init"]], ids=" ".join)
def test_a_stored_election_no_longer_read_is_named_with_its_fault(
    db: Path, command: list[str]
) -> None:
    assert_refused(
        csu(*command, "--db", db),
        "1 élection enregistrée ne se lit plus avec cette version de CSU : définition "
        "enregistrée minint-2022 : matricule_pattern : construction que le moteur RE2 ne lit",
        "csu election load FICHIER",
    )


def test_the_elections_still_read_are_not_named(db: Path) -> None:
    assert "men-2022" not in csu("db", "upgrade", "--db", db).output


def stored(db: Path, election_id: str, definition: str | bytes) -> None:
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE election SET definition = ? WHERE id = ?", (definition, election_id))


def test_two_elections_no_longer_read_are_both_named(db: Path) -> None:
    stored(db, "men-2022", "{")
    assert_refused(
        csu("db", "upgrade", "--db", db),
        "2 élections enregistrées ne se lisent plus",
        "définition enregistrée minint-2022 : matricule_pattern",
        "définition enregistrée men-2022 : JSON illisible",
    )


def test_loading_the_corrected_file_mends_the_store(db: Path) -> None:
    assert_refused(csu("election", "list", "--db", db), "minint-2022")
    assert_done(csu("election", "load", MININT, "--db", db))
    assert_done(csu("db", "upgrade", "--db", db))
    listed = csu("election", "list", "--db", db)
    assert_done(listed)
    assert "minint-2022" in listed.output and "men-2022" in listed.output


def test_a_store_whose_elections_all_read_upgrades_quietly(tmp_path: Path) -> None:
    result = csu("db", "upgrade", "--db", initialised(tmp_path / "ok.sqlite", MININT))
    assert_done(result)
    assert "Schéma à jour" in result.output and "ne se lit" not in result.output


@pytest.mark.parametrize(
    ("definition", "fault"),
    [
        ("[" * 200_000, "JSON illisible"),  # past the parser's recursion: no traceback
        ("{" + '"a":' * 100 + "1" + "}" * 100, "JSON illisible"),
        ("[1, 2]", "ce n'est pas un objet JSON"),
        ('{"titre": "sans id"}', "sans identifiant"),
        (b'{"id": "men-2022\xff"}', "texte non UTF-8"),  # a hand on the file
    ],
    ids=["nested", "cut", "list", "no-id", "not-utf8"],
)
def test_a_definition_no_csu_wrote_is_named_by_its_row(
    db: Path, definition: str | bytes, fault: str
) -> None:
    stored(db, "men-2022", definition)
    result = csu("db", "upgrade", "--db", db)
    assert_refused(result, f"définition enregistrée men-2022 : {fault}")
    assert "Traceback" not in result.output


def test_a_definition_holding_another_election_s_id_is_named(db: Path) -> None:
    """It would list minint-2022 twice, men-2022 no more."""
    with closing(sqlite3.connect(db)) as conn:
        [(minint,)] = conn.execute("SELECT definition FROM election WHERE id = 'minint-2022'")
    stored(db, "men-2022", minint)
    assert_refused(
        csu("db", "upgrade", "--db", db),
        "définition enregistrée men-2022 : elle porte l'identifiant d'une autre élection, "
        "« minint-2022 »",
    )


def test_an_id_written_by_hand_is_cut_and_shows_no_escape_sequence(db: Path) -> None:
    hostile = "\x1b]0;TITRE\x07\x1b[2J" + "x" * 5_000
    with closing(sqlite3.connect(db)) as conn, conn:
        [(text,)] = conn.execute("SELECT definition FROM election WHERE id = 'men-2022'")
        conn.execute(
            "UPDATE election SET definition = ? WHERE id = 'men-2022'",
            (json.dumps(json.loads(text) | {"id": hostile}),),
        )
    result = csu("db", "upgrade", "--db", db)
    assert_refused(result, "\\x1b]0;TITRE\\x07\\x1b[2J")
    assert "\x1b" not in result.output and len(result.output) < 2_000
