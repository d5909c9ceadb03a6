"""Credential events pushed to the voting platforms that keep their own credential
store: whatever CSU issues or revokes, they learn (invariant 9).

:func:`credential_issued` and :func:`credential_revoked` are called by the services
that change credentials, inside their own transaction: one :class:`WebhookEvent` per
active platform client that has a webhook address and reaches the election, with its
``webhook_queue`` journal entry. A change rolled back leaves no event; a change
committed always has its events (a transactional outbox, as for messages to voters).

After the commit the events are POSTed in a background thread (the operator, or the
platform calling the API, never waits for a receiver), signed with the client's
secret by the Standard Webhooks scheme (:mod:`csu.delivery.webhook`). One that fails
is retried with backoff (30 s, 1, 2, 4… min, ``MAX_ATTEMPTS`` in all) by
:func:`deliver_due`, which every open terminal, ``csu outbox deliver`` and ``csu api``
run; then it is ``failed`` and ``csu platform webhooks --resend ID`` sends it again.

A granted substitution also queues, for every election (one that defines no
credential the cell issues included, such as cci-hdf-2021), ``material.substituted``
(:func:`material_replaced`): the original identifier no longer works, the new one
replaces it, for the same capacity and scrutins. It names identifiers only, as the
credential events do, never a credential nor its hash.

The payload names the identifier and, for an issued credential, only an argon2id PHC
hash of it: the credential's own stored hash when CSU keeps it with argon2id, else (a
key of 78 bits or more, kept by keyed HMAC) a light argon2id hash, enough for a value
that cannot be guessed and quick enough to compute inside the transaction. The
payload is sealed in the table and erased once delivered or abandoned; the journal
names the material by number, never the identifier.
"""

import logging
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from argon2 import PasswordHasher
from sqlalchemy import bindparam, event, select
from sqlmodel import Session, col

from csu.delivery import DeliveryFailed
from csu.delivery.webhook import WebhookSender
from csu.domain import credentials as creds
from csu.domain import sealing
from csu.domain import webhooks as events
from csu.domain.clock import to_paris
from csu.domain.scrutins import ballots, material_scrutins
from csu.services.context import (
    Deps,
    NotFound,
    OperatorContext,
    ServiceError,
    require_role,
    retried,
)
from csu.services.elections import get_definition
from csu.services.sessions import require_live_in, require_live_session
from csu.store import journal
from csu.store.journal import Actor
from csu.store.prepared import Prepared
from csu.store.retry_pass import due_ids
from csu.store.tables import (
    PENDING_SQL,
    SENDING_SQL,
    Credential,
    Material,
    PlatformClient,
    PlatformClientElection,
    Voter,
    WebhookEvent,
    core_tables,
)

_log = logging.getLogger(__name__)

SEAL_PURPOSE = "webhook"
SECRET_SEAL_PURPOSE = "webhook_secret"
MAX_ATTEMPTS = 8  # 30 s, 1, 2, 4, 8, 16, 32 min: about an hour of a receiver down
FIRST_RETRY = timedelta(seconds=30)
STALE_CLAIM = timedelta(minutes=2)
SYSTEM = Actor(operator="système", role=None, workstation=None)
# For credentials of 78 bits or more (kept by keyed HMAC): guessing is hopeless
# whatever the cost, so a light argon2id keeps the change's transaction short.
LIGHT_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
_AFTER_COMMIT = "csu_webhooks_after_commit"
_LISTENING = "csu_webhooks_listening"
# A granted substitution, for the material itself (every election, with or without
# credentials the cell issues). Its row's ``kind``: what it replaces, the identifier.
SUBSTITUTED = events.SUBSTITUTED
SUBSTITUTED_KIND = "identifier"

STATE_LABELS: dict[str, str] = {
    "pending": "en attente",
    "sending": "en cours d'envoi",
    "sent": "remis",
    "failed": "échec",
    "abandoned": "abandonné",
}


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: int
    message_id: str
    client: str
    election: str
    material: int
    event_type: str
    kind: str
    state: str  # French label
    attempts: int
    last_error: str | None
    created_at: datetime  # aware, Europe/Paris
    sent_at: datetime | None


