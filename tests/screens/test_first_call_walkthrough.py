"""The README's « Premier appel (pas à pas) »: one snapshot per step of a first call on
the demo, driven by the keys the README names, as a new agent presses them.

S1 by phone (a minint-2022 voter lost their security key): the look-up, the matricule
typed, the voter file before an intervention (actions greyed, and what pressing one
says), « Nouvelle intervention », the verification filled, the voter verified, the new
key shown once, the closing window, the call over. Then S4 in person: the president
checks the voter's identity document and hands over a new password.

The call is walked once, as a person makes it, and the screen taken after each step
(``walked``); each test compares its step's picture with its SVG, the README's picture
of that step. Regenerate after an intended change with
``pytest tests/screens/test_first_call_walkthrough.py --snapshot-update``, then look at
the SVGs: the README quotes their words.
"""

import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
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
from tests.conftest import NOW
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    copy_of_demo,
    demo_voter,
    log_in,
    notifications,
    president_bureau,
    press,
    settle,
)

# One worker walks each call once for all its steps' tests.
pytestmark = pytest.mark.xdist_group("first-call-walkthrough")

CREDENTIAL_SEED = 2022  # the new key and password drawn the same on every run
# The README's caller, as `csu demo-callers` prints them on the demo of `make run`.
README_CALLER = {
    "matricule": "MI04242421",
    "name": "Carlier Sébastien",
    "birth": "01/04/1983",
    "agent_card": "0VWFFT",
    "iban": "453547",
}


def steady_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new credential drawn from a seeded generator, and its countdown held at its
    start: the picture of a value shown once is the same on every run."""
    draw = random.Random(CREDENTIAL_SEED).choice
    generate = credentials.generate

    def seeded(fmt: CredentialFormat, choice: Any = None) -> str:
        return generate(fmt, draw)

    monkeypatch.setattr(credentials, "generate", seeded)
    monkeypatch.setattr(CredentialShownScreen, "TICK_SECONDS", 3600.0)


Step = Callable[[Pilot[Any], DemoVoter], Awaitable[None]]


@dataclass
class Walk:
    """The screen after each step of one call, as an SVG; what stopped the walk, if
    something did (the later steps have no picture)."""

    shots: dict[str, str] = field(default_factory=dict)
    stopped: Exception | None = None

    def shot(self, step: str) -> str:
        if step not in self.shots:
            raise AssertionError(f"the call stopped before « {step} »") from self.stopped
        return self.shots[step]


def walk(deps: Deps, voter: DemoVoter, steps: list[tuple[str, Step]]) -> Walk:
    """The real app walked through ``steps`` in one run, each picture taken as
    ``snap_compare`` takes its own (textual._doc.take_svg_screenshot)."""
    app = CsuApp(deps, "poste-test")
    notify = app.notify

    def lasting(*args: Any, **kwargs: Any) -> None:
        # A toast stays until the next step fades it (``faded``): on a loaded machine
        # typing a step's answers can outlast its few seconds, and the picture lose it.
        notify(*args, **{**kwargs, "timeout": 3600.0})

    app.notify = lasting  # type: ignore[method-assign]
    walked = Walk()

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        try:
            for name, step in steps:
                await step(pilot, voter)
                await steady(pilot)
                await pilot.pause()
                await pilot.wait_for_scheduled_animations()
                await pilot.pause()
                await pilot.pause()
                await pilot.wait_for_scheduled_animations()
                walked.shots[name] = app.export_screenshot(title=app.title, simplify=True)
        except BaseException as error:
            walked.stopped = error
        app.exit()

    app.run(headless=True, auto_pilot=auto_pilot, size=SIZE)
    return walked


@pytest.fixture(scope="module")
def walked(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """S1 and S4 walked once each, on their own copies of the demo."""
    found = Walk()
    for steps, pick in ((S1, demo_voter), (S4, _visitor)):
        folder = tmp_path_factory.mktemp("walk")
        with pytest.MonkeyPatch.context() as monkeypatch:
            steady_credentials(monkeypatch)  # the same draws as a call of its own
            for deps in copy_of_demo(demo_template, folder, folder / "outbox", NOW):
                one = walk(deps, pick(deps), steps)
        found.shots.update(one.shots)
        found.stopped = found.stopped or one.stopped
    yield found


def _visitor(deps: Deps) -> DemoVoter:
    """The S4 voter, in front of the demo president: one of the president's bureau."""
    return demo_voter(deps, bureau=president_bureau(deps))


@pytest.fixture
def caller(demo_deps: Deps) -> DemoVoter:
    """The S1 caller: a minint-2022 voter who has not voted."""
    return demo_voter(demo_deps)


async def steady(pilot: Pilot[Any]) -> None:
    """No blinking cursor, no worker or animation running: the frame the snapshot takes."""
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
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
# Each step goes on from the previous one: the call as the README tells it.


