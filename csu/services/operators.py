"""Operators of the cell: creation, listing, a change of role or bureau, disabling, TOTP
reset and unlocking (logging in is csu.services.auth).

A login or a name with a control character is refused (it would rewrite what the
journal and the screens show); a password must pass the one rule of
csu.domain.passwords, except the demo builder's, which keep the documented `demo`.
"""

from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import text
from sqlmodel import Session, select

from csu.domain import sealing
from csu.domain.clock import still_until
from csu.domain.errors import InvalidValue
from csu.domain.logins import new_login
from csu.domain.operator_locks import lock_words
from csu.domain.passwords import check_operator_password
from csu.domain.plural import counted, plural_of
from csu.domain.roles import ROLE_LABELS, ROLES
from csu.domain.text import single_line, visible_text
from csu.services.context import (
    MAX_LOGIN,
    Deps,
    Forbidden,
    NotFound,
    OperatorContext,
    ServiceError,
    journals_refusals,
    require_role,
    retried,
)
from csu.services.login_origins import still_counting
from csu.services.reasons import optional_reason
from csu.services.sessions import require_live_held, require_live_session
from csu.store import journal
from csu.store.tables import Bureau, LoginFailures, Operator

TOTP_PURPOSE = "totp"
ISSUER = "CSU électeurs"
# The fields an operator's creation names in its refusals (InvalidValue.field): the
# window puts the cursor in the one at fault.
LOGIN_FIELD = "Identifiant"
NAME_FIELD = "Nom affiché"
ROLE_FIELD = "Rôle"
BUREAU_FIELD = "Bureau"
# Another administrator changes or disables an administrator's own account: nobody
# gives themselves rights, nor leaves a change of theirs unseen by a second person.
OWN_ROLE_REFUSED = "Vous ne pouvez pas changer le rôle de votre propre compte."
OWN_DISABLE_REFUSED = "Vous ne pouvez pas désactiver votre propre compte."
MAX_DISPLAY_NAME = 200
MAX_BUREAU = 64  # the bureau table's code


@dataclass(frozen=True, slots=True)
class OperatorCreated:
    login: str
    role: str
    provisioning_uri: str  # shown once, to enrol an authenticator app


@dataclass(frozen=True, slots=True)
class OperatorUnlocked:
    login: str
    # False: the operator was not locked out (a no-op, journalled as such), and only
    # their ``failures`` below the lock's threshold, if any, were forgotten.
    was_locked: bool
    failures: int

    @property
    def sentence(self) -> str:
        """What the administrator is told: « déverrouillé » only if there was a lock."""
        if self.was_locked:
            return f"Opérateur « {self.login} » déverrouillé."
        failures = self.failures
        forgotten = (
            " ; son échec de connexion est oublié"
            if failures == 1
            else f" ; ses {failures} échecs de connexion sont oubliés"
            if failures
            else ""
        )
        return f"Opérateur « {self.login} » : n'était pas verrouillé{forgotten}."


@dataclass(frozen=True, slots=True)
class OperatorView:
    login: str
    display_name: str
    role: str
    bureau: str | None
    active: bool
    # Set while the whole account is locked out after too many wrong codes (UTC): the
    # origin of its last good login still gets in.
    locked_until: datetime | None = None
    # Failed logins in a row, from every origin whose count still runs.
    failed_logins: int = 0
    # The origins (workstations, browser addresses) locked out of the account now, and
    # when the last of their locks ends (UTC).
    origins_locked: int = 0
    origins_locked_until: datetime | None = None

    @property
    def locked(self) -> bool:
        """Locked out, everywhere or from some origins."""
        return self.locked_until is not None or self.origins_locked_until is not None

    @property
    def lock_words(self) -> str:
        """The « Verrouillé » column of the desk (F9) and of ``csu operator list``."""
        return lock_words(
            self.locked_until, self.origins_locked, self.origins_locked_until,
            self.failed_logins,
        )  # fmt: skip


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
    """A new operator, whose password passes the rule of csu.domain.passwords."""
    require_role(deps, who, "admin")  # here, so that a refusal names this service
    return _add(
        deps, who, login, role=role, password=password, display_name=display_name,
        bureau=bureau, totp_secret=totp_secret, password_rule=True,
    )  # fmt: skip


