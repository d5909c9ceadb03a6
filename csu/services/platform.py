"""The voting platform's login checks, from the credentials the cell holds.

:func:`check_platform_login` is what CSU's API answers the platform (``POST
/v1/elections/{election}/logins/check``): journalled with the platform as actor,
failures counted per identifier, and the identifier locked for a while once the
election's limit is reached (``[platform]`` in the election file, the cell's policy).

:func:`check_login` is the same comparison for tests and demos: what the platform's
login page would answer, proving that after a reissue the old credential is dead and
the new one works. Not an operator action: nothing is journalled, no role applies.

Credentials kept by keyed hash check in microseconds; argon2id ones (~0.1-0.3 s of
CPU and tens of MiB each) run in a small pool of worker processes of their own, at a
lower priority, so that a burst of checks does not take every core and all the memory.
That pool's queue is bounded: beyond ``ARGON2_QUEUED`` verifications waiting, a check
is refused at once (:class:`ChecksSaturated`, the API's 503 with Retry-After) rather
than left to wait behind a backlog that only grows when checks come faster than argon2
serves them.
"""

import contextlib
import functools
import hmac
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row, and_, bindparam, func, literal_column, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from csu.domain import credentials as creds
from csu.domain import scrutins as scrutin_rules
from csu.domain.election import CREDENTIAL_LABELS, ElectionDefinition, definition_from_text
from csu.domain.errors import InvalidValue
from csu.domain.hashing import argon2_verifies, credential_purpose, keyed_hash, matches
from csu.domain.originals import Cost, cost_of
from csu.domain.text import visible_text
from csu.services.context import Deps, ServiceError, retried
from csu.services.elections import get_definition
from csu.services.emargement import (
    compared_identifier,
    is_address,
    material_states,
    open_scrutins,
    platform_identifier,
    states_from,
)
from csu.services.platform_clients import Platform, require_election
from csu.services.worker_processes import QUIET_SPAWN, ignore_ctrl_c, kill_pool
from csu.store import journal
from csu.store.tables import (
    Credential,
    Election,
    Emargement,
    Material,
    OriginalsCost,
    PlatformLoginFailures,
    Voter,
    core_tables,
    folded,
    holds_at,
)

