-- Privileges of the workstations' role on a cell's PostgreSQL database.
--
-- Run as the owner role (csu_owner, which ran the migrations), in the cell's database,
-- after `csu init` and again after every `csu db upgrade`: it is idempotent.
--
--     psql "postgresql://csu_owner@db.cellule/csu" -v ON_ERROR_STOP=1 \
--          -f docs/postgresql-roles.sql
--
-- The roles themselves are created once by a superuser (docs/postgresql.md).
--
-- csu_app, the role the workstations log in as, reads and writes the voters, the
-- interventions and the rest, but may only add to the journal: no UPDATE, DELETE or
-- TRUNCATE on journal_entry nor on checkpoint, and on journal_head only the UPDATE that
-- moves it forward (its trigger refuses anything else). It owns nothing, so it can neither
-- drop nor disable the triggers that guard the journal, nor change the schema.

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO csu_app', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO csu_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Every table of the schema...
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO csu_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO csu_app;

-- ...but the journal: append and read only.
REVOKE ALL ON journal_entry FROM csu_app;
GRANT SELECT, INSERT ON journal_entry TO csu_app;
-- The chain head: read, and locked then moved forward by each append
-- (SELECT ... FOR UPDATE needs the UPDATE privilege).
REVOKE ALL ON journal_head FROM csu_app;
GRANT SELECT, UPDATE ON journal_head TO csu_app;

-- The signed checkpoints: append and read only, as the journal (their triggers refuse
-- UPDATE, DELETE and TRUNCATE too, migration 0021). Nothing in CSU changes or deletes a
-- checkpoint once signed: a workstation that could would let the cell's key sign a
-- rewritten journal again.
REVOKE ALL ON checkpoint FROM csu_app;
GRANT SELECT, INSERT ON checkpoint TO csu_app;

-- The sequencer's batch and the audit's reading of an entry's fields (migration 0019),
-- the queue's check of a new entry and the entry that sets a malformed one aside
-- (migration 0021) and its reading of the body (duplicate keys, numbers: migration 0023):
-- run with the caller's rights, so the journal's privileges above
-- still hold. Granted by name, in case functions are no longer executable by PUBLIC by
-- default.
GRANT EXECUTE ON FUNCTION csu_journal_integrate(bigint, integer) TO csu_app;
GRANT EXECUTE ON FUNCTION csu_journal_fields(bytea) TO csu_app;
GRANT EXECUTE ON FUNCTION csu_journal_queue_problem(text, bytea) TO csu_app;
GRANT EXECUTE ON FUNCTION csu_journal_set_aside(bigint, text, bytea, text, text) TO csu_app;
GRANT EXECUTE ON FUNCTION csu_journal_body_problem(bytea, jsonb) TO csu_app;
GRANT EXECUTE ON FUNCTION csu_json_duplicate_key(json) TO csu_app;

-- The schema version: the workstations check it at start, only the owner moves it.
REVOKE ALL ON alembic_version FROM csu_app;
GRANT SELECT ON alembic_version TO csu_app;

-- Tables a later migration creates get the general rights until this file runs again
-- (run as csu_owner: these defaults apply to what csu_owner creates).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO csu_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO csu_app;
