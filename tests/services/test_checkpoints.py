"""Signed checkpoints: signing, and holding the journal up against one, as an auditor
does (the same tests on SQLite and PostgreSQL)."""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from csu.domain import journal as domain_journal
from csu.domain.checkpoint import Checkpoint, NoteSigner
from csu.domain.clock import fixed_clock
from csu.domain.journal import GENESIS_HASH, canonical_bytes, chain_hash
from csu.domain.merkle import hash_leaf, tree_head
from csu.services import audit
from csu.services.checkpoints import (
    ACTION,
    CheckpointPolicy,
    check_integrity,
    create_key_pair,
    load_signer,
    load_verifier,
    sign_checkpoint,
    sign_due_checkpoint,
    verify_checkpoint,
)
from csu.services.context import Deps, Forbidden, ServiceError
from csu.store import journal
from csu.store.tables import Checkpoint as CheckpointRow
from tests.conftest import AGENT, NOW, SUPERVISOR
from tests.store.test_journal import append_entries, spoil_body, tamper

SIGNER = NoteSigner.generate("csu.test/journal")


def leaf_hashes(deps: Deps, size: int) -> list[bytes]:
    with deps.reading() as session:
        return [hash_leaf(body) for _, body, _ in journal.iter_chain(session, stop=size)]


