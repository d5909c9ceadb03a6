"""`csu audit keygen`, `csu audit checkpoint` and `csu audit verify --checkpoint`: what
a cell and its auditor type, and what they read back."""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import pytest

from csu.cli import audit as audit_cli
from csu.domain.checkpoint import Checkpoint, NoteVerifier
from csu.domain.journal import GENESIS_HASH, chain_hash
from csu.startup import StoreUnavailable, open_workplace
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said
from tests.test_cli import MININT, attack, query, record

NOW = datetime(2022, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database whose journal holds 3 entries."""
    path = tmp_path / "base" / "cellule.sqlite"
    initialised(path, MININT)
    record(path, NOW)
    record(path, NOW)
    return path


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "cles" / "cellule.key"
    path.parent.mkdir()
    assert_done(csu("audit", "keygen", "--out", path, "--name", "csu.test/cellule"))
    return path


def checkpoint(db: Path, key: Path, out: Path) -> Path:
    assert_done(csu("audit", "checkpoint", "--key", key, "--out", out, "--db", db))
    return out


def test_keygen_prints_the_public_key_and_keeps_the_private_one_to_its_owner(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cle"
    result = csu("audit", "keygen", "--out", path, "--name", "csu.test/cellule")
    assert_done(result)
    public = (tmp_path / "cle.pub").read_text().strip()
    assert public in result.stdout
    assert NoteVerifier.parse(public).name == "csu.test/cellule"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().startswith("PRIVATE+KEY+csu.test/cellule+")


def test_keygen_names_the_key_after_the_deployment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_WORKSTATION", "poste-7")
    assert_done(csu("audit", "keygen", "--out", tmp_path / "cle", "--db", tmp_path / "b.sqlite"))
    assert (tmp_path / "cle.pub").read_text().startswith("csu-electeurs/poste-7/b+")


def test_keygen_never_overwrites_a_key(key: Path) -> None:
    before = key.read_text()
    assert_refused(csu("audit", "keygen", "--out", key), "existe déjà")
    assert key.read_text() == before


def test_keygen_refuses_a_name_with_a_space(tmp_path: Path) -> None:
    result = csu("audit", "keygen", "--out", tmp_path / "cle", "--name", "ma cellule")
    assert_refused(result, "Nom de clé « ma cellule » invalide")
    assert not (tmp_path / "cle").exists()


def test_checkpoint_writes_a_signed_note_and_stores_it(db: Path, key: Path, tmp_path: Path) -> None:
    out = tmp_path / "cp.txt"
    result = csu("audit", "checkpoint", "--key", key, "--out", out, "--db", db)
    assert_done(result)
    assert "3 entrées" in said(result)
    verifier = NoteVerifier.parse((tmp_path / "cles" / "cellule.key.pub").read_text())
    signed = Checkpoint.open(out.read_text(), verifier)
    assert (signed.origin, signed.size) == ("csu.test/cellule", 3)
    assert query(db, "SELECT size, note FROM checkpoint") == [(3, out.read_text())]
    assert query(db, "SELECT action FROM journal_entry WHERE seq = 4") == [("journal_checkpoint",)]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_checkpoint_whose_file_cannot_be_written_is_given_on_standard_output(
    db: Path, key: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up after the note is signed and recorded: the note is not lost
    with the file, and the operator reads where it is."""
    new_note_file = audit_cli._new_note_file

    def on_a_full_disk(path: Path) -> TextIO:
        new_note_file(path).close()  # made as usual, before anything is signed
        return open("/dev/full", "w", encoding="utf-8")  # every write: ENOSPC

    monkeypatch.setattr(audit_cli, "_new_note_file", on_a_full_disk)
    out = tmp_path / "cp.txt"
    result = csu("audit", "checkpoint", "--key", key, "--out", out, "--db", db)
    assert_refused(
        result,
        f"Point de contrôle signé et enregistré dans la base, mais {out} n'a pu être écrit "
        "(disque plein) : le voici sur la sortie standard.",
    )
    assert result.stdout.startswith("csu.test/cellule\n3\n")
    assert query(db, "SELECT note FROM checkpoint") == [(result.stdout,)]
    assert not out.exists()  # no empty or cut-short note left for an auditor to trust


def test_checkpoint_without_a_key_says_how_to_make_one(db: Path) -> None:
    assert_refused(csu("audit", "checkpoint", "--db", db), "csu audit keygen")


def test_checkpoint_with_a_key_others_can_read_is_refused(db: Path, key: Path) -> None:
    os.chmod(key, 0o644)
    assert_refused(csu("audit", "checkpoint", "--key", key, "--db", db), "chmod 600")


def test_checkpoint_uses_the_key_file_of_the_settings(
    db: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_CHECKPOINT_KEY_FILE", str(key))
    result = csu("audit", "checkpoint", "--db", db)
    assert_done(result)
    assert result.stdout.startswith("csu.test/cellule\n3\n")


def test_verify_without_any_checkpoint_says_what_the_chain_alone_does_not_prove(
    db: Path,
) -> None:
    """The attack run rewrote an entry and re-chained, then cut the journal short: both
    passed, the only sign « aucun point de contrôle signé (csu audit checkpoint) »."""
    result = csu("audit", "verify", "--db", db)
    assert_done(result)
    assert "ne prouve pas que le journal est complet ni qu'il n'a pas été réécrit" in said(
        result
    )


def test_verify_with_a_public_key_and_no_checkpoint_in_the_base_fails(db: Path, key: Path) -> None:
    """The attack run cut the journal back to before its first checkpoint, deleting the
    checkpoint's row and mention: with the cell's public key given, that passed."""
    result = csu("audit", "verify", "--public-key", f"{key}.pub", "--db", db)
    assert_refused(
        result,
        "chaîne intègre (3 entrées), mais journal NON conforme",
        "aucun point de contrôle signé en base, alors qu'une clé publique est donnée",
        "--checkpoint FICHIER",
    )


def test_the_first_checkpoint_is_signed_then_verify_passes_with_the_key(
    db: Path, key: Path, tmp_path: Path
) -> None:
    checkpoint(db, key, tmp_path / "cp.txt")  # not refused for want of an earlier one
    assert_done(csu("audit", "verify", "--public-key", f"{key}.pub", "--db", db))


def test_a_checkpoint_row_edited_by_hand_drives_no_terminal(
    db: Path, key: Path, tmp_path: Path
) -> None:
    """The attack run wrote cursor moves into a stored checkpoint's signer: printed raw,
    they could erase « journal altéré » and write « journal intègre » over it."""
    checkpoint(db, key, tmp_path / "cp.txt")
    attack(  # a copy of the row, the latest, its signer's name written by hand
        db,
        "INSERT INTO checkpoint (size, root_hash, origin, key_name, key_id, note, created_at,"
        " created_by) SELECT size, root_hash, origin, key_name, key_id, note, created_at, ?"
        " FROM checkpoint",
        "\x1b[1A\x1b[2K\x1b[Gjournal intègre",
    )
    result = csu("audit", "verify", "--public-key", f"{key}.pub", "--db", db)
    assert "\x1b" not in result.output
    assert "\\x1b[1A\\x1b[2K\\x1b[Gjournal intègre" in result.output


def test_verify_with_the_checkpoint_and_public_key_passes(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", f"{key}.pub", "--db", db)
    assert_done(result)
    assert "journal intègre : 4 entrées" in said(result)
    assert "point de contrôle vérifié : les 3 premières entrées" in said(result)


def test_verify_accepts_the_public_key_as_text(db: Path, key: Path, tmp_path: Path) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    public = Path(f"{key}.pub").read_text().strip()
    assert_done(csu("audit", "verify", "--checkpoint", note, "--public-key", public, "--db", db))


def test_an_old_checkpoint_passes_against_a_longer_journal(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    for _ in range(5):
        record(db, NOW)
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", f"{key}.pub", "--db", db)
    assert_done(result)
    assert "journal intègre : 9 entrées" in said(result)


def test_a_journal_truncated_below_the_checkpoint_fails(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    attack(db, "DELETE FROM journal_entry WHERE seq >= 3")
    attack(db, "DROP TRIGGER journal_head_forward")
    head = query(db, "SELECT hash FROM journal_entry WHERE seq = 2")[0][0]
    attack(db, "UPDATE journal_head SET seq = 2, hash = ?", head)
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", f"{key}.pub", "--db", db)
    assert_refused(
        result,
        "journal plus court que le point de contrôle : 2 entrées, "
        "le point de contrôle en certifie 3",
    )


def test_a_journal_that_differs_from_the_checkpoint_fails(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    attack(db, "UPDATE journal_entry SET body = CAST(body || ' ' AS BLOB) WHERE seq = 2")
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", f"{key}.pub", "--db", db)
    assert_refused(result, "journal altéré : entrée 2", "point de contrôle non conforme")


def test_a_checkpoint_signed_by_another_key_fails(db: Path, key: Path, tmp_path: Path) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    other = tmp_path / "autre"
    assert_done(csu("audit", "keygen", "--out", other, "--name", "csu.test/cellule"))
    result = csu(
        "audit", "verify", "--checkpoint", note, "--public-key", f"{other}.pub", "--db", db
    )
    assert_refused(result, "signé par une autre clé")


def test_a_checkpoint_edited_by_hand_fails(db: Path, key: Path, tmp_path: Path) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    note.write_text(note.read_text().replace("\n3\n", "\n2\n"))
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", f"{key}.pub", "--db", db)
    assert_refused(result, "Point de contrôle refusé : signature invalide")


def test_verify_with_a_checkpoint_but_no_public_key_says_what_is_missing(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    assert_refused(csu("audit", "verify", "--checkpoint", note, "--db", db), "--public-key")


def test_verify_with_a_file_that_is_no_checkpoint_fails(db: Path, key: Path) -> None:
    result = csu("audit", "verify", "--checkpoint", db, "--public-key", f"{key}.pub", "--db", db)
    assert_refused(result, "Point de contrôle", str(db))


def test_the_terminal_takes_its_signing_key_from_the_settings(
    db: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_CHECKPOINT_KEY_FILE", str(key))
    monkeypatch.setenv("CSU_CHECKPOINT_EVERY_ENTRIES", "500")
    workplace = open_workplace(str(db))
    assert workplace.checkpoints is not None
    assert (workplace.checkpoints.origin, workplace.checkpoints.every_entries) == (
        "csu.test/cellule",
        500,
    )
    assert workplace.checkpoint_verifier == workplace.checkpoints.signer.verifier


def test_the_terminal_does_not_start_with_a_signing_key_it_cannot_use(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_CHECKPOINT_KEY_FILE", str(tmp_path / "absente.key"))
    with pytest.raises(StoreUnavailable, match="Clé de signature introuvable"):
        open_workplace(str(db))


def test_the_terminal_does_not_start_with_an_origin_no_checkpoint_could_keep(
    db: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Said at each signing it missed, the refusal went unseen: the terminal says it."""
    monkeypatch.setenv("CSU_CHECKPOINT_KEY_FILE", str(key))
    monkeypatch.setenv("CSU_CHECKPOINT_ORIGIN", "o" * 201)
    with pytest.raises(StoreUnavailable, match="Origine ou nom de clé trop long : 200"):
        open_workplace(str(db))


def rechain(db: Path, seq: int) -> None:
    """Entry ``seq`` edited and the chain after it hashed again, head included: what
    someone holding the file but not the signing key would do. The chain checks."""
    rows = query(db, "SELECT seq, body FROM journal_entry ORDER BY seq")
    attack(db, "DROP TRIGGER IF EXISTS journal_head_forward")
    previous = GENESIS_HASH if seq == 1 else query(
        db, "SELECT hash FROM journal_entry WHERE seq = ?", seq - 1
    )[0][0]
    for number, body in rows[seq - 1 :]:
        if number == seq:
            body = bytes(body).replace(b'"note":"', b'"note":"(r)')
            assert body != rows[seq - 1][1]
        previous = chain_hash(number, previous, bytes(body))
        attack(db, "UPDATE journal_entry SET body = ?, hash = ? WHERE seq = ?",
               body, previous, number)  # fmt: skip
    attack(db, "UPDATE journal_head SET hash = ?", previous)


def test_verify_holds_the_journal_up_against_the_checkpoints_of_the_base(
    db: Path, key: Path, tmp_path: Path
) -> None:
    checkpoint(db, key, tmp_path / "cp.txt")  # 3 entries, its own entry n° 4
    rechain(db, 2)
    result = csu("audit", "verify", "--db", db)
    assert_refused(
        result,
        "le point de contrôle journalisé à l'entrée n° 4 (3 entrées) ne correspond plus au "
        "journal : une entrée entre le n° 1 et le n° 3 a changé depuis sa signature",
        "journal NON conforme : les 3 premières entrées diffèrent",
    )
    assert said(result).startswith("chaîne intègre (4 entrées), mais journal NON conforme")
    assert "journal intègre" not in said(result)


def test_verify_fails_on_a_journal_shorter_than_the_checkpoint_of_the_base(
    db: Path, key: Path, tmp_path: Path
) -> None:
    checkpoint(db, key, tmp_path / "cp.txt")
    attack(db, "DELETE FROM journal_entry WHERE seq >= 3")
    attack(db, "DROP TRIGGER journal_head_forward")
    head = query(db, "SELECT hash FROM journal_entry WHERE seq = 2")[0][0]
    attack(db, "UPDATE journal_head SET seq = 2, hash = ?", head)
    result = csu("audit", "verify", "--db", db)
    assert_refused(result, "journal plus court que le point de contrôle : 2 entrées")
    assert said(result).startswith("chaîne intègre (2 entrées), mais journal NON conforme")


def test_verify_checks_the_stored_checkpoint_s_signature_with_the_configured_key(
    db: Path, key: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint(db, key, tmp_path / "cp.txt")
    monkeypatch.setenv("CSU_CHECKPOINT_PUBLIC_KEY", Path(f"{key}.pub").read_text().strip())
    verified = csu("audit", "verify", "--db", db)
    assert_done(verified)
    assert "dernier point de contrôle : 3 entrées" in said(verified)
    assert "signature vérifiée ; journal conforme" in said(verified)

    other = tmp_path / "autre"
    assert_done(csu("audit", "keygen", "--out", other, "--name", "csu.test/cellule"))
    monkeypatch.setenv("CSU_CHECKPOINT_PUBLIC_KEY", Path(f"{other}.pub").read_text().strip())
    assert_refused(
        csu("audit", "verify", "--db", db),
        "signature du dernier point de contrôle refusée (signé par une autre clé",
    )


def test_verify_with_a_checkpoint_file_never_opens_a_failure_with_intact(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    rechain(db, 2)
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", f"{key}.pub", "--db", db)
    assert_refused(result, "point de contrôle non conforme : les 3 premières entrées diffèrent")
    assert said(result).startswith("chaîne intègre (4 entrées), mais journal NON conforme")
    assert "journal intègre" not in said(result)


def test_a_checkpoint_of_another_key_is_refused_in_words_said_once(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    other = tmp_path / "autre"
    assert_done(csu("audit", "keygen", "--out", other, "--name", "csu.test/cellule"))
    result = csu(
        "audit", "verify", "--checkpoint", note, "--public-key", f"{other}.pub", "--db", db
    )
    assert_refused(result, "Point de contrôle refusé : signé par une autre clé")
    assert "Point de contrôle refusé : Point de contrôle" not in said(result)


def test_checkpoint_given_the_public_key_says_it_is_the_public_one(db: Path, key: Path) -> None:
    public = Path(f"{key}.pub")
    os.chmod(public, 0o644)  # as keygen leaves it: no chmod would be the cure
    result = csu("audit", "checkpoint", "--key", public, "--db", db)
    assert_refused(
        result, "Clé de signature attendue, mais c'est la clé publique (le fichier .pub)"
    )
    assert "chmod" not in said(result)


def test_verify_given_the_private_key_as_public_key_says_it_is_the_private_one(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", key, "--db", db)
    assert_refused(
        result, "Clé publique attendue, mais c'est la clé privée : donnez le fichier .pub"
    )
    assert "base64" not in said(result)


CHECKPOINT_COLUMNS = (
    "size", "root_hash", "origin", "key_name", "key_id", "note", "created_at", "created_by"
)  # fmt: skip


def copy_checkpoint(db: Path, column: str, value: str) -> None:
    """Checkpoint n° 1 copied as row n° 2 with ``column`` set to ``value`` (SQL): what a
    hand on the file may leave, SQLite keeping any value in any column."""
    selected = ", ".join(value if name == column else name for name in CHECKPOINT_COLUMNS)
    attack(db, f"INSERT INTO checkpoint ({', '.join(CHECKPOINT_COLUMNS)}) "
               f"SELECT {selected} FROM checkpoint WHERE id = 1")  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value", "fault"),
    [
        ("created_at", "'garbage'", "date d'enregistrement « garbage » invalide"),
        ("size", "'abc'", "taille « abc » invalide"),
        ("note", "x'ff00'", "note signée : valeur binaire (BLOB) inattendue"),
        ("note", "CAST(x'ff00' AS TEXT)", "note signée : octets qui ne forment pas un texte UTF-8"),
    ],
)
def test_verify_names_a_checkpoint_row_a_hand_made_unreadable(
    db: Path, key: Path, tmp_path: Path, column: str, value: str, fault: str
) -> None:
    checkpoint(db, key, tmp_path / "cp.txt")
    copy_checkpoint(db, column, value)
    result = csu("audit", "verify", "--public-key", f"{key}.pub", "--db", db)
    assert_refused(result, f"- point de contrôle n° 2 illisible : {fault}")
    assert said(result).startswith("chaîne intègre (4 entrées), mais journal NON conforme")
    assert "SQLite" not in said(result)  # neither its English message nor a generic one


def test_verify_with_a_checkpoint_file_names_an_unreadable_checkpoint_row(
    db: Path, key: Path, tmp_path: Path
) -> None:
    note = checkpoint(db, key, tmp_path / "cp.txt")
    copy_checkpoint(db, "created_at", "'garbage'")
    result = csu("audit", "verify", "--checkpoint", note, "--public-key", f"{key}.pub", "--db", db)
    assert_refused(
        result, "point de contrôle n° 2 illisible : date d'enregistrement « garbage » invalide"
    )
    assert said(result).startswith("chaîne intègre (4 entrées), mais journal NON conforme")


def test_no_checkpoint_is_signed_over_a_base_with_an_unreadable_checkpoint_row(
    db: Path, key: Path, tmp_path: Path
) -> None:
    checkpoint(db, key, tmp_path / "cp.txt")
    copy_checkpoint(db, "size", "'abc'")
    assert_refused(
        csu("audit", "checkpoint", "--key", key, "--db", db),
        "Point de contrôle refusé : point de contrôle n° 2 illisible : taille « abc » invalide",
    )


def test_verify_names_a_row_in_the_queue_of_a_sqlite_journal_as_foreign(db: Path) -> None:
    attack(db, "INSERT INTO journal_queue (event_id, body, queued_at) "
               "VALUES ('e1', x'7b7d', 'garbage')")  # fmt: skip
    result = csu("audit", "verify", "--db", db)
    assert_refused(
        result,
        "- file d'attente du journal, ligne n° 1 : écrite hors de CSU (sur SQLite chaque "
        "entrée est intégrée dès son écriture) ; date de mise en file « garbage » invalide",
        "aucune entrée en attente d'intégration",
    )
    assert said(result).startswith("chaîne intègre (3 entrées), mais journal NON conforme")


def test_verify_says_the_journal_altered_when_its_head_holds_no_number(db: Path) -> None:
    attack(db, "DROP TRIGGER journal_head_forward")
    attack(db, "UPDATE journal_head SET seq = 'abc'")
    assert_refused(
        csu("audit", "verify", "--db", db),
        "journal altéré : entrée 3 : tête du journal illisible : numéro « abc » invalide",
    )


def test_verify_says_the_journal_altered_when_its_head_hash_is_not_utf8(db: Path) -> None:
    attack(db, "DROP TRIGGER journal_head_forward")
    attack(db, "UPDATE journal_head SET hash = CAST(x'ff00' AS TEXT)")
    result = csu("audit", "verify", "--db", db)
    assert_refused(
        result,
        "journal altéré : entrée 3 : tête du journal illisible : empreinte : octets qui ne "
        "forment pas un texte UTF-8",
    )
    assert "SQLite" not in said(result)


def test_export_refuses_an_unknown_action_code_and_lists_the_valid_ones(db: Path) -> None:
    result = csu("audit", "export", "--action", "operator_reset_totp", "--db", db)
    assert_refused(
        result,
        "Action « operator_reset_totp » inconnue (vouliez-vous dire « operator_totp_reset » ?)",
        "Codes valides (csu/domain/actions.py) :",
        "journal_checkpoint, journal_entry_view, journal_export",
    )


def test_export_refuses_an_unknown_outcome(db: Path) -> None:
    result = csu("audit", "export", "--outcome", "xx", "--db", db)
    assert_refused(result, "Résultat « xx » inconnu", "Résultats valides :", "créé, escaladé, ok")


def test_export_of_an_outcome_in_the_journal_is_taken(db: Path) -> None:
    assert_done(csu("audit", "export", "--outcome", "ok", "--db", db))


@pytest.mark.parametrize(
    ("option", "what"), [("--operator", "opérateur"), ("--election", "scrutin")]
)
def test_export_warns_of_an_unknown_operator_or_election(db: Path, option: str, what: str) -> None:
    result = csu("audit", "export", option, "inconnu", "--db", db)
    assert_done(result)
    assert (
        f"Attention : {what} « inconnu » inconnu de la base et absent du journal : l'export "
        "sera vide."
    ) in said(result)


def test_export_warns_of_an_unknown_intervention_in_the_feminine(db: Path) -> None:
    result = csu("audit", "export", "--intervention", "0123456789ab", "--db", db)
    assert_done(result)
    assert (
        "Attention : intervention « 0123456789ab » inconnue de la base et absente du journal"
    ) in said(result)


def test_export_of_a_known_operator_gives_no_warning(db: Path) -> None:
    result = csu("audit", "export", "--operator", "agent1", "--db", db)
    assert_done(result)
    assert "Attention" not in said(result)


def test_export_refuses_a_period_that_ends_before_it_begins(db: Path) -> None:
    result = csu(
        "audit", "export", "--since", "06/12/2026", "--until", "01/12/2026", "--db", db
    )
    assert_refused(
        result, "Période vide : son début (06/12/2026 00:00) n'est pas avant sa fin "
        "(02/12/2026 00:00, exclue)."
    )


@pytest.mark.parametrize(("option", "day"), [("--since", "0001-01-01"), ("--until", "9999-12-31")])
def test_export_refuses_a_day_at_the_calendars_edge_in_french(
    db: Path, option: str, day: str
) -> None:
    result = csu("audit", "export", "--format", "csv", option, day, "--db", db)
    assert_refused(result, f"{option} : « {day} » hors des dates possibles")
    assert "Traceback" not in said(result)


def test_export_help_says_where_the_action_codes_are_listed() -> None:
    result = csu("audit", "export", "--help")
    assert_done(result)
    assert "csu/domain/actions.py" in said(result)
