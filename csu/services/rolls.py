"""Importing electoral rolls and votes.

Validation and keyed hashing (the costly part: phone numbers, e-mail
addresses, IBANs) run in worker processes on chunks of rows, while this
process reads the file and writes what comes back, in one transaction.
"""

import codecs
import csv
import io
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Table, TypeDecorator, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from csu.domain import roll
from csu.domain.clock import to_paris
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import normalise_name
from csu.domain.numbers import french_number
from csu.domain.plural import counted
from csu.domain.roll import RollRules, RowError
from csu.domain.scrutins import ballots, material_scrutins
from csu.services import emargement
from csu.services.context import Deps, OperatorContext, ServiceError, require_role
from csu.services.elections import get_definition, purged_refusal_journalled, refuse_purged
from csu.services.files import describe_os_error, file_name, open_regular
from csu.services.interventions import abandon_moved_out
from csu.services.presence import decline_moved_out
from csu.services.sessions import require_live_session
from csu.services.worker_processes import (
    QUIET_SPAWN,
    ctrl_c_deferred,
    ignore_ctrl_c,
    kill_pool,
)
from csu.store import journal
from csu.store.engine import SQLITE_CACHE_KIB
from csu.store.tables import Bureau, Election, Material, Voter

CHUNK_ROWS = 2_000
# A chunk is also cut at this many characters, so a file of long lines keeps the
# rows held in memory (and in flight to the workers) bounded.
CHUNK_CHARS = 2_000_000
MAX_ERRORS = 1_000  # faults kept in detail; the rest are counted
POOL_MIN_BYTES = 1_000_000  # below this, starting processes costs more than it saves
IMPORT_CACHE_KIB = 1_048_576
# PostgreSQL: memory for rebuilding the indexes set aside, so a million keys sort in
# memory rather than in temporary files (for the import's transaction only).
IMPORT_MAINTENANCE_MEM = "256MB"

Progress = Callable[[int, int], None]  # rows done, bytes read
Record = tuple[int, list[str]]  # the file line a record starts on, its values
# What the main process checks of a valid row: line, identifier, matricule, capacity,
# bureau, scrutins (as stored: None, the election file decides), identity print.
Key = tuple[int, str, str, str, str, str | None, int]
_KEY_FIELDS = ("line", "identifier", "matricule", "capacity", "bureau", "scrutins", "identity")
# A roll row is well under 1 KB: a longer line is not a roll (or has lost a quote),
# and bounding it keeps memory bounded whatever the file holds.
MAX_LINE_CHARS = 16_384


ROLL_WHAT = "une liste électorale"  # what a purged election refuses (refuse_purged)


class ImportFailed(ServiceError):
    """The file cannot be read at all (encoding, CSV syntax, header)."""


