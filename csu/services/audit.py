"""Proving the journal intact, and exporting it for the election commission."""

import csv
import json
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
from csu.services.context import Deps, OperatorContext, require_role
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


def verify_journal(deps: Deps, who: OperatorContext) -> ChainCheck:
    """Check the chain, the agreement of index columns with bodies, and the head."""
    require_role(who, "superviseur", "admin")
    with deps.reading() as session, deps.reading() as side:
        # The column check runs in the database while Python checks the hashes.
        with ThreadPoolExecutor(max_workers=1) as pool:
            mismatch = pool.submit(journal.first_column_mismatch, side)
            check = verify_chain(journal.iter_chain(session))
            first_bad_column = mismatch.result()
        head_seq, head_hash = journal.head(session)
    if first_bad_column is not None and (check.ok or first_bad_column < (check.failed_seq or 0)):
        return ChainCheck(
            check.count,
            check.last_hash,
            first_bad_column,
            "colonnes d'index différentes du contenu haché",
        )
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
