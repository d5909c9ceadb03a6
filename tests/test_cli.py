"""The ``csu`` command, driven as an administrator would drive it.

Every test runs the real Typer app on a SQLite file in its own temporary
directory; the environment is cleared of ``CSU_*`` settings so that nothing
touches the user's files or database.
"""

import csv
import json
import re
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from typer.testing import Result

from csu.cli.common import out
from csu.domain.hashing import pseudonym
from csu.services.context import Deps, ServiceError
from csu.services.demo import DEMO_OPERATORS, DEMO_PASSWORD, demo_callers
from csu.services.interventions import close_intervention, open_intervention
from csu.services.operators import add_operator
from csu.services.rolls import import_voters
from csu.services.verification import verify_identity
from csu.services.voters import search_voters
from csu.store import journal
from csu.store.engine import make_engine
from csu.store.journal import Actor
from csu.store.migrate import current_revision, downgrade, head_revision
from tests.cli_support import (
    assert_done,
    assert_refused,
    clean_environment,
    copy_of_demo,
    csu,
    initialised,
    said,
)
from tests.conftest import ADMIN, AGENT

ELECTIONS = Path(__file__).resolve().parents[1] / "data" / "elections"
MININT = ELECTIONS / "minint-2022.toml"
HEADER = (
    "matricule;nom;prenom;date_naissance;email_pro;telephone_pro;telephone_mobile;bureau;"
    "qualite;identifiant;numen;nir;iban;carte_agent;question_defi;reponse_defi"
)
GOOD = [
    "AB1234;Dupont;Jeanne;12/03/1970;jeanne.dupont@interieur.gouv.fr;01 40 00 00 00;"
    "06 12 34 56 78;B75;électeur;ID-0001;;;FR7630006000011234567890189;XK12345678;;",
    "CD5678;Éluard;Paul;1965-07-01;;;;B75;électeur;ID-0002;;;;;;",
    "EF9012;Martin;Zoé;01/01/1980;;;;B13;électeur;ID-0003;;;;;;",
]
BAD_DATE = "GH3456;Durand;Luc;31/02/1970;;;;B75;électeur;ID-0004;;;;;;"
UNREACHABLE_POSTGRES = "postgresql+psycopg://csu@127.0.0.1:1/csu"  # nothing listens on port 1
SECRET_KEY_MESSAGE = "définissez CSU_SECRET_KEY pour une base PostgreSQL"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CSU_* setting from the user's shell; data dir in tmp; wide, plain console."""
    clean_environment(tmp_path, monkeypatch)


def key_of(db: Path) -> bytes:
    return Path(f"{db}.key").read_text().strip().encode()


@contextmanager
def deps_of(db: Path) -> Iterator[Deps]:
    """Services on the command's database, with the key that `csu init` wrote."""
    engine = make_engine(f"sqlite:///{db}")
    try:
        yield Deps(engine=engine, key=key_of(db))
    finally:
        engine.dispose()


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def attack(db: Path, sql: str, *params: object) -> None:
    """What someone holding the file would do: drop the triggers, then edit the journal."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TRIGGER IF EXISTS journal_entry_no_update")
        conn.execute("DROP TRIGGER IF EXISTS journal_entry_no_delete")
        conn.execute(sql, params)


def record(db: Path, at: datetime, matricule: str | None = None, operator: str = "agent1") -> None:
    """An entry as a service would append it (the roll import has no subject)."""
    with deps_of(db) as deps, deps.writing() as session:
        journal.append(
            session,
            actor=Actor(operator, "agent", "poste-1"),
            action="consultation",
            outcome="ok",
            at=at,
            election="minint-2022",
            subject=pseudonym(deps.key, matricule) if matricule else None,
            details={"note": f"{matricule} à {at:%d/%m %H:%M}"},
        )


def write_csv(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def export_lines(result: Result) -> list[dict]:
    assert_done(result)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An initialised, empty database (not at the default place, see CSU_DATA_DIR)."""
    path = tmp_path / "base" / "cellule.sqlite"
    return initialised(path)


@pytest.fixture
def loaded(db: Path) -> Path:
    """minint-2022 loaded: the journal holds one entry."""
    assert_done(csu("election", "load", MININT, "--db", db))
    return db


