"""What every service needs: the store, the key, the clock, and who is acting."""

import functools
import getpass
import logging
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from csu.domain.clock import Clock, system_clock
from csu.domain.errors import InvalidValue
from csu.domain.roles import ROLE_LABELS, Role
from csu.domain.text import visible_text

# The terminal imports this module before its first frame: the store, SQLAlchemy and
# argon2 are imported when first used, not here (see bench/terminal.py, cold start).
if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlalchemy import Engine
    from sqlmodel import Session

    from csu.delivery import Delivery
    from csu.domain.permissions import Situation
    from csu.store.journal import Actor

MAX_WORKSTATION = 100  # the journal's workstation column
MAX_LOGIN = 64  # the operator table's and the journal's width
# The command line acts in the system user's name (``cli:`` and $USER or $LOGNAME).
SYSTEM_USER_FIELD = "Utilisateur du système (LOGNAME, USER, LNAME ou USERNAME)"


class ServiceError(Exception):
    """A refusal or failure to show the operator: its text is a French sentence."""


class Forbidden(ServiceError):
    """A refusal of role, bureau or rule (an election's route, four eyes, in person
    only): the screens offer no such action, so each is journalled (« role_refused »)."""

    # Whether it is still to journal: :func:`require_role` and :func:`enforce` journal
    # theirs; one raised inside a service's transaction is journalled by
    # :func:`journals_refusals` once that transaction has rolled back. False too for a
    # refusal of state, not of rule (a locked voter), which the service says its own way.
    to_journal: bool = True

    def __init__(self, message: str, *, to_journal: bool = True) -> None:
        super().__init__(message)
        self.to_journal = to_journal


class CredentialInText(ServiceError):
    """A text refused because it held one of the voter's credentials or its key's first
    characters, found by their hash (csu.services.credential_text.refuse_codes): not a
    mere shape, a match. Anyone writing a note could otherwise try guesses at a voter's
    key prefix unseen; :func:`retried` journals the refusal (« code_in_text »), once
    the failed attempt has rolled back. It carries the kind matched and where, never
    the text."""

    def __init__(
        self, sentence: str, *, kind: str, field: str, subject: str | None,
        election: str | None,
    ) -> None:  # fmt: skip
        super().__init__(sentence)
        self.kind = kind
        self.field = field
        self.subject = subject
        self.election = election
        self.journalled = False


class NotFound(ServiceError):
    pass


class StoreBusy(ServiceError):
    """The database stayed busy or out of reach: nothing was recorded."""


class OutcomeUnknown(ServiceError):
    """The connection broke while the database committed: the action may or may not
    have been recorded, and repeating it blindly could do it twice."""


class PartlyRecorded(OutcomeUnknown):
    """A later transaction of a service failed after an earlier one committed: the
    first part is recorded, and running the whole again would repeat it."""


def check_workstation(name: str, field: str) -> None:
    """A workstation's name, named in every journal entry: no control character, nor
    an invisible one (« web\u200b:… » read as a browser's), and no wider than its
    journal column (a longer one would stop the journal)."""
    visible_text(name, field)
    if len(name) > MAX_WORKSTATION:
        raise InvalidValue(field, f"{MAX_WORKSTATION} caractères au plus")


@dataclass(frozen=True, slots=True)
class OperatorContext:
    """The operator on whose behalf a service runs."""

    login: str
    role: Role
    workstation: str
    bureau: str | None = None
    # The terminal session's random id, given by a login (csu.services.auth.log_in) and
    # kept in the operator's row while the session is the live one; None for the command
    # line and the system, which are no sessions. Not shown in a log or a traceback.
    session_id: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # The workstation's name goes into every journal entry: no control character
        # (a NUL would also be refused by PostgreSQL with an unreadable error).
        check_workstation(self.workstation, "Poste de travail (CSU_WORKSTATION)")

    @property
    def actor(self) -> "Actor":
        from csu.store.journal import Actor

        return Actor(operator=self.login, role=self.role, workstation=self.workstation)

    @classmethod
    def command_line(cls, workstation: str) -> "OperatorContext":
        """The administrator running ``csu`` in a shell, named after the system user. The
        name is checked as an operator's login is, before anything runs: it is written
        into each journal entry, and an export refused at its entry would already have
        written its rows."""
        user = getpass.getuser()  # the first of the four variables set, as it reads them
        if not user.strip():
            raise InvalidValue(SYSTEM_USER_FIELD, "vide : aucun nom d'utilisateur")
        login = f"cli:{user}"
        visible_text(login, SYSTEM_USER_FIELD)
        if len(login) > MAX_LOGIN:
            raise InvalidValue(SYSTEM_USER_FIELD, f"{MAX_LOGIN - len('cli:')} caractères au plus")
        return cls(login=login, role="admin", workstation=workstation)


