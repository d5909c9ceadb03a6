"""A malformed row in the journal's queue (PostgreSQL, migration 0021): refused when it
is inserted; one that comes all the same (queued before, or with the check disabled by
the owner) is set aside in the chain instead of stopping it for good, and the commands
and services that meet it name it rather than fail."""

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from csu.services import audit
from csu.services.audit import export_journal, integrate_journal, pending_entries
from csu.services.checkpoints import check_integrity
from csu.services.context import Deps
from csu.services.journal_review import ReviewFilter, search_journal
from csu.store import journal, sequencer
from csu.store.engine import write_session
from tests.cli_support import assert_done, clean_environment, csu, said
from tests.conftest import SUPERVISOR, TEST_KEY
from tests.store.test_sequencer import (
    append_entries,
    chain,
    libpq,
    note,
    queued,
    release,
)

pytestmark = pytest.mark.postgres

EVENT = "01a20000-0000-7000-8000-00000000dead"


def entry_body(**changed: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "event_id": EVENT, "ts": "2026-12-06T02:45:00.000000Z", "operator": "agent",
        "role": "agent", "workstation": "poste-1", "election": None, "subject": None,
        "intervention": None, "action": "consultation", "outcome": "ok", "details": {},
    }  # fmt: skip
    fields.update(changed)
    return fields


def encoded(fields: object) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def without(name: str) -> bytes:
    fields = entry_body()
    del fields[name]
    return encoded(fields)


def insert(engine: Engine, body: bytes, event_id: str = EVENT) -> None:
    with psycopg.connect(libpq(engine), autocommit=True) as conn:
        conn.execute("INSERT INTO journal_queue (event_id, body) VALUES (%s, %s)", (event_id, body))


def insert_unchecked(engine: Engine, body: bytes, event_id: str = EVENT) -> None:
    """A row the queue's check did not see: queued before migration 0021, or by the owner
    with the check disabled."""
    with psycopg.connect(libpq(engine), autocommit=True) as conn:
        conn.execute("ALTER TABLE journal_queue DISABLE TRIGGER USER")
        conn.execute("INSERT INTO journal_queue (event_id, body) VALUES (%s, %s)", (event_id, body))
        conn.execute("ALTER TABLE journal_queue ENABLE TRIGGER USER")


@pytest.fixture
def role_held(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[psycopg.Connection]:
    """Another sequencer at work (as in tests/store/test_sequencer.py): nothing is
    chained until ``release``."""
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)
    other = psycopg.connect(libpq(postgres_store), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))
    yield other
    other.close()


@pytest.fixture
def deps(postgres_store: Engine) -> Deps:
    return Deps(engine=postgres_store, key=TEST_KEY)


@pytest.fixture
def cli(postgres_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The database's URL for ``csu … --db``."""
    clean_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", "une-clé-de-déploiement-assez-longue")
    yield postgres_store.url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "contenu illisible (ni texte UTF-8 ni JSON)"),
        (b"\xff\xfe{}", "contenu illisible (ni texte UTF-8 ni JSON)"),
        (b"[1, 2]", "contenu JSON qui n'est pas un objet"),
        (without("ts"), "champ « ts » absent"),
        (without("details"), "champ « details » absent ou qui n'est pas un objet"),
        (encoded(entry_body(action=None)), "champ « action » vide"),
        (encoded(entry_body(operator=7)), "champ « operator » qui n'est pas du texte"),
        (encoded(entry_body(workstation="p" * 101)),
         "champ « workstation » de plus de 100 caractères"),
        (encoded(entry_body(ts="hier")), "horodatage « ts » illisible"),
        (encoded(entry_body(ts="2026-02-30T10:00:00.000000Z")), "horodatage « ts » illisible"),
        (encoded(entry_body(event_id="un-autre")), "identifiant différent de celui de son contenu"),
    ],
)  # fmt: skip
def test_the_queue_refuses_a_row_that_is_no_entry(
    postgres_store: Engine, body: bytes, reason: str
) -> None:
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        insert(postgres_store, body)
    assert str(refused.value).splitlines()[0] == (
        f"entrée refusée par la file du journal : {reason}"
    )
    assert queued(postgres_store) == 0


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_the_queue_refuses_an_entry_nested_deeper_than_its_readers_can_read(
    postgres_store: Engine,
) -> None:
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        insert(postgres_store, encoded(entry_body(details={"d": nested(100)})))
    assert str(refused.value).splitlines()[0] == (
        "entrée refusée par la file du journal : contenu imbriqué sur plus de 32 niveaux"
    )
    assert queued(postgres_store) == 0