@pytest.fixture
def rolled(loaded: Path, tmp_path: Path) -> Path:
    """Three voters on the roll, imported through the service."""
    with deps_of(loaded) as deps:
        report = import_voters(deps, ADMIN, write_csv(tmp_path / "roll.csv", *GOOD), "minint-2022")
    assert report.committed
    return loaded


# --- init -------------------------------------------------------------------------


def test_init_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "base" / "csu.sqlite"
    result = csu("init", "--db", path)
    assert_done(result)
    assert f"Base prête : {path}" in said(result)
    tables = {name for (name,) in query(path, "SELECT name FROM sqlite_master")}
    assert {"journal_entry", "voter", "material", "alembic_version"} <= tables


def test_init_writes_a_private_key_file_beside_the_database(tmp_path: Path) -> None:
    path = tmp_path / "poste.sqlite"
    result = csu("init", "--db", path)
    key_file = tmp_path / "poste.sqlite.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}", key_file.read_text().strip())
    assert f"Clé secrète : {key_file}" in said(result)


def test_a_second_init_keeps_the_key_and_the_journal(loaded: Path) -> None:
    key = key_of(loaded)
    assert_done(csu("init", "--db", loaded))
    assert key_of(loaded) == key
    assert "journal intègre : 1 entrée" in said(csu("audit", "verify", "--db", loaded))


@pytest.mark.parametrize(
    ("written", "sentence"),
    [("abc\n", "la clé secrète fait 3 caractères, 16 au moins sont requis"),
     ("a\n", "la clé secrète fait 1 caractère, 16 au moins sont requis"),
     ("", "ne contient pas une clé secrète lisible"),
     ("\xff\xfe", "ne contient pas une clé secrète lisible")],
)  # fmt: skip
def test_a_key_file_edited_by_hand_too_short_or_unreadable_is_refused(
    loaded: Path, written: str, sentence: str
) -> None:
    key_file = loaded.with_name(loaded.name + ".key")
    key_file.write_bytes(written.encode("latin-1"))
    result = csu("election", "list", "--db", loaded)
    assert_refused(result, f"{key_file}", sentence)


