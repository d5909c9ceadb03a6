"""The session rule's store side: the operator's row as :func:`csu.services.context.
require_live` reads it, and the checks every service that an operator's terminal
session calls runs before it reads personal data, changes something or shows the
journal.

A service with a writing transaction checks inside it (:func:`require_live_in`), so
that a session ended before its commit does nothing; one that only reads checks in a
short read of its own first (:func:`require_live_session`). The command line and the
system are no sessions (``session_id`` None): that read is not made for them.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlmodel import Session

from csu.services.context import Deps, OperatorContext, OperatorState, require_live
from csu.store.prepared import Prepared
from csu.store.tables import Operator, core_tables

(_operator,) = core_tables(Operator)
# The operator's row as csu.services.context.require_live reads it (a point read by the
# login's unique index): services send it with their own reads.
def _live_state() -> Select[Any]:
    return select(
        _operator.c.active, _operator.c.role, _operator.c.bureau_code, _operator.c.session_id,
        _operator.c.last_totp_step,
    ).where(_operator.c.login == bindparam("login"))


LIVE_STATE = Prepared(_live_state)


# The same read, holding the row against a change until the transaction ends
# (PostgreSQL; SQLite's writer holds the whole base): an intervention opened while its
# operator is disabled either commits before the disable, which then abandons it, or
# sees the account disabled (csu.services.operators.disable_operator).
LIVE_STATE_HELD = Prepared(lambda: _live_state().with_for_update(read=True))


def operator_state(rows: Sequence[tuple[Any, ...]]) -> OperatorState | None:
    """The operator's row read by :data:`LIVE_STATE` (or the same columns joined to
    another read), None if there is none (an outer join's NULLs)."""
    if not rows or rows[0][0] is None:
        return None
    active, role, bureau, session_id, last_totp_step = rows[0]
    return OperatorState(bool(active), role, bureau, session_id, last_totp_step)


def require_live_in(session: Session, who: OperatorContext) -> None:
    """:func:`csu.services.context.require_live` on the operator's row as the
    session's transaction reads it (one point read by login)."""
    require_live(who, operator_state(LIVE_STATE.rows_in(session, login=who.login)))


def require_live_held(session: Session, who: OperatorContext) -> None:
    """:func:`require_live_in`, the operator's row then held FOR SHARE until the
    transaction ends (PostgreSQL): an administrator's change of another operator cannot
    commit on the strength of a role that the other's change of them takes away at the
    same moment (two administrators disabling each other left the cell without one);
    one of the two waits, then finds its own session ended."""
    require_live(who, operator_state(LIVE_STATE_HELD.rows_in(session, login=who.login)))


def require_live_session(deps: Deps, who: OperatorContext) -> None:
    """:func:`require_live_in` in a short read of its own, for a service without a
    writing transaction to check in; nothing for a context without a session (the
    command line, the system), whose commands keep working as before."""
    if who.session_id is None:
        return
    with deps.reading() as session:
        require_live_in(session, who)
