"""journal queue: a malformed entry refused when queued, set aside if it still comes;
checkpoints: append-only

One row of ``journal_queue`` that was not JSON, or lacked a field, stopped the chain of
the whole cell for good (PostgreSQL): ``csu_journal_integrate`` failed on it, its batch
rolled back, and the queue's guard (migration 0015) forbids deleting an entry that is
not in the journal. Every workstation account may insert into the queue.

- The queue now refuses such a row when it is inserted (trigger ``journal_queue_check``,
  in French): the body must be UTF-8 JSON, an object with every field of an entry
  (csu.domain.journal.ENTRY_FIELDS) of the right type and within its column's width,
  a readable time, the row's own event_id, not already in the journal.
- A row that still cannot be chained (queued before this revision, or with the triggers
  disabled by the owner) no longer blocks the others. The batch is tried first as before,
  all at once; if it fails, it is done again entry by entry, and such a row is set aside
  *in the chain*: the sequencer chains in its place an entry of its own (action
  ``journal_queue_rejected``, outcome « refusé », operator « système ») whose details
  keep the reason, the queue's id and event_id, the row's length and SHA-256 and its
  first 64 KiB in base64. That entry carries the row's event_id (a fresh one if that
  is already in the journal), so the guard lets the row leave the queue as before:
  "an entry leaves the queue only by entering the journal" still holds, nothing is
  dropped unseen, and ``csu audit verify`` reports the entry.
- ``checkpoint`` rows are append-only (SQLite and PostgreSQL), as the journal is:
  deleting them let the cell's key sign a rewritten journal again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each field of an entry's body with its column's width (csu.store.tables.JournalEntry);
# the first four may not be null.
_FIELDS = (
    ("event_id", 36), ("ts", 32), ("action", 64), ("outcome", 32),
    ("operator", 64), ("role", 20), ("workstation", 100), ("election", 64),
    ("subject", 64), ("intervention", 36),
)  # fmt: skip
_FIELD_VALUES = ", ".join(f"('{name}', {width}, {index < 4})"
                          for index, (name, width) in enumerate(_FIELDS))  # fmt: skip

_TS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"
# Every field at once, in one expression: the usual entry is checked by it alone (a loop
# over the fields costs each insert five times as much); the loop below names the fault.
_GOOD = "\n    AND ".join(
    [
        "jsonb_typeof(fields) = 'object'",
        *(
            f"jsonb_typeof(fields -> '{name}') IN ({kinds})"
            f" AND coalesce(length(fields ->> '{name}'), 0) <= {width}"
            for index, (name, width) in enumerate(_FIELDS)
            for kinds in ["'string'" if index < 4 else "'string', 'null'"]
        ),
        "jsonb_typeof(fields -> 'details') = 'object'",
        f"(fields ->> 'ts') ~ '{_TS}'",
        "(fields ->> 'event_id') = queued_event_id",
    ]
)

# Why a queued row cannot be chained, in French; NULL when it can. One exception block
# (one subtransaction) for what only an exception tells: the body's parse and its time.
PROBLEM = f"""CREATE FUNCTION csu_journal_queue_problem(queued_event_id text, body bytea)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  fields jsonb;
  stage text := 'body';
  field record;
  kind text;
BEGIN
  BEGIN
    fields := csu_journal_fields(body);
    IF jsonb_typeof(fields) = 'object' AND jsonb_typeof(fields -> 'ts') = 'string' THEN
      stage := 'ts';
      PERFORM (fields ->> 'ts')::timestamptz;
    END IF;
  EXCEPTION WHEN OTHERS THEN
    IF stage = 'body' THEN
      RETURN 'contenu illisible (ni texte UTF-8 ni JSON)';
    END IF;
    RETURN 'horodatage « ts » illisible';
  END;
  IF {_GOOD} THEN
    IF EXISTS (SELECT 1 FROM journal_entry WHERE event_id = queued_event_id) THEN
      RETURN 'identifiant déjà présent au journal';
    END IF;
    RETURN NULL;
  END IF;
  IF jsonb_typeof(fields) IS DISTINCT FROM 'object' THEN
    RETURN 'contenu JSON qui n''est pas un objet';
  END IF;
  FOR field IN SELECT * FROM (VALUES {_FIELD_VALUES}) AS f(name, width, required) LOOP
    IF NOT fields ? field.name THEN
      RETURN format('champ « %s » absent', field.name);
    END IF;
    kind := jsonb_typeof(fields -> field.name);
    IF kind = 'null' AND field.required THEN
      RETURN format('champ « %s » vide', field.name);
    END IF;
    IF kind NOT IN ('string', 'null') THEN
      RETURN format('champ « %s » qui n''est pas du texte', field.name);
    END IF;
    IF length(fields ->> field.name) > field.width THEN
      RETURN format('champ « %s » de plus de %s caractères', field.name, field.width);
    END IF;
  END LOOP;
  IF jsonb_typeof(fields -> 'details') IS DISTINCT FROM 'object' THEN
    RETURN 'champ « details » absent ou qui n''est pas un objet';
  END IF;
  IF (fields ->> 'ts') !~ '{_TS}' THEN
    RETURN 'horodatage « ts » illisible';
  END IF;
  RETURN 'identifiant différent de celui de son contenu';
