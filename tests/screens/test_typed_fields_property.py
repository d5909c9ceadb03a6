"""Any text typed into any field of the screens, or given to the command line, gets the
action done or a French sentence: never a traceback, never « Erreur inattendue ».

Each property starts the real app once, brings it where the field is (logged in, on a
voter's file, in an intervention…) and feeds it Hypothesis' examples one after another,
as an operator leaves the terminal open: each example sets ``Input.value`` (or the
note's text), submits as the operator would, waits for the workers, then checks what
the app said. The app is shared by the examples of a test on purpose (hence the
function-scoped fixtures allowed below); each example puts it back where it started.
"""

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.app import App
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea
from textual.worker import WorkerCancelled, WorkerFailed

from csu.app import CsuApp
from csu.domain.errors import InvalidValue
from csu.domain.text import refuse_control_characters
from csu.screens.approvals import DecisionScreen
from csu.screens.credential import RevokeScreen
from csu.screens.dialogs import ConfirmDialog
from csu.screens.identifier_delivery import IdentifierScreen
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.journal import ExportScreen, JournalScreen
from csu.screens.login import LoginScreen
from csu.screens.lookup import LookupScreen
from csu.screens.operators import ConfirmScreen, CreateOperatorScreen, OperatorsScreen
from csu.screens.verification import UnlockScreen, VerifyScreen
from csu.screens.vote_codes import VoteCodeLinkScreen
from csu.screens.voter import RevealScreen, VoterScreen
from csu.services.auth import LoginRefused
from csu.services.auth import log_in as service_log_in
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import close_intervention, current_intervention
from csu.services.substitution import SubstitutionView, get_substitution
from tests.cli_support import clean_environment, csu
from tests.screens.conftest import (
    LATER,
    SIZE,
    DemoVoter,
    call_verified,
    code,
    demo_voter,
    fill,
    in_call,
    log_in,
    on_voter_file,
    press,
    screen_text,
)
from tests.screens.test_substitution_screens import (
    CCI,
    log_in_later,
    push_request,
    request_as,
    verify_caller,
)

# Few examples per property: each drives the real app (a few tenths of a second).
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as an operator may type or paste it, with the characters that break things
# (NUL, escape sequences, bidirectional overrides, line breaks, formulas) mixed in.
HOSTILE = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\x1b[2J", "\u202eegap", "ligne\nsuite", "\r\n", "\t",
     "=1+1", "[/]", "[bold]x", "'; DROP TABLE voter; --", "é" * 300, "%s%n", "\\x00"]
)  # fmt: skip
TYPED = st.one_of(HOSTILE, st.text(max_size=40))

UNEXPECTED = "Erreur inattendue"
PYTHON_ERROR = re.compile(r"Traceback|\b[A-Z]\w*(?:Error|Exception)\b")


# --------------------------------------------------------------------- checking


class Said:
    """The notifications the app showed since the last look. One per app, kept across
    the examples: a notification that comes late is still looked at (by the next one)."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.seen: set[str] = set()

    def new(self) -> list[str]:
        fresh = [n for n in self.app._notifications if n.identity not in self.seen]
        self.seen.update(n.identity for n in fresh)
        return [n.message for n in fresh]


def watch(app: App[Any]) -> Said:
    """The app's watcher, made at its first example."""
    said = getattr(app, "said_in_tests", None)
    if said is None:
        said = Said(app)
        app.said_in_tests = said  # type: ignore[attr-defined]
    return said


def assert_answered_in_french(app: App[Any], said: list[str]) -> None:
    """The app still runs, and nothing it shows is an unexpected error or a traceback."""
    assert app.is_running and app._exception is None, app._exception
    for message in said:
        assert UNEXPECTED not in message, said
        assert not PYTHON_ERROR.search(message), said
    assert isinstance(app, CsuApp)
    shown = screen_text(app)
    assert not PYTHON_ERROR.search(shown), shown


