"""What every service needs: the store, the key, the clock, and who is acting."""

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from csu.domain.clock import Clock, system_clock

# The terminal imports this module before its first frame: the store, SQLAlchemy and
# argon2 are imported when first used, not here (see bench/terminal.py, cold start).
if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlalchemy import Engine
    from sqlmodel import Session

    from csu.delivery import Delivery
    from csu.store.journal import Actor

Role = Literal["agent", "president", "superviseur", "admin"]
ROLES: tuple[Role, ...] = ("agent", "president", "superviseur", "admin")
ROLE_LABELS: dict[str, str] = {
    "agent": "agent",
    "president": "président de bureau",
    "superviseur": "superviseur",
    "admin": "administrateur",
}


class ServiceError(Exception):
    """A refusal or failure to show the operator: its text is a French sentence."""


class Forbidden(ServiceError):
    pass


class NotFound(ServiceError):
    pass


@dataclass(frozen=True, slots=True)
class OperatorContext:
    """The operator on whose behalf a service runs."""

    login: str
    role: Role
    workstation: str
    bureau: str | None = None

    @property
    def actor(self) -> "Actor":
        from csu.store.journal import Actor

        return Actor(operator=self.login, role=self.role, workstation=self.workstation)

    @classmethod
    def command_line(cls, workstation: str) -> "OperatorContext":
        """The administrator running ``csu`` in a shell, named after the system user."""
        return cls(login=f"cli:{getpass.getuser()}", role="admin", workstation=workstation)


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


def require_role(who: OperatorContext, *roles: Role) -> None:
    if who.role not in roles:
        allowed = ", ".join(ROLE_LABELS[r] for r in roles)
        raise Forbidden(f"Action réservée au rôle : {allowed}.")
