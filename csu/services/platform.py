"""What the voting platform would answer at its login page, from the credentials the
cell holds: it proves that after a reissue the old credential is dead and the new one
works. Not an operator action: nothing is journalled and no role applies.
"""

import hmac
from datetime import date

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from csu.domain import credentials as creds
from csu.domain.hashing import keyed_hash
from csu.services.context import Deps
from csu.services.elections import get_definition
from csu.store.tables import Credential, Material, Voter


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
    """True when the material ``identifier`` of ``election`` is active and unused, the
    birth date is the voter's, and every credential given is the active one issued by
    the cell (a credential the cell never issued, from the notice, cannot be checked)."""
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
        if material is None or material.status != "active" or material.voted_at is not None:
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
