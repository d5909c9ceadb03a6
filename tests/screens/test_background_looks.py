"""The looks the app takes on its own every few seconds (a president's in-person
requests, a supervisor's alerts, the outbox): with the store out of reach they stay
silent, where each look said « Erreur inattendue » (every 2 s for a president)."""

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from csu.app import CsuApp
from csu.services.context import Deps
from tests.screens.conftest import SIZE, log_in, notice_ids, notified_since


def out_of_reach(deps: Deps, tmp_path: Path) -> Deps:
    """The same cell with a store that cannot be opened (its folder is gone)."""
    return dataclasses.replace(
        deps, engine=create_engine(f"sqlite:///{tmp_path / 'parti' / 'csu.sqlite'}")
    )


@pytest.mark.parametrize(
    ("login", "look"),
    [
        ("president", "_watch_presence"),
        ("superviseur", "_watch_alerts"),
        ("agent", "_deliver_due"),
    ],
)
async def test_a_store_out_of_reach_is_not_told_at_each_look(
    login: str, look: str, app: CsuApp, demo_deps: Deps, tmp_path: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, login)
        before = notice_ids(app)
        app._deps = out_of_reach(demo_deps, tmp_path)
        for _ in range(3):
            getattr(app, look)()
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert notified_since(app, before) == []
        assert app.operator is not None  # the session goes on


async def test_an_error_that_is_not_the_store_s_is_still_told(
    app: CsuApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept quiet, a bug in a look (the outbox's) would stop it for good unseen."""
    import csu.services.presence

    def broken(*_: object) -> list[str]:
        raise RuntimeError("bogue")

    monkeypatch.setattr(csu.services.presence, "waiting_presence_checks", broken)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        before = notice_ids(app)
        app._watch_presence()
        # The worker fails: waiting for it would raise here; its notice is waited for.
        for _ in range(200):
            told = notified_since(app, before)
            if told:
                break
            await pilot.pause(0.05)
        assert any(n.startswith("Erreur inattendue") for n in told)
