"""Proving the journal intact, and exporting it for the election commission."""

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal

from sqlalchemy import select
from sqlmodel import Session

from csu.domain.clock import rfc3339
from csu.domain.hashing import pseudonym
from csu.domain.journal import ChainCheck, verify_chain
from csu.services.context import Deps, OperatorContext, ServiceError, require_role
from csu.store import journal
from csu.store.tables import JournalEntry, Voter

ExportFormat = Literal["jsonl", "csv"]

EXPORT_COLUMNS = (
    "seq",
    "ts",
    "operator",
    "role",
    "workstation",
    "election",
    "matricule",
    "subject",
    "intervention",
    "action",
    "outcome",
    "details",
    "event_id",
    "hash",
)


SPLIT_FROM = 200_000  # entries from which the chain is checked by two processes


def verify_journal(deps: Deps, who: OperatorContext) -> ChainCheck:
    """Check every hash of the chain, the index columns against the hashed bodies,
    and that the last entry is the chain head; name the first entry that fails."""
    require_role(who, "superviseur", "admin")
    with deps.reading() as session:
        head_seq, head_hash = journal.head(session)
    with ThreadPoolExecutor(max_workers=1) as side:
        columns = side.submit(_column_check, deps)
        check = _check_chain(deps, head_seq)
        mismatch = columns.result()
    if mismatch is not None and (check.ok or mismatch[0] < (check.failed_seq or 0)):
        return ChainCheck(check.count, check.last_hash, *mismatch)
    if not check.ok:
        return check
    if check.count < head_seq:
        reason = f"entrées absentes en fin de journal (la tête en annonce {head_seq})"
        return ChainCheck(check.count, check.last_hash, check.count + 1, reason)
    if check.count > head_seq:
        reason = "entrée ajoutée au-delà de la tête du journal"
        return ChainCheck(check.count, check.last_hash, head_seq + 1, reason)
    if check.last_hash != head_hash:
        reason = "dernière empreinte différente de celle de la tête du journal"
        return ChainCheck(check.count, check.last_hash, check.count, reason)
    return check


def _column_check(deps: Deps) -> tuple[int, str] | None:
    with deps.reading() as session:
        return journal.column_check(session)


def _check_chain(deps: Deps, size: int) -> ChainCheck:
    """The chain check; a long journal is cut in two parts checked side by side, the
    tail by a second process (``csu.store.chain``) so that both cores work."""
    if size < SPLIT_FROM:
        with deps.reading() as session:
            return verify_chain(journal.iter_chain(session))
    # The second process starts late by its start-up time: give it a little less.
    middle = int(size * 0.53)
    url = deps.engine.url
    if url.get_backend_name() == "sqlite":
        target = url.database or ""
    else:
        target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    tail = subprocess.Popen(
        [sys.executable, "-m", "csu.store.chain", url.get_backend_name(), target, str(middle + 1)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with deps.reading() as session:
            first = verify_chain(journal.iter_chain(session, stop=middle))
        out, err = tail.communicate()
    finally:
        if tail.poll() is None:
            tail.kill()
    if tail.returncode != 0:
        last = err.strip().splitlines()[-1] if err.strip() else f"code {tail.returncode}"
        raise ServiceError(f"Vérification interrompue : {last}")
    second = ChainCheck(**json.loads(out))
    if not first.ok:
        return first
    if first.count < middle:  # the first part ends early: entries are missing
        reason = f"entrée absente (la suivante porte le n° {first.count + 2} ou plus)"
        return ChainCheck(first.count, first.last_hash, first.count + 1, reason)
    total = first.count + second.count
    if not second.ok:
        return ChainCheck(total, second.last_hash, second.failed_seq, second.reason)
    return ChainCheck(total, second.last_hash if second.count else first.last_hash)


@dataclass(frozen=True, slots=True)
class ExportFilter:
    since: datetime | None = None
    until: datetime | None = None
    operator: str | None = None
    matricule: str | None = None


def export_journal(
    deps: Deps,
    who: OperatorContext,
    out: IO[str],
    *,
    fmt: ExportFormat = "jsonl",
    where: ExportFilter = ExportFilter(),
) -> int:
    """Write the filtered journal to ``out``; returns the number of entries written.

    Pseudonyms are resolved to matricules while the voter still exists; the
    export itself is journalled.
    """
    require_role(who, "superviseur", "admin")
    count = 0
    with deps.reading() as session:
        rows = _export_rows(session, deps.key, where)
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, delimiter=";")
            writer.writeheader()
            for row in rows:
                row["details"] = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
                writer.writerow(row)
                count += 1
        else:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
    with deps.writing() as session:
        journal.append(
            session,
            actor=who.actor,
            action="journal_export",
            outcome="ok",
            at=deps.clock(),
            details={
                "format": fmt,
                "count": count,
                "since": rfc3339(where.since) if where.since else None,
                "until": rfc3339(where.until) if where.until else None,
                "operator": where.operator,
                "matricule": bool(where.matricule),
            },
        )
    return count


def _export_rows(session: Session, key: bytes, where: ExportFilter) -> Iterator[dict[str, Any]]:
    query = select(JournalEntry, Voter.matricule).outerjoin(
        Voter, Voter.pseudonym == JournalEntry.subject
    )
    if where.since is not None:
        query = query.where(JournalEntry.ts >= rfc3339(where.since))
    if where.until is not None:
        query = query.where(JournalEntry.ts < rfc3339(where.until))
    if where.operator:
        query = query.where(JournalEntry.operator == where.operator)
    if where.matricule:
        query = query.where(JournalEntry.subject == pseudonym(key, where.matricule))
    result = session.execute(
        query.order_by(JournalEntry.seq), execution_options={"yield_per": 5_000}
    )
    for entry, matricule in result:
        fields = journal.entry_fields(entry)
        fields["matricule"] = matricule
        yield {name: fields.get(name) for name in EXPORT_COLUMNS}


def journal_size(deps: Deps) -> int:
    with deps.reading() as session:
        return journal.head(session)[0]