END $$"""

QUEUE_CHECK = (
    """CREATE FUNCTION csu_journal_queue_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      problem text;
    BEGIN
      problem := csu_journal_queue_problem(NEW.event_id, NEW.body);
      IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'entrée refusée par la file du journal : %', problem
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER journal_queue_check BEFORE INSERT ON journal_queue
    FOR EACH ROW EXECUTE FUNCTION csu_journal_queue_check()""",
)

# The entry chained in place of a row set aside: canonical JSON (sorted keys, compact,
# as csu.domain.journal writes it), its details describing the row.
SET_ASIDE = r"""CREATE FUNCTION csu_journal_set_aside(queue_id bigint,
    queued_event_id text, body bytea, reason text, event_id text) RETURNS bytea
LANGUAGE sql VOLATILE AS $$
  SELECT convert_to(
    '{"action":"journal_queue_rejected","details":{"body":'
    || to_json(replace(encode(substring(body FROM 1 FOR 65536), 'base64'), E'\n', ''))::text
    || ',"event_id":' || to_json(queued_event_id)::text
    || ',"length":' || octet_length(body)
    || ',"queue":' || queue_id
    || ',"reason":' || to_json(reason)::text
    || ',"sha256":"' || encode(sha256(body), 'hex') || '"'
    || ',"truncated":' || (octet_length(body) > 65536)::text
    || '},"election":null,"event_id":' || to_json(event_id)::text
    || ',"intervention":null,"operator":"système","outcome":"refusé","role":null,'
    || '"subject":null,"ts":"'
    || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    || '","workstation":null}', 'UTF8')
