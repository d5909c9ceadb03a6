"""A checkpoint row, the chain head or a queued row whose values a hand on a SQLite file
made unreadable (SQLite keeps any value in any column): the report the integrity screen
shows names the row and what is wrong with it, and the terminal's signer refuses to sign,
journalling why, instead of failing with a Python error."""

import json

import pytest
from sqlalchemy import text

from csu.domain.checkpoint import NoteSigner
from csu.services.checkpoints import (
    ACTION,
    CheckpointPolicy,
    CheckpointRefused,
    check_integrity,
    sign_checkpoint,
    sign_due_checkpoint,
)
from csu.services.context import Deps
from tests.conftest import SUPERVISOR
from tests.services.test_checkpoints import unlock_head
from tests.store.test_journal import append_entries, tamper

SIGNER = NoteSigner.generate("csu.test/journal")
COLUMNS = "size, root_hash, origin, key_name, key_id, note, created_at, created_by"
UNREADABLE_DATE = "point de contrôle n° 2 illisible : date d'enregistrement « garbage » invalide"


def signed_then_copied_with_a_date_that_is_none(deps: Deps) -> None:
    """3 entries, a checkpoint of them (row n° 1), then row n° 2: its copy, but for the
    date, written by hand."""
    append_entries(deps.engine, 3)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)
    copied = COLUMNS.replace("created_at", "'garbage'")
    tamper(deps.engine, f"INSERT INTO checkpoint ({COLUMNS}) SELECT {copied} FROM checkpoint")


def test_the_screen_report_names_an_unreadable_checkpoint_row(sqlite_deps: Deps) -> None:
    signed_then_copied_with_a_date_that_is_none(sqlite_deps)
    report = check_integrity(sqlite_deps, SUPERVISOR, SIGNER.verifier)
    assert not report.ok
    assert UNREADABLE_DATE in report.findings()
    # The readable row is still the one the journal is held up against.
    assert report.checkpoint is not None and report.checkpoint.size == 3
    assert report.problem is None


def test_the_screen_report_says_the_journal_altered_when_its_head_holds_no_number(
    sqlite_deps: Deps,
) -> None:
    append_entries(sqlite_deps.engine, 2)
    unlock_head(sqlite_deps.engine)
    tamper(sqlite_deps.engine, "UPDATE journal_head SET seq = 'abc'")
    check = check_integrity(sqlite_deps, SUPERVISOR).check
    assert (check.failed_seq, check.reason) == (
        2, "tête du journal illisible : numéro « abc » invalide"
    )


def test_the_screen_report_names_a_row_in_the_queue_of_a_sqlite_journal(
    sqlite_deps: Deps,
) -> None:
    append_entries(sqlite_deps.engine, 1)
    tamper(sqlite_deps.engine, "INSERT INTO journal_queue (event_id, body, queued_at) "
                               "VALUES ('e1', 'texte', '2026-12-06 10:00:00')")  # fmt: skip
    report = check_integrity(sqlite_deps, SUPERVISOR)
    assert not report.ok
    assert report.findings() == [
        "file d'attente du journal, ligne n° 1 : écrite hors de CSU (sur SQLite chaque "
        "entrée est intégrée dès son écriture) ; contenu « texte » invalide"
    ]


def test_the_terminal_journals_its_refusal_to_sign_past_an_unreadable_checkpoint_row(
    sqlite_deps: Deps,
) -> None:
    signed_then_copied_with_a_date_that_is_none(sqlite_deps)
    append_entries(sqlite_deps.engine, 1)
    policy = CheckpointPolicy(SIGNER, "csu.test/journal", every_entries=1)
    with pytest.raises(CheckpointRefused, match=UNREADABLE_DATE):
        sign_due_checkpoint(sqlite_deps, policy, "poste-1")
    with sqlite_deps.reading() as session:
        body = session.execute(
            text("SELECT body FROM journal_entry WHERE action = :a ORDER BY seq DESC LIMIT 1"),
            {"a": ACTION},
        ).scalar_one()
    fields = json.loads(body)
    assert (fields["outcome"], fields["details"]["reason"]) == ("refusé", UNREADABLE_DATE)


def test_the_terminal_refuses_to_sign_over_a_head_that_holds_no_number(
    sqlite_deps: Deps,
) -> None:
    append_entries(sqlite_deps.engine, 2)
    unlock_head(sqlite_deps.engine)
    tamper(sqlite_deps.engine, "UPDATE journal_head SET seq = 'abc'")
    policy = CheckpointPolicy(SIGNER, "csu.test/journal")
    with pytest.raises(CheckpointRefused, match="tête du journal illisible : numéro « abc »"):
        sign_due_checkpoint(sqlite_deps, policy, "poste-1")