@dataclass
class ImportReport:
    source: str
    election: str
    rows: int = 0
    written: int = 0
    voters: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Lines in error beyond the MAX_ERRORS kept in ``errors`` (counted, not detailed,
    # so that a file of millions of bad lines keeps memory bounded).
    more_rejected: int = 0
    header_refused: bool = False  # the faults are the header's: no row was read
    # Presidents' in-person interventions closed: their voter left the bureau.
    abandoned: int = 0
    # The in-person checks still waiting for a moved voter's former president, declined.
    declined: int = 0
    committed: bool = False
    stages: dict[str, float] = field(default_factory=dict)  # seconds spent per stage
    elapsed: float = 0.0

    @property
    def rejected(self) -> int:
        return len({error.line for error in self.errors}) + self.more_rejected

    def note(self, errors: Iterable[RowError]) -> None:
        """Record faults, keeping the first MAX_ERRORS and only counting the others."""
        self.errors.extend(errors)
        if len(self.errors) > MAX_ERRORS:
            kept, extra = self.errors[:MAX_ERRORS], self.errors[MAX_ERRORS:]
            self.more_rejected += len({e.line for e in extra} - {e.line for e in kept})
            self.errors = kept


# --- worker side -----------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What a worker needs to turn CSV rows into statement parameters (picklable)."""

    names: list[str]
    rules: RollRules
    key: bytes
    dialect: str
    voter_columns: tuple[str, ...]  # positional order of the voter upsert's parameters
    material_columns: tuple[str, ...]
    election_id: str
    now: Any  # the import time, already in the driver's form


@dataclass
class _Chunk:
    """A worker's answer: parameters ready for executemany, aligned with ``keys``."""

    voters: list[tuple[Any, ...]]
    materials: list[tuple[Any, ...]]
    keys: list[Key]
    errors: list[RowError]
    validation: float
    hashing: float


_worker_state: dict[str, Any] = {}


def _init_pool_worker(plan: _Plan) -> None:
    """A worker process of the import's pool: Ctrl+C is the main process's alone."""
    ignore_ctrl_c()
    _init_worker(plan)


def _init_worker(plan: _Plan) -> None:
    from operator import itemgetter

    dialect = sqlite.dialect() if plan.dialect == "sqlite" else postgresql.dialect()
    voter: Table = Voter.__table__  # type: ignore[attr-defined]
    # Each statement's parameters read straight off a row's sealed fields (in C),
    # with the import's constants added to them; a material's m_x from field x.
    material_field = {
        "m_matricule": "matricule",
        "m_capacity": "capacity",
        "m_identifier": "identifier",
        "m_bureau": "bureau",
        "m_scrutins": "scrutins",
    }

    def getter(fields: Iterable[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
        names = tuple(fields)
        if len(names) > 1:
            return itemgetter(*names)
        return lambda values: tuple(values[name] for name in names)

    _worker_state.update(
        plan=plan,
        to_date=_processor(voter.c.birth_date, dialect),
        check=roll.RowChecker(plan.rules).fields,
        constants={"updated_at": plan.now, "m_election": plan.election_id, "m_created": plan.now},
        voter_row=getter(plan.voter_columns),
        material_row=getter(material_field.get(name, name) for name in plan.material_columns),
        keys=getter(_KEY_FIELDS),
    )


def _process_chunk(chunk: list[tuple[int, list[str]]]) -> _Chunk:
    plan: _Plan = _worker_state["plan"]
    state = _worker_state
    to_date: Callable[[Any], Any] = state["to_date"]
    check: Callable[[dict[str, str], int], dict[str, Any] | list[RowError]] = state["check"]
    names, key, width = plan.names, plan.key, len(plan.names)
    valid: list[dict[str, Any]] = []
    errors: list[RowError] = []
    started = time.perf_counter()
    for line, values in chunk:
        if len(values) != width:
            reason = f"{width} colonnes attendues, {counted(len(values), 'reçue')}"
            errors.append(RowError(line, "(ligne)", reason))
            continue
        result = check(dict(zip(names, values, strict=True)), line)
        if isinstance(result, list):
            errors.extend(result)
        else:
            valid.append(result)
    validated = time.perf_counter()
    answer = _Chunk([], [], [], errors, validated - started, 0.0)
    constants, seal_fields = state["constants"], roll.seal_fields
    voter_row, material_row, keys = state["voter_row"], state["material_row"], state["keys"]
    for row in valid:
        sealed = seal_fields(row, key)
        sealed.update(constants)
        answer.materials.append(material_row(sealed))
        answer.keys.append(keys(sealed))
        sealed["birth_date"] = to_date(sealed["birth_date"])
        answer.voters.append(voter_row(sealed))
    answer.hashing = time.perf_counter() - validated
    return answer


def _processor(column: Any, dialect: Any) -> Callable[[Any], Any]:
    """How the dialect stores a value of this column (what Core would do)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if isinstance(column.type, TypeDecorator):
        decorate = column.type.process_bind_param
        if process:
            return lambda value: process(decorate(value, dialect))
        return lambda value: decorate(value, dialect)
    return process or (lambda value: value)


# --- reading ---------------------------------------------------------------------


def _open_csv(path: Path, what: str) -> tuple[io.TextIOWrapper, Iterator[Record]]:
    """The open file (the caller closes it; its ``buffer.tell()`` measures progress)
    and its numbered non-blank records, the header first, read as CSV with the
    delimiter guessed from the header line.

    Only a regular file is opened (never a FIFO or a device, which could hang or never
    end) and no line may exceed MAX_LINE_CHARS, so memory stays bounded whatever the
    file holds; every fault names the file and the line."""
    raw = open_regular(path, what)
    try:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        lines = _bounded_lines(text, path.name)
        first = next(lines, "")
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        reader = csv.reader(_chain(first, lines), delimiter=delimiter, strict=True)
    except BaseException:
        raw.close()
        raise
    return text, _records(reader, path.name)


def _bounded_lines(text: io.TextIOWrapper, source: str) -> Iterator[str]:
    """The file's lines, refused at the first that is too long or not UTF-8."""
    number = 0
    while True:
        try:
            line = text.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError:
            where = _undecodable_line(text.buffer)
            raise ImportFailed(
                f"{source}, ligne {where} : le fichier n'est pas encodé en UTF-8."
            ) from None
        except OSError as error:
            reason = describe_os_error(error)
            raise ImportFailed(f"{source}, ligne {number + 1} : illisible ({reason}).") from None
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS and line[-1] not in "\r\n":
            raise ImportFailed(
                f"{source}, ligne {number} : ligne trop longue (plus de "
                f"{french_number(MAX_LINE_CHARS)} caractères) ; est-ce bien un fichier CSV ?"
            )
        yield line


def _undecodable_line(raw: Any) -> int:  # the text layer's buffer: a binary file
    """The line of the first byte that is not UTF-8, found again from the start: the
    text layer decodes blocks ahead of the lines it returns, so its error has no line."""
    raw.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    for block in iter(lambda: raw.read(1 << 20), b""):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as error:
            return line + block.count(b"\n", 0, max(error.start, 0))
        line += block.count(b"\n")
    return line


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _records(reader: Iterator[list[str]], source: str) -> Iterator[Record]:
    """Non-blank records numbered by the file line they start on (a quoted field may
    span lines); CSV faults are refused in French with that line."""
    read = 0  # lines consumed so far (the reader's line_num)
    while True:
        start = read + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFailed(f"{source}, ligne {start} : {_csv_fault(str(error))}.") from None
        read = reader.line_num  # type: ignore[attr-defined]
        if values and any(value.strip() for value in values):
            yield start, values


def _csv_fault(message: str) -> str:
    """The csv module's English message, said in French."""
    if message.startswith("unexpected end of data"):
        return "guillemet ouvert jamais refermé avant la fin du fichier"
    if message.startswith("field larger than field limit"):
        return (
            f"champ trop long (plus de {french_number(csv.field_size_limit())} caractères) : "
            "un guillemet ouvert n'est-il pas refermé ?"
        )
    expected = re.match(r"'(.)' expected after '\"'", message)
    if expected:
        return (
            f"« {expected[1]} » attendu après le guillemet qui ferme un champ "
            '(doublez les guillemets à l\'intérieur : "")'
        )
    if message.startswith("new-line character seen in unquoted field"):
        return "retour chariot isolé dans un champ sans guillemets"
    return "syntaxe CSV incorrecte"


def _chunks(rows: Iterator[tuple[int, list[str]]], timer: dict[str, float]) -> Iterator[list]:
    chunk: list[tuple[int, list[str]]] = []
    chars = 0
    started = time.perf_counter()
    for row in rows:
        chunk.append(row)
        chars += sum(map(len, row[1])) + len(row[1])  # a cell costs memory even empty
        if len(chunk) == CHUNK_ROWS or chars >= CHUNK_CHARS:
            timer["parsing"] += time.perf_counter() - started
            yield chunk
            chunk = []
            chars = 0
            started = time.perf_counter()
    timer["parsing"] += time.perf_counter() - started
    if chunk:
        yield chunk


# --- writing ---------------------------------------------------------------------


def _insert(table: Table, dialect: str) -> Insert:
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


_VOTER_UPDATED = ("last_name", "first_name", "search_name", "search_name_rev", "birth_date")
# Left as stored when the new file has no value for them.
_VOTER_KEPT = (
    "email_pro",
    "phone_pro",
    "phone_mobile",
    "numen_hash",
    "nir10_hash",
    "birth_department_hash",
    "iban6_hash",
    "card6_hash",
    "challenge_question",
    "challenge_answer_hash",
    "adresse_postale",
    "circonscription",
)
_VOTER_FIELDS = ("matricule", "pseudonym", *_VOTER_UPDATED, *_VOTER_KEPT)
# What each parameter of the material upsert fills (PostgreSQL staging and COPY).
_MATERIAL_SOURCE = {
    "m_election": "material.election_id",
    "m_matricule": "voter.matricule",
    "m_capacity": "material.capacity",
    "m_identifier": "material.identifier",
    "m_bureau": "material.bureau_code",
    "m_created": "material.created_at",
    "m_scrutins": "material.scrutins",
}


class _RollWriter:
    """Upserts voters by matricule and materials by (election, identifier).

    The statements are compiled once, with positional parameters, and run with
    the driver's executemany on tuples the workers prepared: per-row parameter
    processing by SQLAlchemy would cost more than the database itself. PostgreSQL
    takes the same tuples by COPY instead (see _stage).
    """

    def __init__(self, session: Session, election_id: str, now: datetime) -> None:
        self.session = session
        self.bureaus: set[str] = set(session.execute(select(Bureau.code)).scalars())
        self.voters: set[str] = set()
        engine_dialect = session.get_bind().dialect
        self.dialect_name = engine_dialect.name
        # psycopg also takes %s placeholders: compile for them to pass tuples.
        dialect = (
            engine_dialect
            if engine_dialect.name == "sqlite"
            else type(engine_dialect)(paramstyle="format")
        )
        voter: Table = Voter.__table__  # type: ignore[attr-defined]
        material: Table = Material.__table__  # type: ignore[attr-defined]
        bureau: Table = Bureau.__table__  # type: ignore[attr-defined]
        self.now = _processor(voter.c.updated_at, engine_dialect)(now)
        ins = _insert(voter, dialect.name)
        self.voter_sql, self.voter_columns = self._compile(
            ins.on_conflict_do_update(
                index_elements=["matricule"],
                set_={
                    **{name: ins.excluded[name] for name in _VOTER_UPDATED},
                    **{
                        name: func.coalesce(ins.excluded[name], voter.c[name])
                        for name in _VOTER_KEPT
                    },
                    "updated_at": ins.excluded.updated_at,
                },
            ),
            dialect,
            (*_VOTER_FIELDS, "updated_at"),
        )
        voter_id = (
            select(voter.c.id).where(voter.c.matricule == bindparam("m_matricule"))
        ).scalar_subquery()
        ins = _insert(material, dialect.name).values(
            election_id=bindparam("m_election"),
            voter_id=voter_id,
            capacity=bindparam("m_capacity"),
            identifier=bindparam("m_identifier"),
            bureau_code=bindparam("m_bureau"),
            status=literal_column("'active'"),
            created_at=bindparam("m_created"),
            scrutins=bindparam("m_scrutins"),
        )
        self.material_sql, self.material_columns = self._compile(
            ins.on_conflict_do_update(
                index_elements=["election_id", "identifier"],
                set_={
                    "voter_id": ins.excluded.voter_id,
                    "capacity": ins.excluded.capacity,
                    "bureau_code": ins.excluded.bureau_code,
                    "scrutins": ins.excluded.scrutins,
                },
            ),
            dialect,
            None,
        )
        self.bureau_insert = _insert(bureau, dialect.name).on_conflict_do_nothing(
            index_elements=["code"]
        )
        connection = session.connection()
        if self.dialect_name == "sqlite":
            # A million voters' indexes (random pseudonyms among them) thrash a
            # smaller cache; the pages are only taken as the import needs them.
            connection.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
        # The first roll into empty tables: their secondary indexes are built once the
        # rows are in (a sort), not row by row (random inserts, 5x the cost of the rows).
        # The unique constraints the upserts rely on stay (but see fresh below). Not on
        # a table holding rows: on PostgreSQL dropping an index locks the table, and
        # readers would wait.
        aside = [
            _set_indexes_aside(connection, self.dialect_name, table.name)
            for table in (voter, material)
        ]
        self.set_aside = [statement for statements in aside for statement in statements]
        self.copy = self.dialect_name == "postgresql"
        # PostgreSQL, both tables empty and locked (dropping their indexes did, so no
        # other transaction writes there before ours ends): rows go straight in by
        # COPY, without upserts, and without the unique constraints until the end
        # either (checked then, by one sort each), since none of the rows can conflict:
        # a voter gets its id here, once, and identifiers are unique in the file.
        self.fresh = (
            self.copy
            and all(aside)
            and not any(
                connection.exec_driver_sql(f"SELECT 1 FROM {table.name} LIMIT 1").first()
                for table in (voter, material)
            )
        )
        self.ids: dict[str, int] = {}  # fresh: each voter written, by matricule
        if self.fresh:
            for table in (voter, material):
                self.set_aside += _set_indexes_aside(
                    connection, self.dialect_name, table.name, unique=True
                )
        if self.copy:
            self._stage(connection)

    def _stage(self, connection: Any) -> None:
        """PostgreSQL: rows are COPYed in binary (the server parses no text), into the
        tables themselves when fresh, else into temporary tables from which one
        statement per chunk upserts them with the same conflict rules as above."""
        quoted = ", ".join(f'"{name}"' for name in self.voter_columns)
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE csu_import_voter ON COMMIT DROP AS "
            f"SELECT id, {quoted} FROM voter WITH NO DATA"
        )
        staged = ", ".join(f"{_MATERIAL_SOURCE[name]} AS {name}" for name in self.material_columns)
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE csu_import_material ON COMMIT DROP AS "
            f"SELECT {staged} FROM material, voter WITH NO DATA"
        )
        # The voters' ids come from the upsert itself: joining the voter table instead
        # would cost a look-up (or a scan) of it per material.
        self.upsert = (
            f"WITH v AS (INSERT INTO voter ({quoted}) SELECT {quoted} FROM csu_import_voter "
            f"ON CONFLICT (matricule) DO UPDATE SET {self._updates('excluded')} "
            "RETURNING matricule, id) "
            "INSERT INTO material (election_id, voter_id, capacity, identifier, bureau_code, "
            "status, created_at, scrutins) "
            "SELECT s.m_election, v.id, s.m_capacity, s.m_identifier, s.m_bureau, 'active', "
            "s.m_created, s.m_scrutins FROM csu_import_material s "
            "JOIN v ON v.matricule = s.m_matricule "
            "ON CONFLICT (election_id, identifier) DO UPDATE SET voter_id = excluded.voter_id, "
            "capacity = excluded.capacity, bureau_code = excluded.bureau_code, "
            "scrutins = excluded.scrutins "
            # A material the roll leaves as it was is not written again (a new version of
            # the row and of its six index entries, the bulk of a re-import's cost).
            "WHERE (material.voter_id, material.capacity, material.bureau_code, "
            "material.scrutins) IS DISTINCT FROM (excluded.voter_id, excluded.capacity, "
            "excluded.bureau_code, excluded.scrutins)"
        )
        # Fresh: a voter met again in a later chunk (another capacity) is updated by id.
        self.update = (
            f"UPDATE voter SET {self._updates('s')} FROM csu_import_voter s WHERE voter.id = s.id"
        )
        self.voter_copy = f"COPY csu_import_voter ({quoted}) FROM STDIN (FORMAT BINARY)"
        self.material_copy = (
            f"COPY csu_import_material ({', '.join(self.material_columns)}) "
            "FROM STDIN (FORMAT BINARY)"
        )
        # Fresh: voters with their ids, materials with their voter's id in place of the
        # matricule, and their status.
        self.matricule_at = self.material_columns.index("m_matricule")
        direct = [_MATERIAL_SOURCE[name].split(".")[1] for name in self.material_columns]
        direct[self.matricule_at] = "voter_id"
        self.voter_direct = f'COPY voter ("id", {quoted}) FROM STDIN (FORMAT BINARY)'
        self.voter_again = f'COPY csu_import_voter ("id", {quoted}) FROM STDIN (FORMAT BINARY)'
        self.material_direct = (
            f"COPY material ({', '.join(direct)}, status) FROM STDIN (FORMAT BINARY)"
        )
        self.id_sequence = connection.exec_driver_sql(
            "SELECT pg_get_serial_sequence('voter', 'id')"
        ).scalar_one()
        self.types = {
            statement: self._column_types(connection, table, columns)
            for statement, table, columns in (
                (self.voter_copy, "csu_import_voter", self.voter_columns),
                (self.material_copy, "csu_import_material", self.material_columns),
                (self.voter_direct, "voter", ("id", *self.voter_columns)),
                (self.voter_again, "voter", ("id", *self.voter_columns)),
                (self.material_direct, "material", (*direct, "status")),
            )
        }

    @staticmethod
    def _updates(new: str) -> str:
        """The SET list of an update of a voter by a row ``new`` of the roll."""
        kept = (f'"{n}" = coalesce({new}."{n}", voter."{n}")' for n in _VOTER_KEPT)
        updated = (f'"{n}" = {new}."{n}"' for n in (*_VOTER_UPDATED, "updated_at"))
        return ", ".join((*updated, *kept))

    @staticmethod
    def _column_types(connection: Any, table: str, columns: Iterable[str]) -> list[int]:
        """The type oids of ``columns`` of ``table``, for a binary COPY."""
        found = dict(
            connection.exec_driver_sql(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (table,),
            ).all()
        )
        return [found[name] for name in columns]

    def close(self) -> None:
        connection = self.session.connection()
        if self.copy and self.set_aside:
            # The indexes rebuilt sort a million keys in memory rather than in files
            # (never less than the server would give; for this transaction only).
            connection.exec_driver_sql(
                "SELECT set_config('maintenance_work_mem', greatest(pg_size_bytes("
                "current_setting('maintenance_work_mem')), pg_size_bytes(%s)) / 1024 || 'kB', "
                "true)",
                (IMPORT_MAINTENANCE_MEM,),
            )
        for statement in self.set_aside:
            connection.exec_driver_sql(statement)
        if self.dialect_name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")

    @staticmethod
    def _compile(
        statement: Any, dialect: Any, columns: tuple[str, ...] | None
    ) -> tuple[str, tuple[str, ...]]:
        compiled = statement.compile(dialect=dialect, column_keys=columns)
        return compiled.string, tuple(compiled.positiontup or ())

    def write(
        self,
        voters: list[tuple[Any, ...]],
        materials: list[tuple[Any, ...]],
        matricules: list[str],
        bureaus: set[str],
    ) -> None:
        if not materials:
            return
        new_bureaus = bureaus - self.bureaus
        if new_bureaus:
            self.session.execute(
                self.bureau_insert,
                [{"code": code, "name": code, "president_name": ""} for code in new_bureaus],
            )
            self.bureaus |= new_bureaus
        connection = self.session.connection()
        if self.copy:
            driver: Any = connection.connection.driver_connection
            with driver.cursor() as cursor:
                if self.fresh:
                    self._copy_fresh(cursor, voters, materials, matricules)
                else:
                    self._copy(cursor, self.voter_copy, voters)
                    self._copy(cursor, self.material_copy, materials)
                    cursor.execute(self.upsert)
                    cursor.execute("TRUNCATE csu_import_voter, csu_import_material")
        else:
            connection.exec_driver_sql(self.voter_sql, voters)  # type: ignore[arg-type]
            connection.exec_driver_sql(self.material_sql, materials)  # type: ignore[arg-type]
        self.voters.update(matricules)

    def _copy_fresh(
        self,
        cursor: Any,
        voters: list[tuple[Any, ...]],
        materials: list[tuple[Any, ...]],
        matricules: list[str],
    ) -> None:
        ids = self.ids
        new = [i for i, matricule in enumerate(matricules) if matricule not in ids]
        if len(new) < len(voters):
            again = [(ids[m], *voters[i]) for i, m in enumerate(matricules) if m in ids]
            self._copy(cursor, self.voter_again, again)
            cursor.execute(self.update)
            cursor.execute("TRUNCATE csu_import_voter")
        if new:
            drawn = cursor.execute(
                "SELECT array_agg(nextval(%s)) FROM generate_series(1, %s)",
                (self.id_sequence, len(new)),
            ).fetchone()[0]
            if len(new) < len(voters):
                voters, matricules = [voters[i] for i in new], [matricules[i] for i in new]
            ids.update(zip(matricules, drawn, strict=True))
            self._copy(cursor, self.voter_direct, map(_RollWriter._prepend, drawn, voters))
        at = self.matricule_at
        self._copy(
            cursor,
            self.material_direct,
            ((*row[:at], ids[row[at]], *row[at + 1 :], "active") for row in materials),
        )

    @staticmethod
    def _prepend(first: Any, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return (first, *row)

    def _copy(self, cursor: Any, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with cursor.copy(statement) as copy:
            copy.set_types(self.types[statement])
            for row in rows:
                copy.write_row(row)


def _set_indexes_aside(
    connection: Any, dialect: str, table: str, *, unique: bool = False
) -> list[str]:
    """Drop the secondary indexes of ``table`` when it holds no row, and return the
    statements that build them again. Indexes behind a constraint stay. With
    ``unique`` (PostgreSQL), the table's unique constraints go instead, but those a
    foreign key relies on: only for rows known not to conflict (see _RollWriter)."""
    if connection.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first() is not None:
        return []
    if unique:
        found = connection.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint k "
            "WHERE conrelid = %s::regclass AND contype = 'u' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid)",
            (table,),
        ).all()
        for name, _ in found:
            connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {rule}' for name, rule in found]
    if dialect == "sqlite":
        found = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        ).all()
    else:
        found = connection.exec_driver_sql(
            "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            (table,),
        ).all()
    for name, _ in found:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


# --- the use case ----------------------------------------------------------------


class _Abort(Exception):
    pass


def import_voters(
    deps: Deps,
    who: OperatorContext,
    path: Path,
    election_id: str,
    *,
    skip_invalid: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a roll: all or nothing by default, or only the good rows with ``skip_invalid``.

    Voters are matched by matricule: a re-import updates them and keeps their
    credentials and history. One journal entry records the import, or its refusal
    (into a purged election included).
    """
    require_role(deps, who, "admin")
    require_live_session(deps, who)
    with purged_refusal_journalled(deps, who, "roll_import", election_id, file_name(path)):
        return _import_voters(
            deps, who, path, election_id,
            skip_invalid=skip_invalid, workers=workers, progress=progress,
        )  # fmt: skip


def _import_voters(
    deps: Deps,
    who: OperatorContext,
    path: Path,
    election_id: str,
    *,
    skip_invalid: bool,
    workers: int | None,
    progress: Progress | None,
) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport(source=path.name, election=election_id)
    stages = dict.fromkeys(("parsing", "validation", "hashing", "writing"), 0.0)
    report.stages = stages
    with deps.reading() as session:
        get_definition(session, election_id)  # an unknown election, before the file is read
        refuse_purged(session, election_id, ROLL_WHAT)
    text, records = _open_csv(path, "Liste électorale")
    with text:
        first = next(records, None)
        if first is None:
            raise ImportFailed(f"{path.name} : fichier vide.")
        header = first[1]
        names, header_errors = roll.check_header(header, first[0])
        if header_errors:
            report.errors, report.header_refused = header_errors, True
            _journal_refusal(deps, who, report, skip_invalid)
            return report
        pool_size = workers if workers is not None else (os.cpu_count() or 1)
        use_pool = pool_size > 1 and path.stat().st_size >= POOL_MIN_BYTES
        in_file = _InFile()
        try:
            with deps.writing() as session:
                # Rows are checked against the definition read FOR SHARE in the transaction
                # that writes them: a reload dropping a scrutin that a row names waits for
                # this import (and is then refused), or commits first and the row is refused.
                definition = get_definition(session, election_id, for_share=True)
                refuse_purged(session, election_id, ROLL_WHAT)  # a purge since, maybe
                writer = _RollWriter(session, election_id, deps.clock())
                plan = _Plan(
                    names=names,
                    rules=RollRules(
                        today=to_paris(deps.clock()).date(),
                        matricule_pattern=definition.matricule_pattern,
                        capacities=tuple(definition.capacities),
                        scrutins=definition.scrutins,
                        implicit_scrutin=None if definition.scrutins else definition.id,
                    ),
                    key=deps.key,
                    dialect=writer.dialect_name,
                    voter_columns=writer.voter_columns,
                    material_columns=writer.material_columns,
                    election_id=election_id,
                    now=writer.now,
                )
                stored = _Stored(session, definition)

                def handle(chunk: _Chunk) -> None:
                    stages["validation"] += chunk.validation
                    stages["hashing"] += chunk.hashing
                    report.note(chunk.errors)
                    report.rows += len(chunk.keys) + len({e.line for e in chunk.errors})
                    began = time.perf_counter()
                    keep = stored.keep(chunk, in_file.keep(chunk, report), report)
                    if skip_invalid or not report.errors:
                        # One upsert per voter and chunk: the last row of a voter wins.
                        latest = {chunk.keys[i][2]: chunk.voters[i] for i in keep}
                        writer.write(
                            list(latest.values()),
                            [chunk.materials[i] for i in keep],
                            list(latest),
                            {chunk.keys[i][4] for i in keep},
                        )
                        report.written += len(keep)
                    stages["writing"] += time.perf_counter() - began
                    if progress:
                        progress(report.rows, text.buffer.tell())

                chunks = _chunks(records, stages)
                if use_pool:
                    _run_pool(chunks, pool_size, plan, handle)
                else:
                    _init_worker(plan)
                    for chunk in chunks:
                        handle(_process_chunk(chunk))
                writer.close()
                report.errors.sort(key=lambda error: error.line)
                if report.errors and not skip_invalid:
                    raise _Abort
                report.voters = len(writer.voters)
                # A row may give a material other scrutins: its « a voté » follows them.
                emargement.refresh_summaries(session, definition)
                journal.append(
                    session,
                    actor=who.actor,
                    action="roll_import",
                    outcome="ok" if not report.errors else "partiel",
                    at=deps.clock(),
                    election=election_id,
                    details=_details(report, skip_invalid),
                )
                # A voter moved to another bureau is no longer their president's: an
                # in-person case left open on them is closed, after the import's entry.
                report.abandoned = abandon_moved_out(session, who, election_id, deps.clock())
                report.declined = decline_moved_out(session, who, election_id, deps.clock())
            report.committed = True
        except _Abort:
            report.written = 0
            _journal_refusal(deps, who, report, skip_invalid)
    report.elapsed = time.perf_counter() - started
    return report


def _run_pool(
    chunks: Iterator[list],
    size: int,
    plan: _Plan,
    handle: Callable[[_Chunk], None],
) -> None:
    """Feed chunks to worker processes, handling results in file order."""
    # spawn, not fork: the caller may run threads (a progress bar, the terminal's
    # workers), and a fork taken while one of them holds a lock deadlocks.
    with ProcessPoolExecutor(
        size, mp_context=QUIET_SPAWN, initializer=_init_pool_worker, initargs=(plan,)
    ) as pool:
        pending: deque[Future[_Chunk]] = deque()
        try:
            for chunk in chunks:
                with ctrl_c_deferred():  # its first starts the pool's manager thread
                    pending.append(pool.submit(_process_chunk, chunk))
                while len(pending) > 2 * size:
                    handle(pending.popleft().result())
            while pending:
                handle(pending.popleft().result())
        except BaseException:  # Ctrl+C, or a failure: no chunk's result is wanted any more
            kill_pool(pool)
            raise


# The roll's column of each identity field (identifiers.IDENTITY_FIELDS).
_COLUMN_OF = {"nom": "nom", "prénom": "prenom", "date de naissance": "date_naissance"}


class _InFile:
    """What the earlier lines of the file said: the line of each identifier, and of each
    matricule its first line, identity and capacity (a voter's other capacities apart:
    most voters have one row, and a million of them are remembered)."""

    def __init__(self) -> None:
        self.identifiers: dict[str, int] = {}
        self.people: dict[str, tuple[int, int, str]] = {}
        self.capacities: dict[tuple[str, str], int] = {}  # a matricule's second capacity on

    def keep(self, chunk: _Chunk, report: ImportReport) -> list[int]:
        """Indexes of the chunk's rows to keep: not those whose identifier, or matricule
        and capacity, an earlier line already had, nor a matricule an earlier line gave
        another identity (its name, first name or date of birth)."""
        keep = []
        for index, (line, identifier, matricule, capacity, *_, identity) in enumerate(chunk.keys):
            first = self.identifiers.setdefault(identifier, line)
            if first != line:
                report.note([RowError(line, "identifiant", f"déjà attribué ligne {first}")])
                continue
            seen = self.people.setdefault(matricule, (line, identity, capacity))
            if seen[0] != line:
                fault = self._again(seen, line, matricule, capacity, identity)
                if fault is not None:
                    report.note([fault])
                    continue
            keep.append(index)
        return keep

    def _again(
        self, seen: tuple[int, int, str], line: int, matricule: str, capacity: str, identity: int
    ) -> RowError | None:
        """The fault of a matricule's later row, if any."""
        first, first_identity, first_capacity = seen
        earlier = (
            first
            if capacity == first_capacity
            else self.capacities.setdefault((matricule, capacity), line)
        )
        if earlier != line:
            reason = f"ce matricule a déjà un matériel pour cette qualité ligne {earlier}"
            return RowError(line, "qualite", reason)
        # The last row of a voter would win: one contradicting the first is refused.
        differ = roll.identity_differences(identity, first_identity)
        if differ:
            reason = f"même matricule que la ligne {first} sous une autre identité"
            return RowError(line, _COLUMN_OF[differ[0]], f"{reason} ({', '.join(differ)})")
        return None


class _Material(NamedTuple):
    """A stored material of the election, as the states of its scrutins need it."""

    id: int
    status: str
    capacity: str
    bureau_code: str
    scrutins: str | None
    voted_at: Any  # as the driver gives it: only whether it is set counts here
    owner: str  # the matricule of the voter it belongs to
    owner_identity: int  # and that voter's identity print (roll.identity_print)


_material: Table = Material.__table__  # type: ignore[attr-defined]
_election: Table = Election.__table__  # type: ignore[attr-defined]
# The queries of _Stored, on the driver's cursor as the writer's statements are: through
# SQLAlchemy, binding 2,000 values and converting the rows doubled their cost. « {among} »
# is ``IN (?, ?, …)`` on SQLite, ``= ANY(%s)`` (one array) on PostgreSQL.
# Every material of the voters, filtered in Python: a condition on the material led
# SQLite to walk all of the election's materials for each chunk.
_VOTERS_SQL = (
    "SELECT v.matricule, v.last_name, v.first_name, v.birth_date, m.election_id, "
    "m.capacity, m.identifier, m.status FROM voter v JOIN material m ON m.voter_id = v.id "
    "WHERE v.matricule {among}"
)
_MATERIALS_SQL = (
    "SELECT m.identifier, m.id, m.status, m.capacity, m.bureau_code, m.scrutins, m.voted_at, "
    "v.matricule, v.last_name, v.first_name, v.birth_date, e.scrutin_id, e.voted_at "
    "FROM material m "
    "JOIN voter v ON v.id = m.voter_id LEFT JOIN emargement e ON e.material_id = m.id "
    "WHERE m.election_id = {mark} AND m.identifier {among}"
)


class _Stored:
    """Checks of a chunk's rows against what the store held, two queries a chunk (none
    when it held no material of any election). A row is refused that would:

    - give another identity to a voter of another election (its matricule there: a
      voter is one person across elections, and their name and date of birth may be
      that election's verification factors);
    - give a voter a second active material for one capacity, by another identifier
      (an identifier is what the platform, the credentials issued and the émargement
      know a material by: it is not changed through the roll);
    - take from a material a scrutin it has voted in (an émargement stays);
    - hand a material to another person (its identifier with another matricule and
      another identity; the same identity is a matricule corrected).
    """

    def __init__(self, session: Session, definition: ElectionDefinition) -> None:
        self.session = session
        self.definition = definition
        self.ballots = ballots(definition)
        self.postgres = session.get_bind().dialect.name == "postgresql"
        held = [
            election
            for election, purged in session.execute(select(_election.c.id, _election.c.purged_at))
            # A purged election's voters are gone or kept for other elections only.
            if purged is None
            and session.execute(
                select(_material.c.id).where(_material.c.election_id == election).limit(1)
            ).first()
        ]
        self.here = definition.id in held  # materials to update, not only to add
        self.others = [election for election in held if election != definition.id]

    def keep(self, chunk: _Chunk, keep: list[int], report: ImportReport) -> list[int]:
        """Of the indexes ``keep`` of the chunk's rows, those the store does not refuse."""
        if not keep or not (self.here or self.others):
            return keep
        keys = [chunk.keys[i] for i in keep]
        people, active = self._voters({key[2] for key in keys})
        materials, votes = self._materials([key[1] for key in keys]) if self.here else ({}, {})
        kept = []
        for index, key in zip(keep, keys, strict=True):
            faults = self._faults(key, people, active, materials, votes)
            if faults:
                report.note(faults)
            else:
                kept.append(index)
        return kept

    def _faults(
        self,
        key: Key,
        people: dict[str, tuple[int, set[str]]],
        active: dict[tuple[str, str], str],
        materials: dict[str, _Material],
        votes: dict[int, dict[str, Any]],
    ) -> list[RowError]:
        line, identifier, matricule, capacity, bureau, scrutins, identity = key
        faults = []
        if matricule in people:
            stored_identity, elections = people[matricule]
            differ = roll.identity_differences(identity, stored_identity)
            if differ:  # the identity stored is not quoted: it is another election's
                reason = (
                    f"déjà porté par un électeur de {', '.join(sorted(elections))} sous une "
                    f"autre identité ({', '.join(differ)})"
                )
                faults.append(RowError(line, "matricule", reason))
        stored = materials.get(identifier)
        if stored is not None and stored.owner != matricule:
            # The upsert moves the material, with its credentials, its votes and its
            # history, to this row's matricule: a matricule corrected for the same person,
            # not a hand-over to someone else.
            differ = roll.identity_differences(identity, stored.owner_identity)
            if differ:
                reason = (
                    f"le matériel {roll.shorten(identifier)} appartient à un autre électeur "
                    f"(autre {', '.join(differ)}) : un matériel garde son électeur (ses "
                    "codes, ses votes, son historique) ; corrigez le matricule ou "
                    "l'identifiant de la ligne"
                )
                faults.append(RowError(line, "identifiant", reason))
                return faults
        held = active.get((matricule, capacity))
        # A stored material left inactive (substituted) keeps its status: no second active.
        if held not in (None, identifier) and (stored is None or stored.status == "active"):
            reason = (
                f"ce matricule a déjà le matériel {roll.shorten(str(held))} pour la qualité "
                f"« {capacity} » : un matériel garde son identifiant (la plateforme et les "
                "codes délivrés le connaissent sous celui-ci)"
            )
            faults.append(RowError(line, "identifiant", reason))
        if stored is not None and (stored.voted_at is not None or stored.id in votes):
            states = emargement.states_from(self.definition, stored, votes.get(stored.id, {}))
            given = material_scrutins(self.ballots, capacity, bureau, scrutins)
            dropped = [state.id for state in states if state.voted and state.id not in given]
            if dropped:
                faults.append(RowError(line, "scrutins", _dropped(dropped)))
        return faults

    def _voters(
        self, matricules: set[str]
    ) -> tuple[dict[str, tuple[int, set[str]]], dict[tuple[str, str], str]]:
        """Of the voters with these matricules: those of other elections, with their
        identity print and those elections; and the identifier of each active material
        of this election, by matricule and capacity."""
        election, others = self.definition.id, self.others
        people: dict[str, tuple[int, set[str]]] = {}
        active: dict[tuple[str, str], str] = {}
        for matricule, last, first, born, other, capacity, identifier, status in self._rows(
            _VOTERS_SQL, sorted(matricules)
        ):
            if other == election:
                if status == "active":
                    active[(matricule, capacity)] = identifier
            elif other not in others:
                continue  # a purged election
            elif matricule in people:
                people[matricule][1].add(other)
            else:
                people[matricule] = (_identity(last, first, born), {other})
        return people, active

    def _materials(
        self, identifiers: list[str]
    ) -> tuple[dict[str, _Material], dict[int, dict[str, Any]]]:
        """This election's stored materials of these identifiers, and their émargements
        by scrutin: locked (PostgreSQL, in id order as the émargement feed locks them), so
        that no vote is recorded between this check and the row's update."""
        sql = _MATERIALS_SQL
        if self.postgres:
            sql += " ORDER BY m.id FOR UPDATE OF m"
        materials: dict[str, _Material] = {}
        votes: dict[int, dict[str, Any]] = {}
        rows = self._rows(sql, identifiers, self.definition.id)
        for identifier, *values, last, first, born, scrutin, at in rows:
            materials[identifier] = _Material(*values, _identity(last, first, born))
            if scrutin is not None:
                votes.setdefault(values[0], {})[scrutin] = at
        return materials, votes

    def _rows(self, sql: str, values: list[str], *before: str) -> Iterable[Any]:
        """The rows of ``sql`` for ``values`` (its « {among} »), after the parameters
        ``before`` (its « {mark} »)."""
        connection = self.session.connection()
        if self.postgres:
            statement = sql.format(mark="%s", among="= ANY(%s::text[])")
            return connection.exec_driver_sql(statement, (*before, values))
        statement = sql.format(mark="?", among=f"IN ({','.join('?' * len(values))})")
        return connection.exec_driver_sql(statement, (*before, *values))


def _identity(last: str, first: str, born: date | str | None) -> int:
    """A stored voter's identity print, as a row's (SQLite gives the date as text)."""
    if isinstance(born, str):
        born = date.fromisoformat(born)
    return roll.identity_print(normalise_name(last), normalise_name(first), born)


def _dropped(scrutins: list[str]) -> str:
    """Why a row may not take these voted scrutins from its material (worded as
    ``csu election load`` refuses to drop a scrutin in use)."""
    named = ", ".join(f"« {scrutin} »" for scrutin in scrutins)
    if len(scrutins) == 1:
        return (
            f"retire au matériel un scrutin où il a déjà voté : {named} ; gardez-le dans "
            "cette colonne (un émargement ne s'annule pas)"
        )
    return (
        f"retire au matériel des scrutins où il a déjà voté : {named} ; gardez-les dans "
        "cette colonne (un émargement ne s'annule pas)"
    )


def _details(report: ImportReport, skip_invalid: bool) -> dict[str, Any]:
    return {
        "file": report.source,
        "mode": "lignes valides seules" if skip_invalid else "tout ou rien",
        "rows": report.rows,
        "written": report.written,
        "rejected": report.rejected,
        "voters": report.voters,
    }


def _journal_refusal(
    deps: Deps,
    who: OperatorContext,
    report: ImportReport,
    skip_invalid: bool,
    action: str = "roll_import",
) -> None:
    with deps.writing() as session:
        journal.append(
            session,
            actor=who.actor,
            action=action,
            outcome="refusé",
            at=deps.clock(),
            election=report.election,
            details=_details(report, skip_invalid),
        )


# --- votes -----------------------------------------------------------------------

_VOTE_COLUMNS = ("identifiant", "scrutin", "vote_le")


def import_votes(deps: Deps, who: OperatorContext, path: Path, election_id: str) -> ImportReport:
    """Record votes from a file (all or nothing): ``identifiant;scrutin;vote_le`` rows,
    one scrutin each, or ``identifiant;vote_le`` rows, every scrutin of the material.
    Rows for scrutins already voted add nothing (the first vote recorded stays). One
    journal entry records the import, or its refusal (into a purged election included)."""
    require_role(deps, who, "admin")
    require_live_session(deps, who)
    with purged_refusal_journalled(deps, who, "votes_import", election_id, file_name(path)):
        return _import_votes(deps, who, path, election_id)


def _import_votes(deps: Deps, who: OperatorContext, path: Path, election_id: str) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport(source=path.name, election=election_id)
    with deps.reading() as session:
        get_definition(session, election_id)
        refuse_purged(session, election_id, "un fichier d'émargement")
    text, records = _open_csv(path, "Fichier d'émargement")
    with text:
        first = next(records, None)
        if first is None:
            raise ImportFailed(f"{path.name} : fichier vide.")
        header = [name.strip().lower() for name in first[1]]
        missing = [name for name in ("identifiant", "vote_le") if name not in header]
        report.errors = [
            RowError(first[0], name, "colonne obligatoire absente") for name in missing
        ]
        report.errors += [
            RowError(first[0], roll.shorten(name) or "(vide)", "colonne inconnue")
            for name in header
            if name not in _VOTE_COLUMNS
        ]
        if report.errors:
            report.header_refused = True
            _journal_refusal(deps, who, report, False, "votes_import")
            return report
        at_identifier, at_time = header.index("identifiant"), header.index("vote_le")
        at_scrutin = header.index("scrutin") if "scrutin" in header else None
        # (identifier, scrutin or None: all of them) -> (line, vote time): the last wins.
        votes: dict[tuple[str, str | None], tuple[int, datetime]] = {}
        for line, values in records:
            report.rows += 1
            try:
                identifier, when = values[at_identifier].strip(), values[at_time]
                scrutin = values[at_scrutin].strip() if at_scrutin is not None else None
            except IndexError:
                report.note([RowError(line, "(ligne)", "colonnes manquantes")])
                continue
            if at_scrutin is not None and not scrutin:
                report.note([RowError(line, "scrutin", "valeur obligatoire absente")])
                continue
            try:
                roll.parse_identifier(identifier)
                moment = roll.parse_vote_time(when)
            except InvalidValue as error:
                column = "identifiant" if error.field == "Identifiant" else "vote_le"
                report.note([RowError(line, column, error.fault)])
                continue
            votes[(identifier, scrutin)] = (line, moment)
    try:
        with deps.writing() as session:
            definition = get_definition(session, election_id, for_share=True)
            now = deps.clock()
            added, faults = emargement.record_votes(
                session,
                definition,
                [(line, identifier, scrutin, moment)
                 for (identifier, scrutin), (line, moment) in votes.items()],
                now,
                who.login,
            )  # fmt: skip
            report.note(RowError(line, column, message) for line, column, message in faults)
            report.errors.sort(key=lambda error: error.line)
            if report.errors:
                raise _Abort
            report.written = len(votes)
            journal.append(
                session,
                actor=who.actor,
                action="votes_import",
                outcome="ok",
                at=now,
                election=election_id,
                details={"file": report.source, "rows": report.rows, "written": report.written,
                         "emargements": added},
            )  # fmt: skip
        report.committed = True
    except _Abort:
        _journal_refusal(deps, who, report, False, "votes_import")
    report.elapsed = time.perf_counter() - started
    return report
