"""Shared fixtures: a migrated store on SQLite and on a real PostgreSQL server.

The PostgreSQL variant skips with a reason when no server is reachable,
except under CI (``CI`` set) where it must run.
"""

import atexit
import gc
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from csu.domain.clock import fixed_clock
from csu.services.context import Deps, OperatorContext
from csu.store.engine import make_engine, normalise_url
from csu.store.migrate import upgrade
from tests.compiled_once import compiled_once
from tests.pg_recycle import RecycledDatabases
from tests.shared_css import share_parsed_css
from tests.unpainted import paint_only_what_leaves

POSTGRES_URL = os.environ.get(
    "CSU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_KEY = b"test-deployment-key-0123456789abcdef"
NOW = datetime(2022, 12, 2, 10, 30, tzinfo=UTC)  # during the 2022 votes, 11:30 in Paris
ADMIN = OperatorContext(login="admin", role="admin", workstation="poste-test")
SUPERVISOR = OperatorContext(login="sup", role="superviseur", workstation="poste-test")
AGENT = OperatorContext(login="agent", role="agent", workstation="poste-test")

# The cyclic collector, at its default threshold (700 allocations), took a third of a Pilot
# test's CPU: Textual allocates many short-lived objects as it renders, and each full
# collection walks the whole heap of a test process (pytest, Hypothesis, Textual,
# SQLAlchemy). tests/screens/test_call_path.py alone: 12,482 collections, 14.7 s of 43 s
# of CPU; at 10,000 it runs 548 times (2.8 s) and the file takes 32 s.
gc.set_threshold(10_000, 20, 50)

# Textual's CSS parsed once per test process, not once per app started (tests.shared_css).
share_parsed_css()

# A Rich console built at import (csu.cli.common) keeps the COLUMNS it found then; xdist's
# workers start with COLUMNS=80, so without this the COLUMNS a test sets is never read.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

# CI replays the same examples every run (a failure there is reproducible), and no
# property test fails for being slow on a busy two-core machine.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
hypothesis_settings.register_profile("dev", deadline=None)
# make test-fast, the inner loop: a fifth of the examples (tests.examples for the tests
# that set their own number); make test draws them all.
hypothesis_settings.register_profile("fast", deadline=None, max_examples=20)
hypothesis_settings.load_profile(
    "ci" if os.environ.get("CI") else "fast" if os.environ.get("CSU_TEST_FAST") == "1" else "dev"
)


class PostgresServer:
    """Creates one migrated template database, then a database like it per test: a copy
    reset after an earlier test, or a new copy (tests.pg_recycle)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalise_url(url))
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.template = f"csu_tpl_{os.getpid()}"
        self.copies = RecycledDatabases(self.admin, self.url, self.template, f"csu_t_{os.getpid()}")

    def reachable(self) -> str | None:
        try:
            with create_engine(self.url, connect_args={"connect_timeout": 3}).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as error:  # any failure to connect means "not reachable"
            return f"{type(error).__name__}: {str(error).splitlines()[0]}"
        return None

    def setup_template(self) -> None:
        self.copies.prepare_template(lambda engine: None)

    def fresh_database(self) -> str:
        return self.copies.take()

    def give_back(self, url: str) -> None:
        """The test is over: its database is reset for another, or dropped."""
        self.copies.give_back(url)

    def drop(self, name: str) -> None:
        self.copies.drop(name)

    def close(self) -> None:
        self.copies.close()
        self.admin.dispose()


@pytest.fixture
def tmp_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new folder for the test, as pytest's own, in the same base folder. pytest numbers
    its folders by listing the whole base folder for each test (and moves a symlink):
    a cost that grows with the tests run, 5 s of a worker's CPU by the end of the run."""
    name = re.sub(r"\W", "_", request.node.name)[:30]
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp_path_factory.getbasetemp()))


@pytest.fixture(autouse=True)
def role_refusals_journalled_afresh() -> Iterator[None]:
    """Each test journals its role refusals as the first in a minute would be: the once
    a minute of csu.services.context holds within a process, across tests."""
    from csu.services import context

    context._role_refusals_journalled.clear()
    yield


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(POSTGRES_URL)
    problem = server.reachable()
    if problem is not None:
        message = f"no PostgreSQL server at {server.url.render_as_string()}: {problem}"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL, {message}")
        pytest.skip(message)
    server.setup_template()
    yield server
    server.close()


_migrated_sqlite: list[Path] = []  # the template of this process (each xdist worker has its own)