def test_the_queue_takes_an_entry_nested_a_few_levels(postgres_store: Engine) -> None:
    insert(postgres_store, encoded(entry_body(details={"d": nested(20)})))
    assert queued(postgres_store) == 1


def test_the_queue_refuses_an_entry_already_in_the_journal(postgres_store: Engine) -> None:
    [appended] = append_entries(postgres_store, 1)
    with pytest.raises(psycopg.errors.CheckViolation, match="identifiant déjà présent"):
        insert(postgres_store, encoded(entry_body(event_id=appended.event_id)),
               appended.event_id)  # fmt: skip


def test_the_queue_takes_a_well_formed_entry_written_by_hand(postgres_store: Engine) -> None:
    insert(postgres_store, encoded(entry_body()))
    assert sequencer.integrate(postgres_store) == 1
    assert chain(postgres_store) == [(1, EVENT)]


def test_a_row_that_cannot_be_chained_is_set_aside_and_the_rest_chained(
    postgres_store: Engine, role_held: psycopg.Connection, deps: Deps
) -> None:
    before = append_entries(postgres_store, 1)
    insert_unchecked(postgres_store, b"not json")
    after = append_entries(postgres_store, 1)
    release(role_held)

    assert integrate_journal(deps, SUPERVISOR) == 3
    assert queued(postgres_store) == 0
    assert [event for _, event in chain(postgres_store)] == [
        before[0].event_id,
        EVENT,
        after[0].event_id,
    ]
    with deps.reading() as session:
        [(_, body, _)] = list(journal.iter_chain(session, start=2, stop=2))
    fields = json.loads(body)
    assert (fields["action"], fields["outcome"], fields["operator"]) == (
        sequencer.SET_ASIDE,
        "refusé",
        "système",
    )
    details = fields["details"]
    assert details["reason"] == "contenu illisible (ni texte UTF-8 ni JSON)"
    assert base64.b64decode(details["body"]) == b"not json"
    assert details["sha256"] == hashlib.sha256(b"not json").hexdigest()
    assert (details["length"], details["truncated"], details["event_id"]) == (8, False, EVENT)
    assert audit.verify_journal(deps, SUPERVISOR).ok  # chained as any entry is


def test_a_row_whose_identifier_is_already_chained_is_set_aside_under_a_new_one(
    postgres_store: Engine, deps: Deps
) -> None:
    [appended] = append_entries(postgres_store, 1)
    insert_unchecked(postgres_store, encoded(entry_body(event_id=appended.event_id)),
                     appended.event_id)  # fmt: skip
    assert integrate_journal(deps, SUPERVISOR) == 1
    [(_, first), (_, second)] = chain(postgres_store)
    assert first == appended.event_id and second not in (first, EVENT)
    assert queued(postgres_store) == 0


def test_the_integrity_report_names_an_entry_set_aside(postgres_store: Engine, deps: Deps) -> None:
    append_entries(postgres_store, 1)
    insert_unchecked(postgres_store, without("ts"))
    integrate_journal(deps, SUPERVISOR)
    report = check_integrity(deps, SUPERVISOR)
    assert report.check.ok and not report.ok
    [entry] = report.set_aside
    assert entry.describe().startswith(
        "entrée n° 2 : une ligne de la file d'attente (n° 2) n'était pas une entrée du "
        "journal (champ « ts » absent) et a été mise à l'écart"
    )


