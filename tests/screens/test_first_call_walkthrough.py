"""The README's « Premier appel (pas à pas) »: one snapshot per step of a first call on
the demo, driven by the keys the README names, as a new agent presses them.

S1 by phone (a minint-2022 voter lost their security key): the look-up, the matricule
typed, the voter file before an intervention (actions greyed, and what pressing one
says), « Nouvelle intervention », the verification filled, the voter verified, the new
key shown once, the closing window, the call over. Then S4 in person: the president
checks the voter's identity document and hands over a new password.

Each test walks the call from the login up to its step (each SVG is the README's
picture of that step). Regenerate after an intended change with
``pytest tests/screens/test_first_call_walkthrough.py --snapshot-update``, then look at
the SVGs: the README quotes their words.
"""

import random
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from csu.app import CsuApp
from csu.domain import credentials
from csu.domain.election import CredentialFormat
from csu.screens.credential import CredentialShownScreen, IssueScreen
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.lookup import LookupScreen
from csu.screens.verification import VerifyScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    log_in,
    notifications,
    president_bureau,
    press,
    settle,
)

CREDENTIAL_SEED = 2022  # the new key and password drawn the same on every run
# The README's caller, as `csu demo-callers` prints them on the demo of `make run`.
README_CALLER = {
    "matricule": "MI04242421",
    "name": "Carlier Sébastien",
    "birth": "01/04/1983",
    "agent_card": "0VWFFT",
    "iban": "453547",
}


@pytest.fixture(autouse=True)
def steady_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new credential drawn from a seeded generator, and its countdown held at its
    start: the picture of a value shown once is the same on every run."""
    draw = random.Random(CREDENTIAL_SEED).choice
    generate = credentials.generate

    def seeded(fmt: CredentialFormat, choice: Any = None) -> str:
        return generate(fmt, draw)

    monkeypatch.setattr(credentials, "generate", seeded)
    monkeypatch.setattr(CredentialShownScreen, "TICK_SECONDS", 3600.0)


@pytest.fixture
def caller(demo_deps: Deps) -> DemoVoter:
    """The S1 caller: a minint-2022 voter who has not voted."""
    return demo_voter(demo_deps)


@pytest.fixture
def visitor(demo_deps: Deps) -> DemoVoter:
    """The S4 voter, in front of the demo president: one of the president's bureau."""
    return demo_voter(demo_deps, bureau=president_bureau(demo_deps))


