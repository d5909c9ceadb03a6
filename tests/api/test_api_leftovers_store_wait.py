"""A store held by another process (a long write transaction elsewhere): an API call
waits for it at most its cap (``store_wait_s``), every attempt included, then answers
503 with Retry-After. Before the cap, the busy timeout applied to each of five
attempts: 51 s on SQLite, 75 s on PostgreSQL."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from csu.api.refusals import STORE_RETRY_AFTER_S
from csu.services.platform_clients import add_platform_client
from tests.api.conftest import Api, issued_login, login_path, serve
from tests.api.test_emargements import vote
from tests.conftest import ADMIN
from tests.services.intervention_support import Desk

# Far under the 51 s the first attempt alone could reach before (10 s of busy timeout),
# far over what a cap of half a second takes on the slowest machine: not a measure.
WELL_UNDER_THE_OLD_WAIT_S = 20


@contextmanager
def held(desk: Desk) -> Iterator[threading.Event]:
    """Another process's write transaction holding what a login check needs (SQLite:
    the file's write lock, ``BEGIN IMMEDIATE``; PostgreSQL: the election table), until
    the block ends or the event yielded is set."""
    url = desk.deps.engine.url
    release = threading.Event()
    if url.get_backend_name() == "sqlite":
        other: sqlite3.Connection | psycopg.Connection = sqlite3.connect(
            url.database or "", isolation_level=None, check_same_thread=False
        )
        other.execute("BEGIN IMMEDIATE")
    else:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        other = psycopg.connect(plain)
        other.execute("LOCK TABLE election IN ACCESS EXCLUSIVE MODE")
    waiter = threading.Thread(target=lambda: (release.wait(), other.rollback()), daemon=True)
    waiter.start()
    try:
        yield release
    finally:
        release.set()
        waiter.join()
        other.close()


def ready(desk: Desk) -> tuple[dict[str, object], str]:
    """A login check's body and a platform's key, made before the store is held."""
    key = add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"]).key
    secrets = issued_login(desk, desk.caller)
    return {"identifier": desk.caller.identifier, "secrets": secrets}, key


@pytest.mark.parametrize("route", ["logins/check", "emargements"])
def test_a_store_held_elsewhere_answers_503_with_retry_after_once_the_cap_is_spent(
    desk: Desk, route: str
) -> None:
    login, key = ready(desk)
    bodies = {"logins/check": login, "emargements": {"events": [vote(desk.caller, "csa")]}}
    path = f"/v1/elections/minint-2022/{route}"
    with serve(desk, store_wait_s=0.5) as server:
        api = Api(server.url, desk, key, key)
        api.post(login_path(), login)  # the key's first call noted: the next writes nothing
        with held(desk):
            began = time.monotonic()
            response = api.post(path, bodies[route])
            waited = time.monotonic() - began
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(STORE_RETRY_AFTER_S)
    assert response.json()["detail"].startswith("La base de données est momentanément indisponible")
    assert waited < WELL_UNDER_THE_OLD_WAIT_S


def test_a_store_released_within_the_cap_is_waited_for(desk: Desk) -> None:
    body, key = ready(desk)
    with serve(desk, store_wait_s=60) as server:
        api = Api(server.url, desk, key, key)
        with held(desk) as release:
            threading.Timer(0.3, release.set).start()
            response = api.post(login_path(), body)
    assert response.status_code == 200
    assert response.json()["valid"]
