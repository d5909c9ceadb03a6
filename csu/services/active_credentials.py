"""A voter's active credentials in one election, read by their materials' ids.

Two statements, never one join: the voter's materials by ``voter_id`` (a voter has a few),
then the active credentials of those materials through the credential table's own index.
The join let PostgreSQL's planner, whose statistics of ``credential`` predate its rows (the
cell's credentials start at none on an election's first day, and autovacuum analyses them
a minute or more later), walk every active credential of the cell and probe ``material``
once for each: 954 ms a call at 2,000 active keys, and the busiest statement of the server
under load (``bench.load``, 290 ms on average for each note checked). By ids, the plan is an
index look-up whatever the statistics say.
"""

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session, col

from csu.domain import credentials as creds
from csu.domain.hashing import argon2_verifies, matches
from csu.store.tables import Credential, Material

if TYPE_CHECKING:
    from argon2 import PasswordHasher


def of_voter(
    session: Session,
    voter_id: int | None,
    election_id: str | None,
    *columns: Any,
    kind: str | None = None,
) -> list[tuple[Any, ...]]:
    """``columns`` of the active credentials (of ``kind``, if given) of the voter's
    materials in ``election_id``, oldest first; none without a voter."""
    if voter_id is None:
        return []
    # By voter_id alone: with election_id too, stale statistics led the planner to
    # intersect the election's whole index of identifiers with the voter's.
    materials = [
        material_id
        for material_id, election in session.execute(
            select(col(Material.id), col(Material.election_id)).where(
                col(Material.voter_id) == voter_id
            )
        )
        if election == election_id
    ]
    if not materials:
        return []
    statement = select(col(Credential.id), *columns).where(
        col(Credential.material_id).in_(materials), col(Credential.status) == "active"
    )
    if kind is not None:
        statement = statement.where(col(Credential.kind) == kind)
    # Sorted here: an ORDER BY id let the planner walk the primary key, all of it, to
    # spare a sort it thought was of no row.
    rows = sorted(session.execute(statement).all(), key=lambda row: row[0])
    return [row[1:] for row in rows]


def key_prefix_matches(
    key: bytes, hasher: "PasswordHasher", session: Session, voter_id: int | None,
    election_id: str | None, said: str,
) -> bool:
    """Whether ``said`` starts with the first characters of the voter's active security
    key of ``election_id`` (S3): a key the cell issued by its keyed ``prefix_hash``, an
    original the platform mailed by the argon2id ``prefix_phc`` it exported."""
    head = creds.said_prefix(said)
    if head is None:
        return False
    held = of_voter(
        session, voter_id, election_id,
        col(Credential.prefix_hash), col(Credential.prefix_phc), kind="security_key",
    )  # fmt: skip
    return any(
        (keyed is not None and matches(key, creds.SECURITY_KEY_PREFIX, head, keyed))
        or (phc is not None and argon2_verifies(hasher, phc, head))
        for keyed, phc in held
    )
