"""A queued body that JSON readers read otherwise than the server (migration 0023): a key
twice in one object, a number a float cannot hold (``1e999``), an integer Python cannot
read. The queue refuses it; one that comes all the same (queued before the migration, or
with the triggers disabled) is set aside by the sequencer, not chained as jsonb read it,
and the chain still verifies."""

import base64
import json
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from csu.services import audit
from csu.services.audit import integrate_journal
from csu.services.context import Deps
from csu.store import journal, sequencer
from csu.store.migrate import downgrade, upgrade
from tests.conftest import SUPERVISOR, TEST_KEY
from tests.store.test_journal_queue_checks import (
    EVENT,
    encoded,
    entry_body,
    insert,
    insert_unchecked,
)
from tests.store.test_sequencer import append_entries, chain, libpq, queued, release


def body(details: str, *, action: str = "") -> bytes:
    """An entry's body whose details are the JSON text ``details`` as written (json.dumps
    would write neither a key twice nor 1e999), and ``action`` put before its own."""
    fields = entry_body(details={"marque": 1})
    text = encoded(fields).decode().replace('{"marque":1}', details, 1)
    return (text if not action else "{" + action + "," + text[1:]).encode()


DEEP = '{"d":' + "[" * 40 + "]" * 40 + "}"  # 41 levels down from the entry
DUPLICATE_ACTION = body("{}", action='"action":"unlock"')
REFUSED = [
    (DUPLICATE_ACTION, "clé « action » en double dans un objet"),
    (body('{"motif":"a","motif":"b"}'), "clé « motif » en double dans un objet"),
    (body('{"liste":[1,{"x":{"y":1,"y":"2:3"}}]}'), "clé « y » en double dans un objet"),
    (body('{"a\\u003a":1,"a:":2}'), "clé « a: » en double dans un objet"),
    (body('{"n":1e999}'), "nombre hors des limites d'un flottant (1e999)"),
    (body('{"n":[-1E+400]}'), "nombre hors des limites d'un flottant (-1E+400)"),
    (body('{"n":1.7976931348623159e308}'),
     "nombre hors des limites d'un flottant (1.7976931348623159e308)"),
    (body('{"n":' + "7" * 4301 + "}"), "entier de plus de 4300 chiffres (77777777777777777777…)"),
]  # fmt: skip
TAKEN = [
    body('{"a":{"x":1},"b":{"x":1}}'),  # one key in two objects
    body('{"n":1.7976931348623157e308,"m":-1e-999,"k":1e308}'),  # floats Python holds
    body('{"n":' + "9" * 4300 + "}"),  # as many digits as Python reads
    body('{"a\\u003a":"b\\\\u003a","c":"d:e","\\u003a":":"}'),  # colons, escaped or not
    body('{"texte":"\\u0000:\\"x\\":1,\\"x\\":2"}'),  # what looks like keys, in a string
]

pytestmark = pytest.mark.postgres


@pytest.fixture
def deps(postgres_store: Engine) -> Deps:
    return Deps(engine=postgres_store, key=TEST_KEY)


@pytest.fixture
def role_held(
    postgres_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[psycopg.Connection]:
    """Another sequencer at work: nothing is chained until ``release``."""
    monkeypatch.setattr(sequencer, "WATCH_SETTLE", 3600.0)
    other = psycopg.connect(libpq(postgres_store), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))
    yield other
    other.close()


def test_the_bodies_say_what_they_should() -> None:
    assert json.loads(DUPLICATE_ACTION)["action"] == "consultation"  # Python keeps the last
    assert DUPLICATE_ACTION.count(b'"action"') == 2
    assert json.loads(REFUSED[4][0])["details"] == {"n": float("inf")}
    for taken in TAKEN:
        assert journal.read_queued(taken)[1] is None


@pytest.mark.parametrize(("refused", "reason"), REFUSED)
def test_the_queue_refuses_a_body_read_otherwise_by_json_readers(
    postgres_store: Engine, refused: bytes, reason: str
) -> None:
    with pytest.raises(psycopg.errors.CheckViolation) as raised:
        insert(postgres_store, refused)
    assert str(raised.value).splitlines()[0] == (
        f"entrée refusée par la file du journal : {reason}"
    )
    assert queued(postgres_store) == 0


@pytest.mark.parametrize("reason", [reason for _, reason in REFUSED])
def test_the_python_reading_of_a_waiting_body_names_the_same_fault(reason: str) -> None:
    [refused] = [refused for refused, said in REFUSED if said == reason]
    assert journal.read_queued(refused) == (None, reason)


