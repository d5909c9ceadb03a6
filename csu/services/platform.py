"""The voting platform's login checks, from the credentials the cell holds.

:func:`check_platform_login` is what CSU's API answers the platform (``POST
/v1/elections/{election}/logins/check``): journalled with the platform as actor,
failures counted per identifier, and the identifier locked for a while once the
election's limit is reached (``[platform]`` in the election file, the cell's policy).

:func:`check_login` is the same comparison for tests and demos: what the platform's
login page would answer, proving that after a reissue the old credential is dead and
the new one works. Not an operator action: nothing is journalled, no role applies.

Credentials kept by keyed hash check in microseconds; argon2id ones (~0.1-0.3 s of
CPU and tens of MiB each) run in a small thread pool of their own, so that a burst
of checks queues there instead of taking every core and all the memory.
"""

import contextlib
import hmac
import math
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from csu.domain import credentials as creds
from csu.domain import scrutins as scrutin_rules
from csu.domain.election import CREDENTIAL_LABELS, ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.hashing import keyed_hash
from csu.services.context import Deps, ServiceError, retried
from csu.services.elections import get_definition
from csu.services.emargement import material_states, open_scrutins
from csu.services.platform_clients import Platform, require_election
from csu.store import journal
from csu.store.tables import Credential, Material, PlatformLoginFailures, Voter

IDENTIFIER_PURPOSE = "platform_login_identifier"
ACTION = "platform_login_check"
VALID, INVALID, LOCKED = "valide", "invalide", "bloqué"
# argon2id verifications at once, whatever the number of requests waiting.
ARGON2_WORKERS = max(1, min(4, os.cpu_count() or 1))
# ...and at a lower CPU priority (a nice value, Linux): each verification runs one
# thread per lane of the hash (4 at the settings' cost), which would otherwise take
# every core from the API's event loop (/v1/health) and from the keyed-hash checks.
ARGON2_NICE = 10
MAX_RETRY_AFTER_S = 24 * 3600


class LoginLocked(ServiceError):
    """Too many failed checks for this identifier: none is made before ``retry_after``
    seconds (the API answers 429 with Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
    the identifier is locked."""
    require_election(platform, election)
    if isinstance(secrets, LoginSecrets):
        secrets = secrets.given()
    now = deps.clock()
    identifier = identifier.strip()
    identifier_hash = keyed_hash(deps.key, IDENTIFIER_PURPOSE, f"{election}:{identifier}")
    with deps.reading() as session:
        definition = get_definition(session, election)
        _check_secrets_given(definition, secrets)
        failures = session.get(PlatformLoginFailures, (election, identifier_hash))
        locked_until = _locked_until(failures, now)
        stored: dict[str, Credential] = {}
        material_id: int | None = None
        pseudonym: str | None = None  # the voter's, for the journal entry
        if locked_until is None:
            found = session.execute(
                select(Material.id, Voter.pseudonym)
                .join(Voter, Voter.id == Material.voter_id)  # type: ignore[arg-type]
                .where(Material.election_id == election, Material.identifier == identifier)
            ).one_or_none()
            if found is not None:
                material_id, pseudonym = found
                stored = _active_credentials(session, material_id or 0)
    if locked_until is not None:
        with deps.writing() as session:
            _journal_locked(session, platform, election, locked_until, now)
        raise _locked(locked_until, now)
    # No transaction is open while argon2 works: the store's write lock is never held.
    matched = _all_match(deps, definition, stored, secrets)
    with deps.writing() as session:
        material = session.get(Material, material_id) if material_id is not None else None
        valid = (
            matched
            and material is not None
            and material.status == "active"
            and _still_active(session, [c.id or 0 for c in stored.values()])
        )
        row = _failures_row(session, election, identifier_hash, create=not valid)
        locked_until = _locked_until(row, now)
        if locked_until is not None:  # locked by a concurrent check meanwhile
            _journal_locked(session, platform, election, locked_until, now)
        else:
            if row is not None:
                _count(row, valid, definition, now)
                session.add(row)
            # The definition read above: open_scrutins would read it again.
            scrutins = (
                scrutin_rules.open_ids(material_states(session, definition, material))
                if valid and material is not None
                else []
            )
            lock = _locked_until(row, now)
            journal.append(
                session,
                actor=platform.actor,
                action=ACTION,
                outcome=VALID if valid else INVALID,
                at=now,
                election=election,
                subject=pseudonym if material is not None else None,
                details={
                    "material": material.id if material is not None else None,
                    "failures": row.failures if row is not None else 0,
                    "locked_until": lock.isoformat() if lock else None,
                },
            )
    if locked_until is not None:
        raise _locked(locked_until, now)  # after the commit: the refusal has its entry
    return LoginCheck(valid=valid, scrutins_open=scrutins)


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
        wrong = [f"{kind} absent" for kind in missing]
        wrong += [f"{kind} inattendu" for kind in unexpected]
        raise InvalidValue(
            "Secrets",
            f"{', '.join(wrong)} (l'élection {definition.id} demande : {names} ; "
            f"clés : {', '.join(needed)})",
        )