# ----------------------------------------------------------------- secrets


def seal_secret(deps: Deps, secret: str) -> str:
    """A client's signing secret as stored: sealed under the deployment key."""
    return sealing.seal(deps.key, SECRET_SEAL_PURPOSE, secret)


def new_client_secret(deps: Deps) -> tuple[str, str]:
    """A new signing secret (``whsec_…``, shown once) and its sealed form."""
    secret = events.new_secret()
    return secret, seal_secret(deps, secret)


# ------------------------------------------------------------------ queueing


def credential_issued(
    session: Session,
    deps: Deps,
    actor: Actor,
    *,
    material: Material,
    kind: str,
    credential_id: int,
    value: str,
    scheme: str,
    stored: str,
    now: datetime,
    replaces: str | None = None,
) -> list[int]:
    """Queues ``credential.issued`` for the new credential ``value`` of ``material``
    (``scheme`` and ``stored``: how CSU keeps it) in the caller's transaction."""
    clients = _subscribers(session, material.election_id)
    if not clients:
        return []
    phc = stored if scheme == creds.SCHEME_ARGON2 else LIGHT_HASHER.hash(value)
    body = events.issued_body(
        election=material.election_id,
        identifier=material.identifier,
        kind=kind,
        credential_hash=phc,
        at=now,
        replaces=replaces,
    )
    return _queue(session, deps, actor, clients, material, events.ISSUED, kind,
                  credential_id, body, now)  # fmt: skip


def credential_revoked(
    session: Session,
    deps: Deps,
    actor: Actor,
    *,
    material: Material,
    kind: str,
    credential_id: int | None,
    cause: events.Cause,
    now: datetime,
) -> list[int]:
    """Queues ``credential.revoked`` for the credential of ``kind`` of ``material``
    (``credential_id`` None: one CSU never held, such as an original not imported)."""
    clients = _subscribers(session, material.election_id)
    if not clients:
        return []
    body = events.revoked_body(
        election=material.election_id,
        identifier=material.identifier,
        kind=kind,
        cause=cause,
        at=now,
    )
    return _queue(session, deps, actor, clients, material, events.REVOKED, kind,
                  credential_id, body, now)  # fmt: skip


def material_replaced(
    session: Session,
    deps: Deps,
    actor: Actor,
    *,
    old: Material,
    new: Material,
    shown: Mapping[str, str],
    now: datetime,
) -> list[int]:
    """Substitution: ``material.substituted`` first (``old``'s identifier no longer
    works, ``new``'s replaces it: for every election, even one whose credentials the
    cell never issues), then every credential kind of ``old`` is revoked (those CSU
    never held too: the platform may keep the originals it mailed), and each new
    credential of ``new`` (``shown``: kind -> the value as written to the voter) is
    issued. All in the caller's transaction (the grant's)."""
    clients = _subscribers(session, old.election_id)
    if not clients:
        return []
    session.flush()
    definition = get_definition(session, old.election_id)
    body = events.substituted_body(
        election=old.election_id,
        identifier=old.identifier,
        replaced_by=new.identifier,
        capacity=new.capacity,
        scrutins=list(material_scrutins(
            ballots(definition), new.capacity, new.bureau_code, new.scrutins
        )),
        at=now,
    )
    ids = _queue(session, deps, actor, clients, old, SUBSTITUTED, SUBSTITUTED_KIND,
                 None, body, now)  # fmt: skip
    # The latest credential of each kind of the old material: the one just revoked.
    held = {
        row.kind: row
        for row in session.execute(
            select(Credential)
            .where(col(Credential.material_id) == old.id)
            .order_by(col(Credential.id))
        ).scalars()
    }
    for kind in definition.credential_kinds:
        before = held.get(kind)
        ids += credential_revoked(
            session, deps, actor, material=old, kind=kind,
            credential_id=before.id if before is not None else None,
            cause="substituted", now=now,
        )  # fmt: skip
    issued = session.execute(
        select(Credential).where(
            col(Credential.material_id) == new.id, col(Credential.status) == "active"
        )
    ).scalars()
    for credential in issued:
        value = creds.normalise_typed(definition.credentials[credential.kind],
                                      shown[credential.kind])  # fmt: skip
        ids += credential_issued(
            session, deps, actor, material=new, kind=credential.kind,
            credential_id=credential.id or 0, value=value, scheme=credential.scheme,
            stored=credential.hash, now=now, replaces=old.identifier,
        )  # fmt: skip
    return ids


