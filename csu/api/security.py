"""Who calls: the platform client named by the request's API key. A request refused
for its key (401) is journalled, at most once per source and minute."""

import logging
import threading
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from csu.domain.addresses import recorded_address
from csu.services.context import Deps, ServiceError
from csu.services.platform_clients import (
    Platform,
    RefusalThrottle,
    Unauthenticated,
    authenticate,
    note_call,
    record_unauthenticated,
)

_log = logging.getLogger(__name__)
_throttle_created = threading.Lock()

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="cleApi",
    description="La clé d'API du client de plateforme, donnée une fois par "
    "« csu platform add » : en-tête `Authorization: Bearer csu_…`.",
)


DOUBLE_KEY = "En-tête Authorization donné plusieurs fois : une seule clé d'API par requête."


def store(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def current_platform(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Platform:
    """The authenticated client (401 otherwise); kept on the request so that a later
    refusal (an invalid body) is journalled in its name. Already there when the
    admission (csu.api.admission) checked the key before the body was read."""
    admitted: Platform | None = getattr(request.state, "platform", None)
    if admitted is not None:
        return admitted
    platform = _authenticate(request, credentials.credentials if credentials else None)
    note_call(store(request), platform)  # the dashboard's « dernier appel »
    request.state.platform = platform
    return platform


def authenticated(request: Request) -> Platform:
    """:func:`current_platform` outside FastAPI's dependencies (an error handler)."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    bearer_key = key.strip() if scheme.lower() == "bearer" else None
    platform = _authenticate(request, bearer_key)
    note_call(store(request), platform)
    request.state.platform = platform
    return platform


def _authenticate(request: Request, key: str | None) -> Platform:
    """:func:`authenticate`, a refusal journalled before it becomes the 401."""
    try:
        if len(request.headers.getlist("authorization")) > 1:
            # Which one counts would be the server's choice (the first), and a proxy's
            # header added after a client's could pass as the client's (attack run).
            raise Unauthenticated(DOUBLE_KEY, why="en double")
        return authenticate(store(request), key)
    except Unauthenticated as refusal:
        deps = store(request)
        source = client_source(request)
        skipped = _throttle(request).admit(source, deps.clock())
        if skipped is not None:
            try:
                record_unauthenticated(
                    deps, refusal, key=key, source=source, path=request.url.path,
                    skipped=skipped,
                )
            except ServiceError:  # the store busy or out of reach: still a 401
                _log.warning("API: refused key from %s not journalled", source, exc_info=True)
        raise


def client_source(request: Request) -> str:
    """The caller's address as the journal names it: the peer, or the address a proxy on
    this machine put in X-Forwarded-For (uvicorn's proxy_headers), which it passes on
    unchecked. Anything that is not an IP address (a NUL, a control or bidirectional
    character, a name) is never journalled as it came, and counts as one source."""
    return recorded_address(request.client.host if request.client else "")


def _throttle(request: Request) -> RefusalThrottle:
    """The application's throttle of refused-key entries (one per running API)."""
    state = request.app.state
    throttle: RefusalThrottle | None = getattr(state, "refusal_throttle", None)
    if throttle is None:
        with _throttle_created:
            throttle = getattr(state, "refusal_throttle", None)
            if throttle is None:
                throttle = state.refusal_throttle = RefusalThrottle()
    return throttle


def needs_key(request: Request) -> bool:
    """Whether the request's route asks for a platform's key."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    return dependant is not None and any(
        sub.call is current_platform for sub in dependant.dependencies
    )


CurrentPlatform = Annotated[Platform, Depends(current_platform)]
Store = Annotated[Deps, Depends(store)]
