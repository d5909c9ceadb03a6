"""``GET /v1/health`` (and ``HEAD``, as uptime monitors ask): the server answers (no
key needed)."""

from typing import Literal

from fastapi import Response
from pydantic import BaseModel

from csu.api.routes import resource_router

router = resource_router("santé")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


# async: answered on the event loop, however busy the worker threads are.
@router.get(
    "/health",
    operation_id="health",
    summary="Le service répond",
    response_description="Le service répond.",
    response_model=Health,
)
async def health() -> Health:
    return Health()


# A route of its own: one route for both methods would give them one operationId.
@router.head(
    "/health",
    operation_id="healthHead",
    summary="Le service répond (sans corps, pour les sondes de disponibilité)",
    response_description="Le service répond.",
    response_class=Response,
)
async def health_head() -> Response:
    return Response()