async def steady(pilot: Pilot[Any]) -> None:
    """No blinking cursor, no worker or animation running: the frame the snapshot takes."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()  # a panel scrolling to the next step
    await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)
    await settle(pilot)


def faded(pilot: Pilot[Any]) -> None:
    """Only the notifications of a step's own keys show: a person's earlier ones have
    faded (after a few seconds) by the time they press the next key."""
    pilot.app.clear_notifications()


# ------------------------------------------------------------ S1, an agent by phone
# Each step walks the previous ones first: the call as the README tells it.


async def s1_look_up(pilot: Pilot[Any]) -> None:
    await log_in(pilot, "agent")
    assert isinstance(pilot.app.screen, LookupScreen)


async def s1_matricule_typed(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_look_up(pilot)
    await type_text(pilot, voter.matricule)
    await pilot.pause(0.1)  # the search follows the keys after a short debounce
    await settle(pilot)


async def s1_voter_file(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_matricule_typed(pilot, voter)
    faded(pilot)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, VoterScreen)


async def s1_new_intervention(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_voter_file(pilot, voter)
    faded(pilot)
    await press(pilot, "ctrl+n")
    assert isinstance(pilot.app.screen, InterventionOpenScreen)


async def s1_verification_filled(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_new_intervention(pilot, voter)
    faded(pilot)
    await press(pilot, "tab", "enter")  # « Téléphone » as proposed; no number shown
    await press(pilot, "ctrl+e")
    assert isinstance(pilot.app.screen, VerifyScreen)
    await type_text(pilot, voter.birth_text)
    await press(pilot, "tab")
    await type_text(pilot, voter.row["iban"][-6:])
    await press(pilot, "tab")
    await type_text(pilot, voter.row["carte_agent"][:6])


async def s1_verified(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_verification_filled(pilot, voter)
    faded(pilot)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]


async def s1_key_shown(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_verified(pilot, voter)
    faded(pilot)
    await press(pilot, "ctrl+k")
    assert isinstance(pilot.app.screen, IssueScreen)
    await press(pilot, "tab", "enter")  # « Clé de sécurité » as proposed, then « Délivrer »
    assert isinstance(pilot.app.screen, CredentialShownScreen), notifications(pilot.app)  # type: ignore[arg-type]


async def s1_closing(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_key_shown(pilot, voter)
    await press(pilot, "enter")  # « Lu à l'appelant »
    faded(pilot)
    await press(pilot, "ctrl+w")
    assert isinstance(pilot.app.screen, InterventionCloseScreen)


async def s1_call_over(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s1_closing(pilot, voter)
    faded(pilot)
    await press(pilot, "tab", "tab", "enter")  # past the note, then « Clore »
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]


def test_the_readme_s_caller_is_the_first_interior_caller_of_the_demo(caller: DemoVoter) -> None:
    # The README quotes what the agent types: a change of the demo's roll must show here.
    assert {
        "matricule": caller.matricule,
        "name": f"{caller.row['nom']} {caller.row['prenom']}",
        "birth": caller.birth_text,
        "agent_card": caller.row["carte_agent"][:6],
        "iban": caller.row["iban"][-6:],
    } == README_CALLER


def test_step_01_the_look_up_starts_empty(snap_compare: Any, app: CsuApp) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_look_up(pilot)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_02_the_matricule_finds_the_caller(
    snap_compare: Any, app: CsuApp, caller: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_matricule_typed(pilot, caller)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_03_before_an_intervention_actions_are_greyed_and_say_why(
    snap_compare: Any, app: CsuApp, caller: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_voter_file(pilot, caller)
        await press(pilot, "ctrl+e")  # the newcomer's likely first wrong key
        assert "Ouvrez d'abord une intervention (ctrl+n)." in notifications(pilot.app)  # type: ignore[arg-type]
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_04_new_intervention_proposes_the_phone(
    snap_compare: Any, app: CsuApp, caller: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_new_intervention(pilot, caller)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_05_the_caller_s_answers_typed(
    snap_compare: Any, app: CsuApp, caller: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_verification_filled(pilot, caller)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_06_the_voter_is_verified(snap_compare: Any, app: CsuApp, caller: DemoVoter) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_verified(pilot, caller)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_07_the_new_key_is_shown_once(
    snap_compare: Any, app: CsuApp, caller: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_key_shown(pilot, caller)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_08_closing_proposes_resolved(
    snap_compare: Any, app: CsuApp, caller: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_closing(pilot, caller)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_09_the_call_is_over_and_the_next_one_is_a_key_away(
    snap_compare: Any, app: CsuApp, caller: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s1_call_over(pilot, caller)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


# ------------------------------------------------------ S4, a president in person


async def s4_document_typed(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await log_in(pilot, "president")
    await type_text(pilot, voter.matricule)
    await pilot.pause(0.1)
    await settle(pilot)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, VoterScreen)
    await press(pilot, "ctrl+n")
    assert isinstance(pilot.app.screen, InterventionOpenScreen)
    await press(pilot, "enter")  # « Ouvrir »: in person, nothing to choose
    await press(pilot, "ctrl+e")
    assert isinstance(pilot.app.screen, VerifyScreen)
    await click(pilot, "#verify-document")  # the list of documents opens
    await press(pilot, "down", "down", "enter")  # « carte agent »
    await click(pilot, "#verify-in_person")
    await type_text(pilot, "7Q4X")  # the last 4 characters of the card's number


async def s4_password_shown(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await s4_document_typed(pilot, voter)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]
    faded(pilot)
    await press(pilot, "ctrl+k")
    assert isinstance(pilot.app.screen, IssueScreen)
    await press(pilot, "enter")  # « Délivrer »: a president issues passwords only
    assert isinstance(pilot.app.screen, CredentialShownScreen), notifications(pilot.app)  # type: ignore[arg-type]


def test_step_10_the_president_types_the_document_seen(
    snap_compare: Any, app: CsuApp, visitor: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s4_document_typed(pilot, visitor)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)


def test_step_11_the_president_hands_the_new_password_to_the_voter(
    snap_compare: Any, app: CsuApp, visitor: DemoVoter
) -> None:
    async def walk(pilot: Pilot[Any]) -> None:
        await s4_password_shown(pilot, visitor)
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)
