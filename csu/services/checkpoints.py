"""Signed checkpoints of the journal, and holding the journal up against them.

A checkpoint is the RFC 6962 Merkle tree head of the first ``size`` entries, signed
with the cell's Ed25519 key as a C2SP tlog-checkpoint note (csu.domain.checkpoint).
An auditor keeps the note and the public key; later, ``csu audit verify --checkpoint
--public-key`` shows that those entries are still there, unchanged, in the same order.

The private key lives in a file outside the database (mode 0600): whoever holds only
the database cannot sign a checkpoint for a rewritten journal.
"""

import json
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select, text
from sqlmodel import Session

from csu.domain.checkpoint import Checkpoint, NoteError, NoteSigner, NoteVerifier
from csu.domain.clock import parse_rfc3339, to_paris
from csu.domain.journal import ChainCheck
from csu.domain.numbers import french_number
from csu.domain.plural import counted
from csu.services.audit import (
    ChainProof,
    Progress,
    SetAside,
    chain_head,
    foreign_queue_rows,
    prove_chain,
    said_faults,
    set_aside_entries,
)
from csu.services.context import Deps, OperatorContext, ServiceError, require_role
from csu.services.files import KIB, UnreadableFile, describe_os_error, read_text
from csu.services.sessions import require_live_in, require_live_session
from csu.store import journal
from csu.store.cells import ReadRow, read_rows
from csu.store.journal import Actor
from csu.store.tables import Checkpoint as CheckpointRow
from csu.store.tables import JournalEntry

T = TypeVar("T")
# A key is one line of about a hundred characters, a note a few lines: files much
# larger are not what they are said to be (and are not read whole).
MAX_KEY_BYTES = 4 * KIB
MAX_NOTE_BYTES = 64 * KIB
ACTION = "journal_checkpoint"
SYSTEM = "système"
_log = logging.getLogger(__name__)  # the operator named in the entries of automatic checkpoints


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """Automatic signing by the terminal (settings ``CSU_CHECKPOINT_*``)."""

    signer: NoteSigner
    origin: str
    every_entries: int = 1000
    every_minutes: float = 60


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    size: int
    root: bytes
    origin: str
    key_name: str
    key_id: str  # hex
    note: str
    created_at: datetime
    created_by: str


# --- keys -------------------------------------------------------------------------


def create_key_pair(path: Path, name: str) -> NoteSigner:
    """Write a new private key to ``path`` (mode 0600) and its public key to
    ``path.pub``; an existing file is never overwritten."""
    signer = NoteSigner.generate(_key_name(name))
    public = path.with_name(path.name + ".pub")
    for target in (path, public):
        if target.exists():
            raise ServiceError(f"{target} existe déjà : il n'est pas remplacé.")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.private_text() + "\n")
    public.write_text(f"{signer.verifier}\n", encoding="utf-8")
    return signer


def load_signer(path: Path) -> NoteSigner:
    """The private key of ``path``, refused when it is not one (a public key, say) or
    when others may read the file."""
    try:
        content = read_text(path, "Clé de signature", MAX_KEY_BYTES)
        mode = path.stat().st_mode
    except UnreadableFile as error:
        if error.missing:
            raise ServiceError(
                f"Clé de signature introuvable : {path}. Créez-la avec « csu audit keygen »."
            ) from None
        raise
    except OSError as error:
        reason = describe_os_error(error)
        raise ServiceError(f"Clé de signature illisible : {path} ({reason}).") from None
    # Its form first: a public key given here (the .pub beside it) is that mistake, and
    # no chmod would cure it.
    signer = _key(lambda: NoteSigner.parse(content), path)
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ServiceError(
            f"Clé de signature {path} lisible par d'autres comptes : "
            f"restreignez-la (chmod 600 {path})."
        )
    return signer


