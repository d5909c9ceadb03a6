"""Operators' display names, read by login: what a colleague knows them by."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from csu.store.tables import Operator


def display_names(session: Session, logins: Iterable[str]) -> dict[str, str]:
    """The display names of the operators ``logins``, by login (none for a login that no
    operator has, or whose name is empty)."""
    wanted = sorted(set(logins))
    if not wanted:
        return {}
    rows = session.execute(
        select(Operator.login, Operator.display_name).where(
            Operator.login.in_(wanted)  # type: ignore[attr-defined]
        )
    )
    return {login: name for login, name in rows if name}


def display_name(session: Session, login: str | None) -> str | None:
    """The display name of the operator ``login``, None if there is none."""
    return display_names(session, [login]).get(login) if login else None
