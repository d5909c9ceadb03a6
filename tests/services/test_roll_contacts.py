"""The roll's home address and constituency (issue 14 §3): read from the roll like the
other contacts, kept on a re-import that leaves them out, shown masked, purged with
the rest of the voter's personal data."""

import csv
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from csu.domain.clock import fixed_clock
from csu.domain.errors import InvalidValue
from csu.domain.roll import parse_postal_address
from csu.services.context import Deps
from csu.services.elections import load_election
from csu.services.retention import purge
from csu.services.rolls import import_voters
from csu.services.support import voter_support
from csu.store.tables import Voter
from tests.conftest import ADMIN, AGENT

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
AFTER_RETENTION = datetime(2023, 3, 10, 9, 0, tzinfo=UTC)
ROW = {
    "matricule": "AB1234", "nom": "Dupont", "prenom": "Jeanne", "date_naissance": "12/03/1970",
    "bureau": "B75", "identifiant": "ID-0001",
    "adresse_postale": "Appartement 12\n18 rue de la Paix\n59000 Lille",
    "circonscription": "Grand Lille",
}  # fmt: skip


def write_roll(path: Path, *rows: dict[str, str]) -> Path:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    return path


def load(deps: Deps, election: str) -> None:
    text = (ELECTIONS / f"{election}.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text, f"{election}.toml")


def voter(deps: Deps) -> Voter:
    with deps.reading() as session:
        return session.exec(select(Voter).where(Voter.matricule == "AB1234")).one()


def test_the_address_and_constituency_are_stored_from_the_roll(deps: Deps, tmp_path: Path) -> None:
    load(deps, "minint-2022")
    assert import_voters(deps, ADMIN, write_roll(tmp_path / "r.csv", ROW), "minint-2022").committed
    stored = voter(deps)
    assert stored.adresse_postale == "Appartement 12\n18 rue de la Paix\n59000 Lille"
    assert stored.circonscription == "Grand Lille"


def test_a_reimport_without_them_keeps_them(deps: Deps, tmp_path: Path) -> None:
    load(deps, "minint-2022")
    import_voters(deps, ADMIN, write_roll(tmp_path / "a.csv", ROW), "minint-2022")
    bare = {k: v for k, v in ROW.items() if k not in ("adresse_postale", "circonscription")}
    assert import_voters(deps, ADMIN, write_roll(tmp_path / "b.csv", bare), "minint-2022").committed
    assert voter(deps).adresse_postale is not None and voter(deps).circonscription == "Grand Lille"


def test_a_bad_address_names_its_line_and_column(deps: Deps, tmp_path: Path) -> None:
    load(deps, "minint-2022")
    row = ROW | {"adresse_postale": "18 rue de la Paix"}
    report = import_voters(deps, ADMIN, write_roll(tmp_path / "r.csv", row), "minint-2022")
    assert not report.committed
    [error] = report.errors
    assert (error.line, error.column) == (2, "adresse_postale")
    assert "la dernière avec le code postal" in error.reason


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("18 rue de la Paix / 59000 Lille", "18 rue de la Paix\n59000 Lille"),
        ("  18  rue de la Paix \r\n\r\n 59000   LILLE ", "18 rue de la Paix\n59000 LILLE"),
    ],
)
def test_an_address_is_tidied_into_lines(typed: str, stored: str) -> None:
    assert parse_postal_address(typed) == stored


def test_an_address_without_postcode_is_refused_in_french() -> None:
    with pytest.raises(InvalidValue, match="code postal et la commune"):
        parse_postal_address("18 rue de la Paix\nLille")


def test_the_constituency_gives_a_cci_voter_their_ccil(deps: Deps, tmp_path: Path) -> None:
    load(deps, "cci-hdf-2021")
    row = ROW | {"matricule": "CCI00001", "bureau": "CCI-HDF-GRAND-LILLE",
                 "identifiant": "9999000001", "qualite": "à titre personnel"}  # fmt: skip
    assert import_voters(deps, ADMIN, write_roll(tmp_path / "c.csv", row), "cci-hdf-2021").committed
    with deps.reading() as session:
        voter_id = session.exec(select(Voter.id).where(Voter.matricule == "CCI00001")).one()
    support = voter_support(deps, AGENT, voter_id or 0)
    assert support.ccil is not None and support.ccil.name == "CCIL Grand Lille"
    assert support.lines[0].startswith("CCIL Grand Lille : 06 45 72 37 22, elections@grand-lille")
    assert not support.unmatched


def test_the_purge_erases_the_address_and_constituency(deps: Deps, tmp_path: Path) -> None:
    load(deps, "minint-2022")
    import_voters(deps, ADMIN, write_roll(tmp_path / "r.csv", ROW), "minint-2022")
    later = dataclasses.replace(deps, clock=fixed_clock(AFTER_RETENTION))
    purge(later, ADMIN)
    with deps.reading() as session:
        row = session.exec(select(Voter)).one()
    assert (row.adresse_postale, row.circonscription, row.purged_at) == (
        None, None, AFTER_RETENTION
    )
