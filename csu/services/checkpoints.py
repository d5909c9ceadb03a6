"""Signed checkpoints of the journal, and holding the journal up against them.

A checkpoint is the RFC 6962 Merkle tree head of the first ``size`` entries, signed
with the cell's Ed25519 key as a C2SP tlog-checkpoint note (csu.domain.checkpoint).
An auditor keeps the note and the public key; later, ``csu audit verify --checkpoint
--public-key`` shows that those entries are still there, unchanged, in the same order.

The private key lives in a file outside the database (mode 0600): whoever holds only
the database cannot sign a checkpoint for a rewritten journal.
"""

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlmodel import Session

from csu.domain.checkpoint import Checkpoint, NoteError, NoteSigner, NoteVerifier
from csu.domain.journal import GENESIS_HASH, ChainCheck, verify_chain
from csu.domain.merkle import CompactRange
from csu.services.audit import Progress, _check_chain, prove_journal
from csu.services.context import Deps, OperatorContext, ServiceError, require_role
from csu.services.files import KIB, UnreadableFile, describe_os_error, read_text
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import Checkpoint as CheckpointRow

T = TypeVar("T")
# A key is one line of about a hundred characters, a note a few lines: files much
# larger are not what they are said to be (and are not read whole).
MAX_KEY_BYTES = 4 * KIB
MAX_NOTE_BYTES = 64 * KIB
ACTION = "journal_checkpoint"
SYSTEM = "système"  # the operator named in the entries of automatic checkpoints


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
    """The private key of ``path``, refused when others may read the file."""
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
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ServiceError(
            f"Clé de signature {path} lisible par d'autres comptes : "
            f"restreignez-la (chmod 600 {path})."
        )
    return _key(lambda: NoteSigner.parse(content), path)


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
    it. Refused when the journal does not check: a checkpoint vouches for it."""
    require_role(who, "superviseur", "admin")
    signed = _sign(deps, who.actor, signer, origin or signer.name, automatic=False)
    assert signed is not None
    return signed


def sign_due_checkpoint(
    deps: Deps, policy: CheckpointPolicy, workstation: str
) -> SignedCheckpoint | None:
    """The terminal's periodic job: sign when ``every_entries`` entries came since the
    last checkpoint, or ``every_minutes`` passed with new entries; else nothing."""
    now = deps.clock()
    with deps.reading() as session:
        head = journal.head(session)[0]
        last = _latest_row(session, policy.signer.key_id.hex())
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
    return _sign(deps, actor, policy.signer, policy.origin or policy.signer.name, automatic=True)


def _sign(
    deps: Deps, actor: Actor, signer: NoteSigner, origin: str, *, automatic: bool
) -> SignedCheckpoint | None:
    key_hex = signer.key_id.hex()
    if len(origin) > 200 or len(signer.name) > 200:  # the widths of the checkpoint table
        raise ServiceError("Origine ou nom de clé trop long : 200 caractères au plus.")
    with deps.reading() as session:
        size = journal.head(session)[0]
        base = _trusted_base(session, signer, size)
    tree = _tree_of(deps, size, base)
    root = tree.root()
    try:
        note = Checkpoint(origin, size, root).sign(signer)
    except NoteError as error:
        raise ServiceError(str(error)) from None
    now = deps.clock()
    with deps.writing() as session:
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
                # The tree's right edge: the next checkpoint hashes only the new entries.
                "range": [digest.hex() for _, digest in tree.nodes],
            },
        )
    return SignedCheckpoint(
        size, root, origin, signer.name, key_hex, note, now, actor.operator or SYSTEM
    )


def _latest_row(session: Session, key_id: str | None = None) -> CheckpointRow | None:
    query = select(CheckpointRow)
    if key_id is not None:
        query = query.where(CheckpointRow.key_id == key_id)  # type: ignore[arg-type]
    query = query.order_by(CheckpointRow.id.desc())  # type: ignore[union-attr]
    return session.execute(query.limit(1)).scalars().first()


def _trusted_base(session: Session, signer: NoteSigner, size: int) -> CompactRange | None:
    """The Merkle range of the last checkpoint this key signed, when its note checks
    and the range kept in its journal entry folds to the signed root; else None (the
    tree is then computed from the first entry)."""
    row = _latest_row(session, signer.key_id.hex())
    if row is None or row.size > size:
        return None
    try:
        signed = Checkpoint.open(row.note, signer.verifier)
    except NoteError:
        return None
    for details in _checkpoint_details(session):
        if details.get("size") != signed.size or details.get("root") != signed.root.hex():
            continue
        try:
            hashes = [bytes.fromhex(value) for value in details.get("range") or []]
            base = CompactRange.of_prefix(signed.size, hashes)
        except (TypeError, ValueError):
            return None
        return base if base.root() == signed.root else None
    return None


def _checkpoint_details(session: Session, limit: int = 20) -> Iterator[dict[str, Any]]:
    import json

    rows = session.execute(
        text("SELECT body FROM journal_entry WHERE action = :action ORDER BY seq DESC LIMIT :n"),
        {"action": ACTION, "n": limit},
    )
    for (body,) in rows:
        try:
            details = json.loads(bytes(body)).get("details")
        except ValueError:
            continue
        if isinstance(details, dict):
            yield details


def _tree_of(deps: Deps, size: int, base: CompactRange | None) -> CompactRange:
    """The Merkle range of the first ``size`` entries, their chain checked on the way:
    from ``base`` on when there is one, else from the first entry."""
    if base is None:
        check, tree = _check_chain(deps, size, tree_stop=size)
        if not check.ok and (check.failed_seq or 0) <= size:
            _refuse(check)
        if tree.end != size:
            _refuse(ChainCheck(0, "", tree.end + 1, "entrée absente"))
        return tree
    tree = base
    with deps.reading() as session:
        prev: str | None = GENESIS_HASH
        if base.end:
            prev = session.execute(
                text("SELECT hash FROM journal_entry WHERE seq = :s"), {"s": base.end}
            ).scalar_one_or_none()
        if prev is None:
            raise _refusal(ChainCheck(0, "", base.end, "entrée absente"))
        check = verify_chain(
            journal.iter_chain(session, start=base.end + 1, stop=size),
            start_seq=base.end + 1,
            prev_hash=prev,
            tree=tree,
            tree_stop=size,
        )
    if not check.ok or tree.end != size:
        _refuse(check if not check.ok else ChainCheck(0, "", tree.end + 1, "entrée absente"))
    return tree


def _refuse(check: ChainCheck) -> None:
    raise _refusal(check)


def _refusal(check: ChainCheck) -> ServiceError:
    return ServiceError(
        f"Point de contrôle refusé : {check.describe()}. Lancez « csu audit verify »."
    )


# --- holding the journal up against a checkpoint ----------------------------------


@dataclass(frozen=True, slots=True)
class CheckpointProof:
    """The journal's chain, and whether its first ``checkpoint.size`` entries are
    those the checkpoint signed (``problem`` says why not)."""

    check: ChainCheck
    checkpoint: Checkpoint
    key_name: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.check.ok and self.problem is None

    def describe(self) -> str:
        lines = [self.check.describe()]
        if self.problem is None:
            lines.append(
                f"point de contrôle vérifié : les {self.checkpoint.size} premières entrées "
                f"sont celles signées par « {self.key_name} » "
                f"(origine {self.checkpoint.origin})"
            )
        else:
            lines.append(f"point de contrôle non conforme : {self.problem}")
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
    tree head of the checkpoint's first entries, computed in the same pass."""
    require_role(who, "superviseur", "admin")
    try:
        checkpoint = Checkpoint.open(note, verifier)
    except NoteError as error:
        raise ServiceError(f"Point de contrôle refusé : {error}") from None
    proof = prove_journal(deps, who, tree_size=checkpoint.size, progress=progress)
    problem = _compare(checkpoint, proof.check, proof.root)
    return CheckpointProof(proof.check, checkpoint, verifier.name, problem)