@dataclass(frozen=True)
class Deps:
    """The store and what services compute with: passed to every service."""

    engine: "Engine"
    key: bytes
    clock: Clock = field(default=system_clock)
    # argon2id for operators' passwords and short credentials (parameters in Settings).
    hasher: "PasswordHasher" = field(default_factory=lambda: _default_hasher())
    # Where messages to voters go (one-time codes...); None: sending is refused.
    delivery: "Delivery | None" = None

    @contextmanager
    def writing(self) -> Iterator["Session"]:
        from csu.store.engine import write_session

        with write_session(self.engine) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator["Session"]:
        from csu.store.engine import read_session

        with read_session(self.engine) as session:
            yield session


def _default_hasher() -> "PasswordHasher":
    from argon2 import PasswordHasher

    return PasswordHasher()


def enforce(
    action: str,
    situation: "Situation",
    *,
    deps: "Deps | None" = None,
    who: "OperatorContext | None" = None,
) -> None:
    """Raises the refusal of :func:`csu.domain.permissions.refusal`, if any: the rule the
    voter file shows is the rule the service applies. Given ``deps`` and ``who`` (a
    check of the role alone, before the service's transactions), a refusal of role or
    bureau is journalled as :func:`require_role`'s is."""
    # Imported here: the login screen, drawn first, imports this module (~8 ms).
    from csu.domain.permissions import refusal

    found = refusal(action, situation)
    if found is None:
        return
    if not found.forbidden:
        raise ServiceError(found.sentence)
    if deps is not None and who is not None:
        service = sys._getframe(1).f_code.co_name
        dealt = journal_role_refusal(deps, who, service, {"reason": found.sentence})
        raise Forbidden(found.sentence, to_journal=not dealt)
    raise Forbidden(found.sentence)  # inside a transaction: journals_refusals journals it


@dataclass(frozen=True, slots=True)
class OperatorState:
    """What the store holds of an operator that decides whether their session lives."""

    active: bool
    role: str
    bureau: str | None
    session_id: str | None
    last_totp_step: int | None  # None once an administrator reset the authenticator


# Why a session ended, by code: the sentence of a service's refusal, and of the login
# screen's notice when the terminal finds it out by itself.
SESSION_REFUSALS: dict[str, str] = {
    "disabled": "Session fermée : ce compte a été désactivé par un administrateur.",
    "taken_over": (
        "Session fermée : votre compte s'est connecté sur un autre poste ; "
        "reconnectez-vous pour reprendre ici."
    ),
    "changed": "Session fermée : votre rôle ou votre bureau a changé ; reconnectez-vous.",
    "authenticator": (
        "Session fermée : votre authentificateur a été réinitialisé ; reconnectez-vous "
        "avec le nouveau code."
    ),
    "ended": "Session fermée : reconnectez-vous.",
}


class SessionClosed(Forbidden):
    """An action asked by a session that is no longer the operator's live one; its
    ``reason`` is a code of :data:`SESSION_REFUSALS`."""

    def __init__(self, reason: str) -> None:
        # Not a role refusal: the session ended (the login screen says why).
        super().__init__(SESSION_REFUSALS[reason], to_journal=False)
        self.reason = reason


def session_ended(who: OperatorContext, state: OperatorState | None) -> str | None:
    """Why ``who`` may no longer act (a code of :data:`SESSION_REFUSALS`), ``state``
    being the operator's row as the store holds it (None: no such row); None while it
    may. A context without a session (the command line, the system) is refused only
    for a disabled account."""
    if who.session_id is None:
        return "disabled" if state is not None and not state.active else None
    if state is None or not state.active:
        return "disabled"
    # Before the session's id: a change of role ends the session (csu.services.operators)
    # and says so, rather than « ended ».
    if (state.role, state.bureau) != (who.role, who.bureau):
        return "changed"
    if state.session_id != who.session_id:
        return "taken_over" if state.session_id is not None else "ended"
    if state.last_totp_step is None:  # csu.services.operators.reset_totp clears it
        return "authenticator"
    return None


def require_live(who: OperatorContext, state: OperatorState | None) -> None:
    """Raises :class:`SessionClosed` unless ``who`` may still act (:func:`session_ended`)."""
    reason = session_ended(who, state)
    if reason is not None:
        raise SessionClosed(reason)


