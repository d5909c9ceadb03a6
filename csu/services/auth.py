"""Logging in to the terminal: login, password (argon2id) and a 6-digit TOTP code.

Every failure says the same sentence, whatever was wrong: a wrong password or
code, an unknown login, a disabled account and a locked one alike, so that the
screen never tells whether a login exists or is locked; an unknown login costs
the same argon2 verification as a known one, against a dummy hash. A code is
accepted once: the time step it belongs to is kept and only later steps are
accepted after it.

Failures are counted where they come from, the origin: the workstation, or
``web:<address>`` under csu serve (an IPv6 client by its /64). Five in a row from one
origin lock that origin out of the account for fifteen minutes, not the operator
everywhere: an outsider typing a president's login on the public page used to lock the
president out of their bureau. Only whoever has the right password can lock the
account itself: ten wrong codes in a row after it, from all origins together (a code
guessed from many addresses), lock the account for fifteen minutes everywhere except
at the origin of its last good login, where the operator keeps working. The journal
and the administrators' operators screen (F9) say what is locked and until when.

Every attempt is journalled, never with the password or the code. The login typed
is kept as typed only when it names an operator; anything else may be a password
typed into the wrong field, so only its keyed hash is kept (the same typed login
always gives the same hash, so repeated attempts still show).

The slow part (argon2) runs before the write transaction, so that the journal's
write lock is not held during it; the decision is taken inside the transaction
on the operator's row as it is then (locked FOR UPDATE on PostgreSQL, BEGIN
IMMEDIATE on SQLite), so that two workstations cannot both use one code.

An operator has one live session: a login draws its random id and keeps it in the
operator's row. A later login of the same operator takes over, the intervention the
earlier session left open included (a terminal that crashed mid-call: the agent picks
the call up again); the earlier session, refused by every service from then on
(``require_live``), sees it within seconds (:func:`session_ended`, which the terminal
asks every few seconds) and returns to the login screen, abandoning nothing. So does
a session whose operator was disabled, given another role or bureau, or whose
authenticator was reset.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import Session, col, select

from csu.domain import sealing
from csu.domain.addresses import login_origin
from csu.domain.clock import as_utc
from csu.domain.errors import InvalidValue
from csu.domain.hashing import TYPED_LOGIN, keyed_hash
from csu.domain.logins import login_form
from csu.domain.roles import ROLES, Role
from csu.domain.text import single_line
from csu.services.context import Deps, OperatorContext, ServiceError, retried
from csu.services.context import session_ended as _ended
from csu.services.login_origins import FORGET_ORIGIN_AFTER, still_counting
from csu.services.operator_names import display_name
from csu.services.operators import TOTP_PURPOSE
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import LoginFailures, Operator

LOGIN_FAILED = "Identifiants ou code incorrects."
MAX_FAILURES = 5  # in a row from one origin: that origin is locked out
# Wrong codes typed after the right password, in a row from all origins: the account is
# locked, but where it last logged in.
MAX_ACCOUNT_FAILURES = 10
LOCK_MINUTES = 15
# What a lock shuts (the journal's « lock »): the origin the failures came from, or the
# account everywhere but the origin of its last good login.
ORIGIN_LOCK, ACCOUNT_LOCK = "poste", "compte"
TOTP_WINDOW = 1  # the previous, current and next 30-second steps
LOGIN_DETAIL_MAX = 64  # how much of a typed login the journal keeps
SESSION_ID_BYTES = 16  # a session's random id: 32 hexadecimal digits
# The logout of a session that a later login replaced, and that login (the journal's
# « reason »).
REPLACED = "session reprise par une connexion sur un autre poste"
TAKEN_OVER = "reprend une session encore ouverte sur un autre poste"

_dummy_hashes: dict[tuple[int, int, int, int, int, str], str] = {}


class LoginRefused(ServiceError):
    """A refused login; ``str(error)`` is the French sentence to show."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    login: str
    role: str
    display_name: str
    code: str
    seconds_left: int
    password: str
    # The code of the moment was already used to log in: the next one is needed.
    used: bool = False


def _nameable(login: str) -> bool:
    try:
        single_line(login, "Identifiant")
    except InvalidValue:
        return False
    return True


