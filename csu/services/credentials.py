"""Issuing and invalidating credentials (security key, password, vote code).

Every action happens inside the operator's open intervention, after a verification
that still holds. Issuing revokes the active credential of that kind and material
and stores only a hash of the new one: a keyed HMAC-SHA256 for a generated
credential of ``HMAC_MIN_BITS`` or more, argon2id for a shorter one (computed before
the write transaction, so the store's write lock is never held for ~200 ms). The
value goes back to the screen once and is never journalled. :func:`replace_credential`
does that replacement for every route that issues one (read out here, printed in a
letter by csu.services.letters).

Refused, with the reason, when the election is closed or the material has been used
to vote, or when the election's file does not let the cell issue that kind shown once
to be read out (``[delivery]``: an Education 2022 vote code goes only by link). A
president resets passwords only, for voters of their bureau.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from csu.domain import credentials as creds
from csu.domain.credential_words import words
from csu.domain.election import (
    CREDENTIAL_LABELS,
    CredentialFormat,
    ElectionDefinition,
    route_refusal,
)
from csu.domain.hashing import credential_purpose, keyed_hash
from csu.domain.notice_wording import ISSUED, REVOKED, credential_notice
from csu.domain.permissions import Situation
from csu.domain.verification import describe_set, enough_for, factors_that_count, presidents_own
from csu.services import webhooks
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OperatorContext,
    ServiceError,
    enforce,
    journals_refusals,
    retried,
)
from csu.services.credential_text import code_check, refuse_codes
from csu.services.elections import get_definition, parsed_definition
from csu.services.interventions import owned_open, usable_material
from csu.services.notices import USED_PRO_EMAIL, notify_change
from csu.services.outbox import deliver
from csu.services.reasons import typed_reason
from csu.services.sessions import require_live_in
from csu.store import journal
from csu.store.journal import Actor
from csu.store.prepared import Prepared
from csu.store.tables import Credential, Election, Intervention, Material, Voter, core_tables

MAX_REASON_LENGTH = 300  # the credential's revoke_reason column


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """A new credential, to be read to the caller once: the only place it exists."""

    credential_id: int
    kind: str
    label: str  # "clé de sécurité"...
    # repr=False: a credential printed in a log or a traceback must not show.
    value: str = field(repr=False)
    display: str = field(repr=False)  # "K7MP-X2QD-9RFA-H3TW"
    spelling: tuple[str, ...] = field(repr=False)  # "K comme Kléber", "7 chiffre sept"...
    material_identifier: str
    display_seconds: int  # how long the screen may show it


@journals_refusals
@retried
def issue_credential(
    deps: Deps, who: OperatorContext, intervention_id: str, material_id: int, kind: str
) -> IssuedCredential:
    """Revokes the material's active credential of ``kind`` and issues a new one."""
    enforce("issue", Situation(who.role, kind=kind), deps=deps, who=who)
    now = deps.clock()
    with deps.reading() as session:
        fmt = _format(session, material_id, kind)
    new = new_credential(deps, fmt, kind)
    with deps.writing() as session:
        row, material, voter = _checked(session, who, intervention_id, material_id, now, kind)
        definition = get_definition(session, material.election_id)
        display_seconds = definition.timings.code_display_seconds
        credential = replace_credential(
            session, deps, who, row, material, voter, new, now, reason="réassort"
        )
        notice = notify_change(
            session, deps, who, voter, definition,
            what=credential_notice(ISSUED[kind], material.identifier),
            used=_used(row), intervention_id=row.id, now=now,
        )  # fmt: skip
        credential_id = credential.id or 0
        identifier = material.identifier
    if notice is not None:
        deliver(deps, [notice.id or 0], who.actor)
    return IssuedCredential(
        credential_id=credential_id,
        kind=kind,
        label=CREDENTIAL_LABELS.get(kind, kind),
        value=new.value,
        display=creds.display(fmt, new.value),
        spelling=tuple(creds.spell(new.value, fmt.alphabet)),
        material_identifier=identifier,
        display_seconds=display_seconds,
    )


