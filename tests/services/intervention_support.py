"""A desk ready for calls: three elections, a small roll, presidents, an outbox, a clock.

The store is prepared once per test session (migrations, minint-2022, men-2022 and
men-2011 loaded, a generated roll of 21 + 6 + 4 voters imported, presidents created),
then copied
for each test: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
Services run with a fast argon2 hasher and a clock the test moves.
Test modules import the ``desk`` fixture explicitly::

    from tests.services.intervention_support import desk_fixture  # noqa: F401
"""

import json
import os
import re
import shutil
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select

from csu.delivery import Message
from csu.delivery.folder import FolderDelivery
from csu.domain.clock import fixed_clock
from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services.context import Deps, OperatorContext
from csu.services.credentials import IssuedCredential, confirm_read_out, issue_credential
from csu.services.elections import load_election
from csu.services.interventions import OpenIntervention, open_intervention
from csu.services.operators import add_operator, disable_operator
from csu.services.rolls import import_voters, import_votes
from csu.services.verification import verify_identity
from csu.store import journal, sequencer
from csu.store.engine import make_engine
from csu.store.tables import JournalEntry, Material, Voter
from tests.compiled_once import compiled_once
from tests.conftest import ADMIN, AGENT, NOW, TEST_KEY, PostgresServer, sqlite_engine
from tests.fakes import FAST_HASHER, Clock
from tests.pg_recycle import RecycledDatabases

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
OPERATOR_PASSWORD = "mot-de-passe-long"

MININT_BUREAUS = ("B-NORD", "B-SUD")
MEN_BUREAUS = ("MEN-LILLE",)
MEN_2011_BUREAUS = ("MEN11-PARIS",)
MEN_2011_OPEN = datetime(2011, 10, 17, 8, 0, tzinfo=UTC)
"""A Monday of the 2011 vote, 10:00 in Paris: men-2011 tests set the desk's clock there."""

AGENT_2 = OperatorContext(login="agent2", role="agent", workstation="poste-2")
PRESIDENT_NORD = OperatorContext(
    login="pres.nord", role="president", workstation="bureau-nord", bureau="B-NORD"
)
PRESIDENT_SUD = OperatorContext(
    login="pres.sud", role="president", workstation="bureau-sud", bureau="B-SUD"
)
DISABLED_PRESIDENT = "pres.ancien"  # presided B-NORD, now disabled




