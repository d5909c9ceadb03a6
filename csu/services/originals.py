"""The originals: the credentials the platform mailed, known to CSU by hash only.

``csu import credentials FILE --election ID`` loads the platform's export,
``identifiant;type;hash[;prefixe_hash]`` (csu.domain.originals), as credentials of the
materials of the roll: active, scheme argon2id, issued by ``original``, without an
intervention. From then on they behave as the cell's own:

- the platform's login checks (csu.services.platform) accept them while active;
- when CSU issues a new credential of that kind, or substitutes the material, the
  original is revoked like any other (« the old key no longer works »);
- the identity check of S3 (first characters of the security key) compares what the
  caller reads out with ``prefixe_hash`` (csu.services.active_credentials.key_prefix_matches).

By default the import is all or nothing: one bad line and nothing is written, every
bad line named with its reason. A line already loaded (same identifier, type and
hash) is counted, not written again, so a file can be loaded twice; a material that
already has a credential of that kind (issued by the cell, or another original) is
refused: an original never takes the place of a newer credential. One journal entry
records the import with its counts; no identifier, no hash.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlmodel import Session, col

from csu.domain import credentials as creds
from csu.domain import originals as rules
from csu.domain import roll
from csu.domain.credential_words import words
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.plural import counted
from csu.domain.roll import RowError
from csu.services.context import Deps, OperatorContext, require_role
from csu.services.elections import get_definition, purged_refusal_journalled, refuse_purged
from csu.services.files import file_name
from csu.services.rolls import ImportFailed, ImportReport, _open_csv
from csu.services.sessions import require_live_session
from csu.store import journal
from csu.store.tables import Credential, Election, Material, OriginalsCost

ACTION = "credentials_import"
ISSUER = "original"  # Credential.issued_by of an original
WHAT = "Fichier des codes d'origine"
REQUIRED = ("identifiant", "type", "hash")
PREFIX_COLUMN = "prefixe_hash"
CHUNK_ROWS = 1_000


@dataclass
class OriginalsReport(ImportReport):
    already: int = 0  # lines loaded by an earlier import, left as they were


@dataclass(frozen=True, slots=True)
class _Line:
    line: int
    identifier: str
    kind: str
    phc: str
    prefix_phc: str | None


class _Abort(Exception):
    pass


def import_originals(
    deps: Deps,
    who: OperatorContext,
    path: Path,
    election_id: str,
    *,
    skip_invalid: bool = False,
) -> OriginalsReport:
    """Loads the hashes of the credentials the platform mailed for ``election_id``."""
    require_role(deps, who, "admin")
    require_live_session(deps, who)
    with purged_refusal_journalled(deps, who, ACTION, election_id, file_name(path)):
        return _import_originals(deps, who, path, election_id, skip_invalid=skip_invalid)


def _import_originals(
    deps: Deps, who: OperatorContext, path: Path, election_id: str, *, skip_invalid: bool
) -> OriginalsReport:
    report = OriginalsReport(source=path.name, election=election_id)
    with deps.reading() as session:
        definition = get_definition(session, election_id)
        refuse_purged(session, election_id, "un fichier des codes d'origine")
    text, records = _open_csv(path, WHAT)
    with text:
        first = next(records, None)
        if first is None:
            raise ImportFailed(f"{path.name} : fichier vide.")
        header = [name.strip().lower() for name in first[1]]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            report.errors = [
                RowError(first[0], name, "colonne obligatoire absente") for name in missing
            ]
            _journal(deps, who, report, skip_invalid, "refusé")
            return report
        at = {name: header.index(name) for name in (*REQUIRED, PREFIX_COLUMN) if name in header}
        now = deps.clock()
        try:
            with deps.writing() as session:
                seen: dict[tuple[str, str], int] = {}
                batch: list[_Line] = []
                costs: set[rules.Cost] = set()  # of the originals written
                for number, values in records:
                    report.rows += 1
                    parsed = _parse(number, values, at, definition, report)
                    if parsed is None:
                        continue
                    earlier = seen.setdefault((parsed.identifier, parsed.kind), number)
                    if earlier != number:
                        report.note([RowError(number, "identifiant",
                                              f"déjà présent ligne {earlier} pour ce type")])
                        continue
                    batch.append(parsed)
                    if len(batch) >= CHUNK_ROWS:
                        costs |= _write(session, definition, batch, report, now)
                        batch = []
                costs |= _write(session, definition, batch, report, now)
                report.errors.sort(key=lambda error: error.line)
                if report.errors and not skip_invalid:
                    raise _Abort
                _record_costs(session, definition.id, costs)
                _append(session, deps, who, report, skip_invalid, "ok")
            report.committed = True
        except _Abort:
            _journal(deps, who, report, skip_invalid, "refusé")
        except ImportFailed:  # too many parameter sets: refused whole, journalled too
            report.written = 0
            _journal(deps, who, report, skip_invalid, "refusé")
            raise
    return report


# ----------------------------------------------------------------------- helpers


def _parse(
    line: int,
    values: list[str],
    at: dict[str, int],
    definition: ElectionDefinition,
    report: OriginalsReport,
) -> _Line | None:
    """One line checked, or None with its faults noted (every column, not the first)."""
    def cell(name: str) -> str:
        position = at.get(name)
        return values[position] if position is not None and position < len(values) else ""

    needed = max(at[name] for name in REQUIRED) + 1
    if len(values) < needed:
        report.note([RowError(line, "(ligne)", f"{needed} colonnes attendues, "
                                               f"{counted(len(values), 'trouvée')}")])
        return None
    faults: list[RowError] = []
    identifier = kind = phc = ""
    prefix: str | None = None
    try:
        identifier = roll.parse_identifier(cell("identifiant").strip())
    except InvalidValue as error:
        faults.append(RowError(line, "identifiant", error.fault))
    try:
        kind = rules.parse_kind(cell("type"), definition.credential_kinds)
    except InvalidValue as error:
        faults.append(RowError(line, "type", roll.shorten(error.fault, 120)))
    try:
        phc = rules.parse_phc(cell("hash"), "hash")
    except InvalidValue as error:
        faults.append(RowError(line, "hash", error.fault))
    if cell(PREFIX_COLUMN).strip():
        try:
            prefix = rules.parse_phc(cell(PREFIX_COLUMN), PREFIX_COLUMN)
        except InvalidValue as error:
            faults.append(RowError(line, PREFIX_COLUMN, error.fault))
        if kind and kind != "security_key":
            faults.append(RowError(line, PREFIX_COLUMN,
                                   "seulement pour une clé de sécurité (cle_securite)"))
    if faults:
        report.note(faults)
        return None
    return _Line(line, identifier, kind, phc, prefix)


def _write(
    session: Session,
    definition: ElectionDefinition,
    batch: list[_Line],
    report: OriginalsReport,
    now: datetime,
) -> set[rules.Cost]:
    """Inserts the lines of ``batch`` that fit their material, and gives the argon2id
    parameters of those; notes the others."""
    if not batch:
        return set()
    materials = {
        m.identifier: m
        for m in session.execute(
            select(Material).where(
                col(Material.election_id) == definition.id,
                col(Material.identifier).in_({line.identifier for line in batch}),
            )
        ).scalars()
    }
    held: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for material_id, kind, digest, issuer in session.execute(
        select(
            col(Credential.material_id), col(Credential.kind), col(Credential.hash),
            col(Credential.issued_by),
        ).where(col(Credential.material_id).in_([m.id for m in materials.values()]))
    ).all():
        held.setdefault((material_id, kind), []).append((digest, issuer))
    rows = []
    for line in batch:
        material = materials.get(line.identifier)
        if material is None:
            report.note([RowError(line.line, "identifiant",
                                  f"identifiant inconnu pour le scrutin {definition.id}")])
            continue
        existing = held.get((material.id or 0, line.kind), [])
        if (line.phc, ISSUER) in existing:
            report.already += 1
        elif existing:
            named = words(line.kind)
            e = named.e
            report.note([RowError(line.line, "type", (
                f"ce matériel a déjà {named.a} (délivré{e} par la cellule ou importé{e} "
                "avec une autre empreinte) : l'original n'est pas chargé"))])
        elif material.status != "active":
            report.note([RowError(line.line, "identifiant",
                                  "matériel remplacé ou invalidé : son original n'a plus cours")])
        else:
            rows.append({
                "material_id": material.id, "kind": line.kind, "scheme": creds.SCHEME_ARGON2,
                "hash": line.phc, "prefix_phc": line.prefix_phc, "status": "active",
                "issued_at": now, "issued_by": ISSUER, "intervention_id": None,
            })  # fmt: skip
    if rows:
        session.execute(insert(Credential), rows)
    report.written += len(rows)
    return {rules.cost_of(row["hash"]) for row in rows}


MAX_COSTS = 4
"""Argon2id parameter sets of one election's originals, at most: each is measured and
has its decoy made once per API process, one after another (up to 256 MiB, t=10 each);
a platform hashes one way, two across a change of its settings."""


def _record_costs(session: Session, election_id: str, costs: set[rules.Cost]) -> None:
    """The election's originals' parameters, those not known yet added: each of its
    login checks holds the argon2 pool as long as the slowest takes (csu.services.platform)."""
    if not costs:
        return
    # The election's row held first: two imports of one election add theirs in turn (both
    # finding a cost missing, both inserting it, the second failed on its key).
    session.execute(select(Election.id).where(Election.id == election_id).with_for_update())
    known = {
        (row.memory_kib, row.time_cost, row.parallelism)
        for row in session.execute(
            select(OriginalsCost).where(col(OriginalsCost.election_id) == election_id)
        ).scalars()
    }
    if len(known | costs) > MAX_COSTS:
        raise ImportFailed(
            f"Les codes d'origine du scrutin {election_id} auraient "
            f"{len(known | costs)} jeux de paramètres argon2id différents ({MAX_COSTS} au "
            "plus) : la plateforme les hache d'une ou deux façons ; rien n'a été écrit."
        )
    for memory, passes, lanes in sorted(costs - known):
        session.add(OriginalsCost(
            election_id=election_id, memory_kib=memory, time_cost=passes, parallelism=lanes
        ))  # fmt: skip


def _details(report: OriginalsReport, skip_invalid: bool) -> dict[str, object]:
    return {
        "file": report.source,
        "mode": "lignes valides seules" if skip_invalid else "tout ou rien",
        "rows": report.rows,
        "written": report.written,
        "already": report.already,
        "rejected": report.rejected,
    }


def _append(
    session: Session,
    deps: Deps,
    who: OperatorContext,
    report: OriginalsReport,
    skip_invalid: bool,
    outcome: str,
) -> None:
    journal.append(
        session,
        actor=who.actor,
        action=ACTION,
        outcome=outcome,
        at=deps.clock(),
        election=report.election,
        details=_details(report, skip_invalid),
    )


def _journal(
    deps: Deps, who: OperatorContext, report: OriginalsReport, skip_invalid: bool, outcome: str
) -> None:
    with deps.writing() as session:
        _append(session, deps, who, report, skip_invalid, outcome)
