"""What a credential event pushed to a voting platform says (Standard Webhooks).

The body follows the scheme's recommended shape, ``{"type", "timestamp", "data"}``:

- ``credential.issued``: the cell issued a credential of ``kind`` for ``identifier``;
  it replaces any earlier credential of that kind for that identifier. ``data`` holds
  ``credential_hash``, an argon2id PHC string of the credential, never the credential.
  For substitution material, ``replaces`` names the identifier of the material it
  replaces.
- ``credential.revoked``: the credential of ``kind`` for ``identifier`` no longer
  works; ``cause`` is ``invalidated`` (the cell invalidated it without a new one) or
  ``substituted`` (its material was replaced).
- ``material.substituted``: substitution material was granted: ``identifier`` no
  longer works, ``replaced_by`` replaces it for ``capacity`` and ``scrutins``. Sent for
  every election, one whose credentials the cell never issues (cci-hdf-2021) included;
  it names identifiers only.

The body is compact JSON with sorted keys, UTF-8: the exact text signed and sent.
"""

import base64
import json
import secrets
from datetime import datetime
from typing import Literal

from csu.domain.clock import rfc3339
from csu.domain.ids import time_ordered_uuid

EventType = Literal["credential.issued", "credential.revoked", "material.substituted"]
ISSUED: EventType = "credential.issued"
REVOKED: EventType = "credential.revoked"
SUBSTITUTED: EventType = "material.substituted"
Cause = Literal["invalidated", "substituted"]
CAUSES: tuple[Cause, ...] = ("invalidated", "substituted")

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # 256 bits, as the scheme recommends (24 to 64 bytes)
MESSAGE_ID_PREFIX = "msg_"


def new_secret() -> str:
    """A signing secret in the scheme's form: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """The ``webhook-id`` of one event to one client: unique, the same on every retry;
    time-ordered, as its table's unique index is best filled (csu/domain/ids.py)."""
    return MESSAGE_ID_PREFIX + time_ordered_uuid().replace("-", "")


def issued_body(
    *,
    election: str,
    identifier: str,
    kind: str,
    credential_hash: str,
    at: datetime,
    replaces: str | None = None,
) -> str:
    data: dict[str, object] = {
        "election": election,
        "identifier": identifier,
        "kind": kind,
        "event": "issued",
        "credential_hash": credential_hash,
    }
    if replaces is not None:
        data["replaces"] = replaces
    return _body(ISSUED, at, data)


def substituted_body(
    *,
    election: str,
    identifier: str,
    replaced_by: str,
    capacity: str,
    scrutins: list[str],
    at: datetime,
) -> str:
    data: dict[str, object] = {
        "election": election,
        "event": "substituted",
        "identifier": identifier,
        "replaced_by": replaced_by,
        "capacity": capacity,
        "scrutins": scrutins,
    }
    return _body(SUBSTITUTED, at, data)


def revoked_body(
    *, election: str, identifier: str, kind: str, cause: Cause, at: datetime
) -> str:
    if cause not in CAUSES:
        raise ValueError(f"unknown cause of revocation: {cause}")
    data: dict[str, object] = {
        "election": election,
        "identifier": identifier,
        "kind": kind,
        "event": "revoked",
        "cause": cause,
    }
    return _body(REVOKED, at, data)


def _body(event: EventType, at: datetime, data: dict[str, object]) -> str:
    payload = {"type": event, "timestamp": rfc3339(at), "data": data}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