$$"""

_INSERT = """INSERT INTO journal_entry (seq, body, hash, event_id, ts, operator, role,
                               workstation, election, subject, intervention, action, outcome)
    VALUES ({seq}, {body}, {hash}, fields ->> 'event_id', fields ->> 'ts',
            fields ->> 'operator', fields ->> 'role', fields ->> 'workstation',
            fields ->> 'election', fields ->> 'subject', fields ->> 'intervention',
            fields ->> 'action', fields ->> 'outcome');"""

_HASH = """encode(sha256('\\x01'::bytea || int8send({seq}) || decode({prev}, 'hex')
      || sha256('\\x00'::bytea || {body})), 'hex')"""

INTEGRATE = rf"""CREATE OR REPLACE FUNCTION csu_journal_integrate(lock_key bigint, batch integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  start_seq bigint;
  start_hash text;
  queued record;
  fields jsonb;
  ids bigint[] := '{{}}';
  moved bigint;
  problem text;
  chained bytea;
  chained_hash text;
  replacement text;
BEGIN
  -- By the primary key's index: a queue emptied of many entries holds as many dead rows.
  IF (SELECT min(id) FROM journal_queue) IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);  -- see csu/store/sequencer.py
  -- The role and the head's lock are taken outside the block below: a block that fails
  -- gives back what it took.
  SELECT seq, hash INTO head_seq, head_hash FROM journal_head
    WHERE id = 1 AND pg_try_advisory_xact_lock(lock_key) FOR UPDATE;
  IF NOT FOUND THEN
    IF NOT EXISTS (SELECT 1 FROM journal_head WHERE id = 1) THEN
      RAISE EXCEPTION 'tête du journal absente : lancez « csu init »';
    END IF;
    RETURN NULL;  -- another sequencer holds the role
  END IF;
  start_seq := head_seq;
  start_hash := head_hash;
  -- The batch at once, as migration 0019 did (one subtransaction for the whole batch).
  BEGIN
    FOR queued IN SELECT id, event_id, body FROM journal_queue ORDER BY id LIMIT batch LOOP
      fields := csu_journal_fields(queued.body);
      IF (fields ->> 'event_id') IS DISTINCT FROM queued.event_id THEN
        RAISE EXCEPTION 'entrée en attente n° % : identifiant différent', queued.id;
      END IF;
      head_seq := head_seq + 1;
      head_hash := {_HASH.format(seq="head_seq", prev="head_hash", body="queued.body")};
      {_INSERT.format(seq="head_seq", body="queued.body", hash="head_hash")}
      ids := ids || queued.id;
    END LOOP;
  EXCEPTION WHEN OTHERS THEN
    -- A row that cannot be chained as it is: the batch again, entry by entry, below.
    ids := NULL;
  END;
  IF ids IS NULL THEN
    ids := '{{}}';
    head_seq := start_seq;
    head_hash := start_hash;
    FOR queued IN SELECT id, event_id, body FROM journal_queue ORDER BY id LIMIT batch LOOP
      problem := csu_journal_queue_problem(queued.event_id, queued.body);
      chained := queued.body;
      IF problem IS NULL THEN
        BEGIN
          fields := csu_journal_fields(chained);
          chained_hash := {_HASH.format(seq="head_seq + 1", prev="head_hash", body="chained")};
          {_INSERT.format(seq="head_seq + 1", body="chained", hash="chained_hash")}
        EXCEPTION WHEN OTHERS THEN
          problem := 'refusée par la base : ' || SQLERRM;
        END;
      END IF;
      IF problem IS NOT NULL THEN
        -- Set aside: an entry of the sequencer's own takes its place in the chain, under
        -- its event_id (the queue's guard then lets it go), or a new one if the journal
        -- has that one already (the guard lets it go for that reason).
        replacement := queued.event_id;
        IF EXISTS (SELECT 1 FROM journal_entry WHERE event_id = queued.event_id) THEN
          replacement := gen_random_uuid()::text;
        END IF;
        chained := csu_journal_set_aside(queued.id, queued.event_id, queued.body, problem,
                                         replacement);
        fields := csu_journal_fields(chained);
        chained_hash := {_HASH.format(seq="head_seq + 1", prev="head_hash", body="chained")};
        {_INSERT.format(seq="head_seq + 1", body="chained", hash="chained_hash")}
      END IF;
      head_seq := head_seq + 1;
      head_hash := chained_hash;
      ids := ids || queued.id;
    END LOOP;
  END IF;
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


def _integrate_0019() -> str:
    """Migration 0019's function, for the downgrade (read from its file: one text)."""
    path = Path(__file__).with_name("0019_journal_integrate_function.py")
    spec = importlib.util.spec_from_file_location("csu_migration_0019", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.INTEGRATE).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


CHECKPOINT_MESSAGE = "les points de contrôle du journal sont en ajout seul"
SQLITE_CHECKPOINT_TRIGGERS = (
    f"""CREATE TRIGGER checkpoint_no_update BEFORE UPDATE ON checkpoint
    BEGIN SELECT RAISE(ABORT, '{CHECKPOINT_MESSAGE}'); END""",
    f"""CREATE TRIGGER checkpoint_no_delete BEFORE DELETE ON checkpoint
    BEGIN SELECT RAISE(ABORT, '{CHECKPOINT_MESSAGE}'); END""",
)
POSTGRESQL_CHECKPOINT_TRIGGERS = (
    f"""CREATE FUNCTION csu_checkpoint_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{CHECKPOINT_MESSAGE}'; END $$""",
    """CREATE TRIGGER checkpoint_no_change BEFORE UPDATE OR DELETE ON checkpoint
    FOR EACH ROW EXECUTE FUNCTION csu_checkpoint_append_only()""",
    """CREATE TRIGGER checkpoint_no_truncate BEFORE TRUNCATE ON checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION csu_checkpoint_append_only()""",
)


def _run(statement: str) -> None:
    # On the driver's cursor, without parameters: SQLAlchemy's text() would read « :null »
    # in the JSON as a parameter, and psycopg « % » in a message as a placeholder.
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_CHECKPOINT_TRIGGERS:
            _run(statement)
        return
    for statement in (PROBLEM, *QUEUE_CHECK, SET_ASIDE, INTEGRATE,
                      *POSTGRESQL_CHECKPOINT_TRIGGERS):  # fmt: skip
        _run(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run("DROP TRIGGER IF EXISTS checkpoint_no_update")
        _run("DROP TRIGGER IF EXISTS checkpoint_no_delete")
        return
    _run("DROP FUNCTION IF EXISTS csu_checkpoint_append_only() CASCADE")
    _run(_integrate_0019())
    _run("DROP FUNCTION IF EXISTS csu_journal_set_aside(bigint, text, bytea, text, text)")
    _run("DROP FUNCTION IF EXISTS csu_journal_queue_check() CASCADE")
    _run("DROP FUNCTION IF EXISTS csu_journal_queue_problem(text, bytea)")
