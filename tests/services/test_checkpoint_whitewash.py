"""A checkpoint vouches for the whole journal: signing (by hand or by the terminal) checks
every entry and every checkpoint the journal mentions or the base keeps, so that the
cell's key never signs a rewritten history; the integrity report names what they
contradict (the same tests on SQLite and PostgreSQL)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from csu.domain.checkpoint import NoteSigner
from csu.domain.clock import fixed_clock
from csu.domain.journal import ChainCheck
from csu.services import audit
from csu.services.checkpoints import (
    ACTION,
    CheckpointPolicy,
    CheckpointRefused,
    IntegrityReport,
    check_integrity,
    sign_checkpoint,
    sign_due_checkpoint,
)
from csu.services.context import Deps, ServiceError
from tests.conftest import NOW, SUPERVISOR
from tests.services.test_checkpoints import rewrite, truncate
from tests.store.test_journal import append_entries, spoil_body

SIGNER = NoteSigner.generate("csu.test/journal")


def delete_checkpoint_rows(engine: Engine) -> None:
    """What someone holding the database would do to have a rewrite signed again."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER checkpoint_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE checkpoint DISABLE TRIGGER USER")
        conn.exec_driver_sql("DELETE FROM checkpoint")


def checkpoint_rows(deps: Deps) -> int:
    with deps.reading() as session:
        return int(session.execute(text("SELECT count(*) FROM checkpoint")).scalar_one())


def checkpoint_entries(deps: Deps) -> list[dict[str, object]]:
    with deps.reading() as session:
        bodies = session.execute(
            text("SELECT body FROM journal_entry WHERE action = :a ORDER BY seq"), {"a": ACTION}
        ).scalars()
        return [json.loads(body) for body in bodies]


def policy(every_entries: int = 1) -> CheckpointPolicy:
    return CheckpointPolicy(SIGNER, "csu.test/journal", every_entries, 60)


def test_no_checkpoint_is_signed_over_an_entry_altered_before_the_last_one(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    append_entries(deps.engine, 3)
    spoil_body(deps.engine, 2)
    with pytest.raises(ServiceError, match=r"refusé : journal altéré : entrée 2 : empreinte"):
        sign_checkpoint(deps, SUPERVISOR, SIGNER)
    assert checkpoint_rows(deps) == 1


def test_the_terminal_refuses_to_sign_an_altered_journal_and_journals_why(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    assert sign_due_checkpoint(deps, policy(), "poste-1") is not None
    append_entries(deps.engine, 2)
    spoil_body(deps.engine, 2)
    with pytest.raises(CheckpointRefused, match="entrée 2"):
        sign_due_checkpoint(deps, policy(), "poste-1")
    assert checkpoint_rows(deps) == 1
    refusal = checkpoint_entries(deps)[-1]
    assert (refusal["outcome"], refusal["operator"]) == ("refusé", "système")
    assert "journal altéré : entrée 2" in str(refusal["details"])


def test_after_a_refusal_the_terminal_waits_its_period_before_trying_again(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    spoil_body(deps.engine, 1)
    with pytest.raises(CheckpointRefused):
        sign_due_checkpoint(deps, policy(), "poste-1")
    assert sign_due_checkpoint(deps, policy(), "poste-1") is None  # no check every minute
    later = Deps(deps.engine, deps.key, fixed_clock(NOW + timedelta(minutes=61)))
    with pytest.raises(CheckpointRefused):
        sign_due_checkpoint(later, policy(), "poste-1")
    assert [entry["outcome"] for entry in checkpoint_entries(deps)] == ["refusé", "refusé"]


def test_a_rewrite_whose_checkpoints_were_deleted_is_not_signed_again(deps: Deps) -> None:
    append_entries(deps.engine, 6)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)  # its entry is n° 7
    append_entries(deps.engine, 2)
    rewrite(deps, 3)
    delete_checkpoint_rows(deps.engine)
    with pytest.raises(ServiceError, match=r"journalisé à l'entrée n° 7 \(6 entrées\) ne "):
        sign_checkpoint(deps, SUPERVISOR, SIGNER)
    assert checkpoint_rows(deps) == 0


def test_a_journal_shorter_than_its_checkpoint_is_not_signed_again(deps: Deps) -> None:
    append_entries(deps.engine, 8)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    truncate(deps, 6)  # the checkpoint's own entry gone with the last two
    with pytest.raises(ServiceError, match="journal plus court que le point de contrôle"):
        sign_checkpoint(deps, SUPERVISOR, SIGNER)


def test_the_report_names_a_journalled_checkpoint_missing_from_the_base(deps: Deps) -> None:
    append_entries(deps.engine, 4)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)  # its entry is n° 5
    append_entries(deps.engine, 1)
    delete_checkpoint_rows(deps.engine)
    report = check_integrity(deps, SUPERVISOR)
    assert report.check.ok and report.checkpoint is None
    assert not report.ok
    assert report.anomalies == (
        "le journal mentionne un point de contrôle (entrée n° 5, 4 entrées) absent de la "
        "base : suppression suspecte",
    )
    assert report.journalled == 1


def test_signing_is_refused_when_a_journalled_checkpoint_is_missing(deps: Deps) -> None:
    append_entries(deps.engine, 2)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    delete_checkpoint_rows(deps.engine)
    with pytest.raises(ServiceError, match="absent de la base : suppression suspecte"):
        sign_checkpoint(deps, SUPERVISOR, SIGNER)


def test_the_report_says_between_which_entries_a_checkpointed_journal_changed(
    deps: Deps,
) -> None:
    append_entries(deps.engine, 4)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)  # 4 entries, its entry n° 5
    append_entries(deps.engine, 3)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)  # 8 entries, its entry n° 9
    append_entries(deps.engine, 1)
    rewrite(deps, 7)
    report = check_integrity(deps, SUPERVISOR)
    assert report.check.ok and not report.ok
    assert report.anomalies == (
        "le point de contrôle journalisé à l'entrée n° 9 (8 entrées) ne correspond plus au "
        "journal : une entrée entre le n° 5 et le n° 8 a changé depuis sa signature",
    )
    assert "les 8 premières entrées diffèrent" in (report.problem or "")


