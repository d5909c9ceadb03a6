"""Importing an electoral roll and the votes: validation, all or nothing, re-import."""

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from csu.domain import hashing
from csu.services import rolls
from csu.services.audit import verify_journal
from csu.services.context import Deps, Forbidden
from csu.services.elections import load_election
from csu.services.files import UnreadableFile
from csu.services.rolls import MAX_LINE_CHARS, ImportFailed, import_voters, import_votes
from csu.store.tables import Credential, JournalEntry, Material, Voter
from tests.conftest import ADMIN, AGENT, NOW, SUPERVISOR

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
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


def write_csv(path: Path, *rows: str, header: str = HEADER, bom: bool = False) -> Path:
    text = "\n".join([header, *rows]) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


@pytest.fixture
def minint(deps: Deps) -> Deps:
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text, "minint-2022.toml")
    return deps


def voters(deps: Deps) -> dict[str, Voter]:
    with deps.reading() as session:
        return {v.matricule: v for v in session.exec(select(Voter)).all()}


def test_a_good_roll_is_written_whole(minint: Deps, tmp_path: Path) -> None:
    report = import_voters(minint, ADMIN, write_csv(tmp_path / "roll.csv", *GOOD), "minint-2022")
    assert (report.committed, report.rows, report.written, report.voters) == (True, 3, 3, 3)
    stored = voters(minint)
    assert stored["AB1234"].phone_mobile == "+33612345678"
    assert stored["CD5678"].search_name == "eluard paul"
    assert stored["CD5678"].search_name_rev == "paul eluard"
    assert stored["CD5678"].updated_at == NOW
    assert stored["CD5678"].birth_date == date(1965, 7, 1)


def test_secrets_are_stored_as_keyed_hashes_only(minint: Deps, tmp_path: Path) -> None:
    import_voters(minint, ADMIN, write_csv(tmp_path / "roll.csv", *GOOD), "minint-2022")
    jeanne = voters(minint)["AB1234"]
    assert jeanne.iban6_hash == hashing.keyed_hash(minint.key, hashing.IBAN6, "890189")
    assert jeanne.card6_hash == hashing.keyed_hash(minint.key, hashing.CARD6, "XK1234")
    with minint.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM voter"))
    assert "890189" not in dump and "XK1234" not in dump


def test_one_bad_row_writes_nothing_and_names_line_column_reason(
    minint: Deps, tmp_path: Path
) -> None:
    bad = "GH3456;Durand;Luc;31/02/1970;;;;B75;électeur;ID-0004;;;;;;"
    path = write_csv(tmp_path / "roll.csv", *GOOD, bad)
    report = import_voters(minint, ADMIN, path, "minint-2022")
    assert not report.committed
    assert [(e.line, e.column) for e in report.errors] == [(5, "date_naissance")]
    assert voters(minint) == {}


def test_a_matricule_with_an_escape_sequence_is_refused_under_any_election_s_pattern(
    deps: Deps, tmp_path: Path
) -> None:
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    text = text.replace('matricule_pattern = "^[A-Z0-9]{4,12}$"', 'matricule_pattern = ".*"')
    assert 'matricule_pattern = ".*"' in text
    load_election(deps, ADMIN, text, "minint-2022.toml")
    escape = "AB\x1b[31mCD;Durand;Luc;01/02/1970;;;;B75;électeur;ID-0004;;;;;;"
    report = import_voters(deps, ADMIN, write_csv(tmp_path / "r.csv", *GOOD, escape), "minint-2022")
    assert not report.committed
    assert [(e.line, e.column) for e in report.errors] == [(5, "matricule")]
    assert voters(deps) == {}


def test_every_bad_line_is_reported(minint: Deps, tmp_path: Path) -> None:
    rows = [
        "a!;Durand;Luc;01/01/1970;;;;B75;électeur;ID-0004;;;;;;",
        "GH3456;Durand;Luc;01/01/1970;pas-un-courriel;;;B75;électeur;ID-0005;;;;;;",
        "IJ7890;Durand;Luc;01/01/1970;;;06 12;B75;électeur;ID-0006;;;FR00;;;",
    ]
    report = import_voters(minint, ADMIN, write_csv(tmp_path / "r.csv", *rows), "minint-2022")
    described = [e.describe() for e in report.errors]
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "matricule"),
        (3, "email_pro"),
        (4, "telephone_mobile"),
        (4, "iban"),
    ]
    assert described[0].startswith("ligne 2, colonne matricule : ")
    assert report.rejected == 3


