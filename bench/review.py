"""The supervisor's journal review on N entries: first page and count for several filters,
and the export of the whole journal in each format beside a bare read of its rows.

The journal is built once per size and database (kept in bench/.cache for SQLite, in
the database ``csu_bench_review_<N>`` for PostgreSQL): eight days of a cell of 40
agents, mostly interventions (open, consultation, verification, issue, read out,
close) on 100,000 voters of three elections, with searches, logins and refusals.
``python -m bench.review 1000000 [postgresql://...]``.
"""

import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.common import CACHE, KEY, line, median_ms
from csu.domain.clock import fixed_clock
from csu.domain.hashing import pseudonym
from csu.services.audit import export_journal
from csu.services.context import Deps, OperatorContext
from csu.services.journal_review import ReviewFilter, count_entries, search_journal
from csu.store import journal
from csu.store.engine import make_engine, normalise_url
from csu.store.journal import Actor
from csu.store.migrate import current_revision, head_revision, upgrade
from csu.store.tables import Voter

SUPERVISOR = OperatorContext(login="sup-bench", role="superviseur", workstation="bench")
START = datetime(2022, 11, 24, 7, 0, tzinfo=UTC)
SPAN = timedelta(days=8)
VOTERS = 100_000
AGENTS = tuple(f"agent{n:02d}" for n in range(1, 41))
ELECTIONS = ("minint-2022", "men-2022", "cci-hdf-2021")
BATCH = 10_000


def matricule(number: int) -> str:
    return f"M{number:07d}"


@dataclass
class _Desk:
    """One agent's intervention under way: the steps still to write."""

    steps: list[tuple[str, str, dict[str, Any]]]
    election: str
    subject: str
    intervention: str


def _intervention(rng: random.Random, aliases: list[str]) -> _Desk:
    verified = rng.random() < 0.85
    tried = ["birth_date", rng.choice(["iban", "agent_card", "numen", "nir10"])]
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("intervention_open", "ok", {"channel": "phone", "caller": "+33 1 ** ** ** 78"}),
        ("consultation", "ok", {"materials": 1, "interventions": 0}),
        (
            "verification",
            "vérifié" if verified else "non vérifié",
            {
                "channel": "phone",
                "factors_tried": tried,
                "factors_failed": [] if verified else tried[1:],
            },
        ),
    ]
    if verified:
        kind = rng.choice(["security_key", "password", "password"])
        steps += [
            ("credential_issue", "ok", {"kind": kind, "material": "ID123", "scheme": "argon2id"}),
            ("credential_read_out", "ok", {"kind": kind, "credential": rng.randrange(10**6)}),
        ]
    outcome = "résolu" if verified else rng.choice(["refusé", "escaladé", "abandonné"])
    steps.append(("intervention_close", outcome, {}))
    steps.reverse()  # popped from the end
    return _Desk(
        steps=steps,
        election=rng.choice(ELECTIONS),
        subject=rng.choice(aliases),
        intervention=str(uuid.UUID(int=rng.getrandbits(128))),
    )


def _entries(count: int, seed: int = 6) -> Iterator[dict[str, Any]]:
    """The journal's entries in order: interventions interleaved across the agents,
    searches, logins; times spread over eight days, a little out of order as when
    several workstations append."""
    rng = random.Random(seed)
    aliases = [pseudonym(KEY, matricule(n)) for n in range(VOTERS)]
    desks: dict[str, _Desk] = {}
    step = SPAN / count
    for number in range(count):
        at = START + step * number + timedelta(seconds=rng.uniform(-2, 0))
        agent = rng.choice(AGENTS)
        draw = rng.random()
        if draw < 0.12:
            yield {
                "actor": agent,
                "at": at,
                "action": "recherche",
                "outcome": "ok",
                "details": {"query": "DU***", "results": rng.randrange(5)},
            }
            continue
        if draw < 0.14:
            action = rng.choice(["login", "logout"])
            outcome = "ok" if rng.random() < 0.9 or action == "logout" else "refusé"
            yield {"actor": agent, "at": at, "action": action, "outcome": outcome, "details": {}}
            continue
        desk = desks.get(agent)
        if desk is None or not desk.steps:
            desk = desks[agent] = _intervention(rng, aliases)
        action, outcome, details = desk.steps.pop()
        yield {"actor": agent, "at": at, "action": action, "outcome": outcome,
               "details": details, "election": desk.election, "subject": desk.subject,
               "intervention": desk.intervention}  # fmt: skip


def fill(deps: Deps, count: int) -> None:
    started = time.perf_counter()
    with deps.writing() as session:
        session.execute(
            insert(Voter),
            [
                {
                    "matricule": matricule(n),
                    "pseudonym": pseudonym(KEY, matricule(n)),
                    "last_name": f"Nom{n}",
                    "first_name": "Prénom",
                    "search_name": f"nom{n}",
                    "search_name_rev": f"prenom nom{n}",
                    "updated_at": START,
                }
                for n in range(VOTERS)
            ],
        )
    batch: list[dict[str, Any]] = []
    for entry in _entries(count):
        batch.append(entry)
        if len(batch) == BATCH:
            _append(deps, batch)
            batch = []
    if batch:
        _append(deps, batch)
    line(f"(filled {count:,} entries)", f"{time.perf_counter() - started:.0f} s")


def _append(deps: Deps, batch: list[dict[str, Any]]) -> None:
    with deps.writing() as session:
        for entry in batch:
            journal.append(
                session,
                actor=Actor(operator=entry["actor"], role="agent", workstation="poste-bench"),
                action=entry["action"],
                outcome=entry["outcome"],
                at=entry["at"],
                election=entry.get("election"),
                subject=entry.get("subject"),
                intervention=entry.get("intervention"),
                details=entry["details"],
            )