async def s1_look_up(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await log_in(pilot, "agent")
    assert isinstance(pilot.app.screen, LookupScreen)


async def s1_matricule_typed(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await type_text(pilot, voter.matricule)
    await pilot.pause(0.1)  # the search follows the keys after a short debounce
    await settle(pilot)


async def s1_voter_file_and_a_wrong_key(pilot: Pilot[Any], voter: DemoVoter) -> None:
    faded(pilot)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, VoterScreen)
    await press(pilot, "ctrl+e")  # the newcomer's likely first wrong key
    assert "Ouvrez d'abord une intervention (ctrl+n)." in notifications(pilot.app)  # type: ignore[arg-type]


async def s1_new_intervention(pilot: Pilot[Any], voter: DemoVoter) -> None:
    faded(pilot)
    await press(pilot, "ctrl+n")
    assert isinstance(pilot.app.screen, InterventionOpenScreen)


async def s1_verification_filled(pilot: Pilot[Any], voter: DemoVoter) -> None:
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
    faded(pilot)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]


async def s1_key_shown(pilot: Pilot[Any], voter: DemoVoter) -> None:
    faded(pilot)
    await press(pilot, "ctrl+k")
    assert isinstance(pilot.app.screen, IssueScreen)
    await press(pilot, "tab", "enter")  # « Clé de sécurité » as proposed, then « Délivrer »
    assert isinstance(pilot.app.screen, CredentialShownScreen), notifications(pilot.app)  # type: ignore[arg-type]


async def s1_closing(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await press(pilot, "enter")  # « Lu à l'appelant »
    faded(pilot)
    await press(pilot, "ctrl+w")
    assert isinstance(pilot.app.screen, InterventionCloseScreen)


async def s1_call_over(pilot: Pilot[Any], voter: DemoVoter) -> None:
    faded(pilot)
    await press(pilot, "tab", "tab", "enter")  # past the note, then « Clore »
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]


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
    # « carte agent »: the list opens on nothing chosen, then the prompt « Type de pièce »
    # and « carte nationale d'identité »
    await press(pilot, "down", "down", "down", "enter")
    await click(pilot, "#verify-in_person")
    await type_text(pilot, "7Q4X")  # the last 4 characters of the card's number


async def s4_password_shown(pilot: Pilot[Any], voter: DemoVoter) -> None:
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]
    faded(pilot)
    await press(pilot, "ctrl+k")
    assert isinstance(pilot.app.screen, IssueScreen)
    await press(pilot, "enter")  # « Délivrer »: a president issues passwords only
    assert isinstance(pilot.app.screen, CredentialShownScreen), notifications(pilot.app)  # type: ignore[arg-type]


# Each step's picture is named after the test that compares it (its SVG's name).
S1: list[tuple[str, Step]] = [
    ("test_step_01_the_look_up_starts_empty", s1_look_up),
    ("test_step_02_the_matricule_finds_the_caller", s1_matricule_typed),
    ("test_step_03_before_an_intervention_actions_are_greyed_and_say_why",
     s1_voter_file_and_a_wrong_key),
    ("test_step_04_new_intervention_proposes_the_phone", s1_new_intervention),
    ("test_step_05_the_caller_s_answers_typed", s1_verification_filled),
    ("test_step_06_the_voter_is_verified", s1_verified),
    ("test_step_07_the_new_key_is_shown_once", s1_key_shown),
    ("test_step_08_closing_proposes_resolved", s1_closing),
    ("test_step_09_the_call_is_over_and_the_next_one_is_a_key_away", s1_call_over),
]  # fmt: skip
S4: list[tuple[str, Step]] = [
    ("test_step_10_the_president_types_the_document_seen", s4_document_typed),
    ("test_step_11_the_president_hands_the_new_password_to_the_voter", s4_password_shown),
]


def test_the_readme_s_caller_is_the_first_interior_caller_of_the_demo(caller: DemoVoter) -> None:
    # The README quotes what the agent types: a change of the demo's roll must show here.
    assert {
        "matricule": caller.matricule,
        "name": f"{caller.row['nom']} {caller.row['prenom']}",
        "birth": caller.birth_text,
        "agent_card": caller.row["carte_agent"][:6],
        "iban": caller.row["iban"][-6:],
    } == README_CALLER


@pytest.fixture
def svg_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The step's SVG, named after its test, compared as snap_compare compares."""
    return snapshot.use_extension(SVGImageExtension)


@pytest.fixture
def step_screen(walked: Walk, request: pytest.FixtureRequest) -> str:
    """The screen after the step the test is named after, in the walked call."""
    return walked.shot(request.node.name)


def test_step_01_the_look_up_starts_empty(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_02_the_matricule_finds_the_caller(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_03_before_an_intervention_actions_are_greyed_and_say_why(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_04_new_intervention_proposes_the_phone(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_05_the_caller_s_answers_typed(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_06_the_voter_is_verified(svg_snapshot: SnapshotAssertion, step_screen: str) -> None:
    assert svg_snapshot == step_screen


def test_step_07_the_new_key_is_shown_once(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_08_closing_proposes_resolved(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_09_the_call_is_over_and_the_next_one_is_a_key_away(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_10_the_president_types_the_document_seen(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen


def test_step_11_the_president_hands_the_new_password_to_the_voter(
    svg_snapshot: SnapshotAssertion, step_screen: str
) -> None:
    assert svg_snapshot == step_screen
