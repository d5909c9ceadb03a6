"""``GET /v1/health``, the OpenAPI document and its documentation page."""
import dataclasses
import os
import socket
from concurrent.futures import ThreadPoolExecutor, as_completed

import httpx
import pytest
from argon2 import PasswordHasher

from csu.api.server import listen
from tests.api.conftest import Api, issued_login, login_path, serve
from tests.services.intervention_support import Desk


def test_health_answers_ok_without_a_key(api: Api) -> None:
    response = httpx.get(f"{api.url}/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_answers_head_as_uptime_monitors_ask(api: Api) -> None:
    response = httpx.head(f"{api.url}/v1/health")
    assert response.status_code == 200
    assert response.content == b""


def test_the_api_connections_send_without_nagle_delay() -> None:
    """« csu api »'s socket: each connection it accepts has TCP_NODELAY (an answer in two
    writes would otherwise wait ~40 ms for the client's delayed ACK)."""
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with listen("127.0.0.1", port) as server:
        server.listen()
        with socket.create_connection(server.getsockname()), server.accept()[0] as accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_the_openapi_document_is_version_3_1_with_every_endpoint(api: Api) -> None:
    document = httpx.get(f"{api.url}/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {
        "/v1/health": "get",
        "/v1/elections/{election}/logins/check": "post",
        "/v1/tokens/redeem": "post",
    }.items() <= {path: next(iter(ops)) for path, ops in document["paths"].items()}.items()
    assert document["components"]["securitySchemes"]["cleApi"]["scheme"] == "bearer"


def test_errors_are_documented_as_problem_details(api: Api) -> None:
    document = httpx.get(f"{api.url}/openapi.json").json()
    answers = document["paths"]["/v1/tokens/redeem"]["post"]["responses"]
    for status in ("401", "404", "410", "413", "422"):  # no 403: out of reach is unknown
        assert list(answers[status]["content"]) == ["application/problem+json"], status


def test_the_documentation_page_loads_nothing_from_outside(api: Api) -> None:
    page = httpx.get(f"{api.url}/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert "https://" not in page.text  # scripts and styles come from the server itself
    script = httpx.get(f"{api.url}/static-offline-docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def test_health_answers_while_argon2_login_checks_queue(desk: Desk) -> None:
    """Costly argon2id credentials (the production cost): eight checks at once take
    the argon2 pool for a while; /v1/health still answers before they are all done."""
    from csu.services.platform_clients import add_platform_client
    from tests.conftest import ADMIN

    costly = dataclasses.replace(desk.deps, hasher=PasswordHasher())
    secrets = issued_login(desk, desk.caller, costly)
    key = add_platform_client(costly, ADMIN, "neovote", ["minint-2022"]).key
    body = {"identifier": desk.caller.identifier, "secrets": secrets}
    with serve(desk, costly) as server, ThreadPoolExecutor(8) as pool:
        api = Api(server.url, desk, key, "")
        checks = [pool.submit(api.post, login_path(), body) for _ in range(8)]
        next(as_completed(checks))  # argon2 is busy with the others now
        health = httpx.get(f"{server.url}/v1/health", timeout=60)
        waiting = sum(not check.done() for check in checks)
        assert health.json() == {"status": "ok"}
        assert waiting > 0
        assert all(check.result().json()["valid"] for check in checks)


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is Linux's")
def test_argon2_runs_at_a_low_priority_that_still_gets_its_share() -> None:
    """SCHED_BATCH at nice 10: argon2 never preempts the API's threads as they wake, and
    still runs when other work takes the cores (at SCHED_IDLE it did not run at all)."""
    from csu.services.platform import ARGON2_NICE, _argon2_pool

    pool = _argon2_pool()
    assert pool.submit(os.sched_getscheduler, 0).result(timeout=60) == os.SCHED_BATCH
    assert pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60) == ARGON2_NICE