class _Subscriber(NamedTuple):
    id: int
    name: str


def _subscribers(session: Session, election: str) -> list[_Subscriber]:
    """Active clients with a webhook address and a secret that reach ``election``: a
    Core read on the driver's cursor, as every credential issued or revoked asks."""
    return [_Subscriber(*row) for row in _SUBSCRIBERS.rows_in(session, election=election)]


(_client, _client_election) = core_tables(PlatformClient, PlatformClientElection)
_SUBSCRIBERS = Prepared(lambda: select(_client.c.id, _client.c.name).join(
    _client_election, _client_election.c.client_id == _client.c.id,
).where(
    _client_election.c.election_id == bindparam("election"),
    _client.c.revoked_at.is_(None),
    _client.c.webhook_url.is_not(None),
    _client.c.webhook_secret_sealed.is_not(None),
).order_by(_client.c.id))  # fmt: skip


def _queue(
    session: Session,
    deps: Deps,
    actor: Actor,
    clients: list[_Subscriber],
    material: Material,
    event_type: str,
    kind: str,
    credential_id: int | None,
    body: str,
    now: datetime,
) -> list[int]:
    voter = session.get(Voter, material.voter_id)
    ids: list[int] = []
    for client in clients:
        row = WebhookEvent(
            message_id=events.new_message_id(),
            client_id=client.id or 0,
            election_id=material.election_id,
            material_id=material.id or 0,
            credential_id=credential_id,
            event_type=event_type,
            kind=kind,
            payload_sealed=sealing.seal(deps.key, SEAL_PURPOSE, body),
            next_attempt_at=now,
            created_at=now,
            created_by=actor.operator or "",
        )
        session.add(row)
        session.flush()
        journal.append(
            session,
            actor=actor,
            action="webhook_queue",
            outcome="ok",
            at=now,
            election=material.election_id,
            subject=voter.pseudonym if voter is not None else None,
            details={
                "webhook": row.id,
                "client": client.name,
                "event": event_type,
                "kind": kind,
                "material": material.id,
                "credential": credential_id,
            },
        )
        ids.append(row.id or 0)
    _deliver_after_commit(session, deps, ids)
    return ids


def _deliver_after_commit(session: Session, deps: Deps, ids: list[int]) -> None:
    """Once the caller's transaction commits (never if it rolls back), the events go
    out in the background. Not when a savepoint inside it is released: SQLAlchemy calls
    ``after_commit`` then too (a substitution draws each new identifier in a nested
    transaction), and the events queued before it would be claimed while still
    invisible to the delivery's own transaction, then wait for the next pass."""
    waiting: list[int] | None = session.info.get(_AFTER_COMMIT)
    if waiting is None:
        waiting = session.info[_AFTER_COMMIT] = []
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True

        def kick(committed: Session) -> None:
            if committed.in_nested_transaction():  # a savepoint, not the transaction
                return
            deliver_in_background(deps, committed.info.pop(_AFTER_COMMIT, []))

        event.listen(session, "after_commit", kick)
    waiting.extend(ids)


# ----------------------------------------------------------------- delivery

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_running: set["Future[None]"] = set()


def deliver_in_background(
    deps: Deps, ids: Iterable[int], sender: WebhookSender | None = None
) -> "Future[None] | None":
    """Delivers these events in a worker thread; failures stay queued for
    :func:`deliver_due`. The interpreter waits for the thread at exit."""
    wanted = list(ids)
    if not wanted:
        return None
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(2, thread_name_prefix="csu-webhooks")
        future = _executor.submit(_deliver_quietly, deps, wanted, sender)
        _running.add(future)
    future.add_done_callback(_running.discard)
    return future


def wait_for_deliveries(timeout: float | None = None) -> bool:
    """Waits for the background deliveries started so far; False on timeout."""
    with _executor_lock:
        pending = list(_running)
    _, not_done = wait_futures(pending, timeout=timeout)
    return not not_done


