"""A flood of login checks on argon2id credentials (the production cost), against the
real server: the argon2 pool's queue is bounded, the checks beyond it are refused at
once (503, Retry-After, a French problem detail), neither made nor counted nor
journalled, and ``/v1/health`` answers all along."""

import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from csu.services.elections import load_election
from csu.services.platform import ARGON2_ADMITTED
from csu.services.platform_clients import add_platform_client
from csu.store.tables import PlatformLoginFailures
from tests.api.conftest import Api, issued_login, login_path, serve
from tests.api.test_logins import with_policy
from tests.conftest import ADMIN
from tests.services.intervention_support import Desk, entries, wrong

PROBLEM = "application/problem+json"
# More checks at once than the pool admits: the surplus finds the queue full, since
# each admitted one takes a worker for a tenth of a second or more.
FLOOD = ARGON2_ADMITTED + 16


@dataclasses.dataclass
class Answer:
    response: httpx.Response
    order: int  # rank of arrival among the flood's answers


@pytest.fixture
def costly(desk: Desk) -> Iterator[Api]:
    """The API over credentials hashed at the production cost, the identifier's lock
    far off (the flood's failures must all be counted, none refused for a lock)."""
    deps = dataclasses.replace(desk.deps, hasher=PasswordHasher())
    load_election(deps, ADMIN, with_policy(login_failures_limit=1000), "minint-2022.toml")
    key = add_platform_client(deps, ADMIN, "neovote", ["minint-2022"]).key
    with serve(desk, deps) as server:
        yield Api(server.url, dataclasses.replace(desk, deps=deps), key, "")


def flood(api: Api, body: dict[str, object]) -> tuple[list[Answer], httpx.Response, int]:
    """FLOOD identical checks released together. Returns the answers, /v1/health's
    answer once the first refusal came back, and how many checks were still
    unanswered at that moment."""
    start = threading.Barrier(FLOOD)
    arrived = iter(range(FLOOD))
    lock = threading.Lock()

    def one(_: int) -> Answer:
        with api.client() as client:
            start.wait(60)
            response = client.post(login_path(), json=body)
        with lock:
            return Answer(response, next(arrived))

    with ThreadPoolExecutor(FLOOD) as pool:
        checks: list[Future[Answer]] = [pool.submit(one, n) for n in range(FLOOD)]
        pending = set(checks)
        while pending:  # until a refusal: the queue is full then
            done, pending = wait(pending, timeout=120, return_when=FIRST_COMPLETED)
            assert done, "the flood is not answered"
            if any(check.result().response.status_code == 503 for check in done):
                break
        health = httpx.get(f"{api.url}/v1/health", timeout=60)
        waiting = sum(not check.done() for check in checks)
        answers = [check.result() for check in checks]
    return answers, health, waiting


def assert_saturated(response: httpx.Response) -> None:
    assert response.headers["content-type"] == PROBLEM
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    assert response.json() == {
        "type": "about:blank",
        "title": "Service momentanément indisponible",
        "status": 503,
        "detail": "Vérifications de connexion momentanément saturées : aucune vérification "
        f"n'a été faite, réessayez dans {retry_after} s.",
    }


def test_checks_beyond_the_bounded_queue_are_refused_at_once(costly: Api) -> None:
    caller = costly.desk.caller
    body = {"identifier": caller.identifier, "secrets": issued_login(costly.desk, caller)}
    answers, health, waiting = flood(costly, body)
    saturated = [a for a in answers if a.response.status_code == 503]
    verdicts = [a for a in answers if a.response.status_code == 200]
    assert len(saturated) + len(verdicts) == FLOOD
    assert saturated and verdicts
    for answer in saturated:
        assert_saturated(answer.response)
    assert all(a.response.json()["valid"] for a in verdicts)
    # Bounded: a refusal waits for no admitted check, so every one came back before
    # the last verdict; and health answered while admitted checks still waited.
    assert max(a.order for a in saturated) < max(a.order for a in verdicts)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert waiting > 0
    # Each verdict has its journal entry; a refusal for saturation has none.
    checked = entries(costly.desk.deps, "platform_login_check")
    assert [e["outcome"] for e in checked] == ["valide"] * len(verdicts)


def test_a_saturated_check_is_not_counted_as_a_failure(costly: Api) -> None:
    caller = costly.desk.caller
    secrets = issued_login(costly.desk, caller)
    body = {
        "identifier": caller.identifier,
        "secrets": {**secrets, "password": wrong(secrets["password"])},
    }
    answers, health, _ = flood(costly, body)
    saturated = [a for a in answers if a.response.status_code == 503]
    failed = [a for a in answers if a.response.status_code == 200]
    assert saturated and failed and len(saturated) + len(failed) == FLOOD
    assert not any(a.response.json()["valid"] for a in failed)
    assert health.status_code == 200
    with costly.desk.deps.reading() as session:
        counted = session.execute(select(PlatformLoginFailures.failures)).scalars().all()
    assert counted == [len(failed)]  # the refused ones were not checked, so not failures
    checked = entries(costly.desk.deps, "platform_login_check")
    assert [e["outcome"] for e in checked] == ["invalide"] * len(failed)