IDENTIFIER_PURPOSE = "platform_login_identifier"
ACTION = "platform_login_check"
VALID, INVALID, LOCKED = "valide", "invalide", "bloqué"
# argon2id verifications at once, whatever the number of requests waiting: one per two
# cores (each runs one thread per lane, and streams its 64 MiB through the memory the
# API shares; on 2 cores, two at once doubled /v1/health's 95th percentile for no
# more checks a second: 8.0 against 7.6).
ARGON2_WORKERS = max(1, min(4, (os.cpu_count() or 1) // 2))
# ...and at a lower CPU priority (a nice value, Linux): each verification runs one
# thread per lane of the hash (4 at the settings' cost), which would otherwise take
# every core from the API's event loop (/v1/health) and from the keyed-hash checks.
ARGON2_NICE = 10
# Verifications that may wait for a worker, beyond those running: about a second of
# waiting at the settings' cost on a quiet machine (~0.13 s each). One more is refused
# (ChecksSaturated): at 50 checks/s against ~8 served, an unbounded queue made every
# check wait longer than the platform's own timeout, and held a thread of the API each.
ARGON2_QUEUED = 8 * ARGON2_WORKERS
ARGON2_ADMITTED = ARGON2_WORKERS + ARGON2_QUEUED
MAX_RETRY_AFTER_S = 24 * 3600


class LoginLocked(ServiceError):
    """Too many failed checks for this identifier: none is made before ``retry_after``
    seconds (the API answers 429 with Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChecksSaturated(ServiceError):
    """The argon2 verifications admitted are all taken: the check is not made (nor
    counted as a failure, nor journalled); the platform may try again in
    ``retry_after`` seconds (the API answers 503 with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Vérifications de connexion momentanément saturées : aucune vérification "
            f"n'a été faite, réessayez dans {retry_after} s."
        )
        self.retry_after = retry_after


class BadSecrets(InvalidValue):
    """The secrets given are not those the election's login needs: ``faults`` holds
    (field, French message) for each secret missing or unexpected, its field named by
    its key (``secrets.vote_code``), as the API's 422 lists them in ``errors``."""

    def __init__(self, fault: str, faults: Sequence[tuple[str, str]]) -> None:
        super().__init__("Secrets", fault)
        self.faults = list(faults)


SECRET_MAX_LENGTH = 200


class LoginSecrets(BaseModel):
    """The secrets a voter typed at the platform's login page: those the election's
    login needs (its file's credentials), the others left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    security_key: str | None = Field(
        default=None, max_length=SECRET_MAX_LENGTH, description="Clé de sécurité."
    )
    password: str | None = Field(
        default=None, max_length=SECRET_MAX_LENGTH, description="Mot de passe."
    )
    vote_code: str | None = Field(
        default=None, max_length=SECRET_MAX_LENGTH, description="Code de vote."
    )

    def given(self) -> dict[str, str]:
        return {kind: value for kind, value in self if value is not None}


class LoginCheck(BaseModel):
    """The answer to a login check: never which secret failed."""

    model_config = ConfigDict(frozen=True)
    valid: bool = Field(description="Les secrets sont ceux du matériel, et il est actif.")
    scrutins_open: list[str] = Field(
        description="Les scrutins où ce matériel peut encore voter."
    )


def required_secrets(definition: ElectionDefinition) -> tuple[str, ...]:
    """The secrets a login to this election needs: the credentials of its file."""
    return definition.credential_kinds


@dataclass(frozen=True, slots=True)
class _Stored:
    """An active credential of the material: what a check compares with."""

    id: int
    scheme: str
    hash: str


@dataclass(frozen=True, slots=True)
class _Found:
    """What one statement reads for a check: the election's definition, the identifier's
    failure counter and its material with its active credentials (none: unknown)."""

    definition: ElectionDefinition
    failures: int | None  # None: no counter row
    locked_until: datetime | None
    material: "_MaterialRow | None"
    pseudonym: str | None
    stored: dict[str, _Stored]
    voted: dict[str, datetime]  # the material's émargements: scrutin -> time


@dataclass(frozen=True, slots=True)
class _MaterialRow:
    id: int
    status: str
    capacity: str
    bureau_code: str
    scrutins: str | None
    voted_at: datetime | None


@retried
def check_platform_login(
    deps: Deps,
    platform: Platform,
    election: str,
    identifier: str,
    secrets: LoginSecrets | Mapping[str, str],
) -> LoginCheck:
    """Whether ``secrets`` are the active credentials of the material ``identifier``
    of ``election``, and the scrutins it may vote in; never which secret failed.

    Raises ``Forbidden`` for an election out of the platform's reach, ``InvalidValue``
    when the secrets are not those the election's login needs, ``LoginLocked`` while
    the identifier is locked, ``ChecksSaturated`` when its argon2 verifications find
    no room in the pool's bounded queue (nothing counted, nothing journalled).

    Credentials kept by keyed hash are checked in one short write transaction (a
    statement reads all it needs, the journal entry follows). Argon2id ones are not: no
    transaction is open while argon2 works (the store's write lock is never held), and
    the conclusion, in a second transaction, checks that no credential was revoked
    meanwhile."""
    require_election(platform, election)
    if isinstance(secrets, LoginSecrets):
        secrets = secrets.given()
    now = deps.clock()
    identifier = platform_identifier(identifier)
    # An address is one whatever its case: its failures count together, whatever the
    # case it is typed in (a lock is no less one for « Jean.Dupont@… »).
    counted = compared_identifier(identifier)
    identifier_hash = keyed_hash(deps.key, IDENTIFIER_PURPOSE, f"{election}:{counted}")
    outcome: LoginCheck | None = None
    with deps.writing() as session:
        found = _lookup(session, election, identifier, identifier_hash)
        _check_secrets_given(found.definition, secrets)
        work = _work_of(session, deps.hasher, found.definition)
        locked_until = _locked_until(found.locked_until, now)
        if locked_until is not None:
            _journal_locked(session, platform, election, locked_until, now)
        elif not _needs_argon2(found, secrets) and work is None:
            matched = _all_match(deps, found.definition, found.stored, secrets, work)
            outcome, locked_until = _conclude(
                session, platform, found, identifier_hash, matched, now, known=True
            )
    if locked_until is not None:
        raise _locked(locked_until, now)  # after the commit: the refusal has its entry
    if outcome is not None:
        return outcome
    matched = _all_match(deps, found.definition, found.stored, secrets, work)
    with deps.writing() as session:
        outcome, locked_until = _conclude(
            session, platform, found, identifier_hash, matched, now, known=False
        )
    if locked_until is not None:
        raise _locked(locked_until, now)
    assert outcome is not None
    return outcome


def _conclude(
    session: Session,
    platform: Platform,
    found: _Found,
    identifier_hash: str,
    matched: bool,
    now: datetime,
    *,
    known: bool,
) -> tuple[LoginCheck | None, datetime | None]:
    """Counts the check and journals it: the answer, or the lock a concurrent check set
    meanwhile (then journalled as such). ``known``: what ``found`` says of the material
    and its credentials was read in this transaction (else it is read again)."""
    election = found.definition.id
    material = found.material
    if matched and material is not None and not known:
        material = _still_valid(session, material.id, [c.id for c in found.stored.values()])
    valid = matched and material is not None and material.status == "active"
    failures, lock = 0, None
    if valid and known and not found.failures and found.locked_until is None:
        pass  # nothing to reset: a success leaves the counter as it is, absent or at 0
    else:
        row = _counter(session, election, identifier_hash, create=not valid)
        if row is not None:
            locked_until = _locked_until(row[2], now)
            if locked_until is not None:  # locked by a concurrent check meanwhile
                _journal_locked(session, platform, election, locked_until, now)
                return None, locked_until
            failures, last_failure_at, lock = _count(row, valid, found.definition, now)
            session.connection().execute(
                _FAILURES_SET,
                {"e": election, "h": identifier_hash, "n": failures,
                 "last": last_failure_at, "until": lock},
            )  # fmt: skip
            lock = _locked_until(lock, now)
    scrutins: list[str] = []
    if valid and material is not None:
        states = (
            states_from(found.definition, material, found.voted)
            if known
            else material_states(session, found.definition, material)
        )
        scrutins = scrutin_rules.open_ids(states)
    journal.append(
        session,
        actor=platform.actor,
        action=ACTION,
        outcome=VALID if valid else INVALID,
        at=now,
        election=election,
        subject=found.pseudonym if found.material is not None else None,
        details={
            "material": found.material.id if found.material is not None else None,
            "failures": failures,
            "locked_until": lock.isoformat() if lock else None,
        },
    )
    return LoginCheck(valid=valid, scrutins_open=scrutins), None


def _journal_locked(
    session: Session, platform: Platform, election: str, locked_until: datetime, now: datetime
) -> None:
    journal.append(
        session,
        actor=platform.actor,
        action=ACTION,
        outcome=LOCKED,
        at=now,
        election=election,
        details={"locked_until": locked_until.isoformat()},
    )


def _locked(locked_until: datetime, now: datetime) -> LoginLocked:
    seconds = math.ceil((locked_until - now).total_seconds())
    return LoginLocked(
        "Trop d'échecs de connexion pour cet identifiant : nouvel essai possible dans "
        f"{seconds} s.",
        retry_after=min(max(seconds, 1), MAX_RETRY_AFTER_S),
    )


def _check_secrets_given(definition: ElectionDefinition, secrets: Mapping[str, str]) -> None:
    needed = required_secrets(definition)
    if not needed:
        raise InvalidValue(
            "Élection",
            f"la cellule ne délivre aucun code pour l'élection {definition.id} : "
            "elle ne peut pas en vérifier les connexions",
        )
    names = ", ".join(CREDENTIAL_LABELS[kind] for kind in needed)
    missing = [kind for kind in needed if kind not in secrets]
    unexpected = [kind for kind in secrets if kind not in needed]
    if missing or unexpected:
        asked = f"(l'élection {definition.id} demande : {names} ; clés : {', '.join(needed)})"
        wrong = [(kind, "absent") for kind in missing] + [
            (kind, "inattendu") for kind in unexpected
        ]
        raise BadSecrets(
            f"{', '.join(f'{kind} {fault}' for kind, fault in wrong)} {asked}",
            [(f"secrets.{kind}", f"secret {fault} {asked}") for kind, fault in wrong],
        )
    # A control or invisible character (a zero-width space, a bidirectional mark) is in
    # no code and the voter did not see it: refused as the desk refuses it, before any
    # comparison, never counted as a failure, nor dropped as the separators are.
    hidden: list[tuple[str, str]] = []
    for kind, typed in secrets.items():
        try:
            visible_text(typed, kind)
        except InvalidValue as error:
            hidden.append((f"secrets.{kind}", error.fault))
    if hidden:
        raise BadSecrets(" ; ".join(f"{field} : {fault}" for field, fault in hidden), hidden)


def _locked_until(locked_until: datetime | None, now: datetime) -> datetime | None:
    if locked_until is None or locked_until <= now:
        return None
    return locked_until


def _count(
    row: Row[Any], valid: bool, definition: ElectionDefinition, now: datetime
) -> tuple[int, datetime | None, datetime | None]:
    """Failures in a row; the limit reached locks the identifier and starts again.
    ``row``: (failures, last failure, locked until); returns the same, counted."""
    failures, last_failure_at, locked_until = row
    if valid:
        return 0, last_failure_at, None
    failures += 1
    policy = definition.platform
    if failures >= policy.login_failures_limit:
        return 0, now, now + timedelta(minutes=policy.login_lock_minutes)
    return failures, now, locked_until


# Core statements, built once (SQLAlchemy caches their compiled form): rows come back
# as tuples, with none of the ORM's loading, identity map or flush.
_election, _failures, _material, _voter, _credential, _emargement = core_tables(
    Election, PlatformLoginFailures, Material, Voter, Credential, Emargement
)
_ACTIVE = literal_column("'active'")
_FAILURES_KEY = and_(
    _failures.c.election_id == bindparam("e"), _failures.c.identifier_hash == bindparam("h")
)


def _lookup_by(material: Any, *, lateral: bool) -> Any:
    """Everything a check reads, in one statement: a row per active credential and
    émargement of the material found by ``material`` (one row when the identifier is
    unknown or has neither), none for an unknown election; the material's identifier
    last.

    ``lateral`` (PostgreSQL): the credentials are a LATERAL subquery the planner cannot
    pull up (OFFSET 0), so it must look them up by the material's id. Joined plainly,
    with ``credential`` analysed while nearly empty (an election's first day), it walked
    the partial index of every active credential of the cell and filtered the material
    (2,021 pages at 2,000 credentials). SQLite has no LATERAL, and probes
    ``credential.material_id``'s index for the join."""
    active = _credential.c.status == _ACTIVE
    if lateral:
        held: Any = (
            select(_credential.c.id, _credential.c.kind, _credential.c.scheme,
                   _credential.c.hash)
            .where(_credential.c.material_id == _material.c.id, active)
            .offset(literal_column("0"))
            .lateral("held")
        )  # fmt: skip
        on: Any = true()
    else:
        held, on = _credential, and_(_credential.c.material_id == _material.c.id, active)
    return (
        select(
            _election.c.definition, _failures.c.failures, _failures.c.locked_until,
            _material.c.id, _material.c.status, _material.c.capacity,
            _material.c.bureau_code, _material.c.scrutins, _material.c.voted_at,
            _voter.c.pseudonym,
            held.c.id, held.c.kind, held.c.scheme, held.c.hash,
            _emargement.c.scrutin_id, _emargement.c.voted_at, _material.c.identifier,
        )
        .select_from(_election)
        .outerjoin(_failures, and_(_failures.c.election_id == _election.c.id,
                                   _failures.c.identifier_hash == bindparam("h")))
        .outerjoin(_material, and_(_material.c.election_id == _election.c.id, material))
        .outerjoin(_voter, _voter.c.id == _material.c.voter_id)
        .outerjoin(held, on)
        .outerjoin(_emargement, _emargement.c.material_id == _material.c.id)
        .where(_election.c.id == bindparam("e"))
    )  # fmt: skip


# The identifier as typed; an address by its lower-case form (``i``, lowered), through
# the index of migration 0024 (csu.store.tables: its condition is holds_at's). The
# _PG_ forms read the credentials through LATERAL (see _lookup_by).
_BY_TYPED = _material.c.identifier == bindparam("i")
_BY_ADDRESS = and_(
    folded(_material.c.identifier) == bindparam("i"), holds_at(_material.c.identifier)
)
_LOOKUP = _lookup_by(_BY_TYPED, lateral=False)
_LOOKUP_ADDRESS = _lookup_by(_BY_ADDRESS, lateral=False)
_PG_LOOKUP = _lookup_by(_BY_TYPED, lateral=True)
_PG_LOOKUP_ADDRESS = _lookup_by(_BY_ADDRESS, lateral=True)
_FAILURES_LOCK = (
    select(_failures.c.failures, _failures.c.last_failure_at, _failures.c.locked_until)
    .where(_FAILURES_KEY)
    .with_for_update()
)
_FAILURES_SET = (
    update(_failures)
    .where(_FAILURES_KEY)
    .values(failures=bindparam("n"), last_failure_at=bindparam("last"),
            locked_until=bindparam("until"))
)  # fmt: skip
# Still the same when the check concludes (argon2 ran outside any transaction): the
# material, active, and as many of the credentials compared still active. The status is
# counted, not filtered: in WHERE it matched the partial index of active credentials,
# which PostgreSQL walked whole for two ids with first-day statistics (718 pages at
# 1,000 credentials); the ids alone go by the primary key.
_STILL_VALID = select(
    _material.c.id, _material.c.status, _material.c.capacity, _material.c.bureau_code,
    _material.c.scrutins, _material.c.voted_at,
    select(func.count().filter(_credential.c.status == _ACTIVE)).where(
        _credential.c.id.in_(bindparam("credentials", expanding=True)),
    ).scalar_subquery(),
).where(_material.c.id == bindparam("m"))  # fmt: skip
_UPSERTS: dict[str, Any] = {}


def _failure_upsert(dialect: str) -> Any:
    """The identifier's counter, created if absent, locked for this transaction and
    read, in one statement (two checks failing at once for a new identifier must not
    both insert it): the update sets nothing new, it takes the row's lock."""
    if dialect not in _UPSERTS:
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(_failures).values(
            election_id=bindparam("e"), identifier_hash=bindparam("h"), failures=0
        )
        _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=[_failures.c.election_id, _failures.c.identifier_hash],
            set_={"failures": _failures.c.failures},
        ).returning(_failures.c.failures, _failures.c.last_failure_at,
                    _failures.c.locked_until)  # fmt: skip
    return _UPSERTS[dialect]


@functools.lru_cache(maxsize=16)
def _definition(text: str) -> ElectionDefinition:
    """An election's stored definition, parsed once per text (a reload is a new text)."""
    return definition_from_text(text)


def _lookup(session: Session, election: str, identifier: str, identifier_hash: str) -> _Found:
    address = is_address(identifier)
    connection = session.connection()
    rows = connection.execute(
        (_PG_LOOKUP_ADDRESS if address else _PG_LOOKUP)
        if connection.dialect.name == "postgresql"
        else (_LOOKUP_ADDRESS if address else _LOOKUP),
        {"e": election, "i": identifier.lower() if address else identifier,
         "h": identifier_hash},
    ).all()  # fmt: skip
    if not rows:
        get_definition(session, election)  # raises its NotFound: the election is unknown
    first = rows[0]
    if address and len({row[3] for row in rows}) > 1:
        # Two materials whose addresses differ only in case: the one typed exactly, or
        # none (which of them is meant, nothing says).
        rows = [row for row in rows if row[-1] == identifier]
        if not rows:
            return _Found(_definition(first[0]), first[1], first[2], None, None, {}, {})
        first = rows[0]
    material = _MaterialRow(*first[3:9]) if first[3] is not None else None
    stored = {
        kind: _Stored(credential_id, scheme, digest)
        for *_, credential_id, kind, scheme, digest, _, _, _ in rows
        if credential_id is not None
    }
    voted = {scrutin: at for *_, scrutin, at, _ in rows if scrutin is not None}
    return _Found(_definition(first[0]), first[1], first[2], material, first[9], stored, voted)


def _counter(
    session: Session, election: str, identifier_hash: str, *, create: bool
) -> Row[Any] | None:
    """The identifier's counter (failures, last failure, locked until), locked for this
    transaction; created for a failure."""
    connection = session.connection()
    key = {"e": election, "h": identifier_hash}
    if create:
        return connection.execute(_failure_upsert(connection.dialect.name), key).one()
    return connection.execute(_FAILURES_LOCK, key).one_or_none()


def _still_valid(
    session: Session, material_id: int, credential_ids: list[int]
) -> "_MaterialRow | None":
    """The material as it is now, if it is still active and no credential compared was
    revoked while the check ran (a reissue at that moment); None otherwise."""
    if not credential_ids:
        return None
    row = session.connection().execute(
        _STILL_VALID, {"m": material_id, "credentials": credential_ids}
    ).one_or_none()
    if row is None or row[1] != "active" or row[6] != len(credential_ids):
        return None
    return _MaterialRow(*row[:6])


def _needs_argon2(found: _Found, secrets: Mapping[str, str]) -> bool:
    """Whether a secret is compared with argon2id (a credential kept so, or the decoy
    of a missing one whose format would be)."""
    for kind in secrets:
        credential = found.stored.get(kind)
        if credential is not None:
            scheme = credential.scheme
        else:
            scheme = creds.scheme_for(found.definition.credentials[kind])
        if scheme != creds.SCHEME_HMAC:
            return True
    return False


def _all_match(
    deps: Deps,
    definition: ElectionDefinition,
    stored: Mapping[str, _Stored],
    secrets: Mapping[str, str],
    work: "_Work | None",
) -> bool:
    """Every secret against its credential, without stopping at the first mismatch,
    and with the same argon2 work when a credential is missing (an unknown identifier
    or a credential the cell never issued): how long a check takes says nothing of
    which secret failed, nor of whether the identifier exists.

    Where the election has originals (``work``: the platform's argon2id hashes, at its
    own parameters), every secret costs one argon2 verification, its credential's or a
    decoy's (a keyed hash's too), and each verification holds its worker as long as the
    slowest of the election's costs takes there (:func:`_argon2_timed`): every check
    then does the same work, queued or not. An identifier whose original the platform
    hashed cheaper than CSU answered in 8 ms, an unknown one in 110 ms (the decoy at
    CSU's cost), which told which exist. Without originals every identifier does the
    same work already: decoys at CSU's cost.

    The argon2 verifications are admitted together before any is made, or the check
    is refused (``ChecksSaturated``): how many there are depends on the secrets' kinds
    and the election's formats and originals only, never on what is stored."""
    results: list[bool] = []
    decoy_cost = work.decoy if work is not None else _cost_of_hasher(deps.hasher)
    # (hash, value, what it counts for: a credential's True, a missing one's False, a
    # decoy for time only None)
    verified: list[tuple[str, str, bool | None]] = []
    for kind, typed in secrets.items():
        fmt = definition.credentials[kind]
        credential = stored.get(kind)
        scheme = credential.scheme if credential is not None else creds.scheme_for(fmt)
        value = creds.normalise_typed(fmt, typed)
        if scheme == creds.SCHEME_HMAC:
            expected = credential.hash if credential is not None else ""
            actual = keyed_hash(deps.key, credential_purpose(kind), value)
            results.append(hmac.compare_digest(actual, expected) and credential is not None)
            if work is not None:  # as an argon2 one would: a decoy's verification
                verified.append((_decoy(decoy_cost), value, None))
        elif credential is not None:
            verified.append((credential.hash, value, True))
        else:
            verified.append((_decoy(decoy_cost), value, False))
    floor, to_measure = work.floor() if work is not None else (0.0, [])
    try:
        # Until each cost's time is known here, a decoy at it, once: it measures it.
        verified.extend((_decoy(cost), "", None) for cost in to_measure)
        costly = len(verified)
        if costly and not _admission.admit(costly):
            raise ChecksSaturated(_admission.retry_after())
    except BaseException:
        _measured_by_none(to_measure)  # another check measures them
        raise
    pending: list[tuple[Future[tuple[bool, float, float]], bool | None]] = []
    try:
        for stored_hash, value, counts in verified:
            pending.append((_verify(deps.hasher, stored_hash, value, floor), counts))
    finally:
        if len(pending) < costly:  # admitted, never sent (an error)
            for _ in range(costly - len(pending)):
                _admission.release(None)
            _measured_by_none(to_measure)
    # A decoy's verification is waited for like the others, and never a match.
    for future, counts in pending:
        verdict = future.result()[0]
        if counts is not None:
            results.append(verdict and counts)
    return bool(results) and all(results)


FLOOR_MARGIN = 1.25
"""How much longer than the slowest of an election's costs takes on average (here, as
measured) each verification of its checks holds its worker: a verification at that
cost varies around its average, and one padded to the average alone would not."""


@dataclass(frozen=True, slots=True)
class _Work:
    """The argon2 work of a check in an election with originals: the costs its
    credentials have (CSU's own where a format is kept by argon2id, the originals'), and
    the decoys', at the originals' (never dearer than the slowest)."""

    costs: frozenset[Cost]
    decoy: Cost

    def floor(self) -> tuple[float, list[Cost]]:
        """How long each verification holds its worker (seconds): FLOOR_MARGIN times the
        slowest of the costs as measured here, whatever their parameters say (memory
        weighs more than passes); and the costs this check is to measure, those not
        measured yet that no other check is measuring (a burst of checks at a fresh
        start measured each cost once each, and filled the queue)."""
        known = {cost: _duration_of(cost) for cost in self.costs}
        slowest = max((seconds for seconds in known.values() if seconds is not None), default=0.0)
        to_measure = []
        with _durations_lock:
            for cost, seconds in known.items():
                if seconds is None and cost not in _measuring:
                    _measuring.add(cost)
                    to_measure.append(cost)
        return FLOOR_MARGIN * slowest, to_measure


_durations: dict[Cost, float] = {}
_measuring: set[Cost] = set()  # a verification at it on its way: measured as it ends
_durations_lock = threading.Lock()


def _duration_of(cost: Cost) -> float | None:
    with _durations_lock:
        return _durations.get(cost)


def _measured_by_none(costs: Sequence[Cost]) -> None:
    """The measures a check was to make and will not (refused, or failed): another
    check makes them (else a cost stayed out of every floor until a credential at it
    was verified)."""
    with _durations_lock:
        _measuring.difference_update(costs)


def _lasted(cost: Cost | None, seconds: float) -> None:
    """A verification at ``cost`` lasted ``seconds`` in its worker: its moving average
    (the machine's load changes), the first one as it is."""
    if cost is None:
        return
    with _durations_lock:
        known = _durations.get(cost)
        _durations[cost] = seconds if known is None else known + (seconds - known) / 8
        _measuring.discard(cost)


def _work_of(
    session: Session, hasher: PasswordHasher, definition: ElectionDefinition
) -> _Work | None:
    """The argon2 work of the election's checks where it has originals (table
    ``originals_cost``, read with the check, in its transaction: an import is seen by
    the next check); None without."""
    originals = {
        (row.memory_kib, row.time_cost, row.parallelism)
        for row in session.execute(
            select(OriginalsCost).where(OriginalsCost.election_id == definition.id)  # type: ignore[arg-type]
        ).scalars()
    }
    if not originals:
        return None
    own = any(creds.scheme_for(f) != creds.SCHEME_HMAC for f in definition.credentials.values())
    costs = originals | {_cost_of_hasher(hasher)} if own else originals
    # The decoys' the slowest measured: held to the floor as any, they work as a dear
    # original does when load stretches both past it (the least memory until measured).
    timed = {cost: seconds for cost in costs if (seconds := _duration_of(cost)) is not None}
    decoy = max(timed, key=timed.__getitem__) if timed else min(originals)
    return _Work(costs=frozenset(costs), decoy=decoy)


def _cost_of_hasher(hasher: PasswordHasher) -> Cost:
    return hasher.memory_cost, hasher.time_cost, hasher.parallelism


def _cost_of_phc(phc: str) -> Cost | None:
    try:
        return cost_of(phc)
    except (InvalidHashError, ValueError):
        return None  # a damaged hash: it matches nothing, its cost is no one's


def _verify(
    hasher: PasswordHasher, stored: str, value: str, floor: float = 0.0
) -> "Future[tuple[bool, float, float]]":
    """One admitted verification, sent to the pool, holding its worker ``floor`` seconds
    at least; its slot is given back when it ends, however it ends."""
    future = _argon2_pool().submit(_argon2_timed, hasher, stored, value, floor)
    cost = _cost_of_phc(stored)

    def done(ended: "Future[tuple[bool, float, float]]") -> None:
        if ended.cancelled() or ended.exception():
            _admission.release(None)
            if cost is not None:
                _measured_by_none([cost])
            return
        _, worked, held = ended.result()
        _admission.release(held)
        _lasted(cost, worked)

    future.add_done_callback(done)
    return future


def _argon2_timed(
    hasher: PasswordHasher, stored: str, value: str, floor: float = 0.0
) -> tuple[bool, float, float]:
    """In a worker: the verdict, how long the verification took there (what its cost's
    time is measured from), and how long it held the worker: ``floor`` at least, waited
    out here, where a cheaper hash's answer would otherwise come sooner, queue or not
    (what the Retry-After of a refused check is estimated from)."""
    began = time.perf_counter()
    verdict = argon2_verifies(hasher, stored, value)
    worked = time.perf_counter() - began
    if worked < floor:
        time.sleep(floor - worked)
    return verdict, worked, time.perf_counter() - began


class _Admission:
    """The argon2 verifications admitted, running or waiting for a worker: at most
    ``limit``, except that a check is always admitted when none is (a check needing
    more verifications than the limit would otherwise never be made)."""

    def __init__(self, limit: int, workers: int) -> None:
        self.limit = limit
        self.workers = workers
        self.admitted = 0
        self.seconds = 0.3  # a verification's time in a worker, until one is measured
        self._lock = threading.Lock()

    def admit(self, count: int) -> bool:
        with self._lock:
            if self.admitted and self.admitted + count > self.limit:
                return False
            self.admitted += count
            return True

    def release(self, seconds: float | None) -> None:
        with self._lock:
            self.admitted -= 1
            if seconds is not None:  # a moving average: the machine's load changes
                self.seconds += (seconds - self.seconds) / 8

    def retry_after(self) -> int:
        """Seconds until the verifications admitted now should be done."""
        with self._lock:
            waiting = self.admitted * self.seconds / self.workers
        return min(max(1, math.ceil(waiting)), MAX_RETRY_AFTER_S)


_admission = _Admission(ARGON2_ADMITTED, ARGON2_WORKERS)


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_decoys: dict[tuple[int, int, int], str] = {}


def _argon2_pool() -> ProcessPoolExecutor:
    """Worker processes, not threads: a thread at a lower priority that holds the
    interpreter lock between two verifications makes the event loop wait for it while
    the argon2 lanes take the cores (/v1/health: p95 65 ms, p99 over 500 ms). A process
    of its own holds no lock of the API's. Spawned: the API runs threads."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                ARGON2_WORKERS,
                mp_context=QUIET_SPAWN,
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return _pool


def warm_argon2_pool(deps: Deps | None = None) -> None:
    """Starts the argon2 workers now (``csu api`` at start-up) rather than at the first
    argon2 check: a spawned worker imports CSU first, seconds on a busy machine, which
    the first voter to log in would otherwise wait. With ``deps``, also measures the
    originals' costs and CSU's own, in the background: until a cost is measured, the
    checks of its election leave it out of their floor."""
    pool = _argon2_pool()
    for _ in range(ARGON2_WORKERS):
        pool.submit(_ready)
    if deps is None:
        return
    try:
        with deps.reading() as session:
            costs = {
                (row.memory_kib, row.time_cost, row.parallelism)
                for row in session.execute(select(OriginalsCost)).scalars()
            }
    except Exception:  # any: the store out of reach, the API starts all the same
        return  # (its checks measure the costs as they come)
    if not costs:
        return
    costs.add(_cost_of_hasher(deps.hasher))
    with _durations_lock:
        costs -= _measuring | set(_durations)
        _measuring.update(costs)
    for cost in sorted(costs):
        if _admission.admit(1):  # as a check's: its slot given back as it ends
            _verify(deps.hasher, _decoy(cost), "")
        else:
            _measured_by_none([cost])


def _ready() -> bool:
    return True


def stop_argon2_pool() -> None:
    """At the end of the process's API (``csu api`` stopping): the workers end with
    their pool, whose semaphores are released. uvicorn ends the process by the signal
    it was sent, so nothing at exit would release them: the resource tracker then
    warned of five "leaked semaphore objects" in the log at every stop."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    # The workers run at a low priority: on a machine busy with other work they had
    # little CPU to read the pool's stop and exit. None has anything to finish once the
    # API stops.
    kill_pool(pool)


def _forget_pool() -> None:
    """In a forked child: the parent's pool is not this process's (its threads and
    workers stayed in the parent, and so did the verifications it admitted), a first
    argon2 check starts one of its own."""
    global _pool, _pool_lock, _admission
    _pool, _pool_lock = None, threading.Lock()
    _admission = _Admission(ARGON2_ADMITTED, ARGON2_WORKERS)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _start_worker(parent: int) -> None:
    """Lowers the priority of an argon2 worker (the lanes libargon2 starts from it
    inherit it: on Linux a nice value is per thread), and ends it if the API's process
    dies without stopping its pool (killed): it would wait for work forever."""
    ignore_ctrl_c()  # Ctrl+C on « csu api » is the API's: it stops its pool
    with contextlib.suppress(AttributeError, OSError):  # elsewhere than Linux: as is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ARGON2_NICE)
    # Linux: SCHED_BATCH, inherited by the lanes too: the argon2 work never preempts
    # the API's threads as they wake (a nice value alone let it delay /v1/health by
    # 100 ms and more at the 95th percentile, under a burst of argon2 checks; with
    # SCHED_BATCH, 8-10 ms on a slow machine). Not SCHED_IDLE, which ran argon2 only
    # on what the whole machine left: with six other busy processes on 2 cores no
    # login check was answered before the platform's timeout.
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="csu-argon2-parent", daemon=True).start()


def _decoy(cost: Cost) -> str:
    """An argon2id hash at ``cost``, of a value nobody can type. Made once, under a lock
    of its own: a dear one takes a second, which no other check waits for."""
    with _decoy_lock:
        if cost not in _decoys:
            memory, passes, lanes = cost
            hasher = PasswordHasher(time_cost=passes, memory_cost=memory, parallelism=lanes)
            _decoys[cost] = hasher.hash(os.urandom(32).hex())
        return _decoys[cost]


_decoy_lock = threading.Lock()


def check_login(
    deps: Deps,
    election: str,
    identifier: str,
    birth_date: date,
    *,
    security_key: str | None = None,
    password: str | None = None,
    vote_code: str | None = None,
) -> bool:
    """True when the material ``identifier`` of ``election`` is active with a scrutin
    left to vote, the birth date is the voter's, and every credential given is the
    active one issued by the cell, or the original the platform mailed once its hash is
    imported (csu.services.originals); an original not imported cannot be checked."""
    given = {"security_key": security_key, "password": password, "vote_code": vote_code}
    given = {kind: value for kind, value in given.items() if value is not None}
    if not given:
        return False
    with deps.reading() as session:
        material = session.execute(
            select(Material).where(
                Material.election_id == election, Material.identifier == identifier
            )
        ).scalar_one_or_none()
        if material is None or not open_scrutins(session, material):
            return False
        voter = session.get(Voter, material.voter_id)
        if voter is None or voter.birth_date != birth_date:
            return False
        definition = get_definition(session, election)
        for kind, typed in given.items():
            fmt = definition.credentials.get(kind)
            active = session.execute(
                select(Credential).where(
                    Credential.material_id == material.id,
                    Credential.kind == kind,
                    Credential.status == "active",
                )
            ).scalar_one_or_none()
            if fmt is None or active is None:
                return False
            value = creds.normalise_typed(fmt, typed)
            if not _matches(deps, active, kind, value):
                return False
    return True


def _matches(deps: Deps, credential: Credential, kind: str, value: str) -> bool:
    if credential.scheme == creds.SCHEME_HMAC:
        return matches(deps.key, credential_purpose(kind), value, credential.hash)
    return argon2_verifies(deps.hasher, credential.hash, value)
