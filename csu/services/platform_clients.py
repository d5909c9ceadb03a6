"""Voting platforms as clients of CSU's HTTP API (``csu platform add/list/revoke``).

A platform client has a name, the elections its key reaches and, optionally, the
address where it receives webhooks. Its API key (256 random bits) is shown once,
when the client is created, and kept only as a keyed hash (csu.domain.hashing):
authenticating a request costs one HMAC and one indexed read. A client with a
webhook address also gets a signing secret (``whsec_…``, csu.services.webhooks),
shown once too and kept sealed: CSU must read it to sign each event.

Every call of a platform is journalled with the platform as actor
(:func:`platform_actor`): the services it calls append their own entry, and a call
refused by the API itself is recorded by :func:`record_refusal`. A call whose key is
missing, unknown or revoked is journalled too (:func:`record_unauthenticated`), with
an unknown platform as actor and at most a keyed hash of the key's first characters;
at most one entry per source and minute (:class:`RefusalThrottle`), so that a flood of
bad keys cannot flood the journal.
"""

import ipaddress
import re
import secrets
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlmodel import Session

from csu.domain.errors import InvalidValue
from csu.domain.hashing import keyed_hash
from csu.domain.text import single_line
from csu.domain.urls import request_url
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OperatorContext,
    ServiceError,
    require_role,
    retried,
)
from csu.services.sessions import require_live_in, require_live_session
from csu.services.webhooks import new_client_secret
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import Election, PlatformClient, PlatformClientElection

KEY_PURPOSE = "platform_key"
PREFIX_PURPOSE = "platform_key_prefix"  # the keyed hash of a refused key's first characters
KEY_PREFIX = "csu_"
HINT_LENGTH = 8  # "csu_" and 4 characters of the random part: ~24 of 256 bits shown
MAX_WEBHOOK_URL = 500  # its column's width
# A client's last call is written at most this often: one small write now and then,
# not one per request (50 login checks a second share a row otherwise).
SEEN_PRECISION = timedelta(seconds=30)
PLATFORM_ROLE = "plateforme"
# The actor of a call whose key names no active client: parentheses are in no name.
UNKNOWN_PLATFORM = f"{PLATFORM_ROLE}:(inconnue)"
KEY_REFUSED = "platform_key_refused"
# Refused keys: one entry per source and window, and at most so many sources a window.
REFUSAL_WINDOW = timedelta(minutes=1)
REFUSAL_SOURCES = 100
# At most 50 characters: the journal and the credentials name it "plateforme:NAME".
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,48}[a-z0-9])?")


class Unauthenticated(ServiceError):
    """No API key, or one that is unknown or revoked (``why``: absente, inconnue,
    révoquée; ``client``: the revoked client's name). The message says no more than
    « unknown or revoked »: which of the two is for the journal only."""

    def __init__(self, message: str, *, why: str = "absente", client: str | None = None):
        super().__init__(message)
        self.why = why
        self.client = client


@dataclass(frozen=True, slots=True)
class Platform:
    """The platform client a request authenticated as."""

    id: int
    name: str
    elections: frozenset[str]
    webhook_url: str | None = None
    last_seen_at: datetime | None = None  # as read when it authenticated

    @property
    def actor(self) -> Actor:
        return platform_actor(self.name)


@dataclass(frozen=True, slots=True)
class PlatformClientView:
    name: str
    elections: tuple[str, ...]
    webhook_url: str | None
    key_hint: str  # the key's first characters, "csu_AbCd…"
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_seen_at: datetime | None = None  # its last call of the API (SEEN_PRECISION)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewPlatformClient:
    """A client just created, with its API key: the only place the key exists."""

    client: PlatformClientView
    key: str = field(repr=False)
    # The webhooks' signing secret (whsec_…), when the client has a webhook address.
    webhook_secret: str | None = field(default=None, repr=False)


def platform_actor(name: str) -> Actor:
    """How the journal names a platform client: ``plateforme:NAME``."""
    return Actor(operator=f"{PLATFORM_ROLE}:{name}", role=PLATFORM_ROLE, workstation=None)


def key_hash(deps: Deps, key: str) -> str:
    return keyed_hash(deps.key, KEY_PURPOSE, key)