def add_demo_operator(
    deps: Deps,
    who: OperatorContext,
    login: str,
    *,
    role: str,
    password: str,
    display_name: str,
    bureau: str | None,
    totp_secret: str,
) -> OperatorCreated:
    """For the demo builder only: an operator whose password skips the strength rule,
    so that the demo operators keep the password the README documents."""
    require_role(deps, who, "admin")
    return _add(
        deps, who, login, role=role, password=password, display_name=display_name,
        bureau=bureau, totp_secret=totp_secret, password_rule=False,
    )  # fmt: skip


def _add(
    deps: Deps,
    who: OperatorContext,
    login: str,
    *,
    role: str,
    password: str,
    display_name: str | None,
    bureau: str | None,
    totp_secret: str | None,
    password_rule: bool,
) -> OperatorCreated:
    # Checked before strip(): a control character at either end is refused, not dropped.
    login = new_login(single_line(login, LOGIN_FIELD))
    if len(login) > MAX_LOGIN:
        raise InvalidValue(LOGIN_FIELD, f"{MAX_LOGIN} caractères au plus")
    if display_name is not None:
        display_name = visible_text(display_name, NAME_FIELD).strip() or None
        if display_name is not None and len(display_name) > MAX_DISPLAY_NAME:
            raise InvalidValue(NAME_FIELD, f"{MAX_DISPLAY_NAME} caractères au plus")
    bureau = _checked_role(role, bureau)
    if password_rule:
        check_operator_password(password, login, display_name)
    secret = totp_secret or pyotp.random_base32()
    uri = _provisioning_uri(secret, login)  # checked before anything is stored
    # Hashed before the transaction (0.1-0.3 s of argon2): the administrator's row is
    # held for share while it is open, and a disable of them waits that much less.
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    with deps.writing() as session:
        # Held: an administrator disabled at this moment creates no account after it.
        require_live_held(session, who)
        if session.exec(select(Operator).where(Operator.login == login)).first():
            # Named by field, as the format faults are: the window puts the cursor there.
            raise InvalidValue(LOGIN_FIELD, f"l'opérateur « {login} » existe déjà")
        if bureau and session.get(Bureau, bureau) is None:
            raise InvalidValue(BUREAU_FIELD, f"bureau de vote inconnu « {bureau} »")
        session.add(
            Operator(
                login=login,
                display_name=display_name or login,
                role=role,
                bureau_code=bureau,
                password_hash=password_hash,
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


@dataclass(frozen=True, slots=True)
class OperatorChanged:
    login: str
    role: str
    bureau: str | None
    # True: the intervention they had open was closed as abandonné (their session ends).
    abandoned: bool
    # The escalated cases a supervisor had taken, put back in the queue, and the
    # in-person checks waiting for a president, declined (none would ever end).
    released: int = 0
    withdrawn: int = 0

    @property
    def sentence(self) -> str:
        """What the administrator is told once the change is made."""
        now = role_and_bureau(self.role, self.bureau)
        return f"Opérateur « {self.login} » : désormais {now}.{given_back_words(self)}"


@dataclass(frozen=True, slots=True)
class OperatorDisabled:
    login: str
    abandoned: bool  # as OperatorChanged's
    released: int = 0
    withdrawn: int = 0

    @property
    def sentence(self) -> str:
        """What the administrator is told once the account is disabled."""
        return f"Opérateur « {self.login} » désactivé.{given_back_words(self)}"


def given_back_words(done: OperatorChanged | OperatorDisabled) -> str:
    """What a change or a disable gave back, said after it (« » when nothing)."""
    said = ""
    if done.abandoned:
        said += " Son intervention en cours a été close (abandonnée)."
    if done.released:
        cases = counted(done.released, "dossier escaladé", "dossiers escaladés")
        said += f" {cases} remis en attente."
    if done.withdrawn:
        checks = counted(done.withdrawn, "vérification en personne", "vérifications en personne")
        said += (
            f" {checks} en attente {plural_of(done.withdrawn, 'refusée')} : l'agent les "
            "demande au président actuel du bureau, dans une nouvelle intervention."
        )
    return said


def role_and_bureau(role: str, bureau: str | None) -> str:
    """« agent », « président de bureau (B01) »."""
    label = ROLE_LABELS.get(role, role)
    return f"{label} ({bureau})" if bureau else label


@journals_refusals
@retried
def change_operator(
    deps: Deps,
    who: OperatorContext,
    login: str,
    *,
    role: str,
    bureau: str | None = None,
    reason: str | None = None,
) -> OperatorChanged:
    """Another role, or a president's other bureau, for an active operator: their
    session, if any, ends at its next step (csu.services.context.session_ended says
    « votre rôle ou votre bureau a changé »), and the intervention they left open is
    closed as abandonné (it was opened under rights they no longer hold). Nobody
    changes their own account, and the cell keeps an active administrator."""
    require_role(deps, who, "admin")
    login = single_line(login, LOGIN_FIELD).strip().lower()
    reason = _reason(reason)
    bureau = _checked_role(role, bureau)
    if login == who.login:
        raise Forbidden(OWN_ROLE_REFUSED)
    now = deps.clock()
    with deps.writing() as session:
        _one_change_at_a_time(session, login)
        require_live_held(session, who)
        row = _find(session, login)
        if not row.active:
            raise ServiceError(disabled_refusal(row.login))
        pairs = (("role", row.role, role), ("bureau", row.bureau_code, bureau))
        changes = {name: [before, after] for name, before, after in pairs if before != after}
        if not changes:
            raise ServiceError(
                f"L'opérateur « {login} » est déjà {role_and_bureau(role, bureau)} : rien "
                "n'a changé."
            )
        if bureau and session.get(Bureau, bureau) is None:
            raise InvalidValue(BUREAU_FIELD, f"bureau de vote inconnu « {bureau} »")
        if row.role == "admin" and role != "admin":
            _refuse_last_admin(session, login)
        previous_role = row.role
        row.role, row.bureau_code = role, bureau
        # Their session ends, even if a second change puts the role or bureau back
        # before their terminal looks (csu.services.context.session_ended).
        row.session_id = None
        session.add(row)
        journal.append(
            session,
            actor=who.actor,
            action="operator_change",
            outcome="ok",
            at=now,
            details={"login": login, "changes": changes, "reason": reason},
        )
        from csu.services.interventions import ROLE_CHANGED_NOTE, abandon_open_of

        abandoned = abandon_open_of(session, who, login, previous_role, ROLE_CHANGED_NOTE, now)
        released, withdrawn = _hand_back(session, who, login, previous_role, ROLE_CHANGED_NOTE, now)
    return OperatorChanged(
        login=login, role=role, bureau=bureau, abandoned=abandoned, released=released,
        withdrawn=withdrawn,
    )  # fmt: skip


def _hand_back(
    session: Session, who: OperatorContext, login: str, role: str, note: str, now: datetime
) -> tuple[int, int]:
    """What ``login`` held under ``role`` that only they could finish, given back as
    their role changes or their account is disabled: a supervisor's escalated cases
    return to the queue, a president's waiting in-person checks are declined."""
    from csu.services.escalation import release_cases_of
    from csu.services.presence import withdraw_from

    released = release_cases_of(session, who, login, note, now) if role == "superviseur" else 0
    withdrawn = withdraw_from(session, who, login, now) if role == "president" else 0
    return released, withdrawn


def _checked_role(role: str, bureau: str | None) -> str | None:
    """An operator's role and bureau, as a creation or a change names them: a known role,
    a bureau for a president and for no one else, its code without a character that
    would hide what it says; the bureau's code (None but for a president)."""
    if role not in ROLES:
        # Named back only once it hides nothing (an escape sequence typed in --role was
        # echoed to the terminal as it was).
        named = visible_text(role[:MAX_LOGIN], ROLE_FIELD)
        raise InvalidValue(ROLE_FIELD, f"« {named} » inconnu ; attendus : {', '.join(ROLES)}")
    if bureau is not None:
        bureau = visible_text(bureau, BUREAU_FIELD).strip() or None
        if bureau is not None and len(bureau) > MAX_BUREAU:
            raise InvalidValue(BUREAU_FIELD, f"{MAX_BUREAU} caractères au plus")
    if role == "president" and not bureau:
        raise InvalidValue(BUREAU_FIELD, "un président est rattaché à un bureau de vote")
    if role != "president" and bureau:
        raise InvalidValue(BUREAU_FIELD, "seul un président est rattaché à un bureau de vote")
    return bureau


ADMINISTRATION_LOCK = 0x4353_5501
"""PostgreSQL's advisory lock of the operators' administration (« CSU » and 1)."""


def _one_change_at_a_time(session: Session, login: str) -> None:
    """Changes of administrators (a role, a disable) one at a time across the cell
    (PostgreSQL; SQLite has one writer): two administrators acting on each other, or
    two command lines demoting the last two, each waited on the other's row and one
    was aborted for a deadlock. Now the later one waits, then reads the change. Only
    when ``login`` is an administrator: the change of an agent, a president or a
    supervisor waits for no other (a supervisor's row held by a stuck terminal made an
    unrelated disable wait 15 s)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    role = session.exec(select(Operator.role).where(Operator.login == login)).first()
    if role == "admin":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADMINISTRATION_LOCK})


def _refuse_last_admin(session: Session, login: str) -> None:
    """Refuses to demote or disable ``login`` unless another active administrator
    remains (read after :func:`_one_change_at_a_time`: two command lines, which are no
    operator, demoting the last two at once, the later one finds the first's change)."""
    other = session.exec(
        select(Operator.login).where(
            Operator.role == "admin", Operator.active, Operator.login != login
        )
    ).first()
    if other is None:
        raise Forbidden(
            f"« {login} » est le seul administrateur actif : nommez-en un autre d'abord, "
            "la cellule ne peut rester sans."
        )


def list_operators(deps: Deps, who: OperatorContext) -> list[OperatorView]:
    require_role(deps, who, "admin", "superviseur")
    require_live_session(deps, who)  # a disabled account reads nothing more
    now = deps.clock()
    with deps.reading() as session:
        rows = session.exec(select(Operator).order_by(Operator.login)).all()
        origins: dict[str, list[datetime]] = {}
        failed: dict[str, int] = {}
        for found in session.exec(select(LoginFailures)):
            count, until = still_counting(found, now)
            if until is not None:
                origins.setdefault(found.login, []).append(until)
            failed[found.login] = failed.get(found.login, 0) + count
        return [
            OperatorView(
                r.login,
                r.display_name,
                r.role,
                r.bureau_code,
                r.active,
                locked_until=still_until(r.locked_until, now),
                # Wrong codes after the right password count too (a sign the password
                # is known), even where an origin's count has run out.
                failed_logins=max(failed.get(r.login, 0), r.failed_logins),
                origins_locked=len(origins.get(r.login, ())),
                origins_locked_until=max(origins.get(r.login, ()), default=None),
            )
            for r in rows
        ]


def list_bureaus(deps: Deps, who: OperatorContext) -> list[tuple[str, str]]:
    """(code, name) of the polling stations, for attaching a president to one."""
    require_role(deps, who, "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        rows = session.exec(select(Bureau).order_by(Bureau.code)).all()
        return [(row.code, row.name) for row in rows]


@journals_refusals
@retried
def disable_operator(
    deps: Deps, who: OperatorContext, login: str, reason: str | None = None
) -> OperatorDisabled:
    """The operator can no longer log in (their entries stay in the journal); never
    oneself, nor the cell's last active administrator."""
    require_role(deps, who, "admin")
    login = single_line(login, LOGIN_FIELD).strip().lower()
    reason = _reason(reason)
    if login == who.login:
        raise Forbidden(OWN_DISABLE_REFUSED)
    with deps.writing() as session:
        _one_change_at_a_time(session, login)
        require_live_held(session, who)
        row = _find(session, login)
        if not row.active:
            raise ServiceError(f"L'opérateur « {login} » est déjà désactivé.")
        if row.role == "admin":
            _refuse_last_admin(session, login)
        row.active = False
        row.session_id = None
        session.add(row)
        now = deps.clock()
        journal.append(
            session,
            actor=who.actor,
            action="operator_disable",
            outcome="ok",
            at=now,
            details={"login": login, "reason": reason},
        )
        # Their terminal, if still alive, returns to the login screen; one that died
        # mid-call would leave the call open for ever. (Imported here: logging in
        # imports this module, not the interventions'.)
        from csu.services.interventions import DISABLED_NOTE, abandon_open_of

        abandoned = abandon_open_of(session, who, login, row.role, DISABLED_NOTE, now)
        released, withdrawn = _hand_back(session, who, login, row.role, DISABLED_NOTE, now)
    return OperatorDisabled(login, abandoned, released, withdrawn)


def reset_totp(
    deps: Deps, who: OperatorContext, login: str, reason: str | None = None
) -> OperatorCreated:
    """A new TOTP seed (the old codes stop working): its URI is shown once, to enrol."""
    require_role(deps, who, "admin")
    login = single_line(login, LOGIN_FIELD).strip().lower()
    reason = _reason(reason)
    secret = pyotp.random_base32()
    with deps.writing() as session:
        require_live_held(session, who)
        row = _find(session, login)
        _refuse_disabled(row)  # a seed for an account nobody may log in to
        uri = _provisioning_uri(secret, row.login)
        row.totp_secret_sealed = sealing.seal(deps.key, TOTP_PURPOSE, secret)
        row.last_totp_step = None
        session.add(row)
        journal.append(
            session,
            actor=who.actor,
            action="operator_totp_reset",
            outcome="ok",
            at=deps.clock(),
            details={"login": row.login, "reason": reason},
        )
        return OperatorCreated(login=row.login, role=row.role, provisioning_uri=uri)


def unlock_operator(
    deps: Deps, who: OperatorContext, login: str, reason: str | None = None
) -> OperatorUnlocked:
    """Clears the failed-login count and the lock it set; says whether there was a
    lock, so that nobody is told an operator who was not locked was unlocked."""
    require_role(deps, who, "admin")
    login = single_line(login, LOGIN_FIELD).strip().lower()
    reason = _reason(reason)
    now = deps.clock()
    with deps.writing() as session:
        require_live_held(session, who)
        row = _find(session, login)
        _refuse_disabled(row)  # « déverrouillé » would read as « may log in again »
        # Locked as the list shows it: a lock that has run out is no lock.
        origins = session.exec(select(LoginFailures).where(LoginFailures.login == login)).all()
        was_locked = any(
            still_until(until, now) is not None
            for until in (row.locked_until, *(found.locked_until for found in origins))
        )
        # Counted as the list counts them.
        failures = max(
            sum(still_counting(found, now)[0] for found in origins), row.failed_logins
        )
        row.failed_logins = 0
        row.locked_until = None
        session.add(row)
        for found in origins:
            session.delete(found)
        journal.append(
            session,
            actor=who.actor,
            action="operator_unlock",
            outcome="ok",
            at=now,
            details={
                "login": login,
                "was_locked": was_locked,
                "failures": failures,
                "reason": reason,
            },
        )
    return OperatorUnlocked(login=login, was_locked=was_locked, failures=failures)


NEW_ACCOUNT_ANYWHERE = "« csu operator add », ou n dans l'écran Opérateurs"


def disabled_refusal(login: str, how: str = NEW_ACCOUNT_ANYWHERE) -> str:
    """Why an unlock or a new TOTP seed is refused to a disabled operator, and what to
    do instead: a disabled account is never enabled again (none of the commands or
    screens does it), so only a new account lets the person back in (``how``: the
    operators desk says its own key, as its keymap binds it)."""
    return (
        f"L'opérateur « {login} » est désactivé : il ne peut plus se connecter, et un "
        "compte désactivé ne se réactive pas. Si cette personne doit revenir, créez-lui "
        f"un nouveau compte, sous un autre identifiant ({how})."
    )


def _refuse_disabled(row: Operator) -> None:
    if not row.active:
        raise ServiceError(disabled_refusal(row.login))


def _reason(reason: str | None) -> str | None:
    """The administrator's words for the journal (:func:`optional_reason`)."""
    return optional_reason(reason)


def _find(session: Session, login: str) -> Operator:
    # Checked before the query: PostgreSQL refuses a NUL with a bare DataError; and no
    # operator has a longer login (a 10,000-character one was echoed whole).
    login = single_line(login, LOGIN_FIELD)
    if len(login) > MAX_LOGIN:
        raise InvalidValue(LOGIN_FIELD, f"{MAX_LOGIN} caractères au plus")
    row = session.exec(select(Operator).where(Operator.login == login).with_for_update()).first()
    if row is None:
        raise NotFound(f"Opérateur inconnu : « {login} ».")
    return row


def _provisioning_uri(secret: str, login: str) -> str:
    try:
        totp = pyotp.TOTP(secret)
        totp.byte_secret()  # refuses a seed too short for pyotp
        return totp.provisioning_uri(name=login, issuer_name=ISSUER)
    except (ValueError, TypeError) as error:
        raise InvalidValue("Secret TOTP", "base32 de 160 bits attendu") from error
