"""the sequencer's batch in one statement: csu_journal_integrate (issue 16 §1)

A batch took three round trips from the sequencer's process: the role, the head and the
queue read; the entries' insert and the head's move; the commit. In a saturated cell each
round trip waits for the server's backend and then for the sequencer's own process (and
its interpreter lock, held by the workstation's actions) to be given a core again: 32
workstations on 2 cores saw batches of 144 ms at the median, 922 ms at the 95th
percentile, for 5 ms of work, and entries waited 0.9 s for integration at the median.

This function does the same batch on the server, in the one transaction of the statement
that calls it: one round trip. The chain hash is the same (csu.domain.journal.chain_hash,
which ``csu audit verify`` recomputes), by PostgreSQL's own sha256. Nothing else changes:
the same role (the transaction's advisory lock), the same head lock, the queue read in id
order, the guards of migration 0015 on the queue's delete and the head's move.

Returns the number of entries chained, or NULL when another sequencer holds the role.
It refuses (RAISE, in French: csu audit integrate says it) a head missing, and a queued
entry whose body is not its own, which stays queued and stops the chain there.
An empty queue answers 0 without locking anything: the sequencer on duty calls it on
every tick. SQLite has no queue (it chains at once): nothing there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fields of an entry's body (UTF-8 JSON text, csu.domain.journal.canonical_form), for
# the sequencer's columns and the audit's check of them. A free-text detail may hold
# U+0000, which Python writes \u0000 and jsonb refuses ("unsupported Unicode escape
# sequence"): in the copy read here such an escape (not an escaped backslash followed by
# "u0000") reads U+FFFD. No indexed field can hold it (a text column refuses U+0000), so
# what they read is exact; the body and its hash are untouched.
FIELDS = r"""CREATE FUNCTION csu_journal_fields(body bytea) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN position('\x5c7530303030'::bytea IN body) = 0  -- the bytes of \u0000
    THEN convert_from(body, 'UTF8')::jsonb
    ELSE regexp_replace(convert_from(body, 'UTF8'), '(?<!\\)((?:\\\\)*)\\u0000',
                        '\1\\ufffd', 'g')::jsonb
  END
$$"""

INTEGRATE = r"""CREATE FUNCTION csu_journal_integrate(lock_key bigint, batch integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  queued record;
  fields jsonb;
  ids bigint[] := '{}';
  moved bigint;
BEGIN
  -- By the primary key's index: a queue emptied of many entries holds as many dead rows.
  IF (SELECT min(id) FROM journal_queue) IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);  -- see csu/store/sequencer.py
  SELECT seq, hash INTO head_seq, head_hash FROM journal_head
    WHERE id = 1 AND pg_try_advisory_xact_lock(lock_key) FOR UPDATE;
  IF NOT FOUND THEN
    IF NOT EXISTS (SELECT 1 FROM journal_head WHERE id = 1) THEN
      RAISE EXCEPTION 'tête du journal absente : lancez « csu init »';
    END IF;
    RETURN NULL;  -- another sequencer holds the role
  END IF;
  FOR queued IN SELECT id, event_id, body FROM journal_queue ORDER BY id LIMIT batch LOOP
    fields := csu_journal_fields(queued.body);
    IF (fields ->> 'event_id') IS DISTINCT FROM queued.event_id THEN
      RAISE EXCEPTION 'l''entrée en attente n° % ne porte pas l''identifiant de son contenu', queued.id;
    END IF;
    head_seq := head_seq + 1;
    head_hash := encode(sha256(
      '\x01'::bytea || int8send(head_seq) || decode(head_hash, 'hex')
      || sha256('\x00'::bytea || queued.body)
    ), 'hex');
    INSERT INTO journal_entry (seq, body, hash, event_id, ts, operator, role, workstation,
                               election, subject, intervention, action, outcome)
    VALUES (head_seq, queued.body, head_hash, fields ->> 'event_id', fields ->> 'ts',
            fields ->> 'operator', fields ->> 'role', fields ->> 'workstation',
            fields ->> 'election', fields ->> 'subject', fields ->> 'intervention',
            fields ->> 'action', fields ->> 'outcome');
    ids := ids || queued.id;
  END LOOP;
  IF cardinality(ids) = 0 THEN
    RETURN 0;  -- taken meanwhile by a sequencer that has just let the role go
  END IF;
  -- After the inserts: the guards (migration 0015) look for the entries in the journal.
  WITH taken AS (DELETE FROM journal_queue WHERE id = ANY(ids) RETURNING id)
  SELECT count(*) INTO moved FROM taken;
  IF moved <> cardinality(ids) THEN
    RAISE EXCEPTION 'entrées en attente déjà intégrées : lot abandonné';
  END IF;
  UPDATE journal_head SET seq = head_seq, hash = head_hash WHERE id = 1;
  RETURN cardinality(ids);
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FIELDS)
        op.execute(INTEGRATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS csu_journal_integrate(bigint, integer)")
        op.execute("DROP FUNCTION IF EXISTS csu_journal_fields(bytea)")