def test_skip_invalid_writes_the_good_rows(minint: Deps, tmp_path: Path) -> None:
    bad = "GH3456;Durand;Luc;31/02/1970;;;;B75;électeur;ID-0004;;;;;;"
    path = write_csv(tmp_path / "roll.csv", *GOOD, bad)
    report = import_voters(minint, ADMIN, path, "minint-2022", skip_invalid=True)
    assert (report.committed, report.written, report.rejected) == (True, 3, 1)
    assert set(voters(minint)) == {"AB1234", "CD5678", "EF9012"}


def test_comma_separated_file_with_bom_is_read(minint: Deps, tmp_path: Path) -> None:
    rows = [row.replace(";", ",") for row in GOOD[1:]]
    path = write_csv(tmp_path / "r.csv", *rows, header=HEADER.replace(";", ","), bom=True)
    assert import_voters(minint, ADMIN, path, "minint-2022").written == 2


def test_missing_required_column_is_named(minint: Deps, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", "AB1234;Dupont", header="matricule;nom")
    report = import_voters(minint, ADMIN, path, "minint-2022")
    assert not report.committed
    assert "ligne 1, colonne prenom : colonne obligatoire absente" in [
        e.describe() for e in report.errors
    ]


def test_a_file_not_in_utf8_gets_a_french_message(minint: Deps, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n" + GOOD[1] + "\n").encode("latin-1"))
    with pytest.raises(ImportFailed, match="pas encodé en UTF-8"):
        import_voters(minint, ADMIN, path, "minint-2022")


def test_duplicate_identifier_in_the_file_is_refused(minint: Deps, tmp_path: Path) -> None:
    twin = GOOD[2].replace("EF9012", "KL3456")  # another voter, same ID-0003
    report = import_voters(minint, ADMIN, write_csv(tmp_path / "r.csv", *GOOD, twin), "minint-2022")
    assert [e.describe() for e in report.errors] == [
        "ligne 5, colonne identifiant : déjà attribué ligne 4"
    ]


def test_reimport_updates_voters_and_keeps_their_credentials(minint: Deps, tmp_path: Path) -> None:
    import_voters(minint, ADMIN, write_csv(tmp_path / "a.csv", *GOOD), "minint-2022")
    with minint.writing() as session:
        material = session.exec(select(Material).where(Material.identifier == "ID-0001")).one()
        session.add(
            Credential(
                material_id=material.id or 0,
                kind="password",
                scheme="argon2id",
                hash="x",
                issued_at=NOW,
                issued_by="agent",
            )
        )
    renamed = GOOD[0].replace("Dupont", "Dupont-Moreau").replace("06 12 34 56 78", "")
    import_voters(minint, ADMIN, write_csv(tmp_path / "b.csv", renamed), "minint-2022")
    jeanne = voters(minint)["AB1234"]
    assert jeanne.last_name == "Dupont-Moreau"
    assert jeanne.phone_mobile == "+33612345678"  # absent from the new file: kept
    with minint.reading() as session:
        assert len(session.exec(select(Credential)).all()) == 1
        assert len(session.exec(select(Material)).all()) == 3


def index_definitions(deps: Deps) -> set[tuple[str, str | None]]:
    with deps.engine.connect() as conn:
        if deps.engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN ('voter', 'material')"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename IN ('voter', 'material')"
            )
        return {(name, definition) for name, definition in rows}


def test_a_first_import_leaves_every_index_as_it_found_it(minint: Deps, tmp_path: Path) -> None:
    before = index_definitions(minint)
    assert len(before) >= 10
    import_voters(minint, ADMIN, write_csv(tmp_path / "roll.csv", *GOOD), "minint-2022")
    assert index_definitions(minint) == before


def test_a_refused_first_import_leaves_every_index_as_it_found_it(
    minint: Deps, tmp_path: Path
) -> None:
    before = index_definitions(minint)
    path = write_csv(tmp_path / "roll.csv", *GOOD, BAD_DATE)
    assert not import_voters(minint, ADMIN, path, "minint-2022").committed
    assert index_definitions(minint) == before


def test_a_roll_written_in_many_chunks_is_written_whole(
    minint: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rolls, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "roll.csv", *GOOD)
    report = import_voters(minint, ADMIN, path, "minint-2022", workers=1)
    assert (report.committed, report.written, report.voters) == (True, 3, 3)
    with minint.reading() as session:
        owners = session.exec(select(Material.identifier, Voter.matricule).join(Voter)).all()
    assert sorted(owners) == [("ID-0001", "AB1234"), ("ID-0002", "CD5678"), ("ID-0003", "EF9012")]


def test_a_reimport_into_filled_tables_keeps_the_indexes_and_updates_in_place(
    minint: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_voters(minint, ADMIN, write_csv(tmp_path / "a.csv", *GOOD), "minint-2022")
    before = index_definitions(minint)
    monkeypatch.setattr(rolls, "CHUNK_ROWS", 1)
    renamed = [row.replace("Martin", "Martin-Roy") for row in GOOD]
    report = import_voters(minint, ADMIN, write_csv(tmp_path / "b.csv", *renamed), "minint-2022")
    assert (report.committed, report.voters) == (True, 3)
    assert index_definitions(minint) == before
    assert voters(minint)["EF9012"].last_name == "Martin-Roy"
    assert voters(minint)["AB1234"].phone_mobile == "+33612345678"


def test_import_is_journalled_with_file_and_counts(minint: Deps, tmp_path: Path) -> None:
    import_voters(minint, ADMIN, write_csv(tmp_path / "roll.csv", *GOOD), "minint-2022")
    with minint.reading() as session:
        entry = session.exec(select(JournalEntry).where(JournalEntry.action == "roll_import")).one()
    assert entry.operator == "admin" and entry.outcome == "ok"
    assert b'"file":"roll.csv"' in entry.body and b'"written":3' in entry.body
    assert verify_journal(minint, SUPERVISOR).ok


def test_a_refused_import_is_journalled_too(minint: Deps, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", "x;;;;;;;;;;;;;;;")
    import_voters(minint, ADMIN, path, "minint-2022")
    with minint.reading() as session:
        outcomes = session.exec(
            select(JournalEntry.outcome).where(JournalEntry.action == "roll_import")
        ).all()
    assert outcomes == ["refusé"]


def test_only_an_administrator_imports(minint: Deps, tmp_path: Path) -> None:
    with pytest.raises(Forbidden):
        import_voters(minint, AGENT, write_csv(tmp_path / "r.csv", *GOOD), "minint-2022")


def test_worker_processes_give_the_same_result(sqlite_deps: Deps, tmp_path: Path) -> None:
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    load_election(sqlite_deps, ADMIN, text, "minint-2022.toml")
    rows = [
        f"M{n:07d};Nom{chr(65 + n % 26)};Prénom;01/01/1970;;;06 12 34 {n % 100:02d} 78;B{n % 7};"
        f"électeur;ID-{n:07d};;;;;;"
        for n in range(5000)
    ]
    import csu.services.rolls as rolls

    path = write_csv(tmp_path / "big.csv", *rows)
    original = rolls.POOL_MIN_BYTES
    rolls.POOL_MIN_BYTES = 0
    try:
        report = import_voters(sqlite_deps, ADMIN, path, "minint-2022", workers=2)
    finally:
        rolls.POOL_MIN_BYTES = original
    assert (report.committed, report.written, report.voters) == (True, 5000, 5000)


def test_votes_mark_materials_as_used(minint: Deps, tmp_path: Path) -> None:
    import_voters(minint, ADMIN, write_csv(tmp_path / "roll.csv", *GOOD), "minint-2022")
    votes = tmp_path / "votes.csv"
    votes.write_text("identifiant;vote_le\nID-0001;02/12/2022 10:15\n", encoding="utf-8")
    report = import_votes(minint, ADMIN, votes, "minint-2022")
    assert report.committed and report.written == 1
    with minint.reading() as session:
        voted = session.exec(select(Material).where(Material.voted_at.is_not(None))).all()  # type: ignore[union-attr]
    assert [m.identifier for m in voted] == ["ID-0001"]
    assert voted[0].voted_at is not None and voted[0].voted_at.hour == 9  # 10:15 Paris, UTC


def test_votes_for_unknown_identifiers_write_nothing(minint: Deps, tmp_path: Path) -> None:
    import_voters(minint, ADMIN, write_csv(tmp_path / "roll.csv", *GOOD), "minint-2022")
    votes = tmp_path / "votes.csv"
    votes.write_text(
        "identifiant;vote_le\nID-0001;02/12/2022 10:15\nID-9999;02/12/2022 10:16\n",
        encoding="utf-8",
    )
    report = import_votes(minint, ADMIN, votes, "minint-2022")
    assert not report.committed
    assert [e.describe() for e in report.errors] == [
        "ligne 3, colonne identifiant : identifiant inconnu"
    ]


# --- hostile files ---------------------------------------------------------------


def test_a_directory_is_refused_by_name(minint: Deps, tmp_path: Path) -> None:
    folder = tmp_path / "listes"
    folder.mkdir()
    with pytest.raises(UnreadableFile, match=r"Liste électorale : .*listes est un dossier"):
        import_voters(minint, ADMIN, folder, "minint-2022")


def test_a_device_is_refused_without_reading_it(minint: Deps) -> None:
    with pytest.raises(UnreadableFile, match="/dev/zero n'est pas un fichier ordinaire"):
        import_votes(minint, ADMIN, Path("/dev/zero"), "minint-2022")


def test_a_line_too_long_for_a_roll_is_refused_at_its_number(minint: Deps, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", GOOD[0], "AB9999;" + "x" * (MAX_LINE_CHARS + 1))
    with pytest.raises(ImportFailed, match=r"r\.csv, ligne 3 : ligne trop longue"):
        import_voters(minint, ADMIN, path, "minint-2022")


def test_a_quote_never_closed_is_refused_in_french_at_the_line_it_opens(
    minint: Deps, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", GOOD[0], '"' + GOOD[1], GOOD[2])
    with pytest.raises(ImportFailed, match=r"r\.csv, ligne 3 : guillemet ouvert jamais refermé"):
        import_voters(minint, ADMIN, path, "minint-2022")


def test_text_after_a_closing_quote_is_refused_in_french(minint: Deps, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", '"AB1234"x;Dupont')
    with pytest.raises(ImportFailed, match="ligne 2 : « ; » attendu après le guillemet"):
        import_voters(minint, ADMIN, path, "minint-2022")


def test_bytes_that_are_not_utf8_are_found_at_their_own_line(minint: Deps, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    lines = [HEADER, *GOOD[:2]] + [GOOD[2].replace("Zoé", "Zo\udce9")] * 500
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape"))
    with pytest.raises(ImportFailed, match=r"r\.csv, ligne 4 : le fichier n'est pas encodé"):
        import_voters(minint, ADMIN, path, "minint-2022")


def test_a_row_after_a_field_on_two_lines_is_named_by_its_file_line(
    minint: Deps, tmp_path: Path
) -> None:
    two_lines = GOOD[1][:-1] + '"Quel est\nvotre animal ?";chat'  # question;answer
    path = write_csv(tmp_path / "r.csv", two_lines, BAD_DATE)
    report = import_voters(minint, ADMIN, path, "minint-2022")
    assert [e.line for e in report.errors if e.column == "date_naissance"] == [4]


def test_millions_of_bad_lines_keep_only_the_first_faults_in_detail(
    minint: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rolls, "MAX_ERRORS", 5)
    path = write_csv(tmp_path / "r.csv", *[f"X{n};;" for n in range(40)])
    report = import_voters(minint, ADMIN, path, "minint-2022", skip_invalid=True)
    assert len(report.errors) == 5
    assert (report.rows, report.rejected, report.written) == (40, 40, 0)


def test_long_lines_are_read_in_small_chunks_without_losing_a_row(
    minint: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rolls, "CHUNK_CHARS", 300)
    question = "Quelle est la couleur de votre premier vélo ? " * 6
    rows = [row[:-1] + f"{question};bleu" for row in GOOD]  # question;answer
    report = import_voters(minint, ADMIN, write_csv(tmp_path / "r.csv", *rows), "minint-2022")
    assert (report.committed, report.written, report.voters) == (True, 3, 3)


def test_a_vote_identifier_longer_than_a_roll_allows_is_a_row_fault(
    minint: Deps, tmp_path: Path
) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text(f"identifiant;vote_le\n{'I' * 5000};02/12/2022 10:15\n", encoding="utf-8")
    report = import_votes(minint, ADMIN, votes, "minint-2022")
    assert not report.committed
    assert [(e.line, e.column) for e in report.errors] == [(2, "identifiant")]


def test_a_vote_time_before_any_date_python_holds_is_a_row_fault(
    minint: Deps, tmp_path: Path
) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text("identifiant;vote_le\nID-0001;0001-01-01T00:00:00+01:00\n", encoding="utf-8")
    report = import_votes(minint, ADMIN, votes, "minint-2022")
    assert [e.describe() for e in report.errors] == [
        "ligne 2, colonne vote_le : « 0001-01-01T00:00:00+01:00 » hors des dates possibles"
    ]


def test_a_header_after_blank_lines_is_named_by_its_own_line(minint: Deps, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("\n\nmatricule;nom\nAB1234;Dupont\n", encoding="utf-8")
    report = import_voters(minint, ADMIN, path, "minint-2022")
    assert report.header_refused and report.rows == 0
    assert "ligne 3, colonne prenom : colonne obligatoire absente" in [
        e.describe() for e in report.errors
    ]
