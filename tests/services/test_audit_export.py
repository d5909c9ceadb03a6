"""Exporting the journal for the election commission: formats, matricules, filters, roles."""

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import select

from csu.domain.errors import InvalidValue
from csu.domain.hashing import pseudonym
from csu.services import audit
from csu.services.audit import (
    CSV_TITLES,
    EXPORT_COLUMNS,
    ExportFilter,
    export_journal,
    export_journal_file,
    verify_journal,
)
from csu.services.context import Deps, Forbidden, OperatorContext, ServiceError
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import JournalEntry, Voter
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised
from tests.conftest import ADMIN, AGENT, NOW, SUPERVISOR
from tests.test_cli import deps_of

PRESIDENT = OperatorContext(login="pres", role="president", workstation="poste-9", bureau="B75")
ALICE = Actor(operator="alice", role="agent", workstation="poste-1")
BRUNO = Actor(operator="bruno", role="agent", workstation="poste-2")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2022, in UTC: before NOW (02/12), when exports are journalled."""
    return datetime(2022, 11, day, hour, minute, tzinfo=UTC)


def add_voter(deps: Deps, matricule: str) -> str:
    alias = pseudonym(deps.key, matricule)
    with deps.writing() as session:
        session.add(
            Voter(
                matricule=matricule,
                pseudonym=alias,
                last_name="Dupont",
                first_name="Jeanne",
                search_name="dupont jeanne",
                search_name_rev="jeanne dupont",
                updated_at=NOW,
            )
        )
    return alias


def remove_voter(deps: Deps, matricule: str) -> None:
    with deps.writing() as session:
        session.execute(delete(Voter).where(Voter.matricule == matricule))  # type: ignore[arg-type]


def record(
    deps: Deps,
    moment: datetime,
    *,
    actor: Actor = ALICE,
    matricule: str | None = None,
    action: str = "consultation",
    **details: Any,
) -> int:
    with deps.writing() as session:
        return journal.append(
            session,
            actor=actor,
            action=action,
            outcome="ok",
            at=moment,
            election="minint-2022",
            subject=pseudonym(deps.key, matricule) if matricule else None,
            details=details,
        ).seq


def export(
    deps: Deps, who: OperatorContext = SUPERVISOR, fmt: str = "jsonl", **where: Any
) -> list[dict[str, Any]]:
    """The exported entries, parsed back; checks the count the service returns."""
    out = io.StringIO()
    count = export_journal(deps, who, out, fmt=fmt, where=ExportFilter(**where))  # type: ignore[arg-type]
    text = out.getvalue()
    if fmt == "csv":
        # Back to the codes of the JSON Lines, without the columns written for a person.
        codes = {title: code for code, title in CSV_TITLES.items()}
        rows: list[dict[str, Any]] = [
            {codes[title]: value for title, value in row.items()}
            for row in csv.DictReader(io.StringIO(text), delimiter=";")
        ]
        for row in rows:
            del row["paris_time"], row["label"], row["readable_details"]
            row["seq"] = int(row["seq"])
            row["details"] = json.loads(row["details"])
            for name, value in row.items():
                if value == "":
                    row[name] = None  # CSV writes None as an empty field
    else:
        rows = [json.loads(line) for line in text.splitlines()]
    assert count == len(rows)
    return rows


def seqs(rows: list[dict[str, Any]]) -> list[int]:
    return [row["seq"] for row in rows]


def entries(deps: Deps) -> list[JournalEntry]:
    with deps.reading() as session:
        return list(session.exec(select(JournalEntry).order_by(JournalEntry.seq)).all())  # type: ignore[arg-type]


def lift_protection(engine: Engine) -> None:
    """What someone holding the database would do before editing the journal."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER journal_entry_no_update")
            conn.exec_driver_sql("DROP TRIGGER journal_entry_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE journal_entry DISABLE TRIGGER USER")


# --- formats ----------------------------------------------------------------------


def test_jsonl_gives_one_object_per_entry_with_every_column(deps: Deps) -> None:
    record(deps, at(28, 9), note="première")
    record(deps, at(28, 10), actor=BRUNO, note="seconde")
    rows = export(deps)
    assert [sorted(row) for row in rows] == [sorted(EXPORT_COLUMNS)] * 2
    assert [(row["seq"], row["operator"], row["details"]) for row in rows] == [
        (1, "alice", {"note": "première"}),
        (2, "bruno", {"note": "seconde"}),
    ]
    assert rows[0]["ts"] == "2022-11-28T09:00:00.000000Z"
    assert rows[1]["hash"] == entries(deps)[1].hash


