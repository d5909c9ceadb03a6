"""The looks the app takes on its own every few seconds (a president's in-person
requests, a supervisor's alerts, the outbox): with the store out of reach they stay
silent, where each look said « Erreur inattendue » (every 2 s for a president)."""

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from csu.app import CsuApp
from csu.services.context import Deps
from tests.screens.conftest import SIZE, log_in, notifications, notified_since


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
        before = list(notifications(app))
        app._deps = out_of_reach(demo_deps, tmp_path)
        for _ in range(3):
            getattr(app, look)()
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert notified_since(app, before) == []
        assert app.operator is not None  # the session goes on