def _deliver_quietly(deps: Deps, ids: list[int], sender: WebhookSender | None) -> None:
    try:
        deliver(deps, ids, sender=sender)
    except Exception:  # the store out of reach: the events stay queued for a later pass
        _log.exception("background delivery of webhooks %s failed", ids)


def deliver(
    deps: Deps,
    ids: Iterable[int],
    *,
    sender: WebhookSender | None = None,
    actor: Actor | None = None,
) -> dict[int, str]:
    """Delivers these events now; returns each one's state (``sent``, ``pending`` for a
    retry, ``failed``, ``abandoned``)."""
    transport = sender or WebhookSender()
    return {wid: _deliver_one(deps, wid, transport, actor or SYSTEM) for wid in ids}


def deliver_due(
    deps: Deps,
    actor: Actor | None = None,
    *,
    sender: WebhookSender | None = None,
    limit: int = 50,
) -> dict[int, str]:
    """Delivers the events whose next attempt is due, and stale claims."""
    now = deps.clock()
    attempt, claimed = col(WebhookEvent.next_attempt_at), col(WebhookEvent.claimed_at)
    branches = (
        (PENDING_SQL, attempt, attempt <= now),
        (SENDING_SQL, claimed, claimed < now - STALE_CLAIM),
    )
    with deps.reading() as session:  # branch by branch: csu.store.retry_pass
        due = due_ids(session, col(WebhookEvent.id), col(WebhookEvent.state), branches, limit)
    return deliver(deps, due, sender=sender, actor=actor)


@dataclass(frozen=True, slots=True)
class _Claimed:
    url: str
    secret: str
    message_id: str
    body: str
    claim: datetime


def _deliver_one(deps: Deps, webhook_id: int, sender: WebhookSender, actor: Actor) -> str:
    claimed = _claim(deps, webhook_id, actor)
    if not isinstance(claimed, _Claimed):
        return claimed
    try:
        reference, error = sender.send(claimed.url, claimed.secret, claimed.message_id,
                                       claimed.body), None  # fmt: skip
    except DeliveryFailed as failure:
        reference, error = None, str(failure)
    except Exception as failure:  # a transport bug must not leave the claim hanging
        reference, error = None, f"erreur inattendue du transport ({type(failure).__name__})"
    return _settle(deps, webhook_id, actor, claimed.claim, reference, error)


@retried
def _claim(deps: Deps, webhook_id: int, actor: Actor) -> "_Claimed | str":
    """Marks the event ``sending`` and reads what to send; or its state when it is not
    to be sent (already sent or claimed, or its client revoked meanwhile)."""
    now = deps.clock()
    with deps.writing() as session:
        row = session.get(WebhookEvent, webhook_id, with_for_update=True)
        if row is None:
            return "absent"
        stale = row.state == "sending" and row.claimed_at and row.claimed_at < now - STALE_CLAIM
        if (row.state != "pending" and not stale) or row.payload_sealed is None:
            return row.state
        client = session.get(PlatformClient, row.client_id)
        if (
            client is None
            or client.revoked_at is not None
            or not client.webhook_url
            or client.webhook_secret_sealed is None
        ):
            _close(row, "abandoned")
            _journal(session, actor, row, "webhook_abandon", "abandonné", now,
                     "client de l'API révoqué ou sans adresse de webhooks")  # fmt: skip
            return row.state
        row.state, row.claimed_at = "sending", now
        session.add(row)
        return _Claimed(
            url=client.webhook_url,
            secret=sealing.unseal(deps.key, SECRET_SEAL_PURPOSE, client.webhook_secret_sealed),
            message_id=row.message_id,
            body=sealing.unseal(deps.key, SEAL_PURPOSE, row.payload_sealed),
            claim=now,
        )