def _compare(checkpoint: Checkpoint, check: ChainCheck, root: bytes | None) -> str | None:
    if root is None:
        if check.ok:
            return (
                f"journal plus court que le point de contrôle : {check.count} entrées, "
                f"le point de contrôle en certifie {checkpoint.size}"
            )
        return (
            f"non vérifiable : le journal est altéré à l'entrée {check.failed_seq}, "
            f"avant la fin des {checkpoint.size} entrées certifiées"
        )
    if root != checkpoint.root:
        return (
            f"les {checkpoint.size} premières entrées diffèrent de celles du point de contrôle "
            "signé (racine de Merkle différente)"
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


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    check: ChainCheck
    checkpoint: CheckpointView | None = None
    # None: the journal's first entries are those of the checkpoint; else why not.
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.check.ok and self.problem is None


def latest_checkpoint(
    deps: Deps, who: OperatorContext, verifier: NoteVerifier | None = None
) -> CheckpointView | None:
    """The checkpoint signed last, its signature checked when a public key is known."""
    require_role(who, "superviseur", "admin")
    with deps.reading() as session:
        row = _latest_row(session)
    return None if row is None else _view(row, verifier)


def _view(row: CheckpointRow, verifier: NoteVerifier | None) -> CheckpointView:
    try:
        signed = Checkpoint.read(row.note)
    except NoteError as error:
        return CheckpointView(
            row.size, row.created_at, row.created_by, row.origin, row.key_name, row.key_id,
            row.root_hash, f"note illisible ({error})",
        )  # fmt: skip
    signature = "non vérifiée (aucune clé publique configurée)"
    if verifier is not None:
        try:
            Checkpoint.open(row.note, verifier)
            signature = "vérifiée"
        except NoteError as error:
            signature = f"refusée : {error}"
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
    """What the verification screen shows: the chain, and the latest checkpoint held
    up against the journal (in the same pass)."""
    view = latest_checkpoint(deps, who, verifier)
    size = view.size if view is not None else 0
    proof = prove_journal(deps, who, tree_size=size, progress=progress)
    if view is None:
        return IntegrityReport(proof.check)
    signed = Checkpoint(view.origin, view.size, bytes.fromhex(view.root))
    problem = _compare(signed, proof.check, proof.root)
    return IntegrityReport(proof.check, view, problem)
