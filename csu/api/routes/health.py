"""``GET /v1/health``: the server answers (no key needed)."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["santé"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get(
    "/health",
    operation_id="health",
    summary="Le service répond",
    response_description="Le service répond.",
    response_model=Health,
)
async def health() -> Health:
    # async: answered on the event loop, however busy the worker threads are.
    return Health()
