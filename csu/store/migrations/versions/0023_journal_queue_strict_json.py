"""journal queue: a body that JSON readers read differently is refused, or set aside

The queue's check (0021) read a body as jsonb, which keeps the last of two values of one
key and holds any number exactly. Python (every reader of the journal in CSU: the
review, an entry's detail, the export; csu.api.bodies.strict_json for what comes over
the API) reads the same bytes otherwise: ``1e999`` is a float, infinite, written back
``Infinity`` (no JSON); an integer of more than 4,300 digits does not read at all; and a
key given twice is two values, of which a reader may keep either (the chain hashes the
bytes as queued, the index columns hold jsonb's last value, an auditor's parser may see
the first). Such a body reached the append-only journal for good.

- The queue now refuses, in French, a body with a key twice in one object (at any depth,
  the details included), a number a float cannot hold (``1e999``, « nombre hors des
  limites d'un flottant ») or an integer of more than 4,300 digits; and the check of 0022
  (nesting deeper than 32 levels) is part of the same check, whose trigger it leaves.
- The sequencer sets such a row aside (``journal_queue_rejected``, as 0021 does for the
  others) when one still comes (queued before, or with the triggers disabled): its batch
  at once now checks each body with the same function, and a fault sends the batch entry
  by entry, where ``csu_journal_queue_problem`` names it. 0022's depth was not checked
  there: a deep row queued before it was chained.

The common body costs a few cheap tests (``csu_journal_body_problem``'s screen), no
walk of its text: it has no key twice when its colons are as many as those of jsonb's
reading of it (a colon is either a key's or inside a string, which jsonb writes back
with the same colons unless one was escaped ``\\u003a``); its numbers are all below
1e308; it is not 32 levels deep. A body the screen does not clear is read exactly: which
key comes twice, which number, from its text.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_DEPTH = 32  # migration 0022
# The least number float() reads as infinite: halfway between the largest float,
# (2 - 2**-52) * 2**1023, and 2**1024, rounded to the even one, infinite.
FLOAT_LIMIT = 2**1024 - 2**970
# The most digits Python reads as an integer (sys.int_info.default_max_str_digits): more,
# and json.loads raises ValueError.
INT_DIGITS = 4300
_KEY_SHOWN = 40  # characters of a key or a number quoted in a refusal (csu.api.bodies)

# A JSON string in a body's text: what is left out to read the rest (its keys' colons,
# its numbers).
_STRING = r'"(?:[^"\\]|\\.)*"'
_NUMBER = r"-?[0-9][0-9.eE+-]*"

# The first key that comes twice in one object of ``value``, depth first; NULL if none.
# Only for a body of 32 levels at most (checked before): one call a level.
DUPLICATE_KEY = """CREATE FUNCTION csu_json_duplicate_key(value json) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  found text;
  item json;
BEGIN
  IF json_typeof(value) = 'object' THEN
    SELECT key INTO found FROM json_object_keys(value) WITH ORDINALITY AS k(key, n)
      GROUP BY key HAVING count(*) > 1 ORDER BY min(n) LIMIT 1;
    IF found IS NOT NULL THEN
      RETURN found;
    END IF;
    FOR item IN SELECT v FROM json_each(value) AS e(k, v) LOOP
      found := csu_json_duplicate_key(item);
      IF found IS NOT NULL THEN
        RETURN found;
      END IF;
    END LOOP;
  ELSIF json_typeof(value) = 'array' THEN
    FOR item IN SELECT json_array_elements(value) LOOP
      found := csu_json_duplicate_key(item);
      IF found IS NOT NULL THEN
        RETURN found;
      END IF;
    END LOOP;
  END IF;
  RETURN NULL;
END $$"""

# Why a body that jsonb reads (``fields``, csu_journal_fields) is read otherwise by JSON
# readers, in French; NULL when it is not. The screen first, then the exact reading.
BODY_PROBLEM = rf"""CREATE FUNCTION csu_journal_body_problem(body bytea, fields jsonb)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  written text := fields::text;
  raw text;
  found text;
  token text;