def load_verifier(value: str) -> NoteVerifier:
    """A public key given as is (``name+hash+key``) or as the file that holds it."""
    candidate = value.strip()
    if candidate.count("+") >= 2 and not _names_a_file(candidate):
        return _key(lambda: NoteVerifier.parse(candidate))
    path = Path(candidate)
    try:
        text = read_text(path, "Clé publique", MAX_KEY_BYTES).strip()
    except UnreadableFile as error:
        if error.missing:
            raise ServiceError(
                f"Clé publique introuvable : « {_shown(value)} » n'est ni une clé ni un fichier."
            ) from None
        raise
    return _key(lambda: NoteVerifier.parse(text), path)


def read_note(path: Path) -> str:
    """The signed checkpoint note in the file ``path`` (a small regular UTF-8 file),
    checked for its form only: its signature is checked against a key later."""
    note = read_text(path, "Point de contrôle", MAX_NOTE_BYTES)
    try:
        Checkpoint.read(note)
    except NoteError as error:
        raise ServiceError(f"Point de contrôle {path} : {error}") from None
    return note


def _names_a_file(candidate: str) -> bool:
    """Whether a value that looks like a key is rather the path of an existing file
    (a path may hold « + »); an unusable path (too long, NUL byte) names none."""
    try:
        return Path(candidate).exists()
    except (OSError, ValueError):
        return False


def _shown(value: str) -> str:
    value = value.replace("\x00", "\\0")
    return value if len(value) <= 200 else value[:199] + "…"


def _key(parse: Callable[[], T], path: Path | None = None) -> T:
    try:
        return parse()
    except NoteError as error:
        where = f"{path} : " if path is not None else ""
        raise ServiceError(f"{where}{error}") from None


def _key_name(name: str) -> str:
    return _key(lambda: NoteSigner.generate(name).name)


# --- signing ----------------------------------------------------------------------


def sign_checkpoint(
    deps: Deps, who: OperatorContext, signer: NoteSigner, origin: str | None = None
) -> SignedCheckpoint:
    """Sign the journal as it stands (every entry so far), store the note and journal
    it. Refused when the journal does not check: a checkpoint vouches for it. The
    whole chain is checked, and every checkpoint the journal or the base holds is held
    up against it: a checkpoint whose rows were deleted, or an earlier one the journal
    no longer matches, never lets the key sign a rewritten history."""
    require_role(deps, who, "superviseur", "admin")
    signed = _sign(deps, who.actor, signer, origin or signer.name, automatic=False, who=who)
    assert signed is not None
    return signed


def sign_due_checkpoint(
    deps: Deps, policy: CheckpointPolicy, workstation: str
) -> SignedCheckpoint | None:
    """The terminal's periodic job: sign when ``every_entries`` entries came since the
    last checkpoint, or ``every_minutes`` passed with new entries; else nothing.

    A refusal (the journal does not check) is journalled (action ``journal_checkpoint``,
    outcome « refusé », with its reason), logged, and raised (:class:`ServiceError`): the
    terminal tells whoever is logged in. No new try before ``every_minutes``: each try
    checks the whole journal. A chain head that cannot be read (a hand on a SQLite file)
    is refused at each try without being journalled: no entry can be chained after it."""
    now = deps.clock()
    with deps.reading() as session:
        read_head = chain_head(session)
        head = read_head.seq
        last = _latest_row(session, policy.signer.key_id.hex())
        refused = _last_refusal(session)
    if read_head.fault is not None:
        _log.warning("automatic checkpoint refused: %s", read_head.fault)
        raise CheckpointRefused(read_head.fault)
    if refused is not None and now - refused < timedelta(minutes=policy.every_minutes):
        return None
    if last is None:
        due = head > 0
    else:
        elapsed = now - last.created_at
        # The last checkpoint's own entry follows it: alone, it is no news.
        due = head - last.size >= policy.every_entries or (
            elapsed >= timedelta(minutes=policy.every_minutes) and head > last.size + 1
        )
    if not due:
        return None
    actor = Actor(operator=SYSTEM, role=None, workstation=workstation)
    try:
        return _sign(
            deps, actor, policy.signer, policy.origin or policy.signer.name, automatic=True
        )
    except CheckpointRefused as refusal:
        _log.warning("automatic checkpoint refused: %s", refusal)
        with deps.writing() as session:
            journal.append(
                session,
                actor=actor,
                action=ACTION,
                outcome="refusé",
                at=now,
                details={"reason": refusal.reason, "automatic": True,
                         "key_id": policy.signer.key_id.hex()},
            )  # fmt: skip
        raise