def refused(value: str, **allowed: bool) -> bool:
    """Whether the services refuse ``value`` for a control character (some windows trim
    what surrounds a value, line breaks included, before it reaches the service)."""
    try:
        refuse_control_characters(value.strip(), "champ", **allowed)
    except InvalidValue:
        return True
    return False


async def assert_refusal_names(pilot: Pilot[Any], said: Said, new: list[str], field: str) -> None:
    """A notification says the field holds a forbidden character (it may come a moment
    after the worker's end)."""

    def named() -> bool:
        new.extend(said.new())
        return any(message.startswith(f"{field} : caractère interdit") for message in new)

    assert await until(pilot, named), new


# Pilot's key presses and clicks wait for the screen to be idle (~0.5 s each): the
# examples press the button (what a click does) and run the key's action instead.


async def settled(pilot: Pilot[Any]) -> None:
    """Waits for the workers, those refused or cancelled (an exclusive worker replaced
    by a newer one, a window closed while its worker ran) included."""
    for _ in range(5):
        try:
            await pilot.app.workers.wait_for_complete()
            break
        except (WorkerFailed, WorkerCancelled):
            await pilot.pause(0.05)
    await pilot.pause()


async def submit(pilot: Pilot[Any], selector: str) -> None:
    """Presses the button, then waits for the workers it starts."""
    pilot.app.screen.query_one(selector, Button).press()
    await pilot.pause()  # the press is handled: the worker it starts, if any, runs
    await settled(pilot)


async def act(pilot: Pilot[Any], action: str) -> None:
    """Runs the action a key of the current screen is bound to."""
    await pilot.app.screen.run_action(action)
    await settled(pilot)


async def until(pilot: Pilot[Any], done: Callable[[], bool]) -> bool:
    """Waits (3 s at most) for what a worker's end changes on the screen; says if it came."""
    for _ in range(60):
        if done():
            return True
        await pilot.pause(0.05)
    return done()


async def back_to(pilot: Pilot[Any], kind: type) -> None:
    """Leaves whatever window an example left open, down to a ``kind`` screen."""
    for _ in range(5):
        if isinstance(pilot.app.screen, kind):
            return
        pilot.app.pop_screen()
        await settled(pilot)
    assert isinstance(pilot.app.screen, kind), type(pilot.app.screen)


async def push(pilot: Pilot[Any], screen: ModalScreen[Any]) -> None:
    await pilot.app.push_screen(screen)
    await pilot.pause()


# --------------------------------------------------------------------- fixtures


@pytest.fixture
async def pilot(app: CsuApp) -> AsyncIterator[Pilot[Any]]:
    async with app.run_test(size=SIZE) as pilot:
        yield pilot


@pytest.fixture
def minint_voter(demo_deps: Deps) -> DemoVoter:
    return demo_voter(demo_deps, "minint-2022")


async def on_file(pilot: Pilot[Any], login: str, voter: DemoVoter) -> None:
    await on_voter_file(pilot, voter, login=login)
    assert isinstance(pilot.app.screen, VoterScreen)


# ------------------------------------------------------------------ login, look-up


@EXAMPLES
@given(login=TYPED, password=TYPED, code=TYPED)
async def test_any_login_password_and_code_get_an_answer(
    pilot: Pilot[Any], login: str, password: str, code: str
) -> None:
    app, said = pilot.app, watch(pilot.app)
    await back_to(pilot, LoginScreen)
    fill(pilot, login=login, password=password, code=code)
    await submit(pilot, "#submit")
    assert_answered_in_french(app, said.new())
    if isinstance(app.screen, LoginScreen):
        message = str(app.screen.query_one("#login-message", Static).content)
        assert message and message != "Vérification…"
    else:  # logged in by chance: back to the login screen for the next example
        await act(pilot, "app.logout")


@EXAMPLES
@given(query=TYPED)
async def test_any_look_up_gets_results_or_a_french_refusal(pilot: Pilot[Any], query: str) -> None:
    app = pilot.app
    if not isinstance(app.screen, LookupScreen):
        await log_in(pilot, "agent")
    said = watch(app)
    app.screen.query_one("#search", Input).value = query
    await pilot.pause(0.25)  # the look-up waits for typing to pause
    await settled(pilot)
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(query.strip()) and len(query.strip()) >= 2:
        await assert_refusal_names(pilot, said, new, "Recherche")