def test_csv_says_each_entry_s_details_in_french_beside_their_json(deps: Deps) -> None:
    # Only the journal's English keys and codes were there: « factors_tried ».
    record(
        deps, at(28, 9), action="identity_verification", channel="phone",
        factors_tried=["birth_date", "numen"], factors_failed=["numen"],
    )  # fmt: skip
    out = io.StringIO()
    export_journal(deps, SUPERVISOR, out, fmt="csv")
    [row] = list(csv.DictReader(io.StringIO(out.getvalue()), delimiter=";"))
    assert row["précisions"] == (
        "facteurs essayés : date de naissance (concordant), NUMEN (faux) ; canal : téléphone"
    )
    assert json.loads(row["détails (JSON)"])["factors_failed"] == ["numen"]


def test_csv_says_a_change_as_before_and_after_as_the_entry_s_window_does(deps: Deps) -> None:
    record(
        deps, at(28, 9), action="operator_change", login="dominique", reason="renfort",
        changes={"role": ["president", "agent"], "bureau": ["B01", None]},
    )  # fmt: skip
    out = io.StringIO()
    export_journal(deps, SUPERVISOR, out, fmt="csv")
    [row] = list(csv.DictReader(io.StringIO(out.getvalue()), delimiter=";"))
    assert row["précisions"] == (
        "bureau : B01 → — ; rôle : président de bureau → agent ; "
        "identifiant : dominique ; motif : renfort"
    )


def test_csv_quotes_a_typed_value_holding_the_details_separator(deps: Deps) -> None:
    """« motif : vol ; DROP TABLE ; n° du code : 1 » read as three details."""
    record(deps, at(28, 9), action="credential_revoke", reason="vol ; DROP TABLE", credential=1)
    out = io.StringIO()
    export_journal(deps, SUPERVISOR, out, fmt="csv")
    [row] = list(csv.DictReader(io.StringIO(out.getvalue()), delimiter=";"))
    assert "motif : « vol ; DROP TABLE »" in row["précisions"]


def test_csv_has_the_header_and_the_same_entries_as_jsonl(deps: Deps) -> None:
    add_voter(deps, "AB1234")
    record(deps, at(28, 9), matricule="AB1234", champ="valeur")
    record(deps, at(28, 10), actor=BRUNO, liste=[1, 2], drapeau=True)
    as_jsonl = export(deps)
    out = io.StringIO()
    export_journal(deps, SUPERVISOR, out, fmt="csv")
    assert out.getvalue().splitlines()[0] == ";".join(CSV_TITLES.values())
    as_csv = export(deps, fmt="csv")
    # Each export is journalled: the CSV export also shows the JSONL export's entries.
    assert as_csv[:2] == as_jsonl
    assert [row["action"] for row in as_csv[2:]] == ["journal_export", "journal_export"]


def test_an_export_read_in_several_batches_keeps_every_entry_once_in_order(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "EXPORT_BATCH", 3)
    add_voter(deps, "AB1234")
    for minute in range(10):
        record(deps, at(28, 9, minute), matricule="AB1234", numero=minute)
    rows = export(deps)
    assert seqs(rows) == list(range(1, 11))
    assert [row["details"]["numero"] for row in rows] == list(range(10))
    assert {row["matricule"] for row in rows} == {"AB1234"}


# --- matricules -------------------------------------------------------------------


def test_a_pseudonym_is_resolved_to_the_matricule_while_the_voter_exists(deps: Deps) -> None:
    alias = add_voter(deps, "AB1234")
    record(deps, at(28, 9), matricule="AB1234")
    [row] = export(deps)
    assert (row["matricule"], row["subject"]) == ("AB1234", alias)


def test_once_the_voter_is_gone_the_matricule_is_empty_and_the_pseudonym_stays(
    deps: Deps,
) -> None:
    alias = add_voter(deps, "AB1234")
    record(deps, at(28, 9), matricule="AB1234")
    remove_voter(deps, "AB1234")
    for fmt in ("jsonl", "csv"):
        row = export(deps, fmt=fmt)[0]
        assert (row["matricule"], row["subject"]) == (None, alias)