class Outbox(FolderDelivery):
    """The local outbox, remembering the files it wrote, in order."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.sent: list[Path] = []

    def send(self, message: Message) -> str:
        name = super().send(message)
        self.sent.append(self.folder / name)
        return name

    def last_sms(self) -> dict[str, Any]:
        path = self.sent[-1]
        assert path.suffix == ".json", path
        return json.loads(path.read_text(encoding="utf-8"))

    def last_email(self) -> EmailMessage:
        path = self.sent[-1]
        assert path.suffix == ".eml", path
        parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(parsed, EmailMessage)
        return parsed

    def last_code(self) -> str:
        """The six-digit code of the last message, as the voter reads it."""
        path = self.sent[-1]
        text = (
            self.last_sms()["text"]
            if path.suffix == ".json"
            else str(self.last_email().get_content())
        )
        found = re.findall(r"\b\d{6}\b", text)
        assert len(found) == 1, text
        return found[0]


@dataclass(frozen=True)
class Caller:
    """A voter of the prepared roll, with what they know in clear (the roll's row)."""

    election: str
    voter_id: int
    material_id: int
    row: dict[str, str]

    @property
    def matricule(self) -> str:
        return self.row["matricule"]

    @property
    def identifier(self) -> str:
        return self.row["identifiant"]

    @property
    def bureau(self) -> str:
        return self.row["bureau"]

    @property
    def birth_date(self) -> date:
        return datetime.strptime(self.row["date_naissance"], "%d/%m/%Y").date()

    def phone_answers(self) -> dict[str, str]:
        """minint-2022 phone set 1: date of birth, agent card head, IBAN tail."""
        return {
            "birth_date": self.row["date_naissance"],
            "agent_card": self.row["carte_agent"][:6],
            "iban": self.row["iban"][-6:],
        }

    def education_answers(self) -> dict[str, str]:
        """men-2022 phone set 1: challenge answer and NUMEN."""
        return {"challenge_answer": self.row["reponse_defi"], "numen": self.row["numen"]}

    def without_notice_answers(self) -> dict[str, str]:
        """men-2011 (seed 003): NUMEN and département of birth (NIR characters 6-7)."""
        return {"numen": self.row["numen"], "birth_department": self.row["nir"][5:7]}


@dataclass(frozen=True)
class Roll:
    """Who is on the prepared roll."""

    caller: Caller  # minint-2022, B-NORD, every field filled
    neighbour: Caller  # minint-2022, B-NORD too
    southerner: Caller  # minint-2022, B-SUD
    unreachable: Caller  # minint-2022, no mobile and no e-mail address on record
    teacher: Caller  # men-2022, with a mobile
    without_notice: Caller  # men-2011 (seed 003), NUMEN, NIR and professional address
    other_without_notice: Caller  # men-2011 too


@dataclass
class Desk:
    """One test's store, clock and outbox, and the voters on its roll."""

    deps: Deps
    clock: Clock
    outbox: Outbox
    roll: Roll
    tmp_path: Path

    @property
    def caller(self) -> Caller:
        return self.roll.caller

    @property
    def neighbour(self) -> Caller:
        return self.roll.neighbour

    @property
    def southerner(self) -> Caller:
        return self.roll.southerner

    @property
    def unreachable(self) -> Caller:
        return self.roll.unreachable

    @property
    def teacher(self) -> Caller:
        return self.roll.teacher

    @property
    def without_notice(self) -> Caller:
        return self.roll.without_notice


# ------------------------------------------------------------------ preparation


def _pick(rows: list[dict[str, str]], *needed: str, bureau: str, skip: int = 0) -> dict:
    fitting = [r for r in rows if r["bureau"] == bureau and all(r[name] for name in needed)]
    return fitting[skip]


def _populate(engine: Engine, work: Path) -> Roll:
    deps = Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW), hasher=FAST_HASHER)
    # The 21st voter has neither mobile nor e-mail address on record.
    unreachable = next(generate_roll("minint-2022", 1, start=20, bureaus=MININT_BUREAUS))
    unreachable |= {"telephone_mobile": "", "email_pro": ""}
    rolls = {
        "minint-2022": [*generate_roll("minint-2022", 20, bureaus=MININT_BUREAUS), unreachable],
        "men-2022": list(generate_roll("men-2022", 6, bureaus=MEN_BUREAUS)),
        "men-2011": list(generate_roll("men-2011", 4, bureaus=MEN_2011_BUREAUS)),
    }
    for election, rows in rolls.items():
        text = (ELECTIONS / f"{election}.toml").read_text(encoding="utf-8")
        load_election(deps, ADMIN, text, f"{election}.toml")
        path = work / f"{election}.csv"
        write_roll_csv(rows, path)
        report = import_voters(deps, ADMIN, path, election)
        assert report.committed, report.errors
    for login, bureau in (("pres.nord", "B-NORD"), ("pres.sud", "B-SUD")):
        add_operator(deps, ADMIN, login, role="president", password=OPERATOR_PASSWORD,
                     bureau=bureau)
    add_operator(deps, ADMIN, DISABLED_PRESIDENT, role="president",
                 password=OPERATOR_PASSWORD, bureau="B-NORD")
    disable_operator(deps, ADMIN, DISABLED_PRESIDENT, reason="mandat terminé")

    everything = ("telephone_pro", "telephone_mobile", "carte_agent", "iban", "email_pro")
    minint = rolls["minint-2022"]
    chosen = {
        "caller": ("minint-2022", _pick(minint, *everything, bureau="B-NORD")),
        "neighbour": ("minint-2022", _pick(minint, *everything, bureau="B-NORD", skip=1)),
        "southerner": ("minint-2022", _pick(minint, *everything, bureau="B-SUD")),
        "unreachable": ("minint-2022", unreachable),
        "teacher": (
            "men-2022",
            _pick(rolls["men-2022"], "telephone_mobile", "numen", "nir", "reponse_defi",
                  bureau="MEN-LILLE"),
        ),
        "without_notice": (
            "men-2011",
            _pick(rolls["men-2011"], "numen", "nir", "email_pro", bureau="MEN11-PARIS"),
        ),
        "other_without_notice": (
            "men-2011",
            _pick(rolls["men-2011"], "numen", "nir", "email_pro", bureau="MEN11-PARIS", skip=1),
        ),
    }
    callers = {}
    with deps.reading() as session:
        for name, (election, row) in chosen.items():
            voter = session.execute(
                select(Voter).where(Voter.matricule == row["matricule"])
            ).scalar_one()
            material = session.execute(
                select(Material).where(
                    Material.voter_id == voter.id, Material.election_id == election
                )
            ).scalar_one()
            callers[name] = Caller(election, voter.id or 0, material.id or 0, row)
    return Roll(**callers)