# ---------------------------------------------------------------- the intervention


@EXAMPLES
@given(channel=st.sampled_from(["phone", "president"]), typed=TYPED)
async def test_any_caller_number_or_president_login_opens_or_is_refused(
    pilot: Pilot[Any], minint_voter: DemoVoter, channel: str, typed: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen):
        await on_file(pilot, "agent", minint_voter)
    said = watch(app)
    await act(pilot, "open_intervention")
    assert isinstance(app.screen, InterventionOpenScreen)
    app.screen.query_one("#open-channel", Select).value = channel
    await pilot.pause()
    fill(pilot, **{"open_caller" if channel == "phone" else "open_president": typed})
    await submit(pilot, "#open-ok")
    assert_answered_in_french(app, said.new())
    if isinstance(app.screen, VoterScreen):  # opened: closed again for the next example
        await act(pilot, "close_intervention")
        await submit(pilot, "#close-ok")
    await back_to(pilot, VoterScreen)


@EXAMPLES
@given(note=TYPED)
async def test_any_closing_note_closes_or_is_refused_naming_the_note(
    pilot: Pilot[Any], minint_voter: DemoVoter, note: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen):
        await on_file(pilot, "agent", minint_voter)
    screen = app.screen
    assert isinstance(screen, VoterScreen)
    if screen.intervention is None:  # closed by the last example: a new call
        await act(pilot, "open_intervention")
        app.screen.query_one("#open-channel", Select).value = "phone"
        await submit(pilot, "#open-ok")
        assert isinstance(app.screen, VoterScreen) and app.screen.intervention is not None
    said = watch(app)
    await act(pilot, "close_intervention")
    assert isinstance(app.screen, InterventionCloseScreen)
    area = app.screen.query_one("#close-note", TextArea)
    area.text = note
    typed = area.text  # as the text area holds it (its line breaks)
    await submit(pilot, "#close-ok")
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(typed, allow_tab=True, allow_newlines=True):
        assert isinstance(app.screen, InterventionCloseScreen)
        await assert_refusal_names(pilot, said, new, "Note")
    await back_to(pilot, VoterScreen)


@EXAMPLES
@given(answers=st.lists(TYPED, min_size=3, max_size=3))
async def test_any_verification_answers_verify_or_are_refused(
    pilot: Pilot[Any], minint_voter: DemoVoter, answers: list[str]
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen | VerifyScreen):
        await in_call(pilot, minint_voter)
    if not isinstance(app.screen, VerifyScreen):
        await act(pilot, "verify")
    screen = app.screen
    assert isinstance(screen, VerifyScreen)
    said = watch(app)
    for field, answer in zip(screen.query(Input), answers, strict=False):
        field.value = answer
    await submit(pilot, "#verify-ok")
    assert_answered_in_french(app, said.new())


@EXAMPLES
@given(reason=TYPED)
async def test_any_invalidation_reason_invalidates_or_is_refused(
    pilot: Pilot[Any], minint_voter: DemoVoter, reason: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen | RevokeScreen):
        await call_verified(pilot, minint_voter)
    if not isinstance(app.screen, RevokeScreen):
        await act(pilot, "revoke")
    assert isinstance(app.screen, RevokeScreen)
    said = watch(app)
    fill(pilot, revoke_reason=reason)
    await submit(pilot, "#revoke-ok")
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(reason, allow_tab=True):
        await assert_refusal_names(pilot, said, new, "Motif")


# ------------------------------------------------------------------ supervisors


@EXAMPLES
@given(reason=TYPED)
async def test_any_reveal_reason_reveals_or_is_refused(
    pilot: Pilot[Any], minint_voter: DemoVoter, reason: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen):
        await on_file(pilot, "superviseur", minint_voter)
    said = watch(app)
    await act(pilot, "reveal")
    assert isinstance(app.screen, RevealScreen)
    fill(pilot, reveal_reason=reason)
    await submit(pilot, "#reveal-ok")
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(reason, allow_tab=True):
        await assert_refusal_names(pilot, said, new, "Motif")
    await back_to(pilot, VoterScreen)


