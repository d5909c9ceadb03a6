"""``store_wait_cap``: a service waits for a busy store the cap at most, its attempts
and their lock waits included (the API's calls); without, each attempt waits the
engine's own timeout (the workstations)."""

import sqlite3

import pytest
from sqlalchemy import text

from csu.services.context import ATTEMPTS, Deps, StoreBusy, retried, store_wait_cap
from csu.store.engine import PG_LOCK_TIMEOUT_MS, SQLITE_BUSY_TIMEOUT_MS


def lock_wait_ms(deps: Deps) -> int:
    """What a transaction of ``deps`` may wait for a lock, as its connection says."""
    with deps.reading() as session:
        if deps.engine.dialect.name == "sqlite":
            return int(session.execute(text("PRAGMA busy_timeout")).scalar_one())
        setting = str(session.execute(text("SELECT current_setting('lock_timeout')")).scalar_one())
    for unit, factor in (("ms", 1), ("s", 1000), ("min", 60_000)):
        if setting.endswith(unit):
            return int(setting.removesuffix(unit)) * factor
    return int(setting)


def test_a_capped_service_stops_attempting_once_the_cap_is_spent(sqlite_deps: Deps) -> None:
    url = sqlite_deps.engine.url
    other = sqlite3.connect(url.database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    attempts: list[int] = []

    @retried
    def write() -> None:
        attempts.append(1)
        with sqlite_deps.writing() as session:
            session.execute(text("SELECT 1"))

    try:
        with store_wait_cap(0.3), pytest.raises(StoreBusy, match="rien n'a été enregistré"):
            write()
    finally:
        other.rollback()
        other.close()
    # Its first attempt waited the cap (not the 10 s of the busy timeout): none followed.
    assert len(attempts) == 1 < ATTEMPTS


def test_a_capped_service_waits_for_a_lock_no_longer_than_its_cap(deps: Deps) -> None:
    @retried
    def bound() -> int:
        return lock_wait_ms(deps)

    with store_wait_cap(0.3):
        assert 0 < bound() <= 300


def test_the_engines_own_lock_wait_comes_back_after_a_capped_service(deps: Deps) -> None:
    @retried
    def bound() -> int:
        return lock_wait_ms(deps)

    before = bound()
    with store_wait_cap(0.3):
        bound()
    assert bound() == before


def test_a_service_without_a_cap_waits_the_engines_own_timeout(deps: Deps) -> None:
    @retried
    def bound() -> int:
        return lock_wait_ms(deps)

    sqlite = deps.engine.dialect.name == "sqlite"
    assert bound() == (SQLITE_BUSY_TIMEOUT_MS if sqlite else PG_LOCK_TIMEOUT_MS)