@dataclass
class _Prepared:
    roll: Roll
    sqlite_file: Path | None = None
    postgres: "_PostgresCopies | None" = None


_prepared: dict[str, _Prepared] = {}


def _prepared_sqlite(factory: pytest.TempPathFactory) -> _Prepared:
    if "sqlite" not in _prepared:
        folder = factory.mktemp("prepared-desk")
        engine = sqlite_engine(folder)
        roll = _populate(engine, folder)
        with engine.connect() as connection:  # everything in the main file, for copying
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _prepared["sqlite"] = _Prepared(roll, sqlite_file=folder / "csu.sqlite")
    return _prepared["sqlite"]


class _PostgresCopies:
    """Copies of a prepared database: a few made ahead of need, and each reset after its
    test to serve the next (tests.pg_recycle).

    A ``CREATE DATABASE ... TEMPLATE`` waits ~0.25 s on the server's disk: threads keep a
    few copies ready for the tests that find no reset one (the first ones, and those
    after a test that changed the schema), so a test does not wait for it.
    """

    AHEAD = 2

    def __init__(self, server: PostgresServer, folder: Path) -> None:
        self.admin = create_engine(server.url, isolation_level="AUTOCOMMIT", pool_size=self.AHEAD)
        self.copies = RecycledDatabases(
            self.admin, server.url, f"csu_desk_tpl_{os.getpid()}", f"csu_desk_{os.getpid()}"
        )
        self.executor = ThreadPoolExecutor(self.AHEAD, thread_name_prefix="pg-copies")
        self.roll = self.copies.prepare_template(lambda engine: _populate(engine, folder))
        self.ready: deque[Future[str]] = deque(self._copy() for _ in range(self.AHEAD))

    def _copy(self) -> "Future[str]":
        return self.executor.submit(self.copies.copy)

    def take(self) -> str:
        spare = self.copies.take_spare()
        if spare is not None:
            return spare
        name = self.ready.popleft().result()
        self.ready.append(self._copy())
        return self.copies.url_of(name)

    def release(self, url: str) -> None:
        self.copies.give_back(url)

    def close(self) -> None:
        for pending in self.ready:
            pending.cancel()
        self.executor.shutdown(wait=True)
        self.copies.close()
        self.admin.dispose()


def _prepared_postgres(
    request: pytest.FixtureRequest, factory: pytest.TempPathFactory
) -> _Prepared:
    if "postgresql" not in _prepared:
        server: PostgresServer = request.getfixturevalue("postgres_server")  # may skip
        copies = _PostgresCopies(server, factory.mktemp("prepared-desk-pg"))
        request.session.addfinalizer(copies.close)  # see RecycledDatabases.prepare_template
        _prepared["postgresql"] = _Prepared(copies.roll, postgres=copies)
    return _prepared["postgresql"]