def test_a_latest_checkpoint_signed_by_another_key_fails_the_report(deps: Deps) -> None:
    append_entries(deps.engine, 2)
    sign_checkpoint(deps, SUPERVISOR, NoteSigner.generate("csu.test/journal"))
    report = check_integrity(deps, SUPERVISOR, SIGNER.verifier)
    assert report.check.ok and report.problem is None
    assert not report.ok
    assert report.anomalies[0].startswith(
        "signature du dernier point de contrôle refusée (signé par une autre clé"
    )


def forge_checkpoint_row(engine: Engine, note: str, size: int, root: str) -> None:
    """What any workstation may do: INSERT a checkpoint row (the table is append-only,
    not closed to inserts), under the cell key's name and id."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO checkpoint (size, root_hash, origin, key_name, key_id, note, "
                "created_at, created_by) SELECT :size, :root, origin, key_name, key_id, :note, "
                "created_at, created_by FROM checkpoint WHERE key_id = :key "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"size": size, "root": root, "note": note, "key": SIGNER.key_id.hex()},
        )


def test_a_forged_checkpoint_row_is_named_and_the_journal_not_blamed(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    forge_checkpoint_row(deps.engine, "une note inventée", 30, "00")
    report = check_integrity(deps, SUPERVISOR)  # no public key at hand: the note tells
    assert report.check.ok and report.problem is None  # the genuine checkpoint holds
    assert not report.ok
    assert any("note illisible" in anomaly for anomaly in report.anomalies)
    assert "plus court" not in report.describe()


def test_a_forged_row_with_a_well_formed_note_fails_its_signature_and_is_set_aside(
    deps: Deps,
) -> None:
    append_entries(deps.engine, 3)
    signed = sign_checkpoint(deps, SUPERVISOR, SIGNER)
    other = sign_checkpoint(deps, SUPERVISOR, NoteSigner.generate("csu.test/journal"))
    # The other key's note, under the cell key's id: a signature the cell key refuses.
    forge_checkpoint_row(deps.engine, other.note, other.size, other.root.hex())
    report = check_integrity(deps, SUPERVISOR, SIGNER.verifier)
    assert report.check.ok and report.problem is None, report.describe()
    assert any("signature refusée par la clé publique" in a for a in report.anomalies)
    assert signed.size <= report.check.count


def test_a_report_of_an_intact_journal_names_nothing(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    append_entries(deps.engine, 2)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    report = check_integrity(deps, SUPERVISOR, SIGNER.verifier)
    assert report.ok, report.describe()
    assert report.describe().startswith("journal intègre : 7 entrées\n")


@pytest.mark.parametrize("statement", ["UPDATE checkpoint SET size = 1", "DELETE FROM checkpoint"])
def test_the_checkpoint_table_is_append_only(deps: Deps, statement: str) -> None:
    append_entries(deps.engine, 2)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    refused = pytest.raises(DBAPIError, match="points de contrôle du journal sont en ajout seul")
    with refused, deps.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert checkpoint_rows(deps) == 1


@pytest.mark.postgres
def test_the_checkpoint_table_cannot_be_truncated(postgres_deps: Deps) -> None:
    append_entries(postgres_deps.engine, 1)
    sign_checkpoint(postgres_deps, SUPERVISOR, SIGNER)
    with pytest.raises(DBAPIError, match="en ajout seul"), postgres_deps.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE checkpoint")


def test_the_report_counts_entries_with_a_french_thousands_separator() -> None:
    report = IntegrityReport(ChainCheck(30_028, "0" * 64), None, "journal plus court")
    assert report.describe().startswith("chaîne intègre (30\u202f028 entrées), mais journal NON")


def test_a_journal_checked_in_two_processes_is_held_up_against_every_checkpoint(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "SPLIT_FROM", 2)  # cut after entry 6: one checkpoint a side
    append_entries(deps.engine, 4)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)  # 4 entries, its entry n° 5
    append_entries(deps.engine, 4)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)  # 9 entries, its entry n° 10
    append_entries(deps.engine, 2)
    assert check_integrity(deps, SUPERVISOR).ok
    rewrite(deps, 7)
    report = check_integrity(deps, SUPERVISOR)
    assert report.anomalies == (
        "le point de contrôle journalisé à l'entrée n° 10 (9 entrées) ne correspond plus au "
        "journal : une entrée entre le n° 5 et le n° 9 a changé depuis sa signature",
    )