def require_role(deps: Deps, who: OperatorContext, *roles: Role) -> None:
    """Raises :class:`Forbidden` unless ``who`` holds one of ``roles``, the refusal
    journalled first (:func:`journal_role_refusal`). Called by a service before its
    transactions."""
    if who.role in roles:
        return
    # The service that asked: the caller's name, so that each call site need not say it.
    service = sys._getframe(1).f_code.co_name
    dealt = journal_role_refusal(deps, who, service, {"roles": list(roles)})
    allowed = ", ".join(ROLE_LABELS[r] for r in roles)
    raise Forbidden(f"Action réservée au rôle : {allowed}.", to_journal=not dealt)


ROLE_REFUSAL_EVERY_S = 60.0
_role_refusals_journalled: dict[tuple[str, str], float] = {}


def journal_role_refusal(
    deps: Deps, who: OperatorContext, service: str, details: dict[str, object]
) -> bool:
    """Journals (« role_refused », refused) that ``who`` asked ``service`` for what their
    role or bureau does not allow. The screens offer no such action, so each is a
    crafted call (a page scripted under csu serve, a tampered terminal) and must leave
    a trace. Not from inside another service's transaction (a second writer would wait
    for it): that one's refusal is its caller's to journal, and is only logged. Whether
    it was dealt with (journalled, or already within the minute); False inside a
    transaction, where an outer service's :func:`journals_refusals` may still."""
    from csu.store import engine as store

    if store.in_transaction():
        _log.warning("role_refused: %s refused to %s inside a transaction", service, who.login)
        return False
    # One entry a minute per operator and service: a page scripted to press a key a
    # hundred times leaves its trace, not a hundred entries in the append-only journal.
    key, moment = (who.login, service), time.monotonic()
    if moment - _role_refusals_journalled.get(key, -ROLE_REFUSAL_EVERY_S) < ROLE_REFUSAL_EVERY_S:
        _log.warning("role_refused: %s refused to %s again (journalled once a minute)",
                     service, who.login)  # fmt: skip
        return True
    if journal_refusal_apart(deps, who, "role_refused", {"service": service, **details}):
        _role_refusals_journalled[key] = moment
    return True


P = ParamSpec("P")
T = TypeVar("T")