def test_entries_of_a_gone_voter_are_still_found_by_matricule(deps: Deps) -> None:
    add_voter(deps, "AB1234")
    record(deps, at(28, 9), matricule="AB1234")
    record(deps, at(28, 9), matricule="CD5678")
    remove_voter(deps, "AB1234")
    assert seqs(export(deps, matricule="AB1234")) == [1]


def test_entries_without_a_subject_have_no_matricule(deps: Deps) -> None:
    add_voter(deps, "AB1234")
    record(deps, at(28, 9))
    assert export(deps)[0]["matricule"] is None


# --- filters ----------------------------------------------------------------------


@pytest.fixture
def busy(deps: Deps) -> Deps:
    """Two agents, two voters, three days."""
    add_voter(deps, "AB1234")
    add_voter(deps, "CD5678")
    for day in (27, 28, 29):
        record(deps, at(day, 9), actor=ALICE, matricule="AB1234")  # 1, 5, 9
        record(deps, at(day, 10), actor=ALICE, matricule="CD5678")  # 2, 6, 10
        record(deps, at(day, 11), actor=BRUNO, matricule="AB1234")  # 3, 7, 11
        record(deps, at(day, 12), actor=BRUNO)  # 4, 8, 12
    return deps


def test_since_is_included_and_until_excluded(busy: Deps) -> None:
    assert seqs(export(busy, since=at(28, 10), until=at(29, 9))) == [6, 7, 8]


def test_operator_filter_keeps_that_operator(busy: Deps) -> None:
    assert seqs(export(busy, operator="bruno")) == [3, 4, 7, 8, 11, 12]


def test_matricule_filter_keeps_that_voter(busy: Deps) -> None:
    rows = export(busy, matricule="AB1234")
    assert seqs(rows) == [1, 3, 5, 7, 9, 11]
    assert {row["matricule"] for row in rows} == {"AB1234"}


def test_filters_combine(busy: Deps) -> None:
    rows = export(busy, operator="alice", matricule="AB1234", since=at(28, 0), until=at(30, 0))
    assert seqs(rows) == [5, 9]
    assert seqs(export(busy, operator="bruno", matricule="CD5678")) == []


# --- what is shown comes from the hashed body -------------------------------------


@pytest.mark.postgres  # on SQLite the index columns are derived from the body
def test_edited_index_columns_do_not_change_what_the_export_shows(postgres_deps: Deps) -> None:
    deps = postgres_deps
    record(deps, at(28, 9), note="vraie")
    lift_protection(deps.engine)
    with deps.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE journal_entry SET action = 'rien', outcome = 'refusé', "
            "workstation = 'ailleurs' WHERE seq = 1"
        )
    [row] = export(deps)
    assert (row["action"], row["outcome"], row["workstation"]) == (
        "consultation",
        "ok",
        "poste-1",
    )
    assert row["details"] == {"note": "vraie"}
    assert verify_journal(deps, SUPERVISOR).failed_seq == 1


# --- roles and the export's own entry ---------------------------------------------


@pytest.mark.parametrize("who", [SUPERVISOR, ADMIN], ids=lambda who: who.role)
def test_supervisors_and_administrators_export(deps: Deps, who: OperatorContext) -> None:
    record(deps, at(28, 9))
    assert seqs(export(deps, who)) == [1]


@pytest.mark.parametrize("who", [AGENT, PRESIDENT], ids=lambda who: who.role)
def test_agents_and_presidents_may_not_export(deps: Deps, who: OperatorContext) -> None:
    record(deps, at(28, 9))
    with pytest.raises(Forbidden, match="superviseur"):
        export_journal(deps, who, io.StringIO())
    # Nothing exported: only the refusal is journalled.
    [_, refused] = entries(deps)
    assert (refused.action, refused.outcome, refused.operator) == (
        "role_refused", "refusé", who.login,
    )  # fmt: skip
    assert json.loads(refused.body)["details"] == {
        "service": "export_journal", "roles": ["superviseur", "admin"],
    }  # fmt: skip


