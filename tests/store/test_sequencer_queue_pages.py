"""The sequencer's looks at the queue read a few pages however many entries went through
it: a busy cell deletes every entry it chains, and until autovacuum passes the queue's
table holds them all, dead (the shared test server runs without autovacuum). Through the
primary key, the look reads the index pages of the entries chained since the last
vacuum, not the whole table."""

import psycopg
import pytest
from sqlalchemy import Engine, text

from csu.store import sequencer
from tests.services.busy_cell import FEW_PAGES, pages, plan
from tests.store.test_sequencer import append_entries, libpq, queued

pytestmark = pytest.mark.postgres

CHAINED = 1_500  # entries queued, chained and deleted before the look


@pytest.fixture
def busy_queue(postgres_store: Engine) -> Engine:
    """A queue through which CHAINED entries went, and one entry waiting in it."""
    with postgres_store.begin() as connection:
        connection.execute(text("ALTER TABLE journal_queue SET (autovacuum_enabled = false)"))
    # A transaction still open elsewhere, as a busy cell always has one: the deleted
    # entries stay in their pages (no pruning past its snapshot), as in bench.load.
    reader = psycopg.connect(libpq(postgres_store))
    try:
        reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        reader.execute("SELECT count(*) FROM journal_queue")
        append_entries(postgres_store, CHAINED)
        reader.execute("ROLLBACK")  # ended before the look, as the server sees it
    finally:
        reader.close()
    other = psycopg.connect(libpq(postgres_store), autocommit=True)
    try:  # another sequencer holds the role: the last entry stays queued
        other.execute("SELECT pg_advisory_lock(%s)", (sequencer.LOCK_KEY,))
        append_entries(postgres_store, 1)
    finally:
        other.close()
    assert queued(postgres_store) == 1
    return postgres_store


def test_the_look_for_a_late_entry_reads_a_few_pages(busy_queue: Engine) -> None:
    read = pages(busy_queue, sequencer._LATE, (0.0,))
    assert read <= FEW_PAGES, plan(busy_queue, sequencer._LATE, (0.0,))


def test_the_duty_s_try_reads_a_few_pages(busy_queue: Engine) -> None:
    arguments = (sequencer.DUTY_KEY, 0.0)
    read = pages(busy_queue, sequencer._TRY_DUTY, arguments)
    assert read <= FEW_PAGES, plan(busy_queue, sequencer._TRY_DUTY, arguments)