def journals_refusals(
    service: "Callable[Concatenate[Deps, OperatorContext, P], T]",
) -> "Callable[Concatenate[Deps, OperatorContext, P], T]":
    """Journals (:func:`journal_role_refusal`) a :class:`Forbidden` that ``service``
    raised inside its transaction, once that transaction has rolled back: a second
    writer could not journal it there, and another bureau's voter asked for, a route
    the election closes or a decision by the request's own author left no trace."""

    @functools.wraps(service)
    def journalled(deps: Deps, who: OperatorContext, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return service(deps, who, *args, **kwargs)
        except Forbidden as refused:
            if refused.to_journal and journal_role_refusal(
                deps, who, service.__name__, {"reason": str(refused)}
            ):
                refused.to_journal = False  # an outer service's wrapper need not
            raise

    return journalled


def journal_refusal_apart(
    deps: Deps,
    who: OperatorContext,
    action: str,
    details: dict[str, object],
    *,
    election: str | None = None,
    subject: str | None = None,
) -> bool:
    """Journals ``action`` refused to ``who`` in a transaction of its own, once the
    refused one has rolled back (or before any was opened); whether it could. Never
    raises: the operator must still read the refusal; a lost entry is said in the log,
    by its action and who asked, never its details (they may name what was typed)."""
    try:
        _append_refusal(deps, who, action, details, election, subject)
    except Exception as error:  # any: see above
        _log.error(
            "%s: a refusal to %s could not be journalled: %s",
            action, who.login, type(error).__name__,
        )  # fmt: skip
        return False
    return True


# ------------------------------------------------------------------ retries

_log = logging.getLogger(__name__)

# Attempts of a whole service, and the first pause between two (doubled each time,
# with jitter so that workstations that failed together do not retry together):
# 0.05 + 0.1 + 0.2 + 0.4 s covers a lock conflict, a dropped connection and a
# server restarting in a second or two; longer, the agent is told to try again.
ATTEMPTS = 5
FIRST_PAUSE_S = 0.05
UNAVAILABLE = (
    "La base de données est momentanément indisponible : rien n'a été enregistré. "
    "Réessayez dans un instant."
)
UNKNOWN = (
    "La connexion à la base de données a été perdue pendant l'enregistrement : "
    "consultez le dossier de l'électeur avant de refaire l'action."
)
PARTLY = (
    "L'action n'a été enregistrée qu'en partie, la base de données ayant refusé la suite : "
    "consultez le dossier de l'électeur avant de la refaire."
)


def too_long_fault(width: int) -> str:
    limit = f" ({width} caractères au plus)" if width else ""
    return f"valeur trop longue{limit} : rien n'a été enregistré"


@contextmanager
def store_wait_cap(seconds: float | None) -> Iterator[None]:
    """Services called inside the block (in this context, and the worker threads it is
    copied to) wait for a busy or unreachable store ``seconds`` at most each, all their
    attempts included, then raise ``StoreBusy``; None: no cap."""
    from csu.store.engine import wait_cap

    with wait_cap(seconds):
        yield


def retried(service: Callable[P, T]) -> Callable[P, T]:
    """Run ``service`` again, whole, when its transaction failed for a reason that a
    new attempt may cure (lock timeout, deadlock, serialization failure, SQLite busy,
    connection lost or refused), at most ``ATTEMPTS`` times.

    The whole service, not its ``with deps.writing()`` block: an attempt re-reads
    what it decided on, so a retry never commits a decision taken on stale data.
    Never retried: a service one of whose transactions already committed (a retry
    would do that part twice: ``PartlyRecorded``), and a connection lost during COMMIT,
    where the outcome is unknown (``OutcomeUnknown``). So each transaction that follows
    a commit is a retried unit of its own (the outbox's claim and settle): a retried
    service called inside another one's open transaction is retried only with it;
    called between its transactions (a delivery after the commit), it is retried alone.
    A transient failure never leaves raw: the operator reads a French sentence.

    Under :func:`store_wait_cap` (the API's calls), the attempts and their lock waits
    end together by the cap: each attempt waits for a lock only the time left, and none
    starts past it. Without (the workstations), each attempt waits the engine's timeout.

    A :class:`CredentialInText` refusal leaving the service is journalled (« code_in_text »)
    in a transaction of its own, after the attempt's have rolled back, on behalf of the
    :class:`OperatorContext` among the service's arguments (none: not journalled).
    """

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        from csu.store import engine as store

        if store.in_transaction():
            return service(*args, **kwargs)
        try:
            return attempts(*args, **kwargs)
        except CredentialInText as refused:
            # The failed attempt's transactions are closed (rolled back): the refusal
            # is journalled in one of its own, nothing else of the action.
            _journal_refusal(refused, (*args, *kwargs.values()))
            raise

    def attempts(*args: P.args, **kwargs: P.kwargs) -> T:
        from csu.store import engine as store

        pause = FIRST_PAUSE_S
        with store.unit_deadline() as deadline:
            for number in range(1, ATTEMPTS + 1):
                sleep = pause * random.uniform(1, 1.5)
                with store.attempt() as state:
                    try:
                        return service(*args, **kwargs)
                    except Exception as error:
                        if not store.transient(error):
                            width = store.too_long(error)
                            if width is None:
                                raise
                            # A length no check of the services caught: said, not a traceback.
                            if state.committed:
                                raise PartlyRecorded(PARTLY) from error
                            # Not chained: the driver's error carries the statement's parameters.
                            raise InvalidValue("Saisie", too_long_fault(width)) from None
                        if state.committed:
                            raise PartlyRecorded(PARTLY) from error
                        if state.failed_at_commit and not store.surely_rolled_back(error):
                            raise OutcomeUnknown(UNKNOWN) from error
                        # Under a cap (the API's calls), no attempt starts past it.
                        if number == ATTEMPTS or (
                            deadline is not None and time.monotonic() + sleep >= deadline
                        ):
                            raise StoreBusy(UNAVAILABLE) from error
                        _log.warning(
                            "%s: attempt %d failed (%s), retrying",
                            service.__name__,
                            number,
                            type(error).__name__,
                        )
                time.sleep(sleep)
                pause *= 2
        raise AssertionError("unreachable")  # the loop returns or raises

    return run


def _journal_refusal(refused: CredentialInText, arguments: tuple[object, ...]) -> None:
    """Journal ``refused`` (« code_in_text », refused) on behalf of the operator among
    the service's ``arguments`` (``service(deps, who, …)``); nothing without one. A
    refusal is journalled once, by the outermost retried service it leaves."""
    if refused.journalled:
        return
    deps = next((arg for arg in arguments if isinstance(arg, Deps)), None)
    who = next((arg for arg in arguments if isinstance(arg, OperatorContext)), None)
    if deps is None or who is None:
        return
    refused.journalled = True
    journal_refusal_apart(
        deps, who, "code_in_text", {"kind": refused.kind, "field": refused.field},
        election=refused.election, subject=refused.subject,
    )  # fmt: skip


@retried
def _append_refusal(
    deps: Deps,
    who: OperatorContext,
    action: str,
    details: dict[str, object],
    election: str | None,
    subject: str | None,
) -> None:
    from csu.store import journal

    with deps.writing() as session:
        journal.append(
            session,
            actor=who.actor,
            action=action,
            outcome="refusé",
            at=deps.clock(),
            election=election,
            subject=subject,
            details=details,
        )