def _locked_until(row: PlatformLoginFailures | None, now: datetime) -> datetime | None:
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def _count(
    row: PlatformLoginFailures, valid: bool, definition: ElectionDefinition, now: datetime
) -> None:
    """Failures in a row; the limit reached locks the identifier and starts again."""
    if valid:
        row.failures, row.locked_until = 0, None
        return
    row.failures += 1
    row.last_failure_at = now
    policy = definition.platform
    if row.failures >= policy.login_failures_limit:
        row.locked_until = now + timedelta(minutes=policy.login_lock_minutes)
        row.failures = 0


def _failures_row(
    session: Session, election: str, identifier_hash: str, *, create: bool
) -> PlatformLoginFailures | None:
    """The identifier's counter, locked for this transaction; created for a failure
    (two checks failing at once for a new identifier must not both insert it)."""
    if create:
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            insert(PlatformLoginFailures)
            .values(election_id=election, identifier_hash=identifier_hash, failures=0)
            .on_conflict_do_nothing()
        )
    return session.get(
        PlatformLoginFailures, (election, identifier_hash), with_for_update=True
    )


def _active_credentials(session: Session, material_id: int) -> dict[str, Credential]:
    rows = session.execute(
        select(Credential).where(
            Credential.material_id == material_id, Credential.status == "active"
        )
    ).scalars()
    return {row.kind: row for row in rows}


def _still_active(session: Session, credential_ids: list[int]) -> bool:
    """No credential was revoked while the check ran (a reissue at that moment)."""
    if not credential_ids:
        return False
    active = session.execute(
        select(Credential.id).where(
            Credential.id.in_(credential_ids),  # type: ignore[union-attr]
            Credential.status == "active",
        )
    ).all()
    return len(active) == len(credential_ids)


def _all_match(
    deps: Deps,
    definition: ElectionDefinition,
    stored: Mapping[str, Credential],
    secrets: Mapping[str, str],
) -> bool:
    """Every secret against its credential, without stopping at the first mismatch,
    and with the same argon2 work when a credential is missing (an unknown identifier
    or a credential the cell never issued): how long a check takes says nothing of
    which secret failed, nor of whether the identifier exists."""
    results: list[bool] = []
    pending: list[Future[bool]] = []
    for kind, typed in secrets.items():
        fmt = definition.credentials[kind]
        value = creds.normalise_typed(fmt, typed)
        credential = stored.get(kind)
        scheme = credential.scheme if credential is not None else creds.scheme_for(fmt)
        if scheme == creds.SCHEME_HMAC:
            expected = credential.hash if credential is not None else ""
            actual = keyed_hash(deps.key, f"credential:{kind}", value)
            results.append(hmac.compare_digest(actual, expected) and credential is not None)
        else:
            stored_hash = credential.hash if credential is not None else _decoy(deps.hasher)
            found = _argon2_pool().submit(_argon2_verifies, deps.hasher, stored_hash, value)
            pending.append(found if credential is not None else _never(found))
    results.extend(future.result() for future in pending)
    return bool(results) and all(results)


def _never(future: "Future[bool]") -> "Future[bool]":
    """A decoy's verification: waited for like the others, never a match."""
    decoy: Future[bool] = Future()
    future.add_done_callback(lambda _: decoy.set_result(False))
    return decoy


def _argon2_verifies(hasher: PasswordHasher, stored: str, value: str) -> bool:
    try:
        return hasher.verify(stored, value)
    except (VerificationError, InvalidHashError):
        return False


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_decoys: dict[tuple[int, int, int], str] = {}


def _argon2_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                ARGON2_WORKERS, thread_name_prefix="csu-argon2", initializer=_yield_cpu
            )
        return _pool


def _yield_cpu() -> None:
    """Lowers the priority of this argon2 worker thread; the lanes libargon2 starts
    from it inherit it (on Linux a nice value is per thread)."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere than Linux: as is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ARGON2_NICE)


def _decoy(hasher: PasswordHasher) -> str:
    """An argon2id hash of the hasher's cost, of a value nobody can type."""
    cost = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    with _pool_lock:
        if cost not in _decoys:
            _decoys[cost] = hasher.hash(os.urandom(32).hex())
        return _decoys[cost]


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
        expected = keyed_hash(deps.key, f"credential:{kind}", value)
        return hmac.compare_digest(expected, credential.hash)
    try:
        return deps.hasher.verify(credential.hash, value)
    except (VerificationError, InvalidHashError):
        return False