def unlock_head(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER journal_head_forward")
        else:
            conn.exec_driver_sql("ALTER TABLE journal_head DISABLE TRIGGER USER")


def truncate(deps: Deps, size: int) -> None:
    """Restore an older state: the entries after ``size`` gone, the head moved back."""
    with deps.reading() as session:
        kept = dict((seq, digest) for seq, _, digest in journal.iter_chain(session))[size]
    tamper(deps.engine, f"DELETE FROM journal_entry WHERE seq > {size}")
    unlock_head(deps.engine)
    with deps.engine.begin() as conn:
        conn.execute(text("UPDATE journal_head SET seq = :s, hash = :h"), {"s": size, "h": kept})


def rewrite(deps: Deps, seq: int) -> None:
    """Change one entry's details and re-hash the chain after it, as someone holding
    the database but not the signing key would: the chain checks, the tree does not."""
    with deps.reading() as session:
        rows = list(journal.iter_chain(session))
    tamper(deps.engine)
    unlock_head(deps.engine)
    prev = GENESIS_HASH if seq == 1 else rows[seq - 2][2]
    with deps.engine.begin() as conn:
        for number, body, _ in rows[seq - 1 :]:
            if number == seq:
                fields = json.loads(body)
                fields["details"]["number"] = 999
                body = canonical_bytes(fields)
            prev = chain_hash(number, prev, body)
            conn.execute(
                text("UPDATE journal_entry SET body = :b, hash = :h WHERE seq = :s"),
                {"b": body, "h": prev, "s": number},
            )
        conn.execute(text("UPDATE journal_head SET hash = :h"), {"h": prev})


def test_a_checkpoint_signs_the_tree_head_of_every_entry(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    signed = sign_checkpoint(deps, SUPERVISOR, SIGNER)
    assert (signed.size, signed.origin) == (5, "csu.test/journal")
    assert signed.root == tree_head(leaf_hashes(deps, 5))
    assert Checkpoint.open(signed.note, SIGNER.verifier) == Checkpoint(
        "csu.test/journal", 5, signed.root
    )


def test_a_checkpoint_is_stored_and_journalled(deps: Deps) -> None:
    append_entries(deps.engine, 2)
    signed = sign_checkpoint(deps, SUPERVISOR, SIGNER, origin="csu.test/autre")
    with deps.reading() as session:
        row = session.execute(text("SELECT size, root_hash, note FROM checkpoint")).one()
        entry = json.loads(
            session.execute(
                text("SELECT body FROM journal_entry WHERE action = :a"), {"a": ACTION}
            ).scalar_one()
        )
    assert tuple(row) == (2, signed.root.hex(), signed.note)
    assert entry["operator"] == "sup"
    assert entry["details"]["root"] == signed.root.hex()
    assert entry["details"]["origin"] == "csu.test/autre"


def test_an_agent_cannot_sign_a_checkpoint(deps: Deps) -> None:
    with pytest.raises(Forbidden):
        sign_checkpoint(deps, AGENT, SIGNER)


def test_no_checkpoint_is_signed_over_an_altered_journal(deps: Deps) -> None:
    append_entries(deps.engine, 4)
    spoil_body(deps.engine, 2)
    with pytest.raises(ServiceError, match=r"refusé.*entrée 2"):
        sign_checkpoint(deps, SUPERVISOR, SIGNER)


def test_the_next_checkpoint_hashes_on_from_the_last_one(deps: Deps) -> None:
    append_entries(deps.engine, 6)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    append_entries(deps.engine, 4)
    second = sign_checkpoint(deps, SUPERVISOR, SIGNER)
    assert second.size == 11  # 6 entries, the first checkpoint's own entry, 4 more
    assert second.root == tree_head(leaf_hashes(deps, 11))


def test_a_checkpoint_passes_against_the_journal_it_signed(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    note = sign_checkpoint(deps, SUPERVISOR, SIGNER).note
    proof = verify_checkpoint(deps, SUPERVISOR, note, SIGNER.verifier)
    assert proof.ok
    assert "les 5 premières entrées sont celles signées par « csu.test/journal »" in (
        proof.describe()
    )


def test_an_old_checkpoint_passes_against_a_longer_journal(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    note = sign_checkpoint(deps, SUPERVISOR, SIGNER).note
    append_entries(deps.engine, 20)
    proof = verify_checkpoint(deps, SUPERVISOR, note, SIGNER.verifier)
    assert proof.ok
    assert proof.check.count == 26


def test_a_journal_truncated_below_a_checkpoint_fails(deps: Deps) -> None:
    append_entries(deps.engine, 8)
    note = sign_checkpoint(deps, SUPERVISOR, SIGNER).note
    truncate(deps, 6)
    proof = verify_checkpoint(deps, SUPERVISOR, note, SIGNER.verifier)
    assert proof.check.ok  # the chain alone cannot tell
    assert not proof.ok
    assert proof.problem == (
        "journal plus court que le point de contrôle : 6 entrées, "
        "le point de contrôle en certifie 8"
    )


def test_a_journal_rewritten_and_rechained_differs_from_the_checkpoint(deps: Deps) -> None:
    append_entries(deps.engine, 6)
    note = sign_checkpoint(deps, SUPERVISOR, SIGNER).note
    rewrite(deps, 3)
    proof = verify_checkpoint(deps, SUPERVISOR, note, SIGNER.verifier)
    assert proof.check.ok
    assert not proof.ok
    assert "les 6 premières entrées diffèrent" in (proof.problem or "")


def test_a_rewrite_after_the_checkpoint_leaves_the_checkpoint_true(deps: Deps) -> None:
    append_entries(deps.engine, 4)
    note = sign_checkpoint(deps, SUPERVISOR, SIGNER).note
    append_entries(deps.engine, 3)
    rewrite(deps, 7)
    assert verify_checkpoint(deps, SUPERVISOR, note, SIGNER.verifier).ok


def test_a_checkpoint_signed_by_another_key_is_refused(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    other = NoteSigner.generate("csu.test/journal")  # same name, another key
    note = sign_checkpoint(deps, SUPERVISOR, other).note
    with pytest.raises(ServiceError, match="signé par une autre clé"):
        verify_checkpoint(deps, SUPERVISOR, note, SIGNER.verifier)


def test_a_checkpoint_edited_after_signing_is_refused(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    note = sign_checkpoint(deps, SUPERVISOR, SIGNER).note
    with pytest.raises(ServiceError, match="refusé : signature invalide"):
        verify_checkpoint(deps, SUPERVISOR, note.replace("\n3\n", "\n2\n"), SIGNER.verifier)


@pytest.mark.parametrize("size", [3, 7, 10, 13])
def test_a_journal_checked_in_two_processes_gives_the_same_tree_head(
    deps: Deps, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    append_entries(deps.engine, 13)  # cut after entry 6: both parts hash their leaves
    monkeypatch.setattr(audit, "SPLIT_FROM", 2)
    proof = audit.prove_journal(deps, SUPERVISOR, tree_size=size)
    assert proof.check.ok
    assert proof.root == tree_head(leaf_hashes(deps, size))


def test_a_two_process_check_reports_its_progress(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "SPLIT_FROM", 2)
    append_entries(deps.engine, 9)
    seen: list[tuple[int, int]] = []
    audit.verify_journal(deps, SUPERVISOR, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (9, 9)


def policy(every_entries: int = 1000, every_minutes: float = 60) -> CheckpointPolicy:
    return CheckpointPolicy(SIGNER, "csu.test/journal", every_entries, every_minutes)


def test_the_terminal_signs_a_first_checkpoint_as_soon_as_there_are_entries(
    deps: Deps,
) -> None:
    assert sign_due_checkpoint(deps, policy(), "poste-1") is None
    append_entries(deps.engine, 1)
    signed = sign_due_checkpoint(deps, policy(), "poste-1")
    assert signed is not None and signed.created_by == "système"


def test_the_terminal_signs_again_after_so_many_entries(deps: Deps) -> None:
    append_entries(deps.engine, 1)
    sign_due_checkpoint(deps, policy(every_entries=3), "poste-1")
    append_entries(deps.engine, 1)
    assert sign_due_checkpoint(deps, policy(every_entries=3), "poste-1") is None
    append_entries(deps.engine, 1)
    signed = sign_due_checkpoint(deps, policy(every_entries=3), "poste-1")
    assert signed is not None and signed.size == 4


def test_the_terminal_signs_again_after_an_hour_with_news(deps: Deps) -> None:
    append_entries(deps.engine, 1)
    sign_due_checkpoint(deps, policy(), "poste-1")
    later = Deps(deps.engine, deps.key, fixed_clock(NOW + timedelta(minutes=61)))
    assert sign_due_checkpoint(later, policy(), "poste-1") is None  # only its own entry
    append_entries(deps.engine, 1)
    assert sign_due_checkpoint(later, policy(), "poste-1") is not None


def test_the_screen_report_says_the_latest_checkpoint_matches(deps: Deps) -> None:
    append_entries(deps.engine, 4)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    report = check_integrity(deps, SUPERVISOR, SIGNER.verifier)
    assert report.ok
    assert report.checkpoint is not None
    assert (report.checkpoint.size, report.checkpoint.signature) == (4, "vérifiée")


def test_the_screen_report_names_a_latest_checkpoint_the_journal_lost(deps: Deps) -> None:
    append_entries(deps.engine, 4)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    truncate(deps, 2)
    report = check_integrity(deps, SUPERVISOR, None)
    assert not report.ok
    assert report.checkpoint is not None
    assert report.checkpoint.signature.startswith("non vérifiée")
    assert "plus court" in (report.problem or "")


def test_a_key_pair_is_written_private_and_public(tmp_path: Path) -> None:
    signer = create_key_pair(tmp_path / "cle", "csu.test/journal")
    assert (tmp_path / "cle").stat().st_mode & 0o777 == 0o600
    assert load_signer(tmp_path / "cle").private_text() == signer.private_text()
    assert str(load_verifier(str(tmp_path / "cle.pub"))) == str(signer.verifier)
    assert str(load_verifier(str(signer.verifier))) == str(signer.verifier)


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "cle.pub").write_text("x")
    with pytest.raises(ServiceError, match="existe déjà"):
        create_key_pair(tmp_path / "cle", "csu.test/journal")
    assert not (tmp_path / "cle").exists()


def test_a_private_key_others_may_read_is_refused(tmp_path: Path) -> None:
    create_key_pair(tmp_path / "cle", "csu.test/journal")
    os.chmod(tmp_path / "cle", 0o640)
    with pytest.raises(ServiceError, match="chmod 600"):
        load_signer(tmp_path / "cle")


def test_checkpoints_signed_are_rows_of_the_store(deps: Deps) -> None:
    append_entries(deps.engine, 1)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    with deps.reading() as session:
        row = session.get(CheckpointRow, 1)
    assert row is not None and row.key_id == SIGNER.key_id.hex()


def test_a_check_reports_its_progress_as_it_goes(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain_journal, "_BLOCK", 2)
    monkeypatch.setattr(domain_journal, "PROGRESS_EVERY", 2)
    append_entries(deps.engine, 5)
    seen: list[tuple[int, int]] = []
    audit.verify_journal(deps, SUPERVISOR, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