@retried
def log_in(deps: Deps, login: str, password: str, code: str, workstation: str) -> OperatorContext:
    """The context of the operator who proved login, password and code, or LoginRefused."""
    typed = login.strip()
    name = login_form(typed)  # as stored: a fullwidth « ａgent » is « agent »
    # No operator's login holds a control character, and PostgreSQL refuses a NUL with a
    # bare DataError: such a login is unknown, without asking the store.
    nameable = _nameable(name)
    now = deps.clock()
    with deps.reading() as session:
        # As stored since logins are folded (NFKC), or as an older CSU stored them; the
        # login as typed first, should an old « ａgent » and an « agent » both exist.
        rows = (
            session.exec(
                select(Operator).where(col(Operator.login).in_({name, typed.lower()}))
            ).all()
            if nameable
            else []
        )
        found = next((r for r in rows if r.login == typed.lower()), rows[0] if rows else None)
        if found is not None:
            name = found.login  # the stored form, which the rest reads and locks
        stored_hash = found.password_hash if found else None
        sealed = found.totp_secret_sealed if found else None
    password_ok = _verify_password(deps.hasher, stored_hash, password)
    steps: list[int] = []
    if password_ok and sealed is not None:  # unsealed only for whoever knows the password
        try:
            secret = sealing.unseal(deps.key, TOTP_PURPOSE, sealed)
        except InvalidValue as error:  # another deployment's key: say so, nobody can log in
            raise LoginRefused(
                "Secret TOTP illisible avec la clé de ce poste : vérifiez CSU_SECRET_KEY "
                "(la même sur tous les postes de la cellule)."
            ) from error
        steps = _matching_steps(secret, code, now)

    context: OperatorContext | None = None
    with deps.writing() as session:
        row = _row_for_update(session, name) if nameable else None
        actor = Actor(operator=None, role=None, workstation=workstation)
        details: dict[str, object] = (
            {"login": typed[:LOGIN_DETAIL_MAX]}
            if row is not None
            else {"login_hash": keyed_hash(deps.key, TYPED_LOGIN, name)}
        )
        if row is None or not row.active:
            outcome = "refusé"
            if row is not None:
                actor = Actor(operator=row.login, role=row.role, workstation=workstation)
                details["reason"] = "compte désactivé"
        else:
            actor = Actor(operator=row.login, role=row.role, workstation=workstation)
            origin = login_origin(workstation)
            here = _failures_here(session, row.login, origin, now)
            account_lock = as_utc(row.locked_until)
            if account_lock is not None and account_lock <= now:  # the lock has expired
                row.failed_logins, row.locked_until, account_lock = 0, None, None
            # The place of the last good login keeps its way in while the account is
            # locked: whoever knows the password cannot lock the operator out there.
            if row.last_login_origin == origin:
                account_lock = None
            last = row.last_totp_step
            fresh = [step for step in steps if last is None or step > last]
            lock = here.locked_until or account_lock
            if lock is not None:
                outcome = "verrouillé"
                details["locked_until"] = lock.isoformat()
                details["lock"] = ORIGIN_LOCK if here.locked_until else ACCOUNT_LOCK
            elif password_ok and fresh:
                outcome = "ok"
                if here in session:  # a good login forgets this origin's failures
                    session.delete(here)
                here = None
                if row.locked_until is None:
                    row.failed_logins = 0
                row.last_totp_step = max(fresh)
                row.last_login_origin = origin
                context = OperatorContext(
                    login=row.login,
                    role=cast(Role, row.role),
                    workstation=workstation,
                    bureau=row.bureau_code,
                    session_id=secrets.token_hex(SESSION_ID_BYTES),
                )
                # A session still live is replaced: its open intervention is now this
                # one's (current_intervention), and its logout will abandon nothing.
                # Said in the login's entry: the replaced one may never log out (a crash).
                if row.session_id is not None:
                    details["reason"] = TAKEN_OVER
                row.session_id = context.session_id
            else:
                outcome = "refusé"
                here.failures += 1
                here.last_failure_at = now
                details["failures"] = here.failures
                # Only a right password counts towards the account's lock: an outsider
                # who has not got it, from however many addresses, locks none but them.
                if password_ok:
                    row.failed_logins += 1
                    details["account_failures"] = row.failed_logins
                if steps and not fresh:
                    details["reason"] = "code déjà utilisé"
                if here.failures >= MAX_FAILURES:
                    here.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                    details["locked_until"] = here.locked_until.isoformat()
                    details["lock"] = ORIGIN_LOCK
                if row.failed_logins >= MAX_ACCOUNT_FAILURES and row.locked_until is None:
                    row.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                    details["locked_until"] = row.locked_until.isoformat()
                    details["lock"] = ACCOUNT_LOCK
            if here is not None and here.failures:  # a row read is saved with the session
                session.add(here)
                _forget_idle_origins(session, row.login, now)
            session.add(row)
        journal.append(
            session, actor=actor, action="login", outcome=outcome, at=now, details=details
        )
    if context is None:
        raise LoginRefused(LOGIN_FAILED)
    return context


