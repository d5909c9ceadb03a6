"""The deployment key a store was built with, recognised when it is opened.

Every identifier, answer and token is kept as a keyed hash (csu.domain.hashing) and
every secret sealed under the key. Opened with another key (a CSU_SECRET_KEY left over
from another cell, a key file an editor saved with a byte-order mark), nothing fails
at once: voters are no longer found, answers no longer match, and a roll imported
again writes hashes no one can match, while the journal still verifies. So the store
keeps a keyed hash of a fixed text (never the key), written on the first opening, and
each opening compares it. A store older than the check (no fingerprint yet) takes the
key of its first opening only if that key opens what the store sealed (an operator's
authenticator secret) and names its voters as the store does (a voter's pseudonym): a
leftover key opening it first must not become its key. Only a store holding neither
takes any key: nothing in it depends on one yet."""

import hmac

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from csu.domain import sealing
from csu.domain.errors import InvalidValue
from csu.domain.hashing import keyed_hash, pseudonym
from csu.services.context import Deps, ServiceError, retried
from csu.services.operators import TOTP_PURPOSE
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import Meta, Operator, Voter

FINGERPRINT = "key_fingerprint"  # csu_meta's key
_PURPOSE = "csu-deployment-key"


class KeyMismatch(ServiceError):
    """The key given is not the one the store was built with."""


def fingerprint(key: bytes) -> str:
    return keyed_hash(key, _PURPOSE, "fingerprint")


@retried
def check_deployment_key(deps: Deps, source: str, workstation: str | None = None) -> None:
    """Stops with :class:`KeyMismatch` (naming ``source``, where the key came from)
    when the store was built with another key; records the key's fingerprint on the
    first opening that finds none (a store older than this check, a new one)."""
    expected = fingerprint(deps.key)
    with deps.reading() as session:
        row = session.get(Meta, FINGERPRINT)
        stored = row.value if row is not None else None
        sealed = session.execute(select(Operator.totp_secret_sealed).limit(1)).scalar()
        named = session.execute(  # a purged voter's pseudonym is a marker, not a hash
            select(Voter.matricule, Voter.pseudonym).where(Voter.purged_at.is_(None)).limit(1)  # type: ignore[union-attr]
        ).first()
    if stored is None:
        if sealed is not None and not _opens(deps.key, sealed):
            raise _mismatch(source)
        if named is not None and pseudonym(deps.key, named[0]) != named[1]:
            raise _mismatch(source)
        try:
            with deps.writing() as session:
                if session.get(Meta, FINGERPRINT) is None:
                    session.add(Meta(key=FINGERPRINT, value=expected))
                    if sealed is None and named is None:  # a new store: part of its making
                        return
                    journal.append(  # an older store's key fixed from now on: said when
                        session,
                        actor=Actor(operator="système", role=None, workstation=workstation),
                        action="key_fingerprint",
                        outcome="ok",
                        at=deps.clock(),
                    )
                    return
        except IntegrityError:  # another workstation recorded it at the same moment
            pass
        with deps.reading() as session:
            row = session.get(Meta, FINGERPRINT)
            stored = row.value if row is not None else expected
    if not hmac.compare_digest(stored.encode(), expected.encode()):
        raise _mismatch(source)


def _opens(key: bytes, sealed: str) -> bool:
    try:
        sealing.unseal(key, TOTP_PURPOSE, sealed)
    except InvalidValue:
        return False
    return True


def _mismatch(source: str) -> KeyMismatch:
    return KeyMismatch(
        f"La clé secrète ({source}) n'est pas celle de cette base : avec elle, aucun "
        "électeur ne serait retrouvé ni aucune réponse reconnue. Rien n'a été modifié ; "
        "reprenez la clé avec laquelle la base a été créée."
    )