def verification_shortfalls(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    material_ids: Sequence[int],
    kinds: Sequence[str],
) -> dict[tuple[int, str], str]:
    """For the issue window, before « Délivrer »: each (material, kind) that the
    intervention's verification does not allow yet (``verification_for``: a password
    after a code by SMS), with the sentence its issue would be refused with. Reads
    nothing of the voter; empty for an intervention that is not the operator's own and
    open, and for a material that is not its voter's."""
    with deps.reading() as session:
        require_live_in(session, who)
        row = session.get(Intervention, intervention_id)
        if row is None or row.operator_login != who.login or row.closed_at is not None:
            return {}
        elections = dict(
            session.execute(
                select(Material.id, Material.election_id).where(
                    Material.id.in_(list(material_ids)),  # type: ignore[union-attr]
                    Material.voter_id == row.voter_id,
                )
            ).all()
        )
        definitions = {
            election: get_definition(session, election) for election in set(elections.values())
        }
    found: dict[tuple[int, str], str] = {}
    for material_id, election in elections.items():
        for kind in kinds:
            try:
                require_verified_for(definitions[election], row, kind)
            except ServiceError as refused:
                found[material_id, kind] = str(refused)
    return found


def stored_hash(
    deps: Deps, fmt: CredentialFormat, kind: str, value: str
) -> tuple[str, str, str | None]:
    """How a new credential is kept: ``(scheme, hash, prefix_hash)``. A keyed HMAC for
    a credential of ``HMAC_MIN_BITS`` or more, argon2id (~300 ms: call it outside the
    write transaction) for a shorter one; the security key's first characters also
    get a keyed hash, for the identity check of S3."""
    scheme = creds.scheme_for(fmt)
    stored = (
        keyed_hash(deps.key, credential_purpose(kind), value)
        if scheme == creds.SCHEME_HMAC
        else deps.hasher.hash(value)
    )
    prefix_hash = (
        keyed_hash(deps.key, creds.SECURITY_KEY_PREFIX, creds.prefix(value))
        if kind == "security_key"
        else None
    )
    return scheme, stored, prefix_hash


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A credential ready to be stored: its value in clear (read out once, or printed in
    a letter; never stored nor journalled) and how it is kept, hashed before the write
    transaction (see :func:`stored_hash`)."""

    kind: str
    value: str = field(repr=False)
    scheme: str
    hash: str = field(repr=False)
    prefix_hash: str | None = field(repr=False)


def new_credential(
    deps: Deps, fmt: CredentialFormat, kind: str, value: str | None = None
) -> NewCredential:
    """``value`` (by default a new one in ``fmt``) and its hashes. Call it outside the
    write transaction: argon2id would hold the store's write lock for ~300 ms."""
    value = creds.generate(fmt) if value is None else value
    scheme, stored, prefix_hash = stored_hash(deps, fmt, kind, value)
    return NewCredential(kind, value, scheme, stored, prefix_hash)


def replace_credential(
    session: Session,
    deps: Deps,
    who: OperatorContext,
    row: Intervention,
    material: Material,
    voter: Voter,
    new: NewCredential,
    now: datetime,
    *,
    reason: str,
    details: dict[str, object] | None = None,
) -> Credential:
    """In the caller's write transaction, on a material whose checks passed: revokes its
    active credential of the kind (``reason``), stores the new one's hash, journals
    « credential_issue » without the value (``details`` add to the entry's) and queues
    the platforms' webhook. The notice to the voter stays the caller's: its words say
    how the credential reached them."""
    credential, revoked = store_credential(
        session, deps, who.actor, material, new, now,
        by=who.login, intervention_id=row.id, reason=reason,
    )  # fmt: skip
    journal.append(
        session,
        actor=who.actor,
        action="credential_issue",
        outcome="ok",
        at=now,
        election=material.election_id,
        subject=voter.pseudonym,
        intervention=row.id,
        details={
            "kind": new.kind,
            "material": material.id,
            "scheme": new.scheme,
            "credential": credential.id,
            "revoked": revoked,
            "verified_by": row.verified_factors,
            **(details or {}),
        },
    )
    return credential