def test_the_queue_takes_what_every_reader_reads_alike(postgres_store: Engine, deps: Deps) -> None:
    events = [f"01a20000-0000-7000-8000-00000000000{n}" for n in range(len(TAKEN))]
    sent = [t.replace(EVENT.encode(), e.encode()) for e, t in zip(events, TAKEN, strict=True)]
    for event, taken in zip(events, sent, strict=True):
        insert(postgres_store, taken, event)
    assert sequencer.integrate(postgres_store) == len(TAKEN)
    assert chain(postgres_store) == [(n + 1, event) for n, event in enumerate(events)]
    with deps.reading() as session:
        bodies = [stored for _, stored, _ in journal.iter_chain(session)]
    assert bodies == sent  # as they came, hashed as they came
    # None that CSU writes but the first: the verification names the first float.
    check = audit.verify_journal(deps, SUPERVISOR)
    assert (check.failed_seq, check.reason) == (
        2, "valeur que le journal n'écrit pas (1.7976931348623157e+308)"
    )  # fmt: skip


@pytest.mark.parametrize(("refused", "reason"), [REFUSED[0], REFUSED[1], REFUSED[4]])
def test_a_body_that_came_all_the_same_is_set_aside_and_the_rest_chained(
    postgres_store: Engine, role_held: psycopg.Connection, deps: Deps, refused: bytes,
    reason: str,
) -> None:  # fmt: skip
    before = append_entries(postgres_store, 1)
    insert_unchecked(postgres_store, refused)
    after = append_entries(postgres_store, 1)
    with deps.reading() as session:
        assert journal.unreadable_waiting(session) == [(2, reason)]
    release(role_held)

    assert integrate_journal(deps, SUPERVISOR) == 3
    assert queued(postgres_store) == 0
    assert [event for _, event in chain(postgres_store)] == [
        before[0].event_id,
        EVENT,
        after[0].event_id,
    ]
    with deps.reading() as session:
        [(_, stored, _)] = list(journal.iter_chain(session, start=2, stop=2))
    fields = json.loads(stored)
    assert (fields["action"], fields["outcome"], fields["operator"]) == (
        sequencer.SET_ASIDE,
        "refusé",
        "système",
    )
    assert fields["details"]["reason"] == reason
    assert base64.b64decode(fields["details"]["body"]) == refused  # kept as it came
    assert audit.verify_journal(deps, SUPERVISOR).ok


def test_a_body_queued_before_the_migration_is_set_aside_after_it(
    postgres_store: Engine, deps: Deps
) -> None:
    downgrade(postgres_store, "0022")
    try:
        insert(postgres_store, DUPLICATE_ACTION)  # 0022's check let it in
        insert(postgres_store, body('{"n":1e999}').replace(b"dead", b"beef"),
               EVENT.replace("dead", "beef"))  # fmt: skip
    finally:
        upgrade(postgres_store)
    assert integrate_journal(deps, SUPERVISOR) == 2
    with deps.reading() as session:
        chained = [json.loads(stored) for _, stored, _ in journal.iter_chain(session)]
    assert [(f["action"], f["details"]["reason"]) for f in chained] == [
        (sequencer.SET_ASIDE, "clé « action » en double dans un objet"),
        (sequencer.SET_ASIDE, "nombre hors des limites d'un flottant (1e999)"),
    ]
    assert audit.verify_journal(deps, SUPERVISOR).ok


def test_a_body_nested_too_deep_that_came_all_the_same_is_set_aside(
    postgres_store: Engine, deps: Deps
) -> None:
    """Migration 0022's check was the queue's only: the sequencer chained such a row."""
    insert_unchecked(postgres_store, body(DEEP))
    assert integrate_journal(deps, SUPERVISOR) == 1
    with deps.reading() as session:
        [(_, stored, _)] = list(journal.iter_chain(session))
    assert json.loads(stored)["details"]["reason"] == "contenu imbriqué sur plus de 32 niveaux"
    assert audit.verify_journal(deps, SUPERVISOR).ok


def test_the_queue_still_refuses_an_entry_nested_too_deep_once(postgres_store: Engine) -> None:
    with psycopg.connect(libpq(postgres_store)) as conn:
        triggers = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'journal_queue'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        ).fetchall()
    assert [name for (name,) in triggers] == [
        "journal_queue_check",
        "journal_queue_guard",
        "journal_queue_no_truncate",
    ]
    with pytest.raises(psycopg.errors.CheckViolation, match="plus de 32 niveaux"):
        insert(postgres_store, body(DEEP))