def test_csu_audit_integrate_and_verify_name_an_entry_set_aside(
    postgres_store: Engine, cli: str
) -> None:
    insert_unchecked(postgres_store, b"not json")
    integrated = csu("audit", "integrate", "--db", cli)
    assert_done(integrated)
    assert "1 entrée intégrée ;" in said(integrated)
    assert "Attention : entrée n° 1 : une ligne de la file d'attente" in said(integrated)

    verified = csu("audit", "verify", "--db", cli)
    assert verified.exit_code == 1
    assert said(verified).startswith("chaîne intègre (1 entrée), mais journal NON conforme")
    assert "(contenu illisible (ni texte UTF-8 ni JSON)) et a été mise à l'écart" in (
        said(verified)
    )
    assert "Traceback" not in verified.output


def test_verify_fails_when_entries_wait_too_long(
    postgres_store: Engine,
    role_held: psycopg.Connection,
    cli: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit, "STUCK_AFTER", 0.0)
    append_entries(postgres_store, 2)
    verified = csu("audit", "verify", "--db", cli)
    assert verified.exit_code == 1
    assert "journal intègre : 0 entrée" in said(verified)
    assert (
        "2 entrées attendent depuis plus de 0 s d'être intégrées à la chaîne : aucun "
        "séquenceur ne les intègre ; lancez « csu audit integrate »"
    ) in said(verified)


def test_export_and_review_leave_out_a_waiting_row_that_is_no_entry_and_name_it(
    postgres_store: Engine, role_held: psycopg.Connection, deps: Deps
) -> None:
    insert_unchecked(postgres_store, b"not json")
    with write_session(postgres_store) as session:
        note(session, 1, operator="alice")

    lines: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            lines.append(text)

    notices: list[str] = []
    assert export_journal(deps, SUPERVISOR, Out(), notices=notices) == 1  # type: ignore[arg-type]
    assert '"operator": "alice"' in lines[0]
    assert notices == [
        "Entrée en attente n° 1 absente de l'export : ce n'est pas une entrée du journal "
        "(contenu illisible (ni texte UTF-8 ni JSON))."
    ]
    shown = pending_entries(deps, SUPERVISOR, ReviewFilter(operator="alice"))
    assert [entry.operator for entry in shown] == ["alice"]


def test_csu_audit_export_warns_of_a_waiting_row_that_is_no_entry(
    postgres_store: Engine, role_held: psycopg.Connection, cli: str
) -> None:
    insert_unchecked(postgres_store, b"[]")
    exported = csu("audit", "export", "--db", cli)
    assert_done(exported)
    assert "Attention : Entrée en attente n° 1 absente de l'export" in said(exported)


def test_a_search_of_the_review_goes_on_past_a_row_that_is_no_entry(
    postgres_store: Engine, deps: Deps
) -> None:
    insert_unchecked(postgres_store, b"not json")
    page = search_journal(deps, SUPERVISOR, ReviewFilter())
    assert [row.action for row in page.rows] == ["journal_search", sequencer.SET_ASIDE]


def test_waiting_for_a_position_survives_an_integration_that_fails(
    postgres_store: Engine, role_held: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    with write_session(postgres_store) as session:
        appended = note(session)

    def failing(*_: object, **__: object) -> int:
        raise RuntimeError("panne")

    monkeypatch.setattr(sequencer, "integrate", failing)
    assert journal.position(postgres_store, appended, timeout=0.2) is None


def test_the_first_batch_after_the_check_still_chains_as_before(
    postgres_store: Engine, role_held: psycopg.Connection, deps: Deps
) -> None:
    appended = append_entries(postgres_store, 5)
    release(role_held)
    assert sequencer.integrate(postgres_store, batch=2) == 5
    assert chain(postgres_store) == [(n + 1, a.event_id) for n, a in enumerate(appended)]
    assert audit.verify_journal(deps, SUPERVISOR).ok