@pytest.fixture(
    name="desk", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def desk_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """A copy of the prepared store, on SQLite and on PostgreSQL."""
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    if request.param == "sqlite":
        prepared = _prepared_sqlite(factory)
        assert prepared.sqlite_file is not None
        shutil.copyfile(prepared.sqlite_file, tmp_path / "csu.sqlite")
        url = f"sqlite:///{tmp_path / 'csu.sqlite'}"
    else:
        prepared = _prepared_postgres(request, factory)
        assert prepared.postgres is not None
        url = prepared.postgres.take()
    if prepared.postgres is None:
        engine = compiled_once(make_engine(url))
    else:  # a test's database need not survive a crash: commits need not wait for the disk
        engine = compiled_once(
            make_engine(url, connect_args={"options": "-c synchronous_commit=off"})
        )
    clock = Clock(NOW)
    outbox = Outbox(tmp_path / "outbox")
    deps = Deps(engine=engine, key=TEST_KEY, clock=clock, hasher=FAST_HASHER, delivery=outbox)
    yield Desk(deps=deps, clock=clock, outbox=outbox, roll=prepared.roll, tmp_path=tmp_path)
    engine.dispose()
    if prepared.postgres is not None:
        prepared.postgres.release(url)


# ---------------------------------------------------------------------- helpers


def entries(
    deps: Deps, action: str | None = None, intervention: str | None = None
) -> list[dict[str, Any]]:
    """Journal entries (as their hashed bodies say), oldest first, once every queued
    entry is chained (PostgreSQL: the sequencer may still hold some after threads)."""
    if deps.engine.dialect.name == "postgresql":
        assert sequencer.settle(deps.engine)
    with deps.reading() as session:
        rows = session.execute(select(JournalEntry).order_by(JournalEntry.seq)).scalars().all()
        found = [journal.entry_fields(row) for row in rows]
    return [
        e
        for e in found
        if (action is None or e["action"] == action)
        and (intervention is None or e["intervention"] == intervention)
    ]


_HEX_TOKENS = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{64}")


def bodies(deps: Deps) -> str:
    """Every journal body, as one text: to prove something never reached it.

    Event ids and pseudonyms (uuids, hex hashes) are blanked out: by chance they may hold
    the six digits of a code or an IBAN tail, and they are no typed value.
    """
    with deps.reading() as session:
        rows = session.execute(select(JournalEntry.body)).scalars().all()
    return _HEX_TOKENS.sub("#", "\n".join(body.decode() for body in rows))


def open_call(
    desk: Desk,
    caller: Caller,
    who: OperatorContext = AGENT,
    channel: str = "phone",
    **options: Any,
) -> OpenIntervention:
    return open_intervention(desk.deps, who, caller.voter_id, channel, **options)


def verified_call(desk: Desk, caller: Caller, who: OperatorContext = AGENT) -> str:
    """An intervention by phone on ``caller``, identity verified (minint set 1)."""
    call = open_call(desk, caller, who)
    assert verify_identity(desk.deps, who, call.id, caller.phone_answers()).verified
    return call.id


def handed_over(
    deps: Deps, who: OperatorContext, call_id: str, material_id: int, kind: str
) -> IssuedCredential:
    """A credential issued and read to the caller, the operator confirming it as the
    window asks: the call can then be closed « résolu » without a note."""
    issued = issue_credential(deps, who, call_id, material_id, kind)
    confirm_read_out(deps, who, call_id, issued.credential_id)
    return issued


def call_with_key(desk: Desk, who: OperatorContext = AGENT) -> str:
    """A verified call on the desk's caller, who was just issued a security key."""
    call = verified_call(desk, desk.caller, who)
    issue_credential(desk.deps, who, call, desk.caller.material_id, "security_key")
    return call


def in_person_call(desk: Desk, caller: Caller, president: OperatorContext) -> str:
    """A president's own intervention, identity card seen."""
    call = open_call(desk, caller, president, channel="president")
    result = verify_identity(desk.deps, president, call.id, {"in_person": "cni:4821"})
    assert result.verified, result.message
    return call.id


def mark_voted(desk: Desk, caller: Caller, at: str = "02/12/2022 10:15") -> None:
    """The platform's vote export says the caller's material was used."""
    path = desk.tmp_path / "votes.csv"
    path.write_text(f"identifiant;vote_le\n{caller.identifier};{at}\n", encoding="utf-8")
    assert import_votes(desk.deps, ADMIN, path, caller.election).committed


def wrong(value: str) -> str:
    """Another value of the same shape: each digit and letter moved on by one; a date,
    a year and a day earlier (moved on digit by digit, « 13/12/1984 » read « 24/23/2095 »,
    no date at all: a format fault, which counts no failure)."""
    try:
        day = datetime.strptime(value, "%d/%m/%Y")
    except ValueError:
        pass
    else:
        return (day - timedelta(days=366)).strftime("%d/%m/%Y")

    def shift(char: str) -> str:
        if char.isdigit():
            return str((int(char) + 1) % 10)
        if char.isalpha() and char.isascii():
            base = ord("A") if char.isupper() else ord("a")
            return chr(base + (ord(char) - base + 1) % 26)
        return char

    return "".join(shift(c) for c in value)