def sqlite_journal(count: int) -> Deps:
    path = CACHE / f"review-{count}.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(START + SPAN))
    _ensure(deps, count)
    return deps


def postgres_journal(url: str, count: int) -> Deps:
    """A database of its own on the server at ``url``, created once."""
    url = normalise_url(url)
    name = f"csu_bench_review_{count}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    deps = Deps(engine=engine, key=KEY, clock=fixed_clock(START + SPAN))
    _ensure(deps, count)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # As autovacuum would by then (this server may run without it).
        conn.exec_driver_sql("VACUUM ANALYZE journal_entry, journal_queue")
    return deps


def _ensure(deps: Deps, count: int) -> None:
    """Builds the journal unless a complete one is there; migrates an older one."""
    if current_revision(deps.engine) != head_revision():
        upgrade(deps.engine)
    with deps.reading() as session:
        size = journal.head(session)[0]
    if size == 0:
        fill(deps, count)
    elif size < count:
        raise SystemExit(f"incomplete bench journal ({size:,} entries): delete it and rerun")


def filters(deps: Deps) -> list[tuple[str, ReviewFilter]]:
    """Filters a supervisor would use, from the broadest to the narrowest."""
    day = START + timedelta(days=6)
    with deps.reading() as session:
        middle = journal.head(session)[0] // 2
        intervention = session.execute(
            text(
                "SELECT intervention FROM journal_entry WHERE seq >= :middle "
                "AND intervention IS NOT NULL ORDER BY seq LIMIT 1"
            ),
            {"middle": middle},
        ).scalar()
    return [
        ("no filter", ReviewFilter()),
        ("election", ReviewFilter(election="men-2022")),
        ("action", ReviewFilter(action="credential_issue")),
        ("outcome (rare)", ReviewFilter(outcome="refusé")),
        ("operator", ReviewFilter(operator="agent07")),
        ("matricule", ReviewFilter(matricule=matricule(4242))),
        ("intervention", ReviewFilter(intervention=intervention)),
        ("one day", ReviewFilter(since=day, until=day + timedelta(days=1))),
        ("first day", ReviewFilter(since=START, until=START + timedelta(days=1))),
        ("the whole eight days", ReviewFilter(since=START, until=START + SPAN + SPAN)),
        ("one hour, operator", ReviewFilter(since=day, until=day + timedelta(hours=1),
                                            operator="agent07")),
        ("operator + action", ReviewFilter(operator="agent07", action="verification")),
        ("operator + outcome", ReviewFilter(operator="agent07", outcome="non vérifié")),
        ("election + action + outcome", ReviewFilter(
            election="cci-hdf-2021", action="intervention_close", outcome="escaladé")),
        ("day 2, election, action", ReviewFilter(
            since=START + timedelta(days=1), until=START + timedelta(days=2),
            election="men-2022", action="credential_issue")),
        ("nothing matches", ReviewFilter(operator="personne")),
    ]  # fmt: skip


def _time(function: Callable[[], object], repeat: int = 5) -> float:
    function()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


def measure(deps: Deps, label: str) -> None:
    print(f"Journal review, {label}")
    for name, where in filters(deps):
        page = _time(partial(search_journal, deps, SUPERVISOR, where))
        count = _time(partial(count_entries, deps, SUPERVISOR, where), repeat=3)
        found = count_entries(deps, SUPERVISOR, where)
        line(f"{name} ({found:,})", f"{page:7.1f} / {count:7.1f} ms", "page < 200 ms / count")


_BARE_EXPORT = (
    "SELECT e.seq, e.body, e.hash, v.matricule FROM journal_entry e "
    "LEFT JOIN voter v ON v.pseudonym = e.subject ORDER BY e.seq"
)


def bare_export(deps: Deps) -> int:
    """The anchor of an export: the same rows, in the same order, read on the driver's
    cursor (server-side on PostgreSQL) and written out as they come, body verbatim."""
    raw = deps.engine.raw_connection()
    try:
        sqlite = deps.engine.dialect.name == "sqlite"
        cursor = raw.cursor() if sqlite else raw.driver_connection.cursor(name="bare_export")
        count = 0
        with open(os.devnull, "w", encoding="utf-8") as out:
            cursor.execute(_BARE_EXPORT)
            for seq, body, chained, matricule in cursor:
                out.write(f"{seq};{chained};{matricule or ''};{bytes(body).decode()}\n")
                count += 1
        cursor.close()
        raw.commit()
        return count
    finally:
        raw.close()


def measure_export(deps: Deps) -> None:
    """The whole journal exported (``csu audit export``, the review's export), each
    format once, beside the bare read of the same rows."""
    started = time.perf_counter()
    count = bare_export(deps)
    bare = time.perf_counter() - started
    line(
        f"anchor: the export's rows read bare ({count:,})",
        f"{bare:.1f} s",
        f"{count / bare:,.0f} entries/s",
    )
    for fmt in ("jsonl", "csv"):
        started = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as out:
            written = export_journal(deps, SUPERVISOR, out, fmt=fmt)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        line(
            f"export of the whole journal, {fmt.upper()}",
            f"{elapsed:.1f} s",
            f"{written / elapsed:,.0f} entries/s, {elapsed / bare:.1f} x the anchor",
        )


def main(entries: int = 1_000_000, postgres: str | None = None) -> None:
    deps = sqlite_journal(entries)
    measure(deps, f"{entries:,} entries, SQLite (first page / count)")
    measure_export(deps)
    if postgres:
        deps = postgres_journal(postgres, entries)
        measure(deps, f"{entries:,} entries, PostgreSQL")
        measure_export(deps)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
