"""Operators of the cell: creation and listing (login comes with the terminal)."""

from dataclasses import dataclass

import pyotp
from sqlmodel import select

from csu.domain import sealing
from csu.domain.errors import InvalidValue
from csu.services.context import ROLES, Deps, OperatorContext, ServiceError, require_role
from csu.store import journal
from csu.store.tables import Bureau, Operator

TOTP_PURPOSE = "totp"
ISSUER = "CSU électeurs"


@dataclass(frozen=True, slots=True)
class OperatorCreated:
    login: str
    role: str
    provisioning_uri: str  # shown once, to enrol an authenticator app


@dataclass(frozen=True, slots=True)
class OperatorView:
    login: str
    display_name: str
    role: str
    bureau: str | None
    active: bool


def add_operator(
    deps: Deps,
    who: OperatorContext,
    login: str,
    *,
    role: str,
    password: str,
    display_name: str | None = None,
    bureau: str | None = None,
    totp_secret: str | None = None,
) -> OperatorCreated:
    require_role(who, "admin")
    login = login.strip().lower()
    if not login or not login.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InvalidValue("Identifiant", "lettres, chiffres, point, tiret ou souligné")
    if role not in ROLES:
        raise InvalidValue("Rôle", f"« {role} » inconnu ; attendus : {', '.join(ROLES)}")
    if role == "president" and not bureau:
        raise InvalidValue("Bureau", "un président est rattaché à un bureau de vote")
    if len(password) < 4:
        raise InvalidValue("Mot de passe", "4 caractères au moins")
    secret = totp_secret or pyotp.random_base32()
    try:
        totp = pyotp.TOTP(secret)
        totp.byte_secret()  # refuses a seed too short for pyotp
        uri = totp.provisioning_uri(name=login, issuer_name=ISSUER)
    except (ValueError, TypeError) as error:  # checked before anything is stored
        raise InvalidValue("Secret TOTP", "base32 de 160 bits attendu") from error
    now = deps.clock()
    with deps.writing() as session:
        if session.exec(select(Operator).where(Operator.login == login)).first():
            raise ServiceError(f"L'opérateur « {login} » existe déjà.")
        if bureau and session.get(Bureau, bureau) is None:
            raise ServiceError(f"Bureau de vote inconnu : « {bureau} ».")
        session.add(
            Operator(
                login=login,
                display_name=display_name or login,
                role=role,
                bureau_code=bureau if role == "president" else None,
                password_hash=deps.hasher.hash(password),
                totp_secret_sealed=sealing.seal(deps.key, TOTP_PURPOSE, secret),
                created_at=now,
            )
        )
        journal.append(
            session,
            actor=who.actor,
            action="operator_add",
            outcome="ok",
            at=now,
            details={"login": login, "role": role, "bureau": bureau},
        )
    return OperatorCreated(login=login, role=role, provisioning_uri=uri)


def list_operators(deps: Deps, who: OperatorContext) -> list[OperatorView]:
    require_role(who, "admin", "superviseur")
    with deps.reading() as session:
        rows = session.exec(select(Operator).order_by(Operator.login)).all()
        return [
            OperatorView(r.login, r.display_name, r.role, r.bureau_code, r.active) for r in rows
        ]