class CheckpointRefused(ServiceError):
    """No checkpoint signed: the journal does not check (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Point de contrôle refusé : {reason}. Lancez « csu audit verify ».")
        self.reason = reason


def _last_refusal(session: Session) -> datetime | None:
    """When the last journalled checkpoint entry was a refusal, its time."""
    body = session.execute(
        select(JournalEntry.body)  # type: ignore[call-overload]
        .where(JournalEntry.action == ACTION)  # type: ignore[arg-type]
        .order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).scalar()
    if body is None:
        return None
    try:
        fields = json.loads(body)
        return parse_rfc3339(fields["ts"]) if fields.get("outcome") == "refusé" else None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


MAX_ORIGIN = 200  # the widths of the checkpoint table's origin and key name


def check_origin(origin: str, signer: NoteSigner) -> None:
    """Refuses an origin or a key name wider than the checkpoint table keeps: said when
    the terminal starts (csu.startup), not at each signing it would then miss."""
    if len(origin) > MAX_ORIGIN or len(signer.name) > MAX_ORIGIN:
        raise ServiceError(
            f"Origine ou nom de clé trop long : {MAX_ORIGIN} caractères au plus."
        )


def _sign(
    deps: Deps,
    actor: Actor,
    signer: NoteSigner,
    origin: str,
    *,
    automatic: bool,
    who: OperatorContext | None = None,
) -> SignedCheckpoint | None:
    """Signs the journal as it stands; ``who``: the operator whose session asked it
    (none for the terminal's automatic signer), checked in the writing transaction."""
    key_hex = signer.key_id.hex()
    check_origin(origin, signer)
    with deps.reading() as session:
        head = chain_head(session)
    if head.fault is not None:
        raise CheckpointRefused(head.fault)
    size = head.seq
    # The whole chain, and every checkpoint journalled or stored held up against it (no
    # signature checked: a checkpoint of a former key is no reason to refuse).
    report, proof = _audit(deps, None, tree_size=size, whole=False, vouching=signer.verifier)
    reason = report.refusal()
    if reason is not None:
        raise CheckpointRefused(reason)
    tree = proof.tree
    if proof.root is None or tree is None:
        raise CheckpointRefused(f"entrée n° {proof.check.count + 1} absente")
    root = proof.root
    try:
        note = Checkpoint(origin, size, root).sign(signer)
    except NoteError as error:
        raise ServiceError(str(error)) from None
    now = deps.clock()
    with deps.writing() as session:
        if who is not None:
            require_live_in(session, who)
        if automatic:  # another workstation may have signed meanwhile
            if session.get_bind().dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE
                # The chain head's lock, taken first, makes the look and the write one step.
                session.execute(text("SELECT seq FROM journal_head WHERE id = 1 FOR UPDATE"))
            last = _latest_row(session, key_hex)
            if last is not None and last.size >= size:
                return None
        session.add(
            CheckpointRow(
                size=size,
                root_hash=root.hex(),
                origin=origin,
                key_name=signer.name,
                key_id=key_hex,
                note=note,
                created_at=now,
                created_by=actor.operator or SYSTEM,
            )
        )
        journal.append(
            session,
            actor=actor,
            action=ACTION,
            outcome="ok",
            at=now,
            details={
                "size": size,
                "root": root.hex(),
                "origin": origin,
                "key": signer.name,
                "key_id": key_hex,
                "automatic": automatic,
                # It read every body it covers as an entry (csu.domain.entry_body): a
                # verification may then leave them unread (_vouched).
                "bodies_read": True,
                # The tree's right edge, for whoever extends the tree from here.
                "range": [digest.hex() for _, digest in tree.nodes],
            },
        )
    return SignedCheckpoint(
        size, root, origin, signer.name, key_hex, note, now, actor.operator or SYSTEM
    )


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A row of the checkpoint table whose every value is of its column's type."""

    id: int
    size: int
    root_hash: str
    origin: str
    key_name: str
    key_id: str
    note: str
    created_at: datetime
    created_by: str


# The columns of the checkpoint table in a sentence, for a row a hand made unreadable.
COLUMNS = {
    "size": "taille", "root_hash": "racine", "origin": "origine", "key_name": "nom de clé",
    "key_id": "identifiant de clé", "note": "note signée",
    "created_at": "date d'enregistrement", "created_by": "auteur",
}  # fmt: skip
_COLUMNS = [
    CheckpointRow.id, CheckpointRow.size, CheckpointRow.root_hash, CheckpointRow.origin,
    CheckpointRow.key_name, CheckpointRow.key_id, CheckpointRow.note,
    CheckpointRow.created_at, CheckpointRow.created_by,
]  # fmt: skip


def _stored(row: ReadRow) -> StoredCheckpoint | str:
    """The row, or why it cannot be read (« point de contrôle n° 2 illisible : … »)."""
    if row.faults:
        said = said_faults(row.faults, COLUMNS)
        return f"point de contrôle n° {row.values['id']} illisible : {said}"
    return StoredCheckpoint(**row.values)


def _latest_row(session: Session, key_id: str | None = None) -> StoredCheckpoint | None:
    """The latest readable checkpoint (of the key ``key_id``): an unreadable one after it
    is reported by the checks (``_audit``), which then refuse to sign."""
    where = [] if key_id is None else [CheckpointRow.key_id == key_id]
    order = [CheckpointRow.id.desc()]  # type: ignore[union-attr]
    latest = read_rows(session, _COLUMNS, where=where, order_by=order, limit=1)
    if latest and latest[0].faults:  # rare: read them all for the last readable one
        latest = read_rows(session, _COLUMNS, where=where, order_by=order)
    for row in latest:
        stored = _stored(row)
        if isinstance(stored, StoredCheckpoint):
            return stored
    return None


# --- the checkpoints the journal and the base hold, against the chain ---------------


@dataclass(frozen=True, slots=True)
class JournalledCheckpoint:
    """A ``journal_checkpoint`` entry that signed: what it says the tree was."""

    seq: int  # the entry's
    size: int
    root: str  # hex
    bodies_read: bool = False  # its signer read every body it covers as an entry


def journalled_checkpoints(session: Session) -> list[JournalledCheckpoint]:
    """The signed checkpoints the journal records, read from their hashed bodies, in
    order (refusals, and bodies that do not say a size and root, left out)."""
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.body)  # type: ignore[call-overload]
        .where(JournalEntry.action == ACTION)  # type: ignore[arg-type]
        .order_by(JournalEntry.seq)  # type: ignore[arg-type]
    )
    found = []
    for seq, body in rows:
        try:
            fields = json.loads(body)
            details = fields["details"]
            size, root = details["size"], details["root"]
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
        if fields.get("outcome") != "ok" or type(size) is not int or size < 0:
            continue
        if not isinstance(root, str) or not re.fullmatch(r"[0-9a-f]{64}", root):
            continue
        read = details.get("bodies_read") is True
        found.append(JournalledCheckpoint(seq, size, root, read))
    return found


