"""Who calls: the platform client named by the request's API key."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from csu.services.context import Deps
from csu.services.platform_clients import Platform, authenticate, note_call

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="cleApi",
    description="La clé d'API du client de plateforme, donnée une fois par "
    "« csu platform add » : en-tête `Authorization: Bearer csu_…`.",
)


def store(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def current_platform(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Platform:
    """The authenticated client (401 otherwise); kept on the request so that a later
    refusal (an invalid body) is journalled in its name."""
    platform = authenticate(store(request), credentials.credentials if credentials else None)
    note_call(store(request), platform)  # the dashboard's « dernier appel »
    request.state.platform = platform
    return platform


def authenticated(request: Request) -> Platform:
    """:func:`current_platform` outside FastAPI's dependencies (an error handler)."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    bearer_key = key.strip() if scheme.lower() == "bearer" else None
    platform = authenticate(store(request), bearer_key)
    note_call(store(request), platform)
    request.state.platform = platform
    return platform


def needs_key(request: Request) -> bool:
    """Whether the request's route asks for a platform's key."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    return dependant is not None and any(
        sub.call is current_platform for sub in dependant.dependencies
    )


CurrentPlatform = Annotated[Platform, Depends(current_platform)]
Store = Annotated[Deps, Depends(store)]
