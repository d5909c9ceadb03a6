"""Service refusals as HTTP statuses, and their journal entries."""

from collections.abc import Callable
from typing import TypeVar

from csu.domain.errors import InvalidValue
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OutcomeUnknown,
    ServiceError,
    StoreBusy,
)
from csu.services.platform import ChecksSaturated, LoginLocked
from csu.services.platform_clients import Platform, Unauthenticated, record_refusal
from csu.services.vote_codes import LinkGone

T = TypeVar("T")

# Most specific first: each error is matched against this list in order.
STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (LinkGone, 410),
    (LoginLocked, 429),
    (ChecksSaturated, 503),
    (StoreBusy, 503),
    (OutcomeUnknown, 503),
    (InvalidValue, 422),
    (ServiceError, 409),
)
# Refusals that already have their entry (a locked login), that could not get one, or
# that must stay cheap: a saturated check is refused at once, without a transaction,
# precisely when checks come faster than they are served.
_NOT_RECORDED = (LoginLocked, ChecksSaturated, StoreBusy, OutcomeUnknown, Unauthenticated)


def status_of(error: Exception) -> int:
    for kind, status in STATUSES:
        if isinstance(error, kind):
            return status
    return 500


def journalled(
    deps: Deps,
    platform: Platform,
    action: str,
    call: Callable[[], T],
    *,
    election: str | None = None,
) -> T:
    """Runs a service for ``platform``; a refusal gets its journal entry, with the
    platform as actor, before it becomes the answer."""
    try:
        return call()
    except (ServiceError, InvalidValue) as error:
        if not isinstance(error, _NOT_RECORDED):
            details: dict[str, object] = {"status": status_of(error)}
            if isinstance(error, LinkGone):
                election, details["material"] = error.election, error.material
            record_refusal(deps, platform, action, str(error), election=election,
                           details=details)
        raise