def test_the_export_is_journalled_with_its_filters_and_the_voter_by_pseudonym(busy: Deps) -> None:
    export(busy, fmt="csv", operator="alice", matricule="AB1234", since=at(28, 0))
    last = entries(busy)[-1]
    assert (last.seq, last.action, last.operator, last.subject) == (
        13,
        "journal_export",
        "sup",
        pseudonym(busy.key, "AB1234"),
    )
    assert json.loads(last.body)["details"] == {
        "format": "csv",
        "count": 2,
        "since": "2022-11-28T00:00:00.000000Z",
        "until": None,
        "operator": "alice",
        "matricule": True,
        "action": None,
        "outcome": None,
        "election": None,
        "intervention": None,
        "seqs": None,
    }
    assert b"AB1234" not in last.body
    assert verify_journal(busy, SUPERVISOR).ok


# --- the review's filters (csu audit export and the review screen share them) ------


def test_action_filter_keeps_that_action(busy: Deps) -> None:
    record(busy, at(29, 13), action="verification")
    assert seqs(export(busy, action="verification")) == [13]


def test_outcome_filter_keeps_that_outcome(busy: Deps) -> None:
    with busy.writing() as session:
        journal.append(session, actor=ALICE, action="verification", outcome="non vérifié",
                       at=at(29, 13))  # fmt: skip
    assert seqs(export(busy, outcome="non vérifié")) == [13]


def test_election_filter_keeps_that_election(busy: Deps) -> None:
    with busy.writing() as session:
        journal.append(session, actor=ALICE, action="consultation", outcome="ok",
                       at=at(29, 13), election="men-2022")  # fmt: skip
    assert seqs(export(busy, election="men-2022")) == [13]


def test_intervention_filter_keeps_that_intervention(busy: Deps) -> None:
    for action in ("intervention_open", "verification"):
        with busy.writing() as session:
            journal.append(session, actor=ALICE, action=action, outcome="ok", at=at(29, 13),
                           intervention="intervention-1")  # fmt: skip
    assert seqs(export(busy, intervention="intervention-1")) == [13, 14]


def test_seqs_filter_keeps_those_entries_in_order(busy: Deps) -> None:
    assert seqs(export(busy, seqs=(9, 2, 5))) == [2, 5, 9]


def test_an_unknown_format_is_refused_in_french(busy: Deps) -> None:
    with pytest.raises(ServiceError, match="Format « xml » inconnu"):
        export_journal(busy, SUPERVISOR, io.StringIO(), fmt="xml")  # type: ignore[arg-type]


# --- to a file (the review screen) --------------------------------------------------


def test_an_export_to_a_file_writes_it_for_its_owner_only(busy: Deps, tmp_path: Path) -> None:
    path = tmp_path / "exports" / "journal.jsonl"
    count = export_journal_file(busy, SUPERVISOR, path, fmt="jsonl", make_folder=True,
                                where=ExportFilter(operator="bruno"))  # fmt: skip
    assert count == 6
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [3, 4, 7, 8, 11, 12]
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(path.parent.iterdir()) == [path]  # no partial file left


def test_an_export_never_overwrites_a_file(busy: Deps, tmp_path: Path) -> None:
    path = tmp_path / "journal.csv"
    path.write_text("déjà là", encoding="utf-8")
    with pytest.raises(ServiceError, match="existe déjà"):
        export_journal_file(busy, SUPERVISOR, path, fmt="csv")
    assert path.read_text(encoding="utf-8") == "déjà là"
    assert entries(busy)[-1].action != "journal_export"


def test_an_agent_may_not_export_to_a_file(busy: Deps, tmp_path: Path) -> None:
    with pytest.raises(Forbidden):
        export_journal_file(busy, AGENT, tmp_path / "journal.csv")
    assert not (tmp_path / "journal.csv").exists()


def test_from_the_screen_a_file_not_named_after_its_format_is_refused(
    busy: Deps, tmp_path: Path
) -> None:
    # A note's lines exported into « site-packages/x.pth » ran as Python (attack run).
    path = tmp_path / "zz.pth"
    with pytest.raises(ServiceError, match=r"un export CSV s'écrit dans un fichier « \.csv »"):
        export_journal_file(busy, SUPERVISOR, path, fmt="csv", own_suffix=True)
    assert not path.exists()