@retried
def add_platform_client(
    deps: Deps,
    who: OperatorContext,
    name: str,
    elections: Collection[str],
    webhook_url: str | None = None,
) -> NewPlatformClient:
    """Creates a platform client reaching ``elections``; returns its key, shown once."""
    require_role(deps, who, "admin")
    name = _checked_name(name)
    wanted = sorted({election.strip() for election in elections if election.strip()})
    if not wanted:
        raise InvalidValue("Élection", "au moins une élection attendue (--election ID)")
    url = _checked_webhook_url(webhook_url) if webhook_url else None
    key = _new_key()
    secret, sealed_secret = new_client_secret(deps) if url else (None, None)
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        existing = session.execute(
            select(PlatformClient).where(PlatformClient.name == name)
        ).scalar_one_or_none()
        if existing is not None:
            state = "révoqué" if existing.revoked_at else "actif"
            raise ServiceError(
                f"Un client « {name} » existe déjà ({state}) : choisissez un autre nom."
            )
        for election in wanted:
            if session.get(Election, election) is None:
                raise NotFound(
                    f"Élection inconnue : « {election} ». "
                    "Chargez-la d'abord avec « csu election load »."
                )
        client = PlatformClient(
            name=name,
            key_hash=key_hash(deps, key),
            key_hint=key[:HINT_LENGTH],
            webhook_url=url,
            webhook_secret_sealed=sealed_secret,
            created_at=now,
            created_by=who.login,
        )
        session.add(client)
        session.flush()
        for election in wanted:
            session.add(PlatformClientElection(client_id=client.id or 0, election_id=election))
        journal.append(
            session,
            actor=who.actor,
            action="platform_client_add",
            outcome="ok",
            at=now,
            election=wanted[0] if len(wanted) == 1 else None,
            details={"client": name, "elections": wanted, "webhook_url": url},
        )
        view = _view(client, wanted)
    return NewPlatformClient(client=view, key=key, webhook_secret=secret)


def list_platform_clients(deps: Deps, who: OperatorContext) -> list[PlatformClientView]:
    """Every platform client, active ones first, by name."""
    require_role(deps, who, "admin", "superviseur")
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        clients = session.execute(select(PlatformClient)).scalars().all()
        reached = _elections_of(session, [c.id or 0 for c in clients])
        views = [_view(c, reached.get(c.id or 0, [])) for c in clients]
    return sorted(views, key=lambda v: (not v.active, v.name))


@retried
def revoke_platform_client(deps: Deps, who: OperatorContext, name: str) -> PlatformClientView:
    """Revokes a client's key: its next request is refused (401)."""
    require_role(deps, who, "admin")
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        client = session.execute(
            select(PlatformClient).where(PlatformClient.name == name.strip()).with_for_update()
        ).scalar_one_or_none()
        if client is None:
            raise NotFound(f"Aucun client de plateforme « {name.strip()} ».")
        if client.revoked_at is not None:
            raise ServiceError(f"Le client « {client.name} » est déjà révoqué.")
        client.revoked_at, client.revoked_by = now, who.login
        session.add(client)
        journal.append(
            session,
            actor=who.actor,
            action="platform_client_revoke",
            outcome="ok",
            at=now,
            details={"client": client.name},
        )
        reached = _elections_of(session, [client.id or 0])
        return _view(client, reached.get(client.id or 0, []))


@retried
def authenticate(deps: Deps, key: str | None) -> Platform:
    """The active client whose API key this is; :class:`Unauthenticated` otherwise.
    One HMAC and one statement by a unique index (a row per election the key
    reaches, as tuples): cheap enough for every request. Retried as the services are:
    a store out of reach is then StoreBusy (the API's 503), not a driver's error."""
    if not key or not key.startswith(KEY_PREFIX):
        raise Unauthenticated("Clé d'API absente ou invalide (en-tête Authorization: Bearer).")
    with deps.reading() as session:
        rows = session.connection().execute(_AUTHENTICATE, {"k": key_hash(deps, key)}).all()
    if not rows or rows[0].revoked_at is not None:
        raise Unauthenticated(
            "Clé d'API inconnue ou révoquée.",
            why="inconnue" if not rows else "révoquée",
            client=rows[0].name if rows else None,
        )
    client = rows[0]
    return Platform(
        id=client.id,
        name=client.name,
        elections=frozenset(row.election_id for row in rows if row.election_id is not None),
        webhook_url=client.webhook_url,
        last_seen_at=client.last_seen_at,
    )


_client = PlatformClient.__table__  # type: ignore[attr-defined]
_reach = PlatformClientElection.__table__  # type: ignore[attr-defined]
_AUTHENTICATE = (
    select(_client.c.id, _client.c.name, _client.c.webhook_url, _client.c.revoked_at,
           _client.c.last_seen_at, _reach.c.election_id)
    .select_from(_client)
    .outerjoin(_reach, _reach.c.client_id == _client.c.id)
    .where(_client.c.key_hash == bindparam("k"))
)  # fmt: skip


@retried
def note_call(deps: Deps, platform: Platform) -> None:
    """Records that ``platform`` calls now (the API's authentication does, for the
    dashboard and the silence alerts): written when the time read at authentication is
    SEEN_PRECISION old, so a busy client costs one small write every 30 s. Not
    journalled: the calls themselves are, by the services they reach."""
    now = deps.clock()
    stale = now - SEEN_PRECISION
    if platform.last_seen_at is not None and platform.last_seen_at > stale:
        return
    with deps.writing() as session:
        # The condition again: a concurrent request may have written it meanwhile.
        session.execute(
            update(PlatformClient)
            .where(
                PlatformClient.id == platform.id,  # type: ignore[arg-type]
                or_(
                    PlatformClient.last_seen_at.is_(None),  # type: ignore[union-attr]
                    PlatformClient.last_seen_at <= stale,  # type: ignore[operator]
                ),
            )
            .values(last_seen_at=now)
        )


