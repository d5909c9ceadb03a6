"""A session that is no longer its operator's live one returns to the login screen by
itself, within a few seconds, saying why: the account disabled by an administrator, a
login of the same operator on another workstation, a role or bureau changed. An action
a service refuses for that reason ends it at once."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from textual.pilot import Pilot

from csu import app as app_module
from csu.app import CsuApp
from csu.domain.clock import fixed_clock
from csu.screens.login import LoginScreen
from csu.screens.voter import VoterScreen
from csu.services.auth import log_in as log_in_service
from csu.services.context import Deps
from csu.services.interventions import open_intervention
from csu.services.operators import disable_operator
from csu.store.tables import Operator
from tests.conftest import ADMIN, NOW
from tests.screens.conftest import (
    SIZE,
    code,
    demo_voter,
    journal_actions,
    log_in,
    open_voter_file,
    screen_text,
    settle,
)


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> None:
    """The session's look made every 50 ms instead of every few seconds."""
    monkeypatch.setattr(app_module, "SESSION_SECONDS", 0.05)


async def back_at_login(pilot: Pilot[Any]) -> None:
    for _ in range(100):
        if isinstance(pilot.app.screen, LoginScreen):
            await settle(pilot)
            return
        await pilot.pause(0.05)
    raise AssertionError(f"still on {pilot.app.screen!r}")


@pytest.mark.usefixtures("watched")
async def test_a_disabled_operator_is_sent_back_to_the_login_screen_saying_why(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        assert app.operator is not None
        disable_operator(demo_deps, ADMIN, "president", reason="compte compromis")
        await back_at_login(pilot)
        assert app.operator is None
        assert "ce compte a été désactivé par un administrateur" in screen_text(app)
    assert journal_actions(demo_deps)[-1] == ("logout", "ok")


@pytest.mark.usefixtures("watched")
async def test_a_login_on_another_workstation_ends_this_session_saying_so(
    app: CsuApp, demo_deps: Deps
) -> None:
    later = NOW + timedelta(minutes=1)  # a fresh one-time code
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        log_in_service(
            replace(demo_deps, clock=fixed_clock(later)), "agent", "demo", code("agent", later),
            "poste-voisin",
        )  # fmt: skip
        await back_at_login(pilot)
        assert "votre compte s'est connecté sur un autre poste" in screen_text(app)


@pytest.mark.usefixtures("watched")
async def test_a_bureau_changed_asks_to_log_in_again(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        with demo_deps.writing() as session:  # no service moves a president yet
            session.execute(
                update(Operator).where(Operator.login == "president").values(bureau_code=None)
            )
        await back_at_login(pilot)
        assert "votre rôle ou votre bureau a changé ; reconnectez-vous." in screen_text(app)


async def test_an_action_refused_for_the_session_ends_it_at_once(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "SESSION_SECONDS", 3600)  # the timer never looks
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        disable_operator(demo_deps, ADMIN, "agent", reason="compte compromis")
        await open_voter_file(pilot, voter.matricule)
        await back_at_login(pilot)
        assert "ce compte a été désactivé par un administrateur" in screen_text(app)


async def test_a_store_out_of_reach_during_the_look_says_nothing_every_few_seconds(
    app: CsuApp, watched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from csu.services import auth

    def unreachable(*_: object) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        monkeypatch.setattr(auth, "session_ended", unreachable)
        await pilot.pause(0.3)  # several looks
        await settle(pilot)
        assert app.operator is not None  # the session goes on
        assert [n.message for n in app._notifications if n.severity != "information"] == []


async def test_a_login_picks_up_the_intervention_left_open_elsewhere(
    app: CsuApp, demo_deps: Deps
) -> None:
    # A terminal that crashed mid-call: the agent logs in again and the call goes on.
    earlier = NOW - timedelta(minutes=1)
    crashed = log_in_service(
        replace(demo_deps, clock=fixed_clock(earlier)), "agent", "demo", code("agent", earlier),
        "poste-en-panne",
    )  # fmt: skip
    voter = demo_voter(demo_deps)
    open_intervention(demo_deps, crashed, voter.voter_id, "phone")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await settle(pilot)
        assert isinstance(app.screen, VoterScreen)
        assert app.screen.voter_id == voter.voter_id
        assert any("Intervention en cours reprise" in n.message for n in app._notifications)