def test_from_a_browser_a_file_outside_the_exports_folder_is_refused(
    busy: Deps, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    path = tmp_path / "ailleurs.csv"
    with pytest.raises(ServiceError, match="dossier des exports du serveur"):
        export_journal_file(busy, SUPERVISOR, path, own_suffix=True, within=exports)
    assert not path.exists()


def test_from_a_browser_a_link_in_the_exports_folder_leads_nowhere_else(
    busy: Deps, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (tmp_path / "ailleurs").mkdir()
    (exports / "lien").symlink_to(tmp_path / "ailleurs")
    with pytest.raises(ServiceError, match="dossier des exports du serveur"):
        export_journal_file(busy, SUPERVISOR, exports / "lien" / "j.csv", within=exports)
    assert list((tmp_path / "ailleurs").iterdir()) == []


def test_from_a_browser_a_file_in_the_exports_folder_is_written(
    busy: Deps, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    count = export_journal_file(busy, SUPERVISOR, exports / "j.csv", own_suffix=True,
                                within=exports)  # fmt: skip
    assert count > 0 and (exports / "j.csv").exists()


# --- cells a spreadsheet would run (CSV injection) -----------------------------------

FORMULA_ACTOR = Actor(operator="=cmd|' /C calc'!A0", role="agent", workstation="+poste")


def test_csv_cells_that_would_run_as_formulas_start_with_a_quote(deps: Deps) -> None:
    with deps.writing() as session:
        journal.append(session, actor=FORMULA_ACTOR, action="@SUM(A1)", outcome="-1",
                       at=at(28, 9), election="\tminint", intervention="\r2")  # fmt: skip
    out = io.StringIO()
    export_journal(deps, SUPERVISOR, out, fmt="csv")
    [row] = list(csv.DictReader(io.StringIO(out.getvalue()), delimiter=";"))
    assert (row["opérateur"], row["poste"], row["action"], row["résultat"]) == (
        "'=cmd|' /C calc'!A0",
        "'+poste",
        "'@SUM(A1)",
        "'-1",
    )
    assert (row["élection"], row["intervention"], row["libellé"]) == (
        "'\tminint",
        "'\r2",
        "'@SUM(A1)",
    )


def test_csv_titles_its_columns_in_french_and_names_each_entry(deps: Deps) -> None:
    record(deps, at(28, 9), action="credential_issue", kind="security_key")
    out = io.StringIO()
    export_journal(deps, SUPERVISOR, out, fmt="csv")
    header, first = csv.reader(io.StringIO(out.getvalue()), delimiter=";")
    assert header[:4] == ["n°", "horodatage (UTC)", "heure de Paris", "opérateur"]
    row = dict(zip(header, first, strict=True))
    assert (row["action"], row["libellé"]) == ("credential_issue", "clé de sécurité délivrée")
    # 28 November 2022, 9:00 UTC: 10:00 in Paris (winter time)
    assert (row["horodatage (UTC)"], row["heure de Paris"]) == (
        "2022-11-28T09:00:00.000000Z",
        "28/11/2022 10:00:00",
    )


def test_no_cell_of_a_csv_export_starts_a_formula(busy: Deps) -> None:
    with busy.writing() as session:
        journal.append(session, actor=FORMULA_ACTOR, action="=1+1", outcome="+ok",
                       at=at(29, 13))  # fmt: skip
    out = io.StringIO()
    export_journal(busy, SUPERVISOR, out, fmt="csv")
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert len(rows) == 1 + 13
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_jsonl_keeps_the_values_as_recorded(deps: Deps) -> None:
    # JSON Lines is read by programs, not spreadsheets: nothing is added to a value.
    with deps.writing() as session:
        journal.append(session, actor=FORMULA_ACTOR, action="consultation", outcome="-1",
                       at=at(28, 9))  # fmt: skip
    [row] = export(deps)
    assert (row["operator"], row["workstation"], row["outcome"]) == (
        "=cmd|' /C calc'!A0",
        "+poste",
        "-1",
    )


# --- the file: created 0600 with O_EXCL, replaced only when asked ----------------------


def test_force_replaces_an_existing_file_with_a_new_one_for_its_owner_only(
    busy: Deps, tmp_path: Path
) -> None:
    path = tmp_path / "exports" / "journal.csv"
    path.parent.mkdir()
    path.write_text("ancien export", encoding="utf-8")
    path.chmod(0o644)
    count = export_journal_file(busy, SUPERVISOR, path, fmt="csv", force=True)
    assert count == 12
    assert len(list(csv.DictReader(path.open(encoding="utf-8-sig"), delimiter=";"))) == 12
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(path.parent.iterdir()) == [path]  # no partial file left


def test_an_export_never_writes_through_a_symbolic_link(busy: Deps, tmp_path: Path) -> None:
    target = tmp_path / "ailleurs.txt"
    target.write_text("à protéger", encoding="utf-8")
    link = tmp_path / "journal.csv"
    link.symlink_to(target)
    with pytest.raises(ServiceError, match="existe déjà"):
        export_journal_file(busy, SUPERVISOR, link, fmt="csv")
    assert target.read_text(encoding="utf-8") == "à protéger"


def test_a_refused_export_leaves_no_file(busy: Deps, tmp_path: Path) -> None:
    path = tmp_path / "exports" / "journal.xml"
    path.parent.mkdir()
    with pytest.raises(ServiceError, match="Format « xml » inconnu"):
        export_journal_file(busy, SUPERVISOR, path, fmt="xml")  # type: ignore[arg-type]
    assert list(path.parent.iterdir()) == []


def test_a_missing_folder_is_said_in_french_and_not_created(busy: Deps, tmp_path: Path) -> None:
    path = tmp_path / "absent" / "journal.csv"
    with pytest.raises(ServiceError, match=r"Impossible d.écrire .* : dossier introuvable"):
        export_journal_file(busy, SUPERVISOR, path)
    assert not path.parent.exists()


def test_a_file_name_too_long_is_said_in_french(busy: Deps, tmp_path: Path) -> None:
    for force in (False, True):
        with pytest.raises(ServiceError, match="nom trop long"):
            export_journal_file(busy, SUPERVISOR, tmp_path / ("é" * 300), force=force)


def test_a_file_name_with_a_control_character_is_refused_in_french(
    busy: Deps, tmp_path: Path
) -> None:
    with pytest.raises(InvalidValue, match=r"Fichier d'export : caractère interdit .*U\+0000"):
        export_journal_file(busy, SUPERVISOR, tmp_path / "exports" / "jour\x00nal.csv")
    assert not (tmp_path / "exports").exists()


def test_a_folder_is_not_an_export_file(busy: Deps, tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="est un dossier"):
        export_journal_file(busy, SUPERVISOR, tmp_path, force=True)


# --- csu audit export -o FILE [--force] ------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database initialised by ``csu init``, with one entry in its journal."""
    clean_environment(tmp_path, monkeypatch)
    path = tmp_path / "base" / "cellule.sqlite"
    initialised(path)
    with deps_of(path) as deps, deps.writing() as session:
        journal.append(session, actor=FORMULA_ACTOR, action="consultation", outcome="ok",
                       at=at(28, 9))  # fmt: skip
    return path


def test_the_command_writes_a_neutralised_csv_for_its_owner_only(
    cli_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    assert_done(csu("audit", "export", "--format", "csv", "-o", path, "--db", cli_db))
    assert path.stat().st_mode & 0o777 == 0o600
    [row] = list(csv.DictReader(path.open(encoding="utf-8-sig"), delimiter=";"))
    assert row["opérateur"] == "'=cmd|' /C calc'!A0"


def test_a_csv_file_begins_with_the_byte_order_mark_a_jsonl_file_does_not(
    busy: Deps, tmp_path: Path
) -> None:
    """Without the mark a spreadsheet opened by a double click reads « opÃ©rateur »."""
    for fmt in ("csv", "jsonl"):
        path = tmp_path / f"journal.{fmt}"
        export_journal_file(busy, SUPERVISOR, path, fmt=fmt)  # type: ignore[arg-type]
        assert path.read_bytes().startswith(b"\xef\xbb\xbf") == (fmt == "csv")
    assert (tmp_path / "journal.csv").read_text("utf-8-sig").startswith("n°;horodatage")


def test_the_command_replaces_a_file_only_with_force(cli_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("déjà là", encoding="utf-8")
    refused = csu("audit", "export", "-o", path, "--db", cli_db)
    assert_refused(refused, "existe déjà", "--force")
    assert path.read_text(encoding="utf-8") == "déjà là"
    assert_done(csu("audit", "export", "-o", path, "--force", "--db", cli_db))
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["seq"] == 1