def store_credential(
    session: Session,
    deps: Deps,
    actor: Actor,
    material: Material,
    new: NewCredential,
    now: datetime,
    *,
    by: str | None,
    intervention_id: str | None,
    reason: str,
) -> tuple[Credential, int | None]:
    """The replacement itself, for every route (the desk, a letter, a link redeemed):
    revokes the material's active credential of the kind (``reason``, ``by``), stores the
    new one's hash and queues the platforms' webhook. The caller journals it in its own
    words. Returns the new credential and the id of the one revoked, if any."""
    revoked = revoke_active(session, material.id or 0, new.kind, by, now, reason)
    credential = Credential(
        material_id=material.id or 0,
        kind=new.kind,
        scheme=new.scheme,
        hash=new.hash,
        prefix_hash=new.prefix_hash,
        issued_at=now,
        issued_by=by or "plateforme",
        intervention_id=intervention_id,
    )
    session.add(credential)
    session.flush()
    webhooks.credential_issued(
        session, deps, actor, material=material, kind=new.kind,
        credential_id=credential.id or 0, value=new.value, scheme=new.scheme, stored=new.hash,
        now=now,
    )  # fmt: skip
    return credential, revoked


@retried
def confirm_read_out(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    credential_id: int,
    *,
    after_display: bool = False,
) -> None:
    """The operator confirms the new credential was read to the caller (journalled).

    ``after_display``: confirmed once the screen had masked the value. Still accepted
    (the operator may have read it in time and pressed late), but the entry says so:
    the journal does not assert a read-out that may not have happened."""
    now = deps.clock()
    with deps.writing() as session:
        row = owned_open(session, who, intervention_id)
        credential = session.get(Credential, credential_id)
        material = session.get(Material, credential.material_id) if credential else None
        issued_here = (
            credential is not None
            and material is not None
            and credential.intervention_id == row.id
            and credential.status == "active"
        )
        if not issued_here or credential is None or material is None:
            raise NotFound("Code introuvable dans cette intervention.")
        voter = session.get(Voter, material.voter_id)
        # The channel says how the value reached the voter (read out over the phone,
        # handed over in person): the review names the entry by it.
        details: dict[str, object] = {
            "kind": credential.kind, "credential": credential.id, "channel": row.channel,
        }  # fmt: skip
        if after_display:
            details["after_display"] = True
        if row.channel == "president":  # S4, the president's own; S2, read to them
            details["by_president"] = presidents_own(who.login, row.president_login)
        journal.append(
            session,
            actor=who.actor,
            action="credential_read_out",
            outcome="ok",
            at=now,
            election=material.election_id,
            subject=voter.pseudonym if voter else None,
            intervention=row.id,
            details=details,
        )


@journals_refusals
@retried
def revoke_credential(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    material_id: int,
    kind: str,
    reason: str,
) -> None:
    """Invalidates the active credential of ``kind`` without issuing another (card stolen)."""
    enforce("revoke", Situation(who.role, kind=kind), deps=deps, who=who)
    reason = typed_reason(reason, maximum=MAX_REASON_LENGTH)
    now = deps.clock()
    with deps.writing() as session:
        row, material, voter = _checked(
            session, who, intervention_id, material_id, now, kind, "revoke"
        )
        refuse_codes(reason, "Le motif", "un motif",
                     code_check(deps, session, voter.id, material.election_id))  # fmt: skip
        revoked = revoke_active(session, material.id or 0, kind, who.login, now, reason)
        if revoked is None:
            named = words(kind)
            # The one the voter's notice gave, if the platform's originals were not
            # imported, is not known here: it is replaced by issuing another.
            raise ServiceError(
                f"Aucun{named.e} {named.label} délivré{named.e} par la cellule n'est "
                f"{named.pick('actif', 'active')} pour ce matériel ; "
                f"{named.pick('celui', 'celle')} du courrier d'origine ne s'invalide qu'en "
                f"en délivrant {named.a_new}, qui {named.it} remplace."
            )
        journal.append(
            session,
            actor=who.actor,
            action="credential_revoke",
            outcome="ok",
            at=now,
            election=material.election_id,
            subject=voter.pseudonym,
            intervention=row.id,
            details={
                "kind": kind,
                "material": material.id,
                "credential": revoked,
                "reason": reason,
            },
        )
        webhooks.credential_revoked(
            session, deps, who.actor, material=material, kind=kind, credential_id=revoked,
            cause="invalidated", now=now,
        )  # fmt: skip
        notice = notify_change(
            session, deps, who, voter, get_definition(session, material.election_id),
            what=credential_notice(REVOKED[kind], material.identifier),
            used=_used(row), intervention_id=row.id, now=now,
        )  # fmt: skip
    if notice is not None:
        deliver(deps, [notice.id or 0], who.actor)