def _stored_rows(session: Session) -> tuple[list[StoredCheckpoint], list[str]]:
    """The checkpoints the base holds, in order, and why each unreadable one is."""
    rows: list[StoredCheckpoint] = []
    unreadable: list[str] = []
    for row in read_rows(session, _COLUMNS, order_by=[CheckpointRow.id]):
        stored = _stored(row)
        if isinstance(stored, str):
            unreadable.append(stored)
        else:
            rows.append(stored)
    return rows, unreadable


def entries_count(number: int) -> str:
    """« 1 entrée », « 30 028 entrées »."""
    return counted(number, "entrée")


def _audit(
    deps: Deps,
    verifier: NoteVerifier | None,
    *,
    tree_size: int = 0,
    whole: bool = True,
    progress: Progress | None = None,
    vouching: NoteVerifier | None = None,
) -> tuple["IntegrityReport", ChainProof]:
    """The chain, checked in one pass with the Merkle tree heads of every size a
    checkpoint names (journalled, stored, and ``tree_size``), and what the
    checkpoints say of it. No role checked: the callers do, or act for the cell.

    Every body after the latest checkpoint signed by ``verifier``'s key (or
    ``vouching``'s, the signer's own) is also read as an entry: the signer read those
    it covers so before it signed, and a signature vouches for them since. Without a
    key, every body is read."""
    with deps.reading() as session:
        journalled = journalled_checkpoints(session)
        rows, unreadable = _stored_rows(session)
        foreign = foreign_queue_rows(session) if whole else []
    # A row whose signature is refused was not signed by the cell's key: a forged row
    # (the table takes INSERTs from every workstation) says nothing of the journal.
    forged = [row for row in rows if not _signed_by(row, verifier)]
    rows = [row for row in rows if row not in forged]
    # The reference is the latest row that says what its signed note says; a damaged
    # or forged one is reported, not taken for what the journal must match.
    sound = [row for row in rows if _agrees_with_note(row)]
    latest = sound[-1] if sound else (rows[-1] if rows else None)
    rows = [row for row in rows if row is not latest] + ([latest] if latest is not None else [])
    view = _view(latest, verifier) if latest is not None else None
    marks = {j.size for j in journalled} | {r.size for r in rows}
    if view is not None:
        marks.add(view.size)
    proof = prove_chain(
        deps, tree_size=tree_size, marks=marks, progress=progress, whole=whole,
        vouched=_vouched(rows, verifier or vouching, journalled),
    )  # fmt: skip
    check = proof.check
    with deps.reading() as session:
        set_aside = tuple(set_aside_entries(session)) if whole else ()
    # An unreadable row says nothing of the journal: reported, as a forged one.
    anomalies = [*unreadable, *foreign]
    anomalies += _journalled_anomalies(journalled, rows, check, proof.roots)
    anomalies += _stored_anomalies(rows[:-1], journalled, check, proof.roots)
    anomalies += [
        f"point de contrôle n° {row.id} en base : signature refusée par la clé publique "
        "(ligne ajoutée hors de CSU ?), écarté"
        for row in forged
    ]
    problem = None
    if view is not None:
        signed = Checkpoint(view.origin, view.size, bytes.fromhex(view.root))
        problem = _compare(signed, check, proof.roots.get(view.size))
        assert latest is not None
        if (view.size, view.root) != (latest.size, latest.root_hash):
            anomalies.append(
                f"le dernier point de contrôle en base (n° {latest.id}) ne dit pas ce que "
                "dit sa note signée (taille ou racine modifiée dans la base)"
            )
        if view.signature.startswith("illisible") or (
            verifier is not None and view.signature != "vérifiée"
        ):
            anomalies.append(f"signature du dernier point de contrôle {view.signature}")
    report = IntegrityReport(
        check, view, problem, tuple(anomalies), set_aside, len(journalled),
        key_without_checkpoint=verifier is not None and view is None and not journalled,
    )  # fmt: skip
    return report, proof