BEGIN
  IF octet_length(body) - octet_length(replace(convert_from(body, 'UTF8'), ':', ''))
       = octet_length(written) - octet_length(replace(written, ':', ''))
     AND position('\x5c75303033'::bytea IN body) = 0  -- the bytes of \u003: no \u003a
     AND NOT jsonb_path_exists(fields, 'strict $.** ? (@.abs() >= 1e308)')
     AND NOT jsonb_path_exists(fields, 'strict $.**{{{MAX_DEPTH}}}') THEN
    RETURN NULL;
  END IF;
  IF jsonb_path_exists(fields, 'strict $.**{{{MAX_DEPTH}}}') THEN
    RETURN 'contenu imbriqué sur plus de {MAX_DEPTH} niveaux';
  END IF;
  -- As csu_journal_fields reads it (migration 0019): json refuses \u0000 as jsonb does.
  raw := convert_from(body, 'UTF8');
  IF position('\x5c7530303030'::bytea IN body) > 0 THEN
    raw := regexp_replace(raw, '(?<!\\)((?:\\\\)*)\\u0000', '\1\\ufffd', 'g');
  END IF;
  found := csu_json_duplicate_key(raw::json);
  IF found IS NOT NULL THEN
    IF length(found) > {_KEY_SHOWN} THEN
      found := left(found, {_KEY_SHOWN - 1}) || '…';
    END IF;
    RETURN format('clé « %s » en double dans un objet', found);
  END IF;
  FOR token IN SELECT m[1] FROM regexp_matches(regexp_replace(raw, '{_STRING}', '', 'g'),
                                               '({_NUMBER})', 'g') AS m LOOP
    IF token ~ '[.eE]' THEN
      IF abs(token::numeric) >= {FLOAT_LIMIT} THEN
        RETURN format('nombre hors des limites d''un flottant (%s)',
                      CASE WHEN length(token) > {_KEY_SHOWN}
                           THEN left(token, {_KEY_SHOWN - 1}) || '…' ELSE token END);
      END IF;
    ELSIF length(ltrim(token, '-')) > {INT_DIGITS} THEN
      RETURN format('entier de plus de {INT_DIGITS} chiffres (%s…)', left(token, 20));
    END IF;
  END LOOP;
  RETURN NULL;
END $$"""


def _migration(name: str) -> ModuleType:
    """An earlier migration's module, for its functions' text (read from its file)."""
    [path] = Path(__file__).parent.glob(f"{name}_*.py")
    spec = importlib.util.spec_from_file_location(f"csu_migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _edited(text: str, *edits: tuple[str, str]) -> str:
    """``text`` with each anchor (found exactly once) replaced."""
    for anchor, replacement in edits:
        assert text.count(anchor) == 1, anchor
        text = text.replace(anchor, replacement)
    return text


_REPLACE = ("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


def problem(earlier: ModuleType) -> str:
    """0021's csu_journal_queue_problem, which also asks csu_journal_body_problem about
    a body whose fields are right."""
    return _edited(
        earlier.PROBLEM,
        _REPLACE,
        ("  kind text;\n", "  kind text;\n  fault text;\n"),
        (
            "  IF {good} THEN\n".format(good=earlier._GOOD),
            "  IF {good} THEN\n"
            "    fault := csu_journal_body_problem(body, fields);\n"
            "    IF fault IS NOT NULL THEN\n"
            "      RETURN fault;\n"
            "    END IF;\n".format(good=earlier._GOOD),
        ),
    )


def integrate(earlier: ModuleType) -> str:
    """0021's csu_journal_integrate, whose batch at once also checks each body: a fault
    sends it entry by entry, where the row is set aside."""
    anchor = (
        "        RAISE EXCEPTION 'entrée en attente n° % : identifiant différent', queued.id;\n"
        "      END IF;\n"
    )
    return _edited(
        earlier.INTEGRATE,
        (anchor, anchor
         + "      IF csu_journal_body_problem(queued.body, fields) IS NOT NULL THEN\n"
         + "        RAISE EXCEPTION 'entrée en attente n° % : contenu ambigu', queued.id;\n"
         + "      END IF;\n"),
    )  # fmt: skip


def _run(statement: str) -> None:
    # On the driver's cursor, without parameters (see 0021: « % » and « : » in the text).
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # no queue on SQLite: CSU alone appends, through csu.store.journal
    earlier = _migration("0021")
    _run("DROP FUNCTION IF EXISTS csu_journal_queue_depth() CASCADE")  # now in the check
    for statement in (DUPLICATE_KEY, BODY_PROBLEM, problem(earlier), integrate(earlier)):
        _run(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    earlier = _migration("0021")
    _run(_edited(earlier.PROBLEM, _REPLACE))
    _run(earlier.INTEGRATE)  # CREATE OR REPLACE already
    for statement in _migration("0022").DEPTH_CHECK:
        _run(statement)
    _run("DROP FUNCTION IF EXISTS csu_journal_body_problem(bytea, jsonb)")
    _run("DROP FUNCTION IF EXISTS csu_json_duplicate_key(json)")