@retried
def _settle(
    deps: Deps,
    webhook_id: int,
    actor: Actor,
    claim: datetime,
    reference: str | None,
    error: str | None,
) -> str:
    now = deps.clock()
    with deps.writing() as session:
        row = session.get(WebhookEvent, webhook_id, with_for_update=True)
        assert row is not None
        still_ours = row.state == "sending" and row.claimed_at == claim
        if not still_ours and (error is not None or row.state in ("sent", "abandoned")):
            # Retried by another process meanwhile: a failure of ours changes nothing;
            # a success is still recorded below (the platform got it).
            return row.state
        row.attempts += 1
        row.claimed_at = None
        if error is None:
            row.sent_at, row.reference, row.last_error = now, reference, None
            _close(row, "sent")
            _journal(session, actor, row, "webhook_sent", "ok", now, None)
        else:
            row.last_error = error[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = "failed"  # the payload stays sealed, for a resend
            else:
                row.state = "pending"
                row.next_attempt_at = now + FIRST_RETRY * 2 ** (row.attempts - 1)
            _journal(session, actor, row, "webhook_failed", row.state, now, error)
        session.add(row)
        return row.state


def _close(row: WebhookEvent, state: str) -> None:
    row.state = state
    row.payload_sealed = None  # delivered or given up: nothing left to send


def _journal(
    session: Session,
    actor: Actor,
    row: WebhookEvent,
    action: str,
    outcome: str,
    now: datetime,
    error: str | None,
) -> None:
    material = session.get(Material, row.material_id)
    voter = session.get(Voter, material.voter_id) if material is not None else None
    client = session.get(PlatformClient, row.client_id)
    journal.append(
        session,
        actor=actor,
        action=action,
        outcome=outcome,
        at=now,
        election=row.election_id,
        subject=voter.pseudonym if voter is not None else None,
        details={
            "webhook": row.id,
            "client": client.name if client is not None else None,
            "event": row.event_type,
            "kind": row.kind,
            "material": row.material_id,
            "attempts": row.attempts,
            "error": error,
            "reference": row.reference,
        },
    )


# -------------------------------------------------------- operators' view


def list_webhooks(
    deps: Deps,
    who: OperatorContext,
    client: str | None = None,
    state: str | None = None,
    limit: int = 100,
) -> list[WebhookView]:
    """The latest events (of one client, in one state), newest first: no identifier,
    no payload."""
    require_role(deps, who, "admin", "superviseur")
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        query = (
            select(WebhookEvent, col(PlatformClient.name))
            .join(PlatformClient, col(PlatformClient.id) == col(WebhookEvent.client_id))
            .order_by(col(WebhookEvent.id).desc())
        )
        if client is not None:
            query = query.where(col(PlatformClient.name) == client.strip())
        if state is not None:
            query = query.where(col(WebhookEvent.state) == state)
        rows = session.execute(query.limit(limit)).all()
        return [
            WebhookView(
                id=row.id or 0,
                message_id=row.message_id,
                client=name,
                election=row.election_id,
                material=row.material_id,
                event_type=row.event_type,
                kind=row.kind,
                state=STATE_LABELS.get(row.state, row.state),
                attempts=row.attempts,
                last_error=row.last_error,
                created_at=to_paris(row.created_at),
                sent_at=to_paris(row.sent_at) if row.sent_at else None,
            )
            for row, name in rows
        ]


@retried
def _requeue(deps: Deps, who: OperatorContext, webhook_id: int) -> None:
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        row = session.get(WebhookEvent, webhook_id, with_for_update=True)
        if row is None:
            raise NotFound(f"Aucun webhook n° {webhook_id}.")
        if row.state != "failed" or row.payload_sealed is None:
            raise ServiceError(
                f"Le webhook n° {webhook_id} est {STATE_LABELS.get(row.state, row.state)} : "
                "seul un webhook en échec peut être renvoyé."
            )
        row.state, row.attempts, row.next_attempt_at = "pending", 0, now
        session.add(row)
        _journal(session, who.actor, row, "webhook_resend", "ok", now, None)


def resend_webhook(
    deps: Deps, who: OperatorContext, webhook_id: int, sender: WebhookSender | None = None
) -> str:
    """A failed event goes out again now (the same webhook-id); returns its new state."""
    require_role(deps, who, "admin", "superviseur")
    _requeue(deps, who, webhook_id)
    return deliver(deps, [webhook_id], sender=sender, actor=who.actor)[webhook_id]
