"""``CSU_API_STORE_WAIT_SECONDS``: how long each service of an API request may wait for
a busy store before the 503. A wrong value stops ``csu api`` with a French sentence
naming the variable; a right one reaches the API's admission middleware, which caps
every service of a request with it (csu.services.context.store_wait_cap)."""

import socket
from pathlib import Path
from typing import Any

import pytest

from csu.api import server
from csu.api.admission import Admission
from csu.api.app import STORE_WAIT_S
from csu.config import Settings
from csu.services.context import Deps
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised

ELECTIONS = Path(__file__).resolve().parents[1] / "data" / "elections"
VARIABLE = "CSU_API_STORE_WAIT_SECONDS"


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return initialised(tmp_path / "cellule.sqlite", ELECTIONS / "minint-2022.toml")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """``csu api`` runs up to serving, then builds the app it would serve (the real
    uvicorn configuration, with what the command passed) instead of serving it."""
    apps: list[Any] = []

    def build(deps: Deps, sock: socket.socket, **options: Any) -> None:
        sock.close()
        apps.append(server.config(deps, **options).app)

    monkeypatch.setattr(server, "serve", build)
    return apps


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def admission_of(app: Any) -> Admission:
    """The Admission middleware of the app's stack, as Starlette builds it."""
    layer = app.build_middleware_stack()
    while layer is not None:
        if isinstance(layer, Admission):
            return layer
        layer = getattr(layer, "app", None)
    raise AssertionError("no Admission middleware")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "nombre attendu"),
        ("0", "doit être supérieur à 0"),
        ("-3", "doit être supérieur à 0"),
        ("500", "doit valoir au plus 120"),
        ("nan", "nombre fini attendu"),
    ],
)
def test_a_wrong_wait_cap_stops_csu_api_naming_the_variable_in_french(
    db: Path, served: list[Any], monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv(VARIABLE, value)
    result = csu("api", "--port", free_port(), "--db", db)
    assert_refused(result, f"{VARIABLE} : {expected}", f"(reçu « {value} »)")
    assert served == []


def test_a_wait_cap_set_reaches_the_admission_of_csu_api(
    db: Path, served: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, "1.5")
    assert_done(csu("api", "--port", free_port(), "--db", db))
    [app] = served
    assert admission_of(app).store_wait_s == 1.5


def test_without_the_variable_csu_api_keeps_the_apis_own_cap(
    db: Path, served: list[Any]
) -> None:
    assert_done(csu("api", "--port", free_port(), "--db", db))
    [app] = served
    assert admission_of(app).store_wait_s == STORE_WAIT_S == Settings().api_store_wait_seconds
