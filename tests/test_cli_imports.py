"""``csu import``: a refusal names the file on each faulty line, and counts what it read."""

from pathlib import Path

import pytest

from tests.cli_support import assert_refused, clean_environment, csu, initialised, said

MININT = Path(__file__).resolve().parents[1] / "data" / "elections" / "minint-2022.toml"
HEADER = "matricule;nom;prenom;date_naissance;bureau;identifiant;scrutins"
JEANNE = "AB1234;Dupont;Jeanne;12/03/1970;B75;ID-0001;csa|ccp"
BAD_DATE = "GH3456;Durand;Luc;31/02/1970;B75;ID-0004;csa"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    return initialised(tmp_path / "base" / "cellule.sqlite", MININT)


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_refused_roll_names_the_file_on_each_faulty_line(loaded: Path, tmp_path: Path) -> None:
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE, BAD_DATE)
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert_refused(
        result,
        "liste.csv, ligne 3, colonne date_naissance : ",
        "Import refusé : 1 ligne(s) en erreur sur 2 ; rien n'a été écrit.",
    )


def test_a_roll_whose_header_is_wrong_says_no_line_was_read(loaded: Path, tmp_path: Path) -> None:
    roll = write(tmp_path / "liste.csv", HEADER + ";extra", JEANNE + ";x")
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert_refused(
        result,
        "liste.csv, ligne 1, colonne extra : colonne inconnue",
        "Import refusé : l'en-tête de liste.csv est à corriger, aucune ligne n'a été lue ; "
        "rien n'a été écrit.",
    )
    assert "sur 0" not in said(result) and "--skip-invalid" not in said(result)


def test_a_refused_vote_file_names_the_file_and_counts_its_lines(
    loaded: Path, tmp_path: Path
) -> None:
    votes = write(tmp_path / "emargement.csv", "identifiant;vote_le", "ID-9999;02/12/2022 10:15")
    result = csu("import", "votes", votes, "--election", "minint-2022", "--db", loaded)
    assert_refused(
        result,
        "emargement.csv, ligne 2, colonne identifiant : identifiant inconnu",
        "Import refusé : 1 ligne(s) en erreur sur 1 ; rien n'a été écrit.",
    )