def _read_note(row: StoredCheckpoint) -> tuple[Checkpoint | None, str | None]:
    """The row's signed note, or why the row cannot be trusted for it: an unreadable
    note, or one that says another size or root than the row."""
    try:
        note = Checkpoint.read(row.note)
    except NoteError:
        return None, "note illisible"
    if (note.size, note.root.hex()) != (row.size, row.root_hash):
        return None, "sa taille ou sa racine diffère de sa note signée"
    return note, None


def _agrees_with_note(row: StoredCheckpoint) -> bool:
    return _read_note(row)[0] is not None


def _vouched(
    rows: list[StoredCheckpoint], key: NoteVerifier | None, journalled: list[JournalledCheckpoint]
) -> int:
    """The size of the latest checkpoint row whose note ``key`` signed, that says what
    its note says, and whose journal entry says its signer read the bodies it covers
    (one signed before CSU read them vouches for nothing: every body is read again);
    0 without one (or without a key)."""
    if key is None:
        return 0
    read = {checkpoint.size for checkpoint in journalled if checkpoint.bodies_read}
    signed = [
        row.size
        for row in rows
        if row.size in read
        and row.key_id == key.key_id.hex()
        and _signed_by(row, key)
        and _agrees_with_note(row)
    ]
    return max(signed, default=0)