def test_a_secret_key_shorter_than_16_characters_is_refused(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", "abc")
    assert_refused(csu("election", "list", "--db", loaded), "CSU_SECRET_KEY : 16 caractères")


def test_a_command_on_a_database_never_initialised_says_to_run_init(tmp_path: Path) -> None:
    result = csu("audit", "verify", "--db", tmp_path / "jamais.sqlite")
    assert_refused(result, "Base introuvable", "csu init --db")


def test_with_a_secret_key_a_missing_database_says_to_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", "une-clé-de-déploiement-assez-longue")
    result = csu("election", "list", "--db", tmp_path / "jamais.sqlite")
    assert_refused(result, "Base introuvable", "csu init --db")


def test_an_empty_database_file_says_to_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", "une-clé-de-déploiement-assez-longue")
    path = tmp_path / "vide.sqlite"
    path.touch()
    assert_refused(csu("election", "list", "--db", path), "Base non initialisée", "csu init")


def test_a_command_on_a_missing_database_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", "une-clé-de-déploiement-assez-longue")
    path = tmp_path / "faute-de-frappe.sqlite"
    assert_refused(csu("audit", "verify", "--db", path))
    assert not path.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["init"],
        ["db", "upgrade"],
        ["election", "load", str(MININT)],
        ["import", "voters", "roll.csv", "--election", "minint-2022"],
        ["audit", "verify"],
        ["audit", "export"],
        ["run"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_postgresql_without_secret_key_stops_before_connecting(command: list[str]) -> None:
    result = csu(*command, "--db", UNREACHABLE_POSTGRES)
    assert_refused(result, "Aucune clé secrète", SECRET_KEY_MESSAGE)
    assert "injoignable" not in said(result)


def test_postgresql_url_from_the_environment_also_needs_the_secret_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSU_DATABASE_URL", UNREACHABLE_POSTGRES)
    assert_refused(csu("audit", "verify"), SECRET_KEY_MESSAGE)


def test_the_db_option_before_the_subcommand_is_not_ignored(loaded: Path) -> None:
    result = csu("--db", loaded, "audit", "verify")
    assert_done(result)
    assert "journal intègre : 1 entrée" in said(result)


# --- elections --------------------------------------------------------------------


def test_election_load_creates_the_election(db: Path) -> None:
    result = csu("election", "load", MININT, "--db", db)
    assert_done(result)
    assert "Scrutin minint-2022 créé" in said(result)


def test_election_load_again_updates_it(loaded: Path) -> None:
    result = csu("election", "load", MININT, "--db", loaded)
    assert_done(result)
    assert "Scrutin minint-2022 mis à jour" in said(result)


def test_election_list_shows_the_loaded_election_in_paris_time(loaded: Path) -> None:
    result = csu("election", "list", "--db", loaded)
    assert_done(result)
    assert "minint-2022" in said(result)
    assert "01/12/2022 09:00" in said(result) and "08/12/2022 17:00" in said(result)


def test_election_without_a_required_key_names_file_and_key(db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "sans-titre.toml"
    lines = MININT.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join(x for x in lines if not x.startswith("title")), encoding="utf-8")
    result = csu("election", "load", broken, "--db", db)
    assert_refused(result, "sans-titre.toml : title : clé obligatoire absente")


def test_election_closing_before_opening_names_file_and_key(db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "a-rebours.toml"
    source = MININT.read_text(encoding="utf-8")
    broken.write_text(
        source.replace("closes_at = 2022-12-08T17:00:00", "closes_at = 2022-11-30T17:00:00"),
        encoding="utf-8",
    )
    result = csu("election", "load", broken, "--db", db)
    assert_refused(result, "a-rebours.toml : closes_at")
    assert query(db, "SELECT count(*) FROM election") == [(0,)]


def test_election_load_of_a_missing_file_says_it_is_not_found(db: Path, tmp_path: Path) -> None:
    result = csu("election", "load", tmp_path / "absent.toml", "--db", db)
    assert_refused(result, "Définition de scrutin introuvable", "absent.toml")


def test_election_load_of_several_files_loads_none_when_one_is_broken(
    db: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "casse.toml"
    broken.write_text('id = "casse"\n', encoding="utf-8")
    result = csu("election", "load", MININT, broken, "--db", db)
    assert_refused(result, "casse.toml")
    assert query(db, "SELECT count(*) FROM election") == [(0,)]


# --- roll and votes imports -------------------------------------------------------


def test_import_voters_writes_a_good_file_and_sums_up(loaded: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "liste.csv", *GOOD)
    result = csu("import", "voters", path, "--election", "minint-2022", "--db", loaded)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert_done(result)
    assert "Import terminé : 3 lignes écrites, 3 électeurs, 0 ligne ignorée," in said(result)
    assert query(loaded, "SELECT count(*) FROM voter") == [(3,)]


def test_import_voters_with_bad_rows_names_them_and_writes_nothing(
    loaded: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "liste.csv", *GOOD, BAD_DATE)
    result = csu("import", "voters", path, "--election", "minint-2022", "--db", loaded)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert_refused(result, "ligne 5, colonne date_naissance : ", "rien n'a été écrit")
    assert query(loaded, "SELECT count(*) FROM voter") == [(0,)]


def test_import_voters_skip_invalid_writes_the_good_rows(loaded: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "liste.csv", *GOOD, BAD_DATE)
    result = csu(
        "import", "voters", path, "--election", "minint-2022", "--skip-invalid", "--db", loaded
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert_done(result)
    assert "ligne 5, colonne date_naissance : " in said(result)
    assert "3 lignes écrites" in said(result) and "1 ligne ignorée," in said(result)
    assert query(loaded, "SELECT count(*) FROM voter") == [(3,)]


def test_import_voters_with_a_missing_column_names_it_and_writes_nothing(
    loaded: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "liste.csv", "AB1234;Dupont", header="matricule;nom")
    result = csu("import", "voters", path, "--election", "minint-2022", "--db", loaded)
    assert_refused(
        result, "ligne 1, colonne prenom : colonne obligatoire absente", "rien n'a été écrit"
    )
    assert query(loaded, "SELECT count(*) FROM voter") == [(0,)]


def test_import_voters_for_an_unknown_election_names_it(loaded: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "liste.csv", *GOOD)
    result = csu("import", "voters", path, "--election", "inconnu-2030", "--db", loaded)
    assert_refused(result, "Scrutin inconnu : « inconnu-2030 »")


def test_import_voters_of_a_missing_file_says_it_is_not_found(loaded: Path, tmp_path: Path) -> None:
    path = tmp_path / "absente.csv"
    result = csu("import", "voters", path, "--election", "minint-2022", "--db", loaded)
    assert_refused(result, "Liste électorale introuvable", "absente.csv")


def test_import_votes_marks_the_materials_used(rolled: Path, tmp_path: Path) -> None:
    votes = tmp_path / "emargement.csv"
    votes.write_text("identifiant;vote_le\nID-0001;02/12/2022 10:15\n", encoding="utf-8")
    result = csu("import", "votes", votes, "--election", "minint-2022", "--db", rolled)
    assert_done(result)
    assert "Émargement importé : 1 vote." in said(result)
    voted = query(rolled, "SELECT identifier FROM material WHERE voted_at IS NOT NULL")
    assert voted == [("ID-0001",)]


def test_import_votes_for_an_unknown_identifier_writes_nothing(
    rolled: Path, tmp_path: Path
) -> None:
    votes = tmp_path / "emargement.csv"
    votes.write_text(
        "identifiant;vote_le\nID-0001;02/12/2022 10:15\nID-9999;02/12/2022 10:16\n",
        encoding="utf-8",
    )
    result = csu("import", "votes", votes, "--election", "minint-2022", "--db", rolled)
    assert_refused(result, "ligne 3, colonne identifiant : identifiant inconnu", "Import refusé")
    assert query(rolled, "SELECT count(*) FROM material WHERE voted_at IS NOT NULL") == [(0,)]


# --- journal: verify --------------------------------------------------------------


def test_audit_verify_reports_an_intact_journal_with_its_size(loaded: Path) -> None:
    assert_done(csu("election", "load", MININT, "--db", loaded))
    [(entries,)] = query(loaded, "SELECT count(*) FROM journal_entry")
    result = csu("audit", "verify", "--db", loaded)
    assert_done(result)
    assert entries == 2
    assert f"journal intègre : {entries} entrées" in said(result)


def test_audit_verify_names_the_entry_whose_body_was_edited(loaded: Path) -> None:
    assert_done(csu("election", "load", MININT, "--db", loaded))
    [(body,)] = query(loaded, "SELECT body FROM journal_entry WHERE seq = 2")
    forged = body.replace(b'"source":"minint-2022.toml"', b'"source":"autre.toml"')
    assert forged != body
    attack(loaded, "UPDATE journal_entry SET body = ? WHERE seq = 2", forged)
    result = csu("audit", "verify", "--db", loaded)
    assert_refused(result, "journal altéré : entrée 2 :", "empreinte incorrecte")


def test_audit_verify_names_a_deleted_entry(loaded: Path) -> None:
    for _ in range(2):
        assert_done(csu("election", "load", MININT, "--db", loaded))
    attack(loaded, "DELETE FROM journal_entry WHERE seq = 2")
    result = csu("audit", "verify", "--db", loaded)
    assert_refused(result, "journal altéré : entrée 2 :", "entrée absente")


def test_audit_verify_names_a_journal_table_rebuilt_by_hand(loaded: Path) -> None:
    assert_done(csu("election", "load", MININT, "--db", loaded))
    attack(loaded, "CREATE TABLE copy AS SELECT * FROM journal_entry")
    attack(loaded, "DROP TABLE journal_entry")
    attack(loaded, "ALTER TABLE copy RENAME TO journal_entry")
    result = csu("audit", "verify", "--db", loaded)
    assert_refused(result, "entrée 1", "schéma du journal modifié")


# --- journal: export --------------------------------------------------------------


def test_audit_export_jsonl_writes_one_object_per_entry(loaded: Path) -> None:
    rows = export_lines(csu("audit", "export", "--format", "jsonl", "--db", loaded))
    assert len(rows) == 1
    entry = rows[0]
    expected = {"seq", "ts", "operator", "action", "outcome", "details", "matricule", "hash"}
    assert expected <= set(entry)
    assert (entry["seq"], entry["action"], entry["outcome"]) == (1, "election_load", "créé")
    assert entry["details"] == {"source": "minint-2022.toml"}
    assert entry["operator"].startswith("cli:") and entry["matricule"] is None
    assert re.fullmatch(r"[0-9a-f]{64}", entry["hash"])


def test_audit_export_csv_writes_a_semicolon_file_with_a_header(
    loaded: Path, tmp_path: Path
) -> None:
    assert_done(csu("election", "load", MININT, "--db", loaded))
    target = tmp_path / "journal.csv"
    result = csu("audit", "export", "--format", "csv", "-o", target, "--db", loaded)
    assert_done(result)
    assert f"2 entrées exportées vers {target}" in said(result)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("n°;horodatage (UTC);heure de Paris;opérateur;")
    rows = list(csv.DictReader(lines, delimiter=";"))
    assert [(r["n°"], r["résultat"]) for r in rows] == [("1", "créé"), ("2", "mis à jour")]
    assert json.loads(rows[0]["détails (JSON)"]) == {"source": "minint-2022.toml"}
    assert rows[0]["précisions"] == "source : minint-2022.toml"


def test_audit_export_by_matricule_keeps_that_voter_and_names_them(rolled: Path) -> None:
    record(rolled, datetime(2022, 12, 2, 9, 0, tzinfo=UTC), "AB1234")
    record(rolled, datetime(2022, 12, 2, 9, 5, tzinfo=UTC), "CD5678")
    record(rolled, datetime(2022, 12, 2, 9, 10, tzinfo=UTC), "AB1234")
    rows = export_lines(csu("audit", "export", "--matricule", "ab1234", "--db", rolled))
    assert [row["matricule"] for row in rows] == ["AB1234", "AB1234"]
    assert {row["subject"] for row in rows} == {pseudonym(key_of(rolled), "AB1234")}
    assert [row["details"]["note"] for row in rows] == [
        "AB1234 à 02/12 09:00",
        "AB1234 à 02/12 09:10",
    ]


def test_audit_export_since_and_until_are_whole_paris_days(loaded: Path) -> None:
    for moment in (
        datetime(2022, 12, 1, 22, 30, tzinfo=UTC),  # 01/12 23:30 in Paris
        datetime(2022, 12, 1, 23, 30, tzinfo=UTC),  # 02/12 00:30 in Paris
        datetime(2022, 12, 2, 22, 59, tzinfo=UTC),  # 02/12 23:59 in Paris
        datetime(2022, 12, 2, 23, 0, tzinfo=UTC),  # 03/12 00:00 in Paris
    ):
        record(loaded, moment)
    result = csu(
        "audit", "export", "--since", "02/12/2022", "--until", "02/12/2022", "--db", loaded
    )
    rows = export_lines(result)
    assert [row["ts"] for row in rows] == [
        "2022-12-01T23:30:00.000000Z",
        "2022-12-02T22:59:00.000000Z",
    ]


def test_audit_export_by_operator_keeps_their_entries(loaded: Path) -> None:
    record(loaded, datetime(2022, 12, 2, 9, 0, tzinfo=UTC), operator="agent1")
    record(loaded, datetime(2022, 12, 2, 9, 1, tzinfo=UTC), operator="agent2")
    rows = export_lines(csu("audit", "export", "--operator", " Agent2 ", "--db", loaded))
    assert [(row["seq"], row["operator"]) for row in rows] == [(3, "agent2")]


def test_audit_export_in_an_unknown_format_is_refused(loaded: Path) -> None:
    result = csu("audit", "export", "--format", "xml", "--db", loaded)
    assert_refused(result, "Format « xml » inconnu : jsonl ou csv.")


def test_audit_export_with_an_unreadable_date_is_refused(loaded: Path) -> None:
    result = csu("audit", "export", "--since", "31/02/2022", "--db", loaded)
    assert_refused(result, "--since : « 31/02/2022 » illisible")


def test_audit_export_to_a_missing_folder_says_so(loaded: Path, tmp_path: Path) -> None:
    result = csu("audit", "export", "-o", tmp_path / "absent" / "j.csv", "--db", loaded)
    assert_refused(result, "absent")


def test_audit_export_is_itself_journalled(loaded: Path) -> None:
    export_lines(csu("audit", "export", "--operator", "agent1", "--db", loaded))
    rows = export_lines(csu("audit", "export", "--db", loaded))
    assert [row["action"] for row in rows] == ["election_load", "journal_export"]
    assert rows[1]["details"]["operator"] == "agent1"
    assert rows[1]["details"]["count"] == 0 and rows[1]["details"]["format"] == "jsonl"
    assert "journal intègre : 3 entrées" in said(csu("audit", "verify", "--db", loaded))


# --- demo, operators, run ---------------------------------------------------------


def test_demo_builds_a_database_and_prints_logins_and_totp_secrets(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    result = csu("demo", "--db", path, "--voters", "30")
    assert_done(result)
    # 30 and men-2011's tenth on top (csu.services.demo.EXTRA_ELECTIONS)
    assert f"Base de démo prête : {path} (33 électeurs)" in said(result)
    for login, _, _, secret in DEMO_OPERATORS:
        assert login in said(result) and secret in said(result)
    assert DEMO_PASSWORD in said(result)
    assert query(path, "SELECT value FROM csu_meta WHERE key = 'demo'") == [("true",)]


def test_demo_prints_each_totp_secret_whole_on_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(out, "width", 80)
    result = csu("demo", "--db", tmp_path / "demo.sqlite", "--voters", "3")
    assert_done(result)
    for login, _, _, secret in DEMO_OPERATORS:
        [line] = [line for line in result.output.splitlines() if f" {login} " in line]
        assert secret in line and len(line) <= 80  # whole, not cut with « … »


def test_operator_list_after_a_demo_shows_the_four_demo_operators(demo_db: Path) -> None:
    result = csu("operator", "list", "--db", demo_db)
    assert_done(result)
    for login, _, name, _ in DEMO_OPERATORS:
        assert login in said(result) and name in said(result)


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    return copy_of_demo(tmp_path / "demo.sqlite")  # as `csu demo --db PATH --voters 30`


def test_demo_again_without_force_is_refused(demo_db: Path) -> None:
    result = csu("demo", "--db", demo_db, "--voters", "30")
    assert_refused(result, f"{demo_db} existe déjà : ajoutez --force pour la remplacer.")


def test_demo_again_with_if_absent_keeps_the_demo(demo_db: Path) -> None:
    key = key_of(demo_db)
    result = csu("demo", "--db", demo_db, "--voters", "30", "--if-absent")
    assert_done(result)
    assert f"Base de démo déjà présente : {demo_db}" in said(result)
    assert key_of(demo_db) == key


def test_demo_again_with_force_builds_a_new_one(demo_db: Path) -> None:
    key = key_of(demo_db)
    result = csu("demo", "--db", demo_db, "--voters", "3", "--force")
    assert_done(result)
    assert "(4 électeurs)" in said(result)  # 3, and one for men-2011
    assert key_of(demo_db) != key
    assert "journal intègre" in said(csu("audit", "verify", "--db", demo_db))


@pytest.mark.parametrize("login, secret", [(op[0], op[3]) for op in DEMO_OPERATORS])
def test_the_demo_totp_secrets_are_long_enough_for_pyotp(login: str, secret: str) -> None:
    assert pyotp.TOTP(secret, name=login).now().isdigit()


def test_demo_without_force_refuses_an_existing_demo(demo_db: Path) -> None:
    key = key_of(demo_db)
    result = csu("demo", "--db", demo_db, "--voters", "30")
    assert_refused(result, f"{demo_db} existe déjà", "--force")
    assert key_of(demo_db) == key


def test_demo_if_absent_leaves_an_existing_demo_alone(demo_db: Path) -> None:
    voters = query(demo_db, "SELECT count(*) FROM voter")
    result = csu("demo", "--db", demo_db, "--voters", "3", "--if-absent")
    assert_done(result)
    assert f"Base de démo déjà présente : {demo_db}" in said(result)
    assert query(demo_db, "SELECT count(*) FROM voter") == voters


def test_demo_if_absent_upgrades_a_demo_built_by_an_older_csu(demo_db: Path) -> None:
    with deps_of(demo_db) as deps:
        downgrade(deps.engine, "0001")
    result = csu("demo", "--db", demo_db, "--if-absent")
    assert_done(result)
    assert f"Base de démo mise à jour : {demo_db}" in said(result)
    with deps_of(demo_db) as deps:
        assert current_revision(deps.engine) == head_revision()


def test_demo_callers_gives_answers_that_verify_each_caller(demo_db: Path) -> None:
    result = csu("demo-callers", "--count", "1", "--db", demo_db)
    assert_done(result)
    with deps_of(demo_db) as deps:
        callers = demo_callers(deps, per_election=1)
        assert [c.election for c in callers] == [
            "minint-2022",
            "men-2022",
            "cci-hdf-2021",
            "men-2011",
        ]
        for caller in callers[:2] + callers[3:]:  # the CCI voters verify by one-time code only
            assert caller.matricule in said(result)
            [hit] = search_voters(deps, AGENT, caller.matricule)
            opened = open_intervention(deps, AGENT, hit.voter_id, "phone")
            assert verify_identity(deps, AGENT, opened.id, caller.answers).verified
            close_intervention(deps, AGENT, opened.id, "résolu")


def test_demo_callers_on_a_database_that_is_not_a_demo_is_refused(db: Path) -> None:
    assert_refused(csu("demo-callers", "--db", db), "Ce n'est pas une base de démo")


def test_demo_never_replaces_a_database_that_is_not_a_demo(db: Path) -> None:
    key = key_of(db)
    for extra in ([], ["--force"], ["--if-absent"]):
        result = csu("demo", "--db", db, "--voters", "30", *extra)
        assert_refused(result, "n'est pas une base de démo")
    assert key_of(db) == key


def test_demo_with_fewer_than_three_voters_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    assert_refused(csu("demo", "--db", path, "--voters", "2"), "--voters : 3 électeurs au moins")
    assert not path.exists()


def test_demo_force_with_too_few_voters_keeps_the_existing_database(db: Path) -> None:
    result = csu("demo", "--db", db, "--voters", "2", "--force")
    assert_refused(result, "--voters")
    assert db.exists() and Path(f"{db}.key").exists()


def test_a_failed_demo_build_leaves_no_database_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_build(*_args: object, **_kwargs: object) -> None:
        raise ServiceError("échec simulé de la construction")

    monkeypatch.setattr("csu.services.demo.build_demo", failing_build)
    path = tmp_path / "demo.sqlite"
    assert_refused(csu("demo", "--db", path, "--voters", "30"), "échec simulé")
    assert not path.exists()


def test_operator_list_shows_logins_names_and_roles(db: Path) -> None:
    with deps_of(db) as deps:
        add_operator(
            deps, ADMIN, "camille", role="agent", password="Pluie-sur-Brest-42",
            display_name="Camille",
        )  # fmt: skip
        add_operator(deps, ADMIN, "claude", role="superviseur", password="Pluie-sur-Brest-42")
    result = csu("operator", "list", "--db", db)
    assert_done(result)
    assert re.search(r"camille\W+Camille\W+agent", said(result))
    assert re.search(r"claude\W+claude\W+superviseur", said(result))


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The apps `csu run` would open, recorded instead of taking the terminal."""
    apps: list[object] = []
    monkeypatch.setattr("csu.app.CsuApp.run", lambda self, *args, **kwargs: apps.append(self))
    return apps


def test_run_opens_the_terminal_on_the_database(loaded: Path, launched: list) -> None:
    assert_done(csu("run", "--db", loaded))
    [app] = launched
    assert app.deps.engine.url.database == str(loaded)


def test_csu_without_a_command_runs_the_terminal(loaded: Path, launched: list) -> None:
    assert_done(csu("--db", loaded))
    assert len(launched) == 1


def test_run_takes_the_idle_timeout_and_keymap_from_the_environment(
    loaded: Path, launched: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_IDLE_MINUTES", "5")
    monkeypatch.setenv("CSU_KEYMAP", '{"help": "f2"}')
    assert_done(csu("run", "--db", loaded))
    [app] = launched
    assert app.idle_seconds == 300


def test_without_db_option_the_database_lives_in_the_data_dir(tmp_path: Path) -> None:
    assert_done(csu("init"))
    assert (tmp_path / "csu.sqlite").exists() and (tmp_path / "csu.sqlite.key").exists()
