"""The terminal sending bytes that are not UTF-8 is said in French, once a minute at
most: the driver's thread posts InputNotUtf8 for each read that held such bytes."""

from typing import Any

import pytest

from csu import app as app_module
from csu.app import CsuApp, InputNotUtf8
from csu.terminal_input import NOT_UTF8
from tests.screens.conftest import SIZE


def said(app: CsuApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Encodage du terminal"]


async def test_bytes_that_are_not_utf8_are_said_once_with_what_to_set(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):  # three reads with bad bytes: a paste, or each key typed
            app.post_message(InputNotUtf8())
        await pilot.pause()
        assert said(app) == [NOT_UTF8]
        assert "Réglez son encodage en UTF-8" in NOT_UTF8


async def test_they_are_said_again_once_the_minute_is_over(
    app: CsuApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(InputNotUtf8())
        await pilot.pause()
        monkeypatch.setattr(app_module, "NOT_UTF8_SECONDS", 0)
        app.post_message(InputNotUtf8())
        await pilot.pause()
        assert said(app) == [NOT_UTF8, NOT_UTF8]


def test_a_headless_run_leaves_the_drivers_alone_and_returns_what_the_app_exited_with(
    app: CsuApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    replaced: list[type] = []
    monkeypatch.setattr(app_module, "tolerate_bytes_not_utf8",
                        lambda driver, told: replaced.append(driver))  # fmt: skip
    assert app.run(headless=True, auto_pilot=_exit_with_a_value) == "fini"
    assert replaced == []


async def _exit_with_a_value(pilot: Any) -> None:
    pilot.app.exit("fini")
