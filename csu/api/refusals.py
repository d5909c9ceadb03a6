"""Service refusals as HTTP statuses and problems, and their journal entries."""

from collections.abc import Callable, Mapping
from typing import TypeVar

from fastapi.responses import JSONResponse

from csu.api.problems import ProblemField, problem
from csu.domain.election import is_election_id
from csu.domain.errors import InvalidValue
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OutcomeUnknown,
    ServiceError,
    StoreBusy,
)
from csu.services.emargement import BadEvents
from csu.services.platform import BadSecrets, ChecksSaturated, LoginLocked
from csu.services.platform_clients import (
    Platform,
    Unauthenticated,
    record_refusal,
    require_election,
)
from csu.services.vote_codes import AnswerMalformed, LinkGone

T = TypeVar("T")


class AnsweredAsUnknown(NotFound):
    """A refusal answered exactly as the unknown thing it hides would be (404, the same
    body): a key of one election learns nothing of another's links. ``reason``, the
    true one, goes to the cell's journal only."""

    def __init__(self, answer: str, reason: str) -> None:
        super().__init__(answer)
        self.reason = reason


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


# The store busy or out of reach: the service already tried again (its attempts and
# their lock waits, for the request's wait cap: csu.api.app.STORE_WAIT_S), so the
# database is restarting, failing over or held by a long transaction, which takes
# seconds more; a platform asking again at once would only add to what it is
# recovering from.
STORE_RETRY_AFTER_S = 10
# The fields of the API that a service's refusal names (InvalidValue.field, in French);
# any other is the body as a whole.
API_FIELDS: dict[str, str] = {"Secrets": "secrets", "Élection": "election", "Émargements": "events"}


def status_of(error: Exception) -> int:
    for kind, status in STATUSES:
        if isinstance(error, kind):
            return status
    return 500


def refusal(
    error: ServiceError | InvalidValue, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The problem that answers a service's refusal: its status, its French sentence,
    the headers it calls for, and for an invalid value (422) the fields it names."""
    said = dict(headers or {})
    if isinstance(error, LoginLocked | ChecksSaturated):
        said["Retry-After"] = str(error.retry_after)
    elif isinstance(error, StoreBusy | OutcomeUnknown):
        said["Retry-After"] = str(STORE_RETRY_AFTER_S)
    elif isinstance(error, Unauthenticated):
        said["WWW-Authenticate"] = "Bearer"
    fields = invalid_fields(error) if isinstance(error, InvalidValue) else None
    return problem(status_of(error), str(error), headers=said, errors=fields)


def invalid_fields(error: InvalidValue) -> list[ProblemField]:
    """The fields a refused value names, as a 422's ``errors`` (one per field)."""
    if isinstance(error, BadEvents | BadSecrets):  # each fault names its own field
        return [ProblemField(field=name, message=message) for name, message in error.faults]
    return [ProblemField(field=API_FIELDS.get(error.field, "corps"), message=error.fault)]


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
            elif isinstance(error, AnswerMalformed):  # its link's election
                election = error.election
            reason = error.reason if isinstance(error, AnsweredAsUnknown) else str(error)
            if isinstance(error, AnswerMalformed):  # never what was typed
                reason = error.journalled
            record_refusal(deps, platform, action, reason, election=election, details=details)
        raise


def refused_before_the_route(
    deps: Deps,
    platform: Platform,
    action: str,
    election: object,
    status: int,
    reason: str,
    details: Mapping[str, object] | None = None,
) -> JSONResponse | None:
    """For a request refused before its route ran (a body not JSON, not valid): the 403
    its route would have answered when the key does not reach the election named in
    the address, else None once the refusal (``status``, ``reason``) is journalled in the
    platform's name, as every refusal of an authenticated platform is. Blocking: from a
    worker thread."""
    # An address naming no possible election (a NUL, a control or bidirectional
    # character…) gets no 403 naming it back, nor a journal entry holding it.
    named = election if isinstance(election, str) and is_election_id(election) else None
    if named is not None:
        try:
            journalled(deps, platform, action, lambda: require_election(platform, named),
                       election=named)  # fmt: skip
        except Forbidden as forbidden:
            return refusal(forbidden)
    record_refusal(deps, platform, action, reason, election=named,
                   details={"status": status, **(details or {})})  # fmt: skip
    return None