# ----------------------------------------------------------------------- helpers


def require_verified_for(definition: ElectionDefinition, row: Intervention, kind: str) -> None:
    """Some kinds demand particular factors (``verification_for`` in the election). There,
    ``in_person`` counts only in the president's own intervention (S4: the president
    saw the document and acts): a president's attestation for an agent's call (S2)
    gives the agent what any verification gives, the key of minint-2022, not more."""
    required = definition.verification_for.get(kind)
    recorded = set((row.verified_factors or "").split(","))
    verified = factors_that_count(recorded, row.operator_login, row.president_login)
    attested_only = "in_person" in recorded - verified
    if not enough_for(required, verified):
        sets = " ; ou ".join(describe_set(s) for s in required or ())
        named = words(kind).a
        if attested_only and enough_for(required, verified | {"in_person"}):
            raise ServiceError(
                f"L'attestation du président ne suffit pas à un agent pour délivrer {named} : "
                "le président le fait lui-même depuis sa session, ou l'identité est vérifiée "
                f"par : {sets}."
            )
        raise ServiceError(f"Pour délivrer {named}, l'identité doit être vérifiée par : {sets}.")


def _used(row: Intervention) -> str | None:
    """The channel a change reached the voter by: a notice avoids it."""
    return USED_PRO_EMAIL if row.channel == "email" else None


def _format(session: Session, material_id: int, kind: str) -> CredentialFormat:
    found = _DEFINITION_OF.rows_in(session, material=material_id)  # the material's election's
    if not found:
        raise NotFound("Matériel de vote introuvable.")
    definition = parsed_definition(found[0][0])
    # Shown once to the operator who reads it out: the election must allow that route
    # (an Education 2022 vote code goes only by link to the voter's own screen).
    refused = route_refusal(definition, kind, "read_out")
    if refused is not None:
        raise Forbidden(refused)
    fmt = definition.credentials.get(kind)
    if fmt is None:
        raise ServiceError(
            f"Le scrutin {definition.id} ne prévoit pas de {CREDENTIAL_LABELS.get(kind, kind)}."
        )
    return fmt


def _checked(
    session: Session,
    who: OperatorContext,
    intervention_id: str,
    material_id: int,
    now: datetime,
    kind: str,
    action: str = "issue",
) -> tuple[Intervention, Material, Voter]:
    """The open intervention, its verified voter's material, still usable for ``kind``."""
    row, material, voter, definition = usable_material(
        session, who, intervention_id, material_id, now, action, kind
    )
    require_verified_for(definition, row, kind)
    return row, material, voter


def revoke_active(
    session: Session,
    material_id: int,
    kind: str,
    by: str | None,
    now: datetime,
    reason: str,
) -> int | None:
    # One UPDATE … RETURNING on the driver's cursor: every issue revokes, and the
    # partial unique index sees the revocation before the new credential's insert.
    revoked = _REVOKE.rows_in(session, material=material_id, kind_=kind, at=now, by_=by,
                              reason_=reason)  # fmt: skip
    for (credential_id,) in revoked:  # a copy this session holds says so too
        held = session.identity_map.get(session.identity_key(Credential, credential_id))
        if held is not None:
            for name, value in (("status", "revoked"), ("revoked_at", now), ("revoked_by", by),
                                ("revoke_reason", reason)):  # fmt: skip
                set_committed_value(held, name, value)
    return revoked[0][0] if revoked else None


(_credential, _material, _election) = core_tables(Credential, Material, Election)
_DEFINITION_OF = Prepared(lambda: select(_election.c.definition).join(
    _material, _material.c.election_id == _election.c.id
).where(_material.c.id == bindparam("material")))  # fmt: skip
_REVOKE = Prepared(lambda: update(_credential).where(
    _credential.c.material_id == bindparam("material"),
    _credential.c.kind == bindparam("kind_"),
    _credential.c.status == "active",
).values(
    status="revoked", revoked_at=bindparam("at", type_=_credential.c.revoked_at.type),
    revoked_by=bindparam("by_"), revoke_reason=bindparam("reason_"),
).returning(_credential.c.id))  # fmt: skip