@retried
def log_out(deps: Deps, who: OperatorContext) -> None:
    """Ends the session; an intervention left open is closed as ``abandonné`` first.

    A session that a later login replaced abandons nothing (what is open now is the new
    session's) and leaves the new session's id in place."""
    from csu.services.interventions import DISABLED_NOTE, abandon_open

    now = deps.clock()
    with deps.writing() as session:
        row = _row_for_update(session, who.login) if who.session_id is not None else None
        current = who.session_id is None or (row is not None and row.session_id == who.session_id)
        if current:
            abandon_open(session, who, now)
        if row is not None and current:
            row.session_id = None
            session.add(row)
        # A disabled account's session was ended by the administrator, who abandoned what
        # it left open (csu.services.operators.disable_operator): not « replaced ».
        disabled = row is not None and not row.active
        journal.append(
            session,
            actor=who.actor,
            action="logout",
            outcome="ok",
            at=now,
            details=None if current else {"reason": DISABLED_NOTE if disabled else REPLACED},
        )


def session_ended(deps: Deps, who: OperatorContext) -> str | None:
    """Why ``who``'s session may no longer act (a code of
    :data:`csu.services.context.SESSION_REFUSALS`), or None while it is the operator's
    live one: one point read of the operator's row, which the terminal makes every few
    seconds."""
    from csu.services.sessions import LIVE_STATE, operator_state

    with deps.reading() as session:
        return _ended(who, operator_state(LIVE_STATE.rows_in(session, login=who.login)))


def operator_name(deps: Deps, who: OperatorContext) -> str:
    """The display name for the header (the login for someone not in the table)."""
    with deps.reading() as session:
        return display_name(session, who.login) or who.login


def demo_logins(deps: Deps) -> list[DemoLogin]:
    """On a demo database only: the demo operators with their code of the moment.

    Only the four operators the demo builder made, and only while they are active
    and keep the seed the README publishes: an operator created later (whose
    password is not `demo`) or re-enrolled never has a code on screen.
    """
    # demo pulls in the roll import; only when asked
    from csu.services.demo import DEMO_OPERATORS, DEMO_PASSWORD, is_demo

    if not is_demo(deps):
        return []
    now = deps.clock()
    seconds_left = 30 - int(now.timestamp()) % 30
    published = {login: secret for login, _, _, secret in DEMO_OPERATORS}
    with deps.reading() as session:
        rows = session.exec(
            select(Operator).where(
                Operator.active == True,  # noqa: E712
                Operator.login.in_(published),  # type: ignore[attr-defined]
            )
        ).all()
    rank = {role: index for index, role in enumerate(ROLES)}
    shown = []
    for row in sorted(rows, key=lambda r: (rank.get(r.role, len(ROLES)), r.login)):
        try:
            secret = sealing.unseal(deps.key, TOTP_PURPOSE, row.totp_secret_sealed)
        except InvalidValue:  # another deployment's key: nothing to show
            continue
        if not hmac.compare_digest(secret, published[row.login]):
            continue  # re-enrolled: its code is the operator's own now
        totp = pyotp.TOTP(secret)
        shown.append(
            DemoLogin(
                login=row.login,
                role=row.role,
                display_name=row.display_name,
                code=totp.at(now),
                seconds_left=seconds_left,
                password=DEMO_PASSWORD,
                used=row.last_totp_step is not None and row.last_totp_step >= totp.timecode(now),
            )
        )
    return shown


def _row_for_update(session: Session, login: str) -> Operator | None:
    query = select(Operator).where(Operator.login == login).with_for_update()
    return session.exec(query).first()


def _failures_here(session: Session, login: str, origin: str, now: datetime) -> LoginFailures:
    """The failures in a row of ``login`` from ``origin`` (a new row, not yet added, when
    there are none); a lock that has run out, or a day idle, clears its count."""
    found = session.get(LoginFailures, (login, origin), with_for_update=True)
    if found is None:
        return LoginFailures(login=login, origin=origin, failures=0)
    found.failures, found.locked_until = still_counting(found, now)
    return found


def _forget_idle_origins(session: Session, login: str, now: datetime) -> None:
    """Deletes ``login``'s origins whose last failure is older than a day."""
    session.flush()  # the failure just counted, first
    session.execute(
        delete(LoginFailures).where(
            LoginFailures.login == login,  # type: ignore[arg-type]
            LoginFailures.last_failure_at < now - FORGET_ORIGIN_AFTER,  # type: ignore[operator]
        )
    )


def _verify_password(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    """argon2 verification; against a dummy hash of the same cost for an unknown login."""
    try:
        hasher.verify(stored or _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def _dummy_hash(hasher: PasswordHasher) -> str:
    cost = (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
        hasher.type.name,
    )
    if cost not in _dummy_hashes:
        _dummy_hashes[cost] = hasher.hash("csu: no such operator")
    return _dummy_hashes[cost]


def _matching_steps(secret: str, code: str, now: datetime) -> list[int]:
    """The time steps within the window whose code is ``code`` (usually one, or none)."""
    typed = "".join(code.split())
    if len(typed) != 6 or not typed.isascii() or not typed.isdigit():
        return []
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    return [
        step
        for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1)
        if hmac.compare_digest(totp.generate_otp(step), typed)
    ]