def _sqlite_template() -> Path:
    """A store migrated once per process, in a folder removed at exit."""
    if not _migrated_sqlite:
        folder = Path(tempfile.mkdtemp(prefix=f"csu-migrated-{os.getpid()}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        engine = make_engine(f"sqlite:///{folder / 'csu.sqlite'}")
        upgrade(engine)
        with engine.connect() as conn:  # everything in the main file, for copying
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _migrated_sqlite.append(folder / "csu.sqlite")
    return _migrated_sqlite[0]


def sqlite_engine(tmp_path: Path) -> Engine:
    """A migrated store in ``tmp_path/csu.sqlite``: a copy of the process's template, as
    running the migrations for each test costs ~0.2 s and a copy a few milliseconds."""
    path = tmp_path / "csu.sqlite"
    shutil.copy(_sqlite_template(), path)
    return compiled_once(make_engine(f"sqlite:///{path}"))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_store(postgres_server: PostgresServer) -> Iterator[Engine]:
    url = postgres_server.fresh_database()
    engine = compiled_once(make_engine(url))
    yield engine
    engine.dispose()
    postgres_server.give_back(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated, empty store: the same test runs on SQLite and on PostgreSQL."""
    fixture = "sqlite_store" if request.param == "sqlite" else "postgres_store"
    return request.getfixturevalue(fixture)


@pytest.fixture
def deps(engine: Engine) -> Deps:
    return Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW))


@pytest.fixture
def sqlite_deps(sqlite_store: Engine) -> Deps:
    return Deps(engine=sqlite_store, key=TEST_KEY, clock=fixed_clock(NOW))


@pytest.fixture
def postgres_deps(postgres_store: Engine) -> Deps:
    return Deps(engine=postgres_store, key=TEST_KEY, clock=fixed_clock(NOW))


# ------------------------------------------------------------ the inner loop and xdist
# Marked slow (left out by `make test-fast`, run by `make test` and CI), by node id prefix:
# what starts a browser, a server or a `csu` process, and what runs long (property walks
# through the app, whole scenarios). A seventh of the tests; with the PostgreSQL runs, which
# test-fast also leaves out, four fifths of the suite's time.
SLOW = (
    "tests/e2e/",  # Chromium and `csu serve` processes
    "tests/store/test_crash.py",  # kills writer processes and the server
    "tests/store/test_journal.py::test_concurrent_writers",
    "tests/test_cli_hostile.py::test_an_endless_or_blocking_file",  # a process's memory
    "tests/test_cli_hostile.py::test_a_fifo",  # the same batch of processes
    "tests/test_cli_platform.py::test_csu_api_",  # `csu api` in its own process
    "tests/test_cli_interrupt.py",  # `csu` processes stopped by Ctrl+C
    "tests/test_cli_hangup.py",  # `csu run` in a pseudo-terminal, ended by a signal
    "tests/test_cli_permissions.py",  # `csu` processes without root's capabilities
    "tests/test_cli_token_prompt.py::test_a_token_piped_in",  # a `csu` process's stdin
    "tests/test_cli_token_prompt.py::test_a_wrong_store_asks_no_token",  # its terminal
    "tests/test_cli_token_prompt.py::test_a_piped_token_that_is_not_utf8",
    "tests/test_cli_token_prompt.py::test_a_token_typed_at_a_terminal",  # and its terminal
    "tests/test_cli_serve.py::test_a_port_already_in_use",
    "tests/test_cli_fuzz.py",
    "tests/api/",  # uvicorn serving for real, schemathesis
    "tests/services/test_webhooks.py",  # the platform's stand-in HTTP server
    "tests/screens/",  # the real app through the Pilot: a second or more each
    "tests/scenarios/",  # each seed's calls walked through the Pilot, as tests/screens/
)
# Tests of one browser module stay on one xdist worker: Chromium starts once per module;
# so do those reading one batch of `csu` processes (a module-scoped fixture).
ONE_WORKER = (
    "tests/e2e/test_browser",
    "tests/test_cli_hostile.py::test_an_endless_or_blocking_file",
    "tests/test_cli_hostile.py::test_a_fifo",
)
# The longest tests (half a minute to minutes each on a loaded machine), roughly longest
# first, are handed out before the others: xdist gives tests to the workers in collection
# order (after the browser groups, which it sends first), and one of these started last
# would leave a worker running it alone while the other waits. Then the rest of the slow
# tests, the quick ones last.
LONGEST = (
    "tests/store/test_crash.py",
    "tests/test_cli_fuzz.py::test_csu_",
    "tests/screens/test_masking_walk.py::test_no_screen",  # runs the walk both walk tests read
    "tests/screens/test_typed_fields_property.py",
    "tests/test_cli_hostile.py::test_an_endless_or_blocking_file",
    "tests/test_cli_hostile.py::test_a_fifo",
    "tests/e2e/",
    "tests/api/test_openapi_conformance.py",
)


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """make test-fast leaves the folders whose tests are all slow uncollected: their
    modules (Textual's, Playwright's, schemathesis') are not even imported."""
    if os.environ.get("CSU_TEST_FAST") != "1" or not collection_path.is_dir():
        return None
    root = Path(__file__).parent.parent
    if not collection_path.is_relative_to(root):
        return None
    return True if collection_path.relative_to(root).as_posix() + "/" in SLOW else None


def _start_order(item: pytest.Item) -> int:
    for rank, prefix in enumerate(LONGEST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONGEST) + (0 if item.get_closest_marker("slow") else 1)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
        if item.nodeid.startswith(ONE_WORKER):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    items.sort(key=_start_order)  # stable: each module's tests keep their order


def pytest_configure(config: pytest.Config) -> None:
    # No frame painted for a terminal that is not there, but each screen as it leaves the
    # top (tests.unpainted). Here, not at import: the benches import this module for its
    # constants, and their apps (bench/typing.py) must paint every frame, as csu run does.
    paint_only_what_leaves()
    # As a test process ends, pytest collects garbage five times over to report what a
    # finaliser raised. Each full collection walks a worker's whole heap (Textual's and
    # SQLAlchemy's caches, Hypothesis): about a second apiece, all six workers at once
    # at the very end of the run. One collection still frees every cycle there is then;
    # only what a finaliser itself leaves behind would wait for a second.
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:  # a later pytest: its own default
        return
    config.stash[gc_collect_iterations_key] = 1
