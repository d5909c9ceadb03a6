"""``csu election load`` of a file that drops a scrutin already in use: refused in
French, naming it, and the stored election unchanged."""

import re
from pathlib import Path

import pytest

from csu.fake_electorate import generate_roll, write_roll_csv
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said

ELECTIONS = Path(__file__).resolve().parents[1] / "data" / "elections"
MININT = ELECTIONS / "minint-2022.toml"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """minint-2022 with a roll of three voters, each named in the « csa » scrutin."""
    path = tmp_path / "cellule.sqlite"
    roll = tmp_path / "minint.csv"
    write_roll_csv(generate_roll("minint-2022", 3), roll)
    initialised(path, MININT)
    assert_done(csu("import", "voters", roll, "--election", "minint-2022", "--db", path))
    return path


def without_csa(folder: Path) -> Path:
    text = MININT.read_text(encoding="utf-8")
    text, found = re.subn(r'\[\[scrutins\]\]\nid = "csa"\n(?:[^\[\n].*\n|\n)*', "", text)
    assert found == 1
    path = folder / "minint-2022-sans-csa.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_dropping_a_scrutin_in_use_is_refused_naming_it(db: Path, tmp_path: Path) -> None:
    before = said(csu("election", "list", "--db", db))
    result = csu("election", "load", without_csa(tmp_path), "--db", db)
    assert_refused(
        result,
        "Le fichier retire de l'élection minint-2022 des scrutins déjà utilisés",
        "« csa » (3 matériels qui le nomment)",
        "rien n'a été modifié",
    )
    assert said(csu("election", "list", "--db", db)) == before


def test_a_file_closing_an_open_vote_now_is_loaded_only_with_close_now(
    db: Path, tmp_path: Path
) -> None:
    text = MININT.read_text(encoding="utf-8")
    running = tmp_path / "minint-2022-en-cours.toml"  # open until a year from now
    running.write_text(re.sub(r"(opens_at|closes_at) = 2022-", r"\1 = 2026-", text).replace(
        "closes_at = 2026-12-08", "closes_at = 2027-12-08"), encoding="utf-8")  # fmt: skip
    assert_done(csu("election", "load", running, "--db", db))

    assert_refused(csu("election", "load", MININT, "--db", db),
                   "minint-2022.toml : Ce fichier clôt le vote dès maintenant", "--close-now")
    assert_done(csu("election", "load", MININT, "--close-now", "--db", db))
    assert "clos" in said(csu("election", "list", "--db", db))
