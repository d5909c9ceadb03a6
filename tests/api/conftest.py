"""The API served for real: uvicorn on a free loopback port, in a thread, over a copy
of the prepared desk (SQLite and PostgreSQL), called with httpx."""

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from csu.api.server import config
from csu.services.context import Deps
from csu.services.interventions import close_intervention
from csu.services.platform_clients import add_platform_client
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Caller,
    Desk,
    desk_fixture,
    handed_over,
    verified_call,
)

PLATFORM = "neovote"  # reaches minint-2022 and men-2022
EDUCATION_ONLY = "educ-vote"  # reaches men-2022 only


class LiveServer:
    """The production configuration of ``csu api`` (csu.api.server.config), listening
    on a port the system chose."""

    def __init__(self, deps: Deps, **options: Any) -> None:
        # As « csu api » listens (csu.api.server.listen): TCP, without Nagle's delay.
        # Opened without IPPROTO_TCP, the socket's connections would not get TCP_NODELAY
        # from asyncio, and an answer written in two parts waited ~40 ms for an ACK.
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(config(deps, log_level="warning", **options))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()


# One TLS context for every client: httpx would load the system's certificates again for
# each (28 ms of CPU), though these clients speak plain HTTP to a local server.
_TLS = ssl.create_default_context()


@dataclass
class Api:
    """A running API and the keys of two platform clients."""

    url: str
    desk: Desk
    key: str  # PLATFORM's
    education_key: str  # EDUCATION_ONLY's

    def client(self, key: str | None = None) -> httpx.Client:
        """An httpx client sending ``key`` (PLATFORM's by default; "" for none)."""
        key = self.key if key is None else key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, verify=_TLS)

    def post(self, path: str, body: object, key: str | None = None) -> httpx.Response:
        with self.client(key) as client:
            return client.post(path, json=body)


def serve(desk: Desk, deps: Deps | None = None, **options: Any) -> LiveServer:
    """``options``: those of csu.api.server.config (``store_wait_s``...)."""
    return LiveServer(deps or desk.deps, **options)


@pytest.fixture
def api(desk: Desk) -> Iterator[Api]:
    key = add_platform_client(desk.deps, ADMIN, PLATFORM, ["minint-2022", "men-2022"]).key
    education = add_platform_client(desk.deps, ADMIN, EDUCATION_ONLY, ["men-2022"]).key
    with serve(desk) as server:
        yield Api(server.url, desk, key, education)


def issued_login(desk: Desk, caller: Caller, deps: Deps | None = None) -> dict[str, str]:
    """A minint-2022 caller gets a new security key and password from an agent: the
    secrets a login to that election needs, as the voter would type them."""
    deps = deps or desk.deps
    call_id = verified_call(desk, caller)
    secrets = {
        kind: handed_over(deps, AGENT, call_id, caller.material_id, kind).display
        for kind in ("security_key", "password")
    }
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    return secrets


def login_path(election: str = "minint-2022") -> str:
    return f"/v1/elections/{election}/logins/check"
