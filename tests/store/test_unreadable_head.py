"""A chain head a hand made unreadable (a number « abc », a hash that is no UTF-8): every
journalled action ended in a TypeError, or an English driver error, on such a base; it
is now refused in French, nothing recorded, naming the head and what to run."""

import pytest
from sqlalchemy import text

from csu.domain.errors import InvalidValue
from csu.services.context import Deps
from csu.store import journal
from csu.store.engine import write_session
from tests.services.test_checkpoints import unlock_head
from tests.store.test_journal import ACTOR, NOW, append_entries, tamper

SPOILED = {
    "a number that is none": "UPDATE journal_head SET seq = 'abc'",
    "a hash that is no UTF-8": "UPDATE journal_head SET hash = CAST(X'FF00' AS TEXT)",
    "a hash that is no hash": "UPDATE journal_head SET hash = 'pas une empreinte'",
}


@pytest.mark.parametrize("spoiled", SPOILED.values(), ids=SPOILED)
def test_an_action_on_an_unreadable_head_is_refused_in_french(
    sqlite_deps: Deps, spoiled: str
) -> None:
    append_entries(sqlite_deps.engine, 2)
    unlock_head(sqlite_deps.engine)
    tamper(sqlite_deps.engine, spoiled)
    refused = pytest.raises(InvalidValue, match="tête du journal illisible dans la base")
    with refused, write_session(sqlite_deps.engine) as session:
        journal.append(session, actor=ACTOR, action="consultation", outcome="ok", at=NOW)
    with sqlite_deps.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM journal_entry")).scalar_one() == 2


def test_the_head_of_an_intact_journal_reads_as_before(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 2)
    with sqlite_deps.reading() as session:
        seq, hashed = journal.head(session)
    assert seq == 2 and len(hashed) == 64
