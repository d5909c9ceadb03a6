"""The journal: appends chain, the database refuses edits, verification finds tampering."""

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from csu.domain.journal import GENESIS_HASH, canonical_bytes, chain_hash
from csu.services import audit
from csu.services.audit import verify_journal
from csu.services.context import Deps
from csu.store import journal, sequencer
from csu.store.engine import read_session, write_session
from csu.store.journal import Actor
from tests.conftest import NOW, SUPERVISOR

ACTOR = Actor(operator="agent", role="agent", workstation="poste-1")


def append_entries(engine: Engine, count: int, **fields: object) -> None:
    for number in range(count):
        with write_session(engine) as session:
            journal.append(
                session,
                actor=ACTOR,
                action="consultation",
                outcome="ok",
                at=NOW,
                details={"number": number, **fields},
            )


def drop_protection(engine: Engine) -> None:
    """What an attacker holding the database file would do first."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for name in ("journal_entry_no_update", "journal_entry_no_delete"):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("ALTER TABLE journal_entry DISABLE TRIGGER USER")


def tamper(engine: Engine, *statements: str) -> None:
    drop_protection(engine)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def test_appends_are_numbered_from_one_and_chained(engine: Engine) -> None:
    append_entries(engine, 3)
    with read_session(engine) as session:
        rows = list(journal.iter_chain(session))
    assert [seq for seq, _, _ in rows] == [1, 2, 3]
    assert rows[0][2] == chain_hash(1, GENESIS_HASH, rows[0][1])
    assert rows[1][2] == chain_hash(2, rows[0][2], rows[1][1])


def test_sqlite_chains_each_entry_at_once(sqlite_store: Engine) -> None:
    with write_session(sqlite_store) as session:
        appended = journal.append(session, actor=ACTOR, action="x", outcome="ok", at=NOW)
        assert appended.seq == 1  # known before the commit: no queue on one workstation
    with read_session(sqlite_store) as session:
        assert session.execute(text("SELECT count(*) FROM journal_queue")).scalar_one() == 0


def test_body_is_canonical_json_of_the_entry(engine: Engine) -> None:
    with write_session(engine) as session:
        journal.append(
            session,
            actor=ACTOR,
            action="consultation",
            outcome="ok",
            at=NOW,
            details={"nom": "Zoe\u0301"},  # decomposed accent, stored NFC
        )
    with read_session(engine) as session:
        _seq, body, _ = next(journal.iter_chain(session))
    assert body == canonical_bytes({**json.loads(body), "details": {"nom": "Zoé"}})
    assert "Zoé".encode() in body


def test_a_change_rolled_back_leaves_no_entry(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_session(engine) as session:
        journal.append(session, actor=ACTOR, action="x", outcome="ok", at=NOW)
        raise RuntimeError("the change failed after its entry")
    with read_session(engine) as session:
        assert journal.head(session) == (0, GENESIS_HASH)


def test_database_refuses_update_of_an_entry(engine: Engine) -> None:
    append_entries(engine, 1)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.exec_driver_sql("UPDATE journal_entry SET outcome = 'refusé'")


def test_database_refuses_delete_of_an_entry(engine: Engine) -> None:
    append_entries(engine, 1)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM journal_entry")


@pytest.mark.postgres
def test_postgresql_refuses_truncate_of_the_journal(postgres_store: Engine) -> None:
    append_entries(postgres_store, 1)
    with pytest.raises(DBAPIError), postgres_store.begin() as conn:
        conn.exec_driver_sql("TRUNCATE journal_entry")


def test_database_refuses_moving_the_head_back(engine: Engine) -> None:
    append_entries(engine, 2)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.exec_driver_sql("UPDATE journal_head SET seq = 1")


def test_verify_passes_on_an_intact_journal(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    check = verify_journal(deps, SUPERVISOR)
    assert check.ok
    assert check.describe() == "journal intègre : 5 entrées"


def test_verify_passes_on_an_empty_journal(deps: Deps) -> None:
    assert verify_journal(deps, SUPERVISOR).describe() == "journal intègre : 0 entrée"


def test_verify_names_an_edited_body(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    with deps.reading() as session:
        body = next(b for s, b, _ in journal.iter_chain(session) if s == 3)
    forged = body.replace(b'"outcome":"ok"', b'"outcome":"no"')
    drop_protection(deps.engine)
    with deps.engine.begin() as conn:
        conn.execute(text("UPDATE journal_entry SET body = :b WHERE seq = 3"), {"b": forged})
    check = verify_journal(deps, SUPERVISOR)
    assert (check.failed_seq, check.reason) == (
        3,
        "empreinte incorrecte (contenu modifié ou chaîne rompue)",
    )


@pytest.mark.postgres
def test_verify_names_an_edited_index_column(postgres_store: Engine) -> None:
    deps = Deps(engine=postgres_store, key=b"k" * 32)
    append_entries(deps.engine, 5)
    tamper(deps.engine, "UPDATE journal_entry SET operator = 'quelqu''un' WHERE seq = 4")
    check = verify_journal(deps, SUPERVISOR)
    assert (check.failed_seq, check.reason) == (
        4,
        "colonne d'index différente du contenu haché : opérateur (operator) : "
        "colonne « quelqu'un », contenu haché « agent »",
    )


def test_verify_names_every_edited_index_column_with_both_values(postgres_store: Engine) -> None:
    deps = Deps(engine=postgres_store, key=b"k" * 32)
    append_entries(deps.engine, 3)
    tamper(deps.engine, "UPDATE journal_entry SET outcome = 'refusé', workstation = NULL "
                        "WHERE seq = 2")  # fmt: skip
    check = verify_journal(deps, SUPERVISOR)
    assert check.failed_seq == 2
    assert "poste de travail (workstation) : colonne vide, contenu haché « poste-1 »" in (
        check.reason or ""
    )
    assert "résultat (outcome) : colonne « refusé », contenu haché « ok »" in (check.reason or "")


def test_sqlite_index_columns_cannot_be_edited_apart_from_the_body(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 2)
    drop_protection(sqlite_deps.engine)
    with pytest.raises(DBAPIError, match="generated column"), sqlite_deps.engine.begin() as c:
        c.exec_driver_sql("UPDATE journal_entry SET operator = 'quelqu''un' WHERE seq = 2")


def test_verify_names_a_sqlite_journal_rebuilt_with_plain_columns(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 3)
    columns = ", ".join(("seq", "body", "hash", *journal.INDEXED_FIELDS))
    tamper(
        sqlite_deps.engine,
        f"CREATE TABLE copy AS SELECT {columns} FROM journal_entry",
        "DROP TABLE journal_entry",
        "ALTER TABLE copy RENAME TO journal_entry",
        "UPDATE journal_entry SET operator = 'quelqu''un' WHERE seq = 2",
    )
    check = verify_journal(sqlite_deps, SUPERVISOR)
    assert check.failed_seq == 1
    assert (check.reason or "").startswith("schéma du journal modifié")


def test_verify_names_a_deleted_entry(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    tamper(deps.engine, "DELETE FROM journal_entry WHERE seq = 2")
    check = verify_journal(deps, SUPERVISOR)
    assert check.failed_seq == 2
    assert check.reason == "entrée absente (la suivante porte le n° 3)"
    assert check.describe().startswith("journal altéré : entrée 2 :")


def test_verify_names_a_deleted_last_entry(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    tamper(deps.engine, "DELETE FROM journal_entry WHERE seq = 5")
    check = verify_journal(deps, SUPERVISOR)
    assert check.failed_seq == 5
    assert "absentes en fin de journal" in (check.reason or "")


def test_verify_names_two_swapped_entries(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    tamper(
        deps.engine,
        "UPDATE journal_entry SET seq = -2 WHERE seq = 2",
        "UPDATE journal_entry SET seq = 2 WHERE seq = 3",
        "UPDATE journal_entry SET seq = 3 WHERE seq = -2",
    )
    assert verify_journal(deps, SUPERVISOR).failed_seq == 2


def test_verify_names_an_inserted_entry(deps: Deps) -> None:
    append_entries(deps.engine, 5)
    with deps.reading() as session:
        rows = list(journal.iter_chain(session))
    _, body3, _ = rows[2]
    # Make room after entry 2 and slip in a well-formed entry chained to entry 2.
    statements = [f"UPDATE journal_entry SET seq = {s + 1} WHERE seq = {s}" for s in (5, 4, 3)]
    tamper(deps.engine, *statements)
    forged = body3.replace(b'"number":2', b'"number":99')
    fields = json.loads(forged)
    fields["event_id"] = "forged-event"
    forged = canonical_bytes(fields)
    values = {"seq": 3, "body": forged, "hash": chain_hash(3, rows[1][2], forged)}
    if deps.engine.dialect.name != "sqlite":  # SQLite derives the other columns
        values.update({name: fields[name] for name in journal.INDEXED_FIELDS})
    with deps.engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO journal_entry ({', '.join(values)}) "
                f"VALUES ({', '.join(':' + name for name in values)})"
            ),
            values,
        )
    check = verify_journal(deps, SUPERVISOR)
    assert check.failed_seq == 4
    assert check.reason == "empreinte incorrecte (contenu modifié ou chaîne rompue)"


def test_verify_names_a_duplicated_sequence_number(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 4)
    # The same table without its primary key accepts a second entry numbered 3.
    with sqlite_deps.engine.connect() as conn:
        ddl = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'journal_entry'"
        ).scalar_one()
    tamper(
        sqlite_deps.engine,
        ddl.replace("journal_entry", "copy").replace("PRIMARY KEY", ""),
        "INSERT INTO copy (seq, body, hash) SELECT seq, body, hash FROM journal_entry",
        "DROP TABLE journal_entry",
        "ALTER TABLE copy RENAME TO journal_entry",
        "INSERT INTO journal_entry (seq, body, hash) SELECT seq, body, hash "
        "FROM journal_entry WHERE seq = 3",
    )
    check = verify_journal(sqlite_deps, SUPERVISOR)
    assert (check.failed_seq, check.reason) == (3, "numéro de séquence en double")


def spoil_body(engine: Engine, seq: int) -> None:
    drop_protection(engine)
    with engine.begin() as conn:
        body = conn.execute(
            text("SELECT body FROM journal_entry WHERE seq = :s"), {"s": seq}
        ).scalar_one()
        conn.execute(
            text("UPDATE journal_entry SET body = :b WHERE seq = :s"),
            {"b": bytes(body) + b" ", "s": seq},
        )


@pytest.mark.parametrize("tampering", ["edit", "delete", "duplicate-head"])
def test_a_journal_checked_in_two_parts_finds_the_same_faults(
    deps: Deps, monkeypatch: pytest.MonkeyPatch, tampering: str
) -> None:
    monkeypatch.setattr(audit, "SPLIT_FROM", 2)
    append_entries(deps.engine, 10)  # checked as 1-5 here and 6-10 by a second process
    assert verify_journal(deps, SUPERVISOR).describe() == "journal intègre : 10 entrées"
    if tampering == "edit":  # in the second part
        spoil_body(deps.engine, 8)
        assert verify_journal(deps, SUPERVISOR).failed_seq == 8
    elif tampering == "delete":  # the last entry of the first part
        tamper(deps.engine, "DELETE FROM journal_entry WHERE seq = 5")
        assert verify_journal(deps, SUPERVISOR).failed_seq == 5
    else:  # the first entry of the second part
        spoil_body(deps.engine, 6)
        assert verify_journal(deps, SUPERVISOR).failed_seq == 6


def test_the_second_process_ignores_a_csu_package_in_the_current_folder(
    sqlite_deps: Deps, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Verified from a folder holding a planted ``csu`` package: the tail is still
    checked by CSU's own code (`python -m` would put the folder first on its path)."""
    monkeypatch.setattr(audit, "SPLIT_FROM", 2)
    append_entries(sqlite_deps.engine, 10)
    spoil_body(sqlite_deps.engine, 8)  # in the second process's part
    planted = tmp_path / "planted"
    (planted / "csu" / "store").mkdir(parents=True)
    ran = tmp_path / "planted-code-ran"
    (planted / "csu" / "__init__.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    (planted / "csu" / "store" / "__init__.py").write_text("")
    (planted / "csu" / "store" / "chain.py").write_text("print('ok')\n")
    monkeypatch.chdir(planted)
    assert verify_journal(sqlite_deps, SUPERVISOR).failed_seq == 8
    assert not ran.exists()


@pytest.mark.postgres
def test_concurrent_writers_never_fork_skip_or_duplicate(postgres_store: Engine) -> None:
    writers, appends = 16, 200
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            for _ in range(appends):
                with write_session(postgres_store) as session:
                    journal.append(
                        session,
                        actor=Actor(f"agent{number}", "agent", f"poste-{number}"),
                        action="consultation",
                        outcome="ok",
                        at=NOW,
                    )
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sequencer.settle(postgres_store)  # what a busy cell left to the sequencer
    with read_session(postgres_store) as session:
        numbers = [seq for seq, _, _ in journal.iter_chain(session)]
    assert numbers == list(range(1, writers * appends + 1))
    deps = Deps(engine=postgres_store, key=b"k" * 32)
    assert verify_journal(deps, SUPERVISOR).describe() == "journal intègre : 3200 entrées"