@EXAMPLES
@given(reason=TYPED)
async def test_any_unlock_reason_unlocks_or_is_refused(
    pilot: Pilot[Any], minint_voter: DemoVoter, reason: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen):
        await on_file(pilot, "superviseur", minint_voter)
    said = watch(app)
    await push(pilot, UnlockScreen(minint_voter.voter_id, "12:00"))
    fill(pilot, unlock_reason=reason)
    await submit(pilot, "#unlock-ok")
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(reason, allow_tab=True):
        await assert_refusal_names(pilot, said, new, "Motif")
    await back_to(pilot, VoterScreen)


@EXAMPLES
@given(since=TYPED, until=TYPED, matricule=TYPED, intervention=TYPED)
async def test_any_journal_filter_finds_or_is_refused(
    pilot: Pilot[Any], since: str, until: str, matricule: str, intervention: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, JournalScreen):
        await log_in(pilot, "superviseur")
        await press(pilot, "f2")
    assert isinstance(app.screen, JournalScreen)
    said = watch(app)
    fill(pilot, journal_since=since, journal_until=until, journal_matricule=matricule,
         journal_intervention=intervention)  # fmt: skip
    await act(pilot, "search")
    assert_answered_in_french(app, said.new())


# Typed into the export window: a file name inside the test's folder (no « / », so
# that no example writes anywhere else).
FILE_NAME = TYPED.filter(lambda name: "/" not in name and name.strip() not in (".", ".."))


@EXAMPLES
@given(name=FILE_NAME)
async def test_any_export_file_name_exports_or_is_refused(
    pilot: Pilot[Any], tmp_path: Path, name: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, JournalScreen):
        await log_in(pilot, "superviseur")
        await press(pilot, "f2")
    journal = app.screen
    assert isinstance(journal, JournalScreen)
    said = watch(app)
    await act(pilot, "export")
    assert isinstance(app.screen, ExportScreen)
    fill(pilot, export_path=f"{tmp_path}/exports/{name}")
    status = journal.query_one("#journal-status", Static)
    status.update("")  # the export's outcome comes here, once its worker is done
    await submit(pilot, "#export-ok")
    assert await until(pilot, lambda: bool(str(status.content)) and not journal.exporting)
    assert await until(pilot, lambda: not str(status.content).startswith("Export vers"))
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(name) and name.strip():
        await assert_refusal_names(pilot, said, new, "Fichier d'export")
    await back_to(pilot, JournalScreen)


# ---------------------------------------------------------------- administrators


@EXAMPLES
@given(login=TYPED, name=TYPED, password=TYPED)
async def test_any_new_operator_fields_create_or_are_refused(
    pilot: Pilot[Any], login: str, name: str, password: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, OperatorsScreen):
        await log_in(pilot, "admin")
        await press(pilot, "f9")
    assert isinstance(app.screen, OperatorsScreen)
    said = watch(app)
    await act(pilot, "create")
    assert isinstance(app.screen, CreateOperatorScreen)
    fill(pilot, create_login=login, create_name=name, create_password=password,
         create_password_again=password)  # fmt: skip
    await submit(pilot, "#create-ok")
    assert_answered_in_french(app, said.new())
    await back_to(pilot, OperatorsScreen)


@EXAMPLES
@given(reason=TYPED)
async def test_any_operator_unlock_reason_unlocks_or_is_refused(
    pilot: Pilot[Any], reason: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, OperatorsScreen):
        await log_in(pilot, "admin")
        await press(pilot, "f9")
    # A failed login to forget: u is greyed where there is nothing to unlock.
    with contextlib.suppress(LoginRefused):
        service_log_in(app.deps, "admin", "mauvais", "000000", "poste-test")
    await act(pilot, "reload")
    said = watch(app)
    await act(pilot, "unlock")
    assert isinstance(app.screen, ConfirmScreen), said.new()
    fill(pilot, confirm_reason=reason)
    await submit(pilot, "#confirm-ok")
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(reason, allow_tab=True):
        await assert_refusal_names(pilot, said, new, "Motif")
    await back_to(pilot, OperatorsScreen)


