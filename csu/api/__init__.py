"""CSU's HTTP API for the voting platform (FastAPI on uvicorn, OpenAPI 3.1).

A door onto the same services as the screens and the commands: each route
authenticates the platform client, calls one service and turns its answer, or its
refusal, into JSON (errors as RFC 9457 problem details). No rule lives here, and
nothing here touches the store: see the import-linter contract in pyproject.toml.
"""

from csu.api.app import create_app

__all__ = ["create_app"]