def _signed_by(row: StoredCheckpoint, verifier: NoteVerifier | None) -> bool:
    """Whether the row's note carries a valid signature of ``verifier``'s key (True when
    no key is known, or when the row is of another key: nothing to tell then)."""
    if verifier is None or row.key_id != verifier.key_id.hex():
        return True
    try:
        Checkpoint.open(row.note, verifier)
    except NoteError:
        return False
    return True


def _journalled_anomalies(
    journalled: list[JournalledCheckpoint],
    rows: list[StoredCheckpoint],
    check: ChainCheck,
    roots: Mapping[int, bytes],
) -> list[str]:
    """Each journalled checkpoint the chain (checked up to its entry) no longer
    matches, where the change lies, and those whose row is gone from the base."""
    verified = check.count if check.ok else (check.failed_seq or 1) - 1
    stored = {(row.size, row.root_hash) for row in rows}
    matching: list[int] = [0]  # sizes whose root still matches (none: the empty tree)
    differing: list[JournalledCheckpoint] = []
    missing: list[JournalledCheckpoint] = []
    for entry in journalled:
        if entry.seq > verified:
            continue  # past the chain's first fault: that fault is what is reported
        root = roots.get(entry.size)
        if root is not None and root.hex() == entry.root:
            matching.append(entry.size)
        elif root is not None:
            differing.append(entry)
        if (entry.size, entry.root) not in stored:
            missing.append(entry)
    found = []
    if differing:
        first = differing[0]
        after = max(size for size in matching if size < first.size)
        text = (
            f"le point de contrôle journalisé à l'entrée n° {first.seq} "
            f"({entries_count(first.size)}) ne correspond plus au journal : une entrée entre le "
            f"n° {french_number(after + 1)} et le n° {french_number(first.size)} a changé "
            "depuis sa signature"
        )
        if len(differing) > 1:
            others = counted(
                len(differing) - 1,
                "point de contrôle journalisé",
                "points de contrôle journalisés",
            )
            text += f" (de même pour {others} après lui)"
        found.append(text)
    if len(missing) == 1:
        found.append(
            f"le journal mentionne un point de contrôle (entrée n° {missing[0].seq}, "
            f"{entries_count(missing[0].size)}) absent de la base : suppression suspecte"
        )
    elif missing:
        numbers = ", ".join(str(entry.seq) for entry in missing[:10])
        more = "…" if len(missing) > 10 else ""
        found.append(
            f"le journal mentionne {len(missing)} points de contrôle (entrées n° {numbers}"
            f"{more}) absents de la base : suppression suspecte"
        )
    return found


def _stored_anomalies(
    rows: list[StoredCheckpoint],
    journalled: list[JournalledCheckpoint],
    check: ChainCheck,
    roots: Mapping[int, bytes],
) -> list[str]:
    """The stored checkpoints (but the latest: see ``problem``) the journal no longer
    holds, or whose note says another size or root than their row, and that no
    journalled checkpoint already named."""
    named = {(entry.size, entry.root) for entry in journalled}
    found = []
    for row in rows:
        note, fault = _read_note(row)
        if note is None:
            found.append(f"point de contrôle n° {row.id} en base : {fault}")
            continue
        if (row.size, row.root_hash) in named:
            continue
        problem = _compare(note, check, roots.get(row.size))
        if problem is not None and check.ok:  # a broken chain is reported as such
            found.append(
                f"point de contrôle n° {row.id} en base ({entries_count(row.size)}) : {problem}"
            )
    return found


# --- holding the journal up against a checkpoint ----------------------------------