# --------------------------------------------------------- S5, S6 and S7 windows

CCI_AGENT = OperatorContext("agent", "agent", "poste-test")


@pytest.fixture
async def cci_pilot(cci_deps: Deps) -> AsyncIterator[Pilot[Any]]:
    async with CsuApp(cci_deps, "poste-test").run_test(size=SIZE) as pilot:
        yield pilot


@EXAMPLES
@given(email=TYPED, declared=TYPED, notes=TYPED)
async def test_any_substitution_request_fields_record_or_are_refused(
    cci_pilot: Pilot[Any], cci_deps: Deps, email: str, declared: str, notes: str
) -> None:
    pilot, app = cci_pilot, cci_pilot.app
    voter = demo_voter(cci_deps, CCI)
    if not isinstance(app.screen, VoterScreen):
        await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
        await verify_caller(pilot, voter)  # a request follows the control (seed 000)
    said = watch(app)
    modal = await push_request(pilot, [])
    for box in modal.query(Checkbox):
        box.value = True
    # The identity of the signed request as on the roll: the example is the other fields.
    fill(pilot, substitution_last_name=voter.row["nom"],
         substitution_first_name=voter.row["prenom"],
         substitution_birth_date=voter.birth_text)  # fmt: skip
    fill(pilot, substitution_email=email, substitution_email_again=email,
         substitution_declared=declared, substitution_notes=notes)  # fmt: skip
    await submit(pilot, "#substitution-submit")
    assert_answered_in_french(app, said.new())
    await back_to(pilot, VoterScreen)


CCI_SUPERVISOR = OperatorContext("superviseur", "superviseur", "poste-test")


@pytest.fixture
def waiting(cci_deps: Deps) -> dict[str, int]:
    """The request the supervisor decides on, renewed once decided."""
    return {}


def pending_request(deps: Deps, waiting: dict[str, int]) -> SubstitutionView:
    """The request waiting for a decision, or a new one (the agent's last call closed)."""
    if "id" in waiting:
        view = get_substitution(deps, CCI_SUPERVISOR, waiting["id"])
        if view.pending:
            return view
    current = current_intervention(deps, CCI_AGENT)
    if current is not None:
        close_intervention(deps, CCI_AGENT, current.id, "résolu")
    view = request_as(deps, CCI_AGENT, demo_voter(deps, CCI))
    waiting["id"] = view.id
    return view


@EXAMPLES
@given(reason=TYPED)
async def test_any_decision_reason_decides_or_is_refused(
    cci_pilot: Pilot[Any], cci_deps: Deps, waiting: dict[str, int], reason: str
) -> None:
    pilot, app = cci_pilot, cci_pilot.app
    if isinstance(app.screen, LoginScreen):
        await log_in_later(pilot, "superviseur")
    said = watch(app)
    await push(pilot, DecisionScreen(pending_request(cci_deps, waiting)))
    fill(pilot, decision_reason=reason)
    await submit(pilot, "#decision-refuse")
    if isinstance(app.screen, ConfirmDialog):  # « Refuser » asks first
        await submit(pilot, "#confirm-yes")
    new = said.new()
    assert_answered_in_french(app, new)
    if refused(reason, allow_tab=True):
        await assert_refusal_names(pilot, said, new, "Motif")
    while isinstance(app.screen, ModalScreen):
        app.pop_screen()
        await settled(pilot)


@pytest.fixture
def men_voter(demo_deps: Deps) -> DemoVoter:
    return demo_voter(demo_deps, "men-2022")


@pytest.fixture
def without_notice_voter(demo_deps: Deps) -> DemoVoter:
    """A men-2011 voter (seed 003: the identifier goes by e-mail)."""
    return demo_voter(demo_deps, "men-2011")


