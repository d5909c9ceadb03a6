"""``csu purge``, driven as an administrator would, on a SQLite file with the real clock
(the 2022 elections closed long ago: their retention has run out)."""

from pathlib import Path

import pytest
from sqlmodel import select

from csu.fake_electorate import generate_roll, write_roll_csv
from csu.store.engine import make_engine
from csu.store.tables import JournalEntry, Voter
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said

ELECTIONS = Path(__file__).resolve().parents[1] / "data" / "elections"
MININT = ELECTIONS / "minint-2022.toml"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A cell's store: minint-2022 (closed in 2022) with a roll of three voters."""
    path = tmp_path / "cellule.sqlite"
    roll = tmp_path / "minint.csv"
    write_roll_csv(generate_roll("minint-2022", 3), roll)
    initialised(path, MININT)
    assert_done(csu("import", "voters", roll, "--election", "minint-2022", "--db", path))
    return path


def names(db: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(Voter.last_name)).scalars())
    finally:
        engine.dispose()


def purge_entries(db: Path) -> int:
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as connection:
            query = select(JournalEntry.seq).where(JournalEntry.action == "purge")
            return len(list(connection.execute(query)))
    finally:
        engine.dispose()


def test_purge_erases_the_voters_of_an_election_past_its_retention(db: Path) -> None:
    result = csu("purge", "--db", db)
    assert_done(result)
    assert (
        "Scrutin minint-2022 (clos le 08/12/2022 17:00) purgé : 3 électeurs effacés, "
        "0 conservé (inscrit à un scrutin non purgé) ;"
    ) in said(result)
    assert names(db) == ["", "", ""]
    assert purge_entries(db) == 1


def test_purge_says_what_it_erased_of_in_person_checks_and_platform_logins(db: Path) -> None:
    result = csu("purge", "--db", db)
    assert_done(result)
    assert (
        "0 motif de refus de vérification en personne, 0 compteur d'échecs de "
        "connexion de la plateforme effacés."
    ) in said(result)


def test_the_journal_still_verifies_after_a_purge(db: Path) -> None:
    assert_done(csu("purge", "--election", "minint-2022", "--db", db))
    result = csu("audit", "verify", "--db", db)
    assert_done(result)


def test_a_dry_run_says_what_would_go_and_erases_nothing(db: Path) -> None:
    result = csu("purge", "--dry-run", "--db", db)
    assert_done(result)
    assert "Simulation : rien n'a été effacé." in said(result)
    assert "serait purgé : 3 électeurs effacés" in said(result)
    assert all(names(db)) and purge_entries(db) == 0


def test_a_second_purge_finds_nothing_left(db: Path) -> None:
    assert_done(csu("purge", "--db", db))
    result = csu("purge", "--db", db)
    assert_done(result)
    assert "Scrutin minint-2022 non purgé : déjà purgé le" in said(result)
    assert "Aucun scrutin à purger." in said(result)


def test_an_election_not_closed_yet_is_refused(db: Path, tmp_path: Path) -> None:
    later = tmp_path / "minint-2099.toml"
    text = MININT.read_text(encoding="utf-8").replace('id = "minint-2022"', 'id = "minint-2099"')
    later.write_text(text.replace("2022-1", "2099-1"), encoding="utf-8")
    assert_done(csu("election", "load", later, "--db", db))
    result = csu("purge", "--election", "minint-2099", "--db", db)
    assert_refused(result, "Scrutin minint-2099 non purgé : le scrutin n'est pas clos")
    assert all(names(db))


def test_an_unreadable_date_is_refused_in_french(db: Path) -> None:
    result = csu("purge", "--before", "31/02/2022", "--db", db)
    assert_refused(result, "--before", "illisible")


def test_an_election_closed_after_the_date_is_not_purged(db: Path) -> None:
    result = csu("purge", "--before", "01/12/2022", "--db", db)
    assert_done(result)
    assert "non purgé : clos le 08/12/2022 17:00, pas avant le 01/12/2022 00:00." in said(result)
    assert all(names(db))
