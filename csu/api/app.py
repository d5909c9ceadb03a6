"""The ASGI application: routes, problem details for every error, OpenAPI 3.1 at
``/openapi.json`` and its documentation page at ``/docs`` (served from the package,
nothing loaded from outside)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from csu.api.admission import Admission
from csu.api.bodies import BodyRefused
from csu.api.problems import (
    JSON_REFUSED,
    Problem,
    field_name,
    problem,
    validation_problem,
)
from csu.api.refusals import refusal, refused_before_the_route
from csu.api.routes import emargements, health, logins, tokens
from csu.api.security import authenticated, needs_key
from csu.domain.errors import InvalidValue
from csu.services import webhooks
from csu.services.audit import resident_sequencer
from csu.services.context import Deps, ServiceError
from csu.services.platform import ARGON2_ADMITTED, stop_argon2_pool, warm_argon2_pool
from csu.services.platform_clients import (
    Platform,
    Unauthenticated,
)

_log = logging.getLogger(__name__)

TITLE = "CSU électeurs — API de la plateforme de vote"
VERSION = "1"
DESCRIPTION = """\
L'API que la plateforme de vote appelle : vérifier une connexion, utiliser un lien de
réassort du code de vote, déclarer les émargements (les votes, scrutin par scrutin).

Chaque appel (sauf `/v1/health`) porte l'en-tête `Authorization: Bearer CLÉ`, la clé
donnée une fois par `csu platform add` ; une clé n'atteint que ses élections. Chaque
appel est inscrit au journal de la cellule au nom de la plateforme.

Les erreurs suivent la RFC 9457 (`application/problem+json`) ; `detail` dit en
français ce qui ne va pas. Un corps de requête fait 64 Kio au plus, un lot
d'émargements 8 Mio (413 au-delà).
"""
_HTTP_DETAILS = {
    404: "Aucune ressource à cette adresse.",
    405: "Méthode non autorisée pour cette adresse.",
}


# Requests served at once by the routes that call services (each in a worker thread
# holding at most one database connection at a time); the others wait their turn.
# /v1/health runs on the event loop and never waits for them. Login checks waiting for
# argon2 hold a thread each, with no connection: the pool's bounded queue
# (ARGON2_ADMITTED) gets threads of its own on top, so that a burst of them never
# leaves the other requests, keyed checks included, waiting behind.
THREADS = 8
WEBHOOK_PASS_SECONDS = 30  # as the terminals' outbox passes
# Seconds a service of a request may wait for a busy store (SQLite locked by a long
# write elsewhere, PostgreSQL locks, the server restarting), all its attempts included,
# before the 503 with Retry-After. Without it the engine's timeouts applied five times
# over: 51 s on SQLite, 75 s on PostgreSQL, past any platform's own timeout, each
# holding one of THREADS. Not shorter: the journal head's normal queue on a busy cell
# (PostgreSQL, p99 2.7 s in bench/load.py) must not turn into 503s.
STORE_WAIT_S = 5.0


def create_app(
    deps: Deps,
    *,
    threads: int = THREADS,
    ends_process: bool = False,
    store_wait_s: float | None = STORE_WAIT_S,
) -> FastAPI:
    """The API over the services of ``deps`` (its store, key, clock, hasher, delivery).
    ``ends_process``: the process ends with it (``csu api``), and its argon2 workers with
    it; an app of the tests leaves them to the next one. ``store_wait_s``: how long each
    service of a request may wait for a busy store (None: the engine's timeouts, each
    attempt)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = threads + ARGON2_ADMITTED
        warm_argon2_pool(deps)
        try:
            # Requests queue their journal entries; the API's own sequencer chains them.
            with resident_sequencer(deps):
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(_webhook_passes, deps)
                    yield
                    tasks.cancel_scope.cancel()
        finally:
            if ends_process:
                stop_argon2_pool()

    # No redirect to the address with(out) its trailing slash: a 307 would be built from
    # the Host header and ask the client to send its body (secrets, a token) again.
    app = FastAPIOffline(
        title=TITLE, version=VERSION, description=DESCRIPTION, lifespan=lifespan,
        redirect_slashes=False,
    )  # fmt: skip
    # The key, then the body's size, before FastAPI reads it; the store's wait capped.
    app.add_middleware(Admission, api=app, store_wait_s=store_wait_s)
    app.state.deps = deps
    for module in (health, logins, tokens, emargements):
        app.include_router(module.router, prefix="/v1")
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ServiceError, _refused)
    app.add_exception_handler(InvalidValue, _refused)
    app.add_exception_handler(Exception, _internal_error)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def _webhook_passes(deps: Deps) -> None:
    """Retries the platforms' credential events that failed, while the API runs (the
    vote-code reissues it serves queue some, and no terminal may be open)."""
    while True:
        await anyio.sleep(WEBHOOK_PASS_SECONDS)
        try:
            await anyio.to_thread.run_sync(webhooks.deliver_due, deps)
        except Exception:  # the store out of reach: the next pass tries again
            _log.exception("webhook delivery pass failed")


async def _refused(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError | InvalidValue)
    return refusal(error)


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return await _refuse_invalid(request, list(error.errors()))


async def _refuse_invalid(request: Request, errors: list[Any]) -> JSONResponse:
    """422 for an invalid request, journalled in the platform's name; but 401 first
    when the key is wrong, and 403 when it does not reach the election, as for a valid
    request (FastAPI validates the body before the route looks at either). A request
    with a body had its key checked before the body was read (csu.api.admission); one
    without is checked here."""
    platform: Platform | None = getattr(request.state, "platform", None)
    if platform is None and needs_key(request):
        try:
            platform = await run_in_threadpool(authenticated, request)
        except Unauthenticated as refused:
            return await _refused(request, refused)
    if platform is None:
        return validation_problem(errors)
    forbidden = await run_in_threadpool(
        refused_before_the_route, request.app.state.deps, platform,
        getattr(request.scope.get("route"), "name", "platform_call"),
        request.path_params.get("election"), 422, "requête invalide",
        {"fields": [field_name(e["loc"]) for e in errors]},
    )  # fmt: skip
    if forbidden is not None:
        return forbidden
    return validation_problem(errors)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if isinstance(error, BodyRefused):  # JSON, but not as RFC 8259 has it: said why
        refused = {"loc": ("body",), "type": JSON_REFUSED, "ctx": {"reason": error.reason}}
        return await _refuse_invalid(request, [refused])
    if error.status_code == 400:  # a body FastAPI could not even decode
        return await _refuse_invalid(request, [{"loc": ("body",), "type": "json_invalid"}])
    detail = _HTTP_DETAILS.get(error.status_code) or str(error.detail)
    return problem(error.status_code, detail, headers=error.headers)


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    _log.exception("API: %s %s failed", request.method, request.url.path)
    return problem(
        500,
        "Erreur interne du service : réessayez ; si elle persiste, prévenez la "
        "cellule (le détail est dans son journal de fonctionnement).",
    )


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with the problem-details schemas the error answers refer to."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        found = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(found.pop("$defs", {}))
        schemas["Problem"] = found
        app.openapi_schema = schema
    return app.openapi_schema