def require_election(platform: Platform, election: str) -> None:
    """A key reaches only the elections given when its client was created."""
    if election not in platform.elections:
        raise Forbidden(f"Cette clé d'API ne donne pas accès à l'élection « {election} ».")


@retried
def record_refusal(
    deps: Deps,
    platform: Platform,
    action: str,
    reason: str,
    *,
    election: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Journals a call of ``platform`` that was refused before any service acted
    (an election out of its reach, a bad request): every call leaves its entry."""
    now = deps.clock()
    with deps.writing() as session:
        journal.append(
            session,
            actor=platform.actor,
            action=action,
            outcome="refusé",
            at=now,
            election=election,
            details={"reason": reason, **(details or {})},
        )


class RefusalThrottle:
    """Which refused keys get a journal entry: the first refusal of each source in each
    window (REFUSAL_WINDOW), for at most ``sources`` sources a window; the others are
    counted, and the next entry says how many went unjournalled since the one before.
    Memory stays bounded whatever the flood. Thread-safe (the API's worker threads)."""

    def __init__(self, window: timedelta = REFUSAL_WINDOW, sources: int = REFUSAL_SOURCES):
        self.window = window
        self.sources = sources
        self._lock = threading.Lock()
        self._started: datetime | None = None
        self._seen: set[str] = set()
        self._skipped = 0

    def admit(self, source: str, now: datetime) -> int | None:
        """None: not to journal; else the refusals left unjournalled since the last
        entry, which this one reports."""
        with self._lock:
            if self._started is None or not self._started <= now < self._started + self.window:
                self._started, self._seen = now, set()
            if source in self._seen or len(self._seen) >= self.sources:
                self._skipped += 1
                return None
            self._seen.add(source)
            skipped, self._skipped = self._skipped, 0
            return skipped


@retried
def record_unauthenticated(
    deps: Deps,
    refusal: Unauthenticated,
    *,
    key: str | None,
    source: str,
    path: str,
    skipped: int = 0,
) -> None:
    """Journals a call refused for its key (401), with an unknown platform as actor:
    where it came from, why (no key, unknown, revoked and whose), and of the key only a
    keyed hash of its first characters (enough to tell two keys apart, nothing to
    rebuild one). ``skipped``: refusals not journalled since the last such entry."""
    now = deps.clock()
    prefix = keyed_hash(deps.key, PREFIX_PURPOSE, key[:HINT_LENGTH]) if key else None
    with deps.writing() as session:
        journal.append(
            session,
            actor=Actor(operator=UNKNOWN_PLATFORM, role=PLATFORM_ROLE, workstation=None),
            action=KEY_REFUSED,
            outcome="refusé",
            at=now,
            details={
                "status": 401,
                "reason": refusal.why,
                "client": refusal.client,
                "source": source[:64],
                "path": path[:200],
                "key_prefix_hash": prefix,
                "not_journalled_before": skipped,
            },
        )


# ------------------------------------------------------------------ helpers


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _checked_name(name: str) -> str:
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise InvalidValue(
            "Nom du client",
            "1 à 50 minuscules, chiffres, points, tirets ou soulignés, "
            "commençant et finissant par une lettre ou un chiffre (ex. neovote)",
        )
    return name


def _checked_webhook_url(url: str) -> str:
    """HTTPS, or plain HTTP to this machine only (a receiver behind a local proxy)."""
    field = "Adresse des webhooks"
    url = single_line(url, field).strip()
    if len(url) > MAX_WEBHOOK_URL:
        raise InvalidValue(field, f"{MAX_WEBHOOK_URL} caractères au plus")
    # Malformed, or what no request can carry (a space: every delivery would fail).
    parts = request_url(url, field)
    if parts.username is not None or parts.password is not None:
        # « csu platform list » shows the address: a password in it would be read there.
        raise InvalidValue(
            field,
            "pas d'identifiant ni de mot de passe dans l'adresse (utilisateur:mot@…) : "
            "les webhooks sont signés, la plateforme les vérifie avec leur secret",
        )
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and _is_loopback(host):
        return url
    raise InvalidValue(
        field,
        "adresse https:// attendue (http:// seulement vers cette machine, ex. 127.0.0.1)",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _elections_of(session: Session, client_ids: list[int]) -> dict[int, list[str]]:
    if not client_ids:
        return {}
    rows = session.execute(
        select(PlatformClientElection.client_id, PlatformClientElection.election_id)
        .where(PlatformClientElection.client_id.in_(client_ids))  # type: ignore[attr-defined]
        .order_by(PlatformClientElection.election_id)
    ).all()
    found: dict[int, list[str]] = {}
    for client_id, election in rows:
        found.setdefault(client_id, []).append(election)
    return found


def _view(client: PlatformClient, elections: Collection[str]) -> PlatformClientView:
    return PlatformClientView(
        name=client.name,
        elections=tuple(sorted(elections)),
        webhook_url=client.webhook_url,
        key_hint=client.key_hint,
        created_at=client.created_at,
        created_by=client.created_by,
        revoked_at=client.revoked_at,
        last_seen_at=client.last_seen_at,
    )