@EXAMPLES
@given(channel=st.sampled_from(["sms", "email"]), recipient=TYPED)
async def test_any_s6_recipient_gets_a_link_or_a_french_refusal(
    pilot: Pilot[Any], men_voter: DemoVoter, channel: str, recipient: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen | VoteCodeLinkScreen):
        await call_verified(pilot, men_voter)
    if not isinstance(app.screen, VoteCodeLinkScreen):
        await act(pilot, "vote_code_link")
    assert isinstance(app.screen, VoteCodeLinkScreen)
    said = watch(app)
    app.screen.query_one("#link-channel", Select).value = channel
    await pilot.pause()
    fill(pilot, link_recipient=recipient, link_recipient_confirm=recipient)
    await submit(pilot, "#link-ok")
    assert_answered_in_french(app, said.new())
    await back_to(pilot, VoteCodeLinkScreen)  # a question on the address's domain


@EXAMPLES
@given(address=TYPED, again=TYPED)
async def test_any_s7_personal_address_gets_the_identifier_or_a_french_refusal(
    pilot: Pilot[Any], without_notice_voter: DemoVoter, address: str, again: str
) -> None:
    app = pilot.app
    if not isinstance(app.screen, VoterScreen | IdentifierScreen):
        await call_verified(pilot, without_notice_voter)
    if not isinstance(app.screen, IdentifierScreen):
        await act(pilot, "identifier")
    screen = app.screen
    assert isinstance(screen, IdentifierScreen)
    said = watch(app)
    destination = screen.query_one("#identifier-to", Select)
    personal = [value for _, value in destination._options if value != destination.value]
    if personal:
        destination.value = personal[-1]
        await pilot.pause()
    fill(pilot, identifier_address=address, identifier_confirm=again)
    await submit(pilot, "#identifier-ok")
    assert_answered_in_french(app, said.new())
    if not isinstance(app.screen, IdentifierScreen):
        await back_to(pilot, VoterScreen)


# --------------------------------------------------------------------- the command


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clean_environment(tmp_path, monkeypatch)
    # The cheapest argon2id the settings allow: many operators are created.
    monkeypatch.setenv("CSU_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CSU_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("CSU_ARGON2_PARALLELISM", "1")
    path = tmp_path / "cellule.sqlite"
    result = csu("init", "--db", path)
    assert result.exit_code == 0, result.output
    return path


def assert_command_answered(result: Any) -> None:
    """Done (0) or refused with « Erreur : » and a sentence (1): never a traceback."""
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert "Erreur" in result.output, result.output


COMMAND_EXAMPLES = settings(EXAMPLES, max_examples=25)
ARGUMENT = TYPED.filter(lambda text: "\x00" not in text)  # argv cannot hold a NUL


@COMMAND_EXAMPLES
@given(login=ARGUMENT, name=ARGUMENT, password=TYPED)
def test_any_operator_add_arguments_create_or_are_refused(
    cli_db: Path, login: str, name: str, password: str
) -> None:
    result = csu("operator", "add", "--role", "agent", "--name", name, "--password-stdin",
                 "--db", cli_db, "--", login, input=password.replace("\n", " ") + "\n")  # fmt: skip
    assert_command_answered(result)


@COMMAND_EXAMPLES
@given(login=ARGUMENT, reason=ARGUMENT)
def test_any_operator_unlock_arguments_unlock_or_are_refused(
    cli_db: Path, login: str, reason: str
) -> None:
    result = csu("operator", "unlock", "--reason", reason, "--db", cli_db, "--", login)
    assert_command_answered(result)


@COMMAND_EXAMPLES
@given(operator=ARGUMENT, intervention=ARGUMENT)
def test_any_audit_export_filter_exports_or_is_refused(
    cli_db: Path, operator: str, intervention: str
) -> None:
    result = csu("audit", "export", "--operator", operator, "--intervention", intervention,
                 "--db", cli_db)  # fmt: skip
    assert_command_answered(result)
