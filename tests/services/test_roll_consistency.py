"""A roll checked against what its own earlier lines and the store already say: a
voter is one person across elections, a material keeps its identifier and the
scrutins it voted in, a file gives one identity per matricule. A row that would
contradict them is refused by line and column, like any bad row (all or nothing, or
skipped with ``skip_invalid``), and nothing stored changes."""

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from csu.services import rolls
from csu.services.context import Deps
from csu.services.elections import load_election
from csu.services.rolls import ImportReport, import_voters, import_votes
from csu.store.tables import Material, Voter
from tests.conftest import ADMIN, NOW

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
CCI = "cci-hdf-2021"
MININT = "minint-2022"
JEANNE = {
    "matricule": "AB1234", "nom": "Dupont", "prenom": "Jeanne", "date_naissance": "12/03/1970",
    "bureau": "B75", "qualite": "", "identifiant": "ID-0001", "scrutins": "csa|ccp",
}  # fmt: skip
PAUL = JEANNE | {
    "matricule": "CD5678", "nom": "Éluard", "prenom": "Paul", "date_naissance": "01/07/1965",
    "identifiant": "ID-0002", "scrutins": "csa|cap",
}  # fmt: skip
# A CCI voter: a company's head votes in two capacities, one material (row) each.
VIRGINIE = {
    "matricule": "CC24624570", "nom": "Ledoux", "prenom": "Virginie",
    "date_naissance": "29/07/2001", "bureau": "CCI-AISNE", "qualite": "à titre personnel",
    "identifiant": "8644811828", "scrutins": "",
}  # fmt: skip
VIRGINIE_REPRESENTING = VIRGINIE | {"qualite": "représentant", "identifiant": "8644811829"}


