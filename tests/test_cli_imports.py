"""``csu import``: a refusal names the file on each faulty line, and counts what it read."""

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.cli.common import more_rejected
from csu.domain.clock import fixed_clock
from csu.services.context import OperatorContext
from csu.services.interventions import open_intervention
from csu.services.operators import add_operator
from csu.startup import open_store
from csu.store.tables import Voter
from tests.cli_support import assert_refused, clean_environment, csu, initialised, said
from tests.conftest import ADMIN, NOW
from tests.fakes import FAST_HASHER

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
        "Import refusé : 1 ligne en erreur sur 2 ; rien n'a été écrit.",
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


def test_a_roll_opening_with_two_byte_order_marks_shows_the_second(
    loaded: Path, tmp_path: Path
) -> None:
    """The first is read as the file's encoding mark; the second was quoted raw, and
    « colonne matricule : colonne inconnue » read as a column CSU should know."""
    roll = write(tmp_path / "liste.csv", "\ufeff\ufeff" + HEADER, JEANNE)
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert_refused(result, "colonne [U+FEFF]matricule : colonne inconnue")


def test_a_refused_vote_file_names_the_file_and_counts_its_lines(
    loaded: Path, tmp_path: Path
) -> None:
    votes = write(tmp_path / "emargement.csv", "identifiant;vote_le", "ID-9999;02/12/2022 10:15")
    result = csu("import", "votes", votes, "--election", "minint-2022", "--db", loaded)
    assert_refused(
        result,
        "emargement.csv, ligne 2, colonne identifiant : identifiant inconnu",
        "Import refusé : 1 ligne en erreur sur 1 ; rien n'a été écrit.",
    )


PAUL = "CD5678;Éluard;Paul;01/07/1965;B75;ID-0002;csa"
ZOE = "EF9012;Martin;Zoé;01/01/1980;B75;ID-0003;csa|cap"
BAD_BUREAU_DATE = "IJ7890;Petit;Léa;30/02/1980;B75;ID-0005;csa"


def test_the_summary_of_one_row_is_in_the_singular(loaded: Path, tmp_path: Path) -> None:
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE)
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert result.exit_code == 0, said(result)
    assert "Import terminé : 1 ligne écrite, 1 électeur, 0 ligne ignorée, en " in said(result)


def test_the_summary_of_three_rows_is_in_the_plural(loaded: Path, tmp_path: Path) -> None:
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE, PAUL, ZOE, BAD_DATE, BAD_BUREAU_DATE)
    result = csu(
        "import", "voters", roll, "--election", "minint-2022", "--skip-invalid", "--db", loaded
    )
    assert result.exit_code == 0, said(result)
    assert "Import terminé : 3 lignes écrites, 3 électeurs, 2 lignes ignorées, en " in said(
        result
    )
    assert "(s)" not in said(result)


def test_a_refusal_of_several_rows_counts_them_in_the_plural(
    loaded: Path, tmp_path: Path
) -> None:
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE, BAD_DATE, BAD_BUREAU_DATE)
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert_refused(result, "Import refusé : 2 lignes en erreur sur 3 ; rien n'a été écrit.")


def test_votes_imported_are_counted_in_the_plural(loaded: Path, tmp_path: Path) -> None:
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE, PAUL)
    assert csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded).exit_code == 0
    votes = write(
        tmp_path / "emargement.csv",
        "identifiant;vote_le",
        "ID-0001;02/12/2022 10:15",
        "ID-0002;02/12/2022 10:20",
    )
    result = csu("import", "votes", votes, "--election", "minint-2022", "--db", loaded)
    assert result.exit_code == 0, said(result)
    assert "Émargement importé : 2 votes." in said(result)


@pytest.mark.parametrize(
    ("more", "said_after"),
    [
        (1, "… et 1 autre ligne en erreur, non détaillée."),
        (3, "… et 3 autres lignes en erreur, non détaillées."),
    ],
)
def test_the_rows_left_undetailed_are_counted_in_french(more: int, said_after: str) -> None:
    assert more_rejected(more) == said_after


def test_an_import_moving_a_voter_says_it_closed_their_presidents_open_case(
    loaded: Path, tmp_path: Path
) -> None:
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE, PAUL.replace(";B75;", ";B13;"))
    assert csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded).exit_code == 0
    _, deps = open_store(str(loaded))
    deps = replace(deps, clock=fixed_clock(NOW), hasher=FAST_HASHER)
    add_operator(deps, ADMIN, "pres.75", role="president", password="mot-de-passe-long",
                 bureau="B75")  # fmt: skip
    president = OperatorContext(login="pres.75", role="president", workstation="b", bureau="B75")
    with deps.reading() as session:
        jeanne = session.execute(select(Voter.id).where(Voter.matricule == "AB1234")).scalar_one()
    open_intervention(deps, president, jeanne, "president")
    moved = write(tmp_path / "moved.csv", HEADER, JEANNE.replace(";B75;", ";B13;"))
    result = csu("import", "voters", moved, "--election", "minint-2022", "--db", loaded)
    assert result.exit_code == 0, said(result)
    assert (
        "1 intervention en personne close comme « abandonné » : "
        "l'électeur a quitté le bureau de son président." in said(result)
    )