@dataclass(frozen=True, slots=True)
class CheckpointProof:
    """The journal's chain, and whether its first ``checkpoint.size`` entries are
    those the checkpoint signed (``problem`` says why not); ``report``, the
    checkpoints the journal and the base hold, held up against it."""

    check: ChainCheck
    checkpoint: Checkpoint
    key_name: str
    problem: str | None = None
    report: "IntegrityReport | None" = None

    @property
    def ok(self) -> bool:
        return self.check.ok and self.problem is None and (
            self.report is None or self.report.ok
        )

    def describe(self) -> str:
        if self.check.ok and not self.ok:
            lines = [
                f"chaîne intègre ({entries_count(self.check.count)}), mais journal NON conforme"
            ]
        else:
            lines = [self.check.describe()]
        if self.problem is None:
            lines.append(
                f"point de contrôle vérifié : les {french_number(self.checkpoint.size)} "
                f"premières entrées sont celles signées par « {self.key_name} » "
                f"(origine {self.checkpoint.origin})"
            )
        else:
            lines.append(f"point de contrôle non conforme : {self.problem}")
        if self.report is not None:
            lines.extend(self.report.findings())
        return "\n".join(lines)


def verify_checkpoint(
    deps: Deps,
    who: OperatorContext,
    note: str,
    verifier: NoteVerifier,
    *,
    progress: Progress | None = None,
) -> CheckpointProof:
    """Check the note's signature by ``verifier`` (refused, as a :class:`ServiceError`,
    when another key signed it or it was altered), then the chain, and the Merkle
    tree head of the checkpoint's first entries, computed in the same pass with those
    of the checkpoints the journal and the base hold."""
    require_role(deps, who, "superviseur", "admin")
    try:
        checkpoint = Checkpoint.open(note, verifier)
    except NoteError as error:
        raise ServiceError(f"Point de contrôle refusé : {_lowered(str(error))}") from None
    report, proof = _audit(deps, verifier, tree_size=checkpoint.size, progress=progress)
    # The note given holds the journal up from outside the base: a base without any
    # checkpoint of its own is then no sign of a journal cut short.
    report = replace(report, key_without_checkpoint=False)
    problem = _compare(checkpoint, proof.check, proof.root)
    return CheckpointProof(proof.check, checkpoint, verifier.name, problem, report)


def _lowered(sentence: str) -> str:
    """A sentence continued after a colon: « refusé : signé par… », not « : Signé par… »."""
    return sentence[:1].lower() + sentence[1:] if sentence[1:2].islower() else sentence


def _compare(checkpoint: Checkpoint, check: ChainCheck, root: bytes | None) -> str | None:
    if root is None:
        if check.ok:
            return (
                f"journal plus court que le point de contrôle : {entries_count(check.count)}, "
                f"le point de contrôle en certifie {french_number(checkpoint.size)}"
            )
        return (
            f"non vérifiable : le journal est altéré à l'entrée {check.failed_seq}, "
            f"avant la fin des {french_number(checkpoint.size)} entrées certifiées"
        )
    if root != checkpoint.root:
        return (
            f"les {french_number(checkpoint.size)} premières entrées diffèrent de celles du "
            "point de contrôle signé (racine de Merkle différente)"
        )
    return None


# --- the latest checkpoint, for the verification screen ---------------------------


@dataclass(frozen=True, slots=True)
class CheckpointView:
    size: int
    created_at: datetime
    created_by: str
    origin: str
    key_name: str
    key_id: str
    root: str  # hex, as signed in the note
    signature: str  # "vérifiée", or why it is not


UNSIGNED = (
    "aucun point de contrôle signé : l'enchaînement ne prouve pas que le journal est complet "
    "ni qu'il n'a pas été réécrit par qui peut écrire dans la base (csu audit keygen, puis "
    "csu audit checkpoint)"
)