def write_roll(path: Path, *rows: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    return path


def load(deps: Deps, *elections: str) -> Deps:
    for election in elections:
        text = (ELECTIONS / f"{election}.toml").read_text(encoding="utf-8")
        load_election(deps, ADMIN, text, f"{election}.toml")
    return deps


def imported(
    deps: Deps, tmp_path: Path, election: str, *rows: dict[str, str], skip_invalid: bool = False
) -> ImportReport:
    path = write_roll(tmp_path / f"{election}-{len(list(tmp_path.iterdir()))}.csv", *rows)
    return import_voters(deps, ADMIN, path, election, skip_invalid=skip_invalid)


def faults(report: ImportReport) -> list[str]:
    return [error.describe() for error in report.errors]


def voter(deps: Deps, matricule: str) -> Voter:
    with deps.reading() as session:
        return session.exec(select(Voter).where(Voter.matricule == matricule)).one()


def materials(deps: Deps) -> dict[str, tuple[str, str, str, str | None]]:
    """identifier -> (election, matricule, status, scrutins)."""
    with deps.reading() as session:
        rows = session.exec(select(Material, Voter.matricule).join(Voter)).all()
    return {m.identifier: (m.election_id, matricule, m.status, m.scrutins) for m, matricule in rows}


@pytest.fixture
def both(deps: Deps, tmp_path: Path) -> Deps:
    """minint-2022 and cci-hdf-2021 loaded; Virginie on the CCI roll."""
    load(deps, MININT, CCI)
    assert imported(deps, tmp_path, CCI, VIRGINIE).committed
    return deps


# ------------------------------------------------------- one person across elections


def test_another_elections_voter_under_another_identity_is_refused_naming_that_election(
    both: Deps, tmp_path: Path
) -> None:
    intruder = JEANNE | {"matricule": VIRGINIE["matricule"], "nom": "Intrus", "prenom": "Cci",
                         "date_naissance": "01/01/1970"}  # fmt: skip
    report = imported(both, tmp_path, MININT, PAUL, intruder)
    assert not report.committed
    assert faults(report) == [
        "ligne 3, colonne matricule : déjà porté par un électeur de cci-hdf-2021 sous une "
        "autre identité (nom, prénom, date de naissance)"
    ]  # the identity stored is not quoted: it is the other election's
    kept = voter(both, VIRGINIE["matricule"])
    assert (kept.last_name, kept.first_name, kept.birth_date) == (
        "Ledoux", "Virginie", date(2001, 7, 29),
    )  # fmt: skip
    assert set(materials(both)) == {VIRGINIE["identifiant"]}


def test_another_elections_voter_is_refused_even_if_only_the_birth_date_differs(
    both: Deps, tmp_path: Path
) -> None:
    row = VIRGINIE | {"date_naissance": "30/07/2001", "qualite": "", "bureau": "B75",
                      "identifiant": "ID-0009", "scrutins": "csa"}  # fmt: skip
    report = imported(both, tmp_path, MININT, row)
    assert faults(report) == [
        "ligne 2, colonne matricule : déjà porté par un électeur de cci-hdf-2021 sous une "
        "autre identité (date de naissance)"
    ]


def test_the_same_person_on_a_second_roll_is_one_voter_with_both_materials(
    both: Deps, tmp_path: Path
) -> None:
    # Spelt as the other organiser does (capitals, no hyphen): names compare as searched.
    row = VIRGINIE | {"nom": "LEDOUX", "prenom": "VIRGINIE", "qualite": "", "bureau": "B75",
                      "identifiant": "ID-0009", "scrutins": "csa"}  # fmt: skip
    report = imported(both, tmp_path, MININT, row)
    assert report.committed
    owners = materials(both)
    assert owners[VIRGINIE["identifiant"]][:2] == (CCI, VIRGINIE["matricule"])
    assert owners["ID-0009"][:2] == (MININT, VIRGINIE["matricule"])
    assert voter(both, VIRGINIE["matricule"]).birth_date == date(2001, 7, 29)


def test_a_voter_on_two_rolls_cannot_be_renamed_by_one_of_them(both: Deps, tmp_path: Path) -> None:
    on_minint = VIRGINIE | {"qualite": "", "bureau": "B75", "identifiant": "ID-0009",
                            "scrutins": "csa"}  # fmt: skip
    assert imported(both, tmp_path, MININT, on_minint).committed
    renamed = on_minint | {"nom": "Ledoux-Martin"}
    report = imported(both, tmp_path, MININT, renamed)
    assert faults(report) == [
        "ligne 2, colonne matricule : déjà porté par un électeur de cci-hdf-2021 sous une "
        "autre identité (nom)"
    ]
    assert voter(both, VIRGINIE["matricule"]).last_name == "Ledoux"


def test_skip_invalid_writes_the_other_rows_and_leaves_the_other_elections_voter_as_it_was(
    both: Deps, tmp_path: Path
) -> None:
    intruder = JEANNE | {"matricule": VIRGINIE["matricule"], "nom": "Intrus"}
    report = imported(both, tmp_path, MININT, PAUL, intruder, skip_invalid=True)
    assert (report.committed, report.written, report.rejected) == (True, 1, 1)
    assert set(materials(both)) == {VIRGINIE["identifiant"], PAUL["identifiant"]}
    assert voter(both, VIRGINIE["matricule"]).last_name == "Ledoux"


# ------------------------------------------------------- a material keeps its identifier


@pytest.fixture
def minint(deps: Deps, tmp_path: Path) -> Deps:
    """minint-2022 loaded, Jeanne and Paul on its roll."""
    load(deps, MININT)
    assert imported(deps, tmp_path, MININT, JEANNE, PAUL).committed
    return deps


def test_a_new_identifier_for_a_voters_material_is_refused_naming_the_column(
    minint: Deps, tmp_path: Path
) -> None:
    report = imported(minint, tmp_path, MININT, JEANNE | {"identifiant": "ID-0099"}, PAUL)
    assert not report.committed
    assert faults(report) == [
        "ligne 2, colonne identifiant : ce matricule a déjà le matériel ID-0001 pour la "
        "qualité « électeur » : un matériel garde son identifiant (la plateforme et les codes "
        "délivrés le connaissent sous celui-ci)"
    ]
    assert set(materials(minint)) == {"ID-0001", "ID-0002"}


def test_a_material_given_to_another_matricule_is_refused_and_stays_with_its_voter(
    minint: Deps, tmp_path: Path
) -> None:
    someone = JEANNE | {"matricule": "EF9999", "nom": "Martin", "prenom": "Léa"}
    report = imported(minint, tmp_path, MININT, someone)
    assert not report.committed
    assert faults(report) == [
        "ligne 2, colonne identifiant : le matériel ID-0001 appartient à un autre électeur "
        "(autre nom, prénom) : un matériel garde son électeur (ses codes, ses votes, son "
        "historique) ; corrigez le matricule ou l'identifiant de la ligne"
    ]
    assert materials(minint)["ID-0001"][1] == "AB1234"


def test_a_matricule_corrected_for_the_same_person_takes_the_material(
    minint: Deps, tmp_path: Path
) -> None:
    report = imported(minint, tmp_path, MININT, JEANNE | {"matricule": "EF9999"})
    assert report.committed, faults(report)
    assert materials(minint)["ID-0001"][1] == "EF9999"


def test_two_identifiers_swapped_are_refused_on_both_lines(minint: Deps, tmp_path: Path) -> None:
    swapped = [JEANNE | {"identifiant": "ID-0002"}, PAUL | {"identifiant": "ID-0001"}]
    report = imported(minint, tmp_path, MININT, *swapped)
    assert [(error.line, error.column) for error in report.errors] == [
        (2, "identifiant"), (3, "identifiant"),
    ]  # fmt: skip
    assert materials(minint)["ID-0001"][1] == "AB1234"


def test_the_roll_imported_again_after_a_substitution_is_accepted(
    minint: Deps, tmp_path: Path
) -> None:
    # As a substitution leaves it: the original invalidated, a new active one beside it.
    with minint.writing() as session:
        original = session.exec(select(Material).where(Material.identifier == "ID-0001")).one()
        original.status = "substituted"
        session.add(original)
        session.add(Material(election_id=MININT, voter_id=original.voter_id, capacity="électeur",
                             identifier="SUB-0001", bureau_code="B75", created_at=NOW,
                             replaces_id=original.id, scrutins="csa|ccp"))  # fmt: skip
    report = imported(minint, tmp_path, MININT, JEANNE, PAUL)
    assert report.committed, faults(report)
    assert materials(minint)["ID-0001"][2] == "substituted"


# ------------------------------------------------------- a vote is never taken back


def vote(deps: Deps, tmp_path: Path, identifier: str, scrutin: str) -> None:
    path = tmp_path / "emargement.csv"
    path.write_text(f"identifiant;scrutin;vote_le\n{identifier};{scrutin};02/12/2022 10:15\n",
                    encoding="utf-8")  # fmt: skip
    assert import_votes(deps, ADMIN, path, MININT).committed


def test_a_row_taking_a_voted_scrutin_from_its_material_is_refused_naming_it(
    minint: Deps, tmp_path: Path
) -> None:
    vote(minint, tmp_path, "ID-0001", "ccp")
    report = imported(minint, tmp_path, MININT, JEANNE | {"scrutins": "csa|cap"})
    assert faults(report) == [
        "ligne 2, colonne scrutins : retire au matériel un scrutin où il a déjà voté : « ccp » ; "
        "gardez-le dans cette colonne (un émargement ne s'annule pas)"
    ]
    assert materials(minint)["ID-0001"][3] == "csa|ccp"


def test_a_row_keeping_the_voted_scrutins_may_change_the_others(
    minint: Deps, tmp_path: Path
) -> None:
    vote(minint, tmp_path, "ID-0001", "ccp")
    report = imported(minint, tmp_path, MININT, JEANNE | {"scrutins": "ccp"})
    assert report.committed, faults(report)
    assert materials(minint)["ID-0001"][3] == "ccp"


# ------------------------------------------------------- one identity per matricule in a file


def test_a_matricule_given_another_birth_date_further_down_is_refused_naming_the_first_line(
    deps: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(deps, CCI)
    monkeypatch.setattr(rolls, "CHUNK_ROWS", 1)  # the two rows in two chunks
    other = VIRGINIE_REPRESENTING | {"date_naissance": "01/01/1950"}
    report = imported(deps, tmp_path, CCI, VIRGINIE, other)
    assert not report.committed
    assert faults(report) == [
        "ligne 3, colonne date_naissance : même matricule que la ligne 2 sous une autre "
        "identité (date de naissance)"
    ]
    assert materials(deps) == {}


def test_a_matricule_in_two_capacities_spelt_alike_is_one_voter_with_two_materials(
    deps: Deps, tmp_path: Path
) -> None:
    load(deps, CCI)
    other = VIRGINIE_REPRESENTING | {"nom": "LEDOUX", "prenom": "virginie"}
    report = imported(deps, tmp_path, CCI, VIRGINIE, other)
    assert (report.committed, report.voters, report.written) == (True, 1, 2)


# ------------------------------------------------------- the implicit scrutin


def test_the_scrutins_column_may_name_an_elections_implicit_scrutin(
    deps: Deps, tmp_path: Path
) -> None:
    load(deps, CCI)
    report = imported(deps, tmp_path, CCI, VIRGINIE | {"scrutins": CCI})
    assert report.committed, faults(report)
    assert materials(deps)[VIRGINIE["identifiant"]][3] is None  # as an empty cell says


def test_an_unknown_scrutin_of_an_election_without_scrutins_names_the_implicit_one(
    deps: Deps, tmp_path: Path
) -> None:
    load(deps, CCI)
    report = imported(deps, tmp_path, CCI, VIRGINIE | {"scrutins": "ccir"})
    assert faults(report) == [
        "ligne 2, colonne scrutins : scrutin inconnu « ccir » (scrutins de l'élection : "
        "cci-hdf-2021)"
    ]
