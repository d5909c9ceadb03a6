"""The deployment key a store was built with, recognised when it is opened.

Every identifier, answer and token is kept as a keyed hash (csu.domain.hashing) and
every secret sealed under the key. Opened with another key (a CSU_SECRET_KEY left over
from another cell, a key file an editor saved with a byte-order mark), nothing fails
at once: voters are no longer found, answers no longer match, and a roll imported
again writes hashes no one can match, while the journal still verifies. So the store
keeps a keyed hash of a fixed text (never the key), written on the first opening, and
each opening compares it."""

import hmac

from sqlalchemy.exc import IntegrityError

from csu.domain.hashing import keyed_hash
from csu.services.context import Deps, ServiceError, retried
from csu.store.tables import Meta

FINGERPRINT = "key_fingerprint"  # csu_meta's key
_PURPOSE = "csu-deployment-key"


class KeyMismatch(ServiceError):
    """The key given is not the one the store was built with."""


def fingerprint(key: bytes) -> str:
    return keyed_hash(key, _PURPOSE, "fingerprint")


@retried
def check_deployment_key(deps: Deps, source: str) -> None:
    """Stops with :class:`KeyMismatch` (naming ``source``, where the key came from)
    when the store was built with another key; records the key's fingerprint on the
    first opening that finds none (a store older than this check, a new one)."""
    expected = fingerprint(deps.key)
    with deps.reading() as session:
        row = session.get(Meta, FINGERPRINT)
        stored = row.value if row is not None else None
    if stored is None:
        try:
            with deps.writing() as session:
                if session.get(Meta, FINGERPRINT) is None:
                    session.add(Meta(key=FINGERPRINT, value=expected))
                    return
        except IntegrityError:  # another workstation recorded it at the same moment
            pass
        with deps.reading() as session:
            row = session.get(Meta, FINGERPRINT)
            stored = row.value if row is not None else expected
    if not hmac.compare_digest(stored, expected):
        raise KeyMismatch(
            f"La clé secrète ({source}) n'est pas celle de cette base : avec elle, aucun "
            "électeur ne serait retrouvé ni aucune réponse reconnue. Rien n'a été modifié ; "
            "reprenez la clé avec laquelle la base a été créée."
        )