# Given a public key, a base without any checkpoint is not called compliant: cutting the
# journal back to before the first one, its row and its mention with it, leaves just that.
NONE_FOR_THE_KEY = (
    "aucun point de contrôle signé en base, alors qu'une clé publique est donnée : rien "
    "ne prouve que le journal n'a pas été coupé avant le premier ni réécrit. S'il en a "
    "été signé un, la base l'a perdu : vérifiez avec sa note sauvegardée (--checkpoint "
    "FICHIER) ; sinon, signez le premier (csu audit checkpoint)"
)


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """The chain, the latest checkpoint held up against it (``problem``: why not), what
    else is wrong with the checkpoints the journal and the base hold (``anomalies``,
    French sentences), and the entries set aside from the queue (PostgreSQL)."""

    check: ChainCheck
    checkpoint: CheckpointView | None = None
    # None: the journal's first entries are those of the checkpoint; else why not.
    problem: str | None = None
    anomalies: tuple[str, ...] = ()
    set_aside: tuple[SetAside, ...] = ()
    journalled: int = 0  # the signed checkpoints the journal mentions
    # A public key was given, and the base holds no checkpoint nor the journal any.
    key_without_checkpoint: bool = False

    @property
    def ok(self) -> bool:
        return (
            self.check.ok
            and self.problem is None
            and not self.anomalies
            and not self.key_without_checkpoint
            and not any(entry.acknowledged is None for entry in self.set_aside)
        )

    def refusal(self) -> str | None:
        """Why no checkpoint may be signed over this journal, or None."""
        if not self.check.ok:
            return self.check.describe()
        if self.problem is not None:
            return f"le dernier point de contrôle ne correspond plus au journal : {self.problem}"
        return self.anomalies[0] if self.anomalies else None

    def findings(self) -> list[str]:
        """What is wrong besides the chain and the latest checkpoint, one line each."""
        missing = [NONE_FOR_THE_KEY] if self.key_without_checkpoint else []
        return [*missing, *self.anomalies, *(entry.describe() for entry in self.set_aside)]

    def describe(self) -> str:
        """For ``csu audit verify``: never « intègre » first when something is wrong."""
        if not self.check.ok or self.ok:
            lines = [self.check.describe()]
        else:
            lines = [
                f"chaîne intègre ({entries_count(self.check.count)}), mais journal NON conforme"
            ]
        view = self.checkpoint
        if view is not None:
            verdict = "conforme" if self.problem is None else f"NON conforme : {self.problem}"
            lines.append(
                f"dernier point de contrôle : {entries_count(view.size)}, signé le "
                f"{to_paris(view.created_at):%d/%m/%Y à %H:%M} par {view.created_by}, clé "
                f"« {view.key_name} » ({view.key_id}) ; signature {view.signature} ; "
                f"journal {verdict}"
            )
        elif self.journalled:
            lines.append("aucun point de contrôle en base")
        elif not self.key_without_checkpoint:  # that one is among the findings
            # Said, not only noted: the chain alone is what anyone able to write to the
            # base can recompute, after rewriting or cutting it.
            lines.append(UNSIGNED)
        lines.extend(f"- {finding}" for finding in self.findings())
        return "\n".join(lines)


def latest_checkpoint(
    deps: Deps, who: OperatorContext, verifier: NoteVerifier | None = None
) -> CheckpointView | None:
    """The checkpoint signed last, its signature checked when a public key is known."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        row = _latest_row(session)
    return None if row is None else _view(row, verifier)


def _view(row: StoredCheckpoint, verifier: NoteVerifier | None) -> CheckpointView:
    try:
        signed = Checkpoint.read(row.note)
    except NoteError as error:
        return CheckpointView(
            row.size, row.created_at, row.created_by, row.origin, row.key_name, row.key_id,
            row.root_hash, f"illisible ({_lowered(str(error))})",
        )  # fmt: skip
    signature = "non vérifiée (aucune clé publique configurée)"
    if verifier is not None:
        try:
            Checkpoint.open(row.note, verifier)
            signature = "vérifiée"
        except NoteError as error:
            signature = f"refusée ({_lowered(str(error)).rstrip('.')})"
    return CheckpointView(
        signed.size, row.created_at, row.created_by, signed.origin, row.key_name, row.key_id,
        signed.root.hex(), signature,
    )  # fmt: skip


def check_integrity(
    deps: Deps,
    who: OperatorContext,
    verifier: NoteVerifier | None = None,
    *,
    progress: Progress | None = None,
) -> IntegrityReport:
    """What the verification screen and ``csu audit verify`` show: the chain, the latest
    checkpoint held up against the journal (its signature too, given a public key), every
    checkpoint the journal mentions or the base holds, in the same pass."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    return _audit(deps, verifier, progress=progress)[0]
