"""The API's routes, one module per resource; ``csu.api.app`` includes them."""

from fastapi import APIRouter

from csu.api.bodies import JsonRoute


def resource_router(tag: str) -> APIRouter:
    """A resource's router: its JSON bodies decoded off the event loop when large
    (csu.api.bodies), and no redirect to its addresses written with a trailing slash
    (csu.api.app)."""
    return APIRouter(tags=[tag], route_class=JsonRoute, redirect_slashes=False)
