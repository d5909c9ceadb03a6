"""The real app on a small demo database, with a fixed clock and a fast password hash.

One-time codes go to a local outbox folder (``outbox`` fixture), where tests read them.
"""

import functools
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pyotp
import pytest
from rich.console import Console
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import WorkerCancelled, WorkerFailed

from csu.app import CsuApp
from csu.delivery.folder import FolderDelivery
from csu.domain.clock import fixed_clock
from csu.screens.credential import CredentialShownScreen, IssueScreen
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.verification import VerifyScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.services.demo import DEMO_OPERATORS, build_demo, demo_rolls
from csu.services.platform import check_login
from csu.store.engine import make_engine
from csu.store.migrate import upgrade
from csu.store.tables import JournalEntry, Material, Operator, Voter
from csu.widgets.intervention_panel import InterventionPanel
from tests.compiled_once import compiled_once
from tests.conftest import ADMIN, NOW, TEST_KEY
from tests.fakes import FAST_HASHER

SECRETS = {login: secret for login, _, _, secret in DEMO_OPERATORS}
SIZE = (120, 40)
DEMO_VOTERS = 60
DEMO_SEED = 2022
# The demo shifts the CCI election so that it opened yesterday, and its
# ``substitution.from`` day with it (two days after the opening): a day three days
# after NOW accepts declarations of loss. Monday 5 December 2022, 11:30 in Paris.
LATER = datetime(2022, 12, 5, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    build_demo(
        Deps(engine, TEST_KEY, fixed_clock(NOW), FAST_HASHER),
        ADMIN,
        voters=DEMO_VOTERS,
        seed=DEMO_SEED,
    )
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    """Where the demo deps deliver one-time codes (``FolderDelivery``)."""
    return tmp_path / "outbox"


def copy_of_demo(template: Path, tmp_path: Path, outbox: Path, now: datetime) -> Iterator[Deps]:
    """A copy of the demo database, its clock fixed at ``now``."""
    path = tmp_path / "demo.sqlite"
    shutil.copy(template, path)
    engine = compiled_once(make_engine(f"sqlite:///{path}"))
    yield Deps(engine, TEST_KEY, fixed_clock(now), FAST_HASHER, delivery=FolderDelivery(outbox))
    engine.dispose()


@pytest.fixture
def demo_deps(demo_template: Path, tmp_path: Path, outbox: Path) -> Iterator[Deps]:
    yield from copy_of_demo(demo_template, tmp_path, outbox, NOW)


@pytest.fixture
def cci_deps(demo_template: Path, tmp_path: Path, outbox: Path) -> Iterator[Deps]:
    """The demo database on a day the CCI election accepts declarations of loss."""
    yield from copy_of_demo(demo_template, tmp_path, outbox, LATER)


@pytest.fixture
def app(demo_deps: Deps) -> CsuApp:
    return CsuApp(demo_deps, "poste-test")


def code(login: str, at: datetime = NOW) -> str:
    """The login's one-time code at ``at`` (a test on another day than NOW's)."""
    return pyotp.TOTP(SECRETS[login]).at(at)


async def log_in(pilot: Pilot[Any], login: str, password: str = "demo", otp: str = "") -> None:
    await pilot.pause()
    await pilot.click("#login")
    for field, value in (("#login", login), ("#password", password), ("#code", otp or code(login))):
        pilot.app.screen.query_one(field).value = value  # type: ignore[attr-defined]
    await pilot.press("enter")
    await settle(pilot)


def screen_text(app: CsuApp) -> str:
    """What the current screen shows, as text."""
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    parts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Static):
            content = widget.content
            if isinstance(content, str):
                parts.append(content)
            else:
                console.print(content)
        elif isinstance(widget, DataTable):
            for row in range(widget.row_count):
                parts.append(" | ".join(str(cell) for cell in widget.get_row_at(row)))
    parts.append(console.export_text())
    return "\n".join(parts)


def journal_actions(deps: Deps) -> list[tuple[str, str]]:
    with deps.reading() as session:
        rows = session.exec(
            select(JournalEntry.action, JournalEntry.outcome).order_by(JournalEntry.seq)
        )
        return [(action, outcome) for action, outcome in rows]


def journal_of(deps: Deps, intervention_id: str) -> list[tuple[str, str]]:
    """(action, outcome) of the entries of one intervention, in journal order, leaving
    out the readings of the voter file (the screen reloads it after each action)."""
    with deps.reading() as session:
        rows = session.exec(
            select(JournalEntry.action, JournalEntry.outcome)
            .where(JournalEntry.intervention == intervention_id)
            .where(JournalEntry.action != "consultation")
            .order_by(JournalEntry.seq)  # type: ignore[arg-type]
        )
        return [(action, outcome) for action, outcome in rows]


def journal_details(deps: Deps, intervention_id: str, action: str) -> dict[str, Any]:
    """The details of the last entry of ``action`` in an intervention."""
    with deps.reading() as session:
        body = session.exec(
            select(JournalEntry.body)
            .where(JournalEntry.intervention == intervention_id, JournalEntry.action == action)
            .order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
        ).first()
    assert body is not None, f"no {action} entry in intervention {intervention_id}"
    return dict(json.loads(body).get("details") or {})


def journal_operator(deps: Deps, intervention_id: str, action: str) -> str | None:
    """Who journalled ``action`` in an intervention (one entry)."""
    with deps.reading() as session:
        return session.exec(
            select(JournalEntry.operator).where(
                JournalEntry.intervention == intervention_id, JournalEntry.action == action
            )
        ).one()


def last_intervention(deps: Deps) -> str:
    """The id of the intervention opened last."""
    with deps.reading() as session:
        found = session.exec(
            select(JournalEntry.intervention)
            .where(JournalEntry.action == "intervention_open")
            .order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
        ).first()
    assert found is not None
    return found


def journal_text(deps: Deps) -> bytes:
    """Every entry's body, to check that a secret never reached the journal."""
    with deps.reading() as session:
        return b"\n".join(session.exec(select(JournalEntry.body)))


# --------------------------------------------------------------- demo voters


@dataclass(frozen=True, slots=True)
class DemoVoter:
    """A demo voter with the clear answers the roll generator gave them."""

    voter_id: int
    matricule: str
    election: str
    identifier: str
    bureau: str
    birth_date: date
    row: dict[str, str]

    @property
    def birth_text(self) -> str:
        return self.row["date_naissance"]


@functools.cache
def demo_rows() -> dict[tuple[str, str], dict[str, str]]:
    """The demo roll's rows by (election, identifier), generated exactly as
    ``build_demo(voters=60, seed=2022)`` generated them."""
    from csu import fake_electorate

    rows: dict[tuple[str, str], dict[str, str]] = {}
    for election, count, start in demo_rolls(DEMO_VOTERS):
        for row in fake_electorate.generate_roll(election, count, seed=DEMO_SEED, start=start):
            rows[(election, row["identifiant"])] = row
    return rows


def president_bureau(deps: Deps) -> str:
    with deps.reading() as session:
        bureau = session.exec(
            select(Operator.bureau_code).where(Operator.login == "president")
        ).one()
    assert bureau is not None
    return bureau


def demo_voter(
    deps: Deps,
    election: str = "minint-2022",
    *,
    bureau: str | None = None,
    outside_bureau: str | None = None,
    mobile: bool = False,
    work_phone: bool = False,
    voted: bool = False,
) -> DemoVoter:
    """A voter of ``election`` whose material has not voted (the first by id), or has
    (``voted``: the demo's émargement), in or outside a bureau, with a mobile or a work
    phone on record if asked."""
    voted_at = Material.voted_at
    with deps.reading() as session:
        query = (
            select(Voter, Material)
            .join(Material, Material.voter_id == Voter.id)  # type: ignore[arg-type]
            .where(
                Material.election_id == election,
                Material.status == "active",
                voted_at.is_not(None) if voted else voted_at.is_(None),  # type: ignore[union-attr]
            )
            .order_by(Voter.id)  # type: ignore[arg-type]
        )
        if bureau is not None:
            query = query.where(Material.bureau_code == bureau)
        if outside_bureau is not None:
            query = query.where(Material.bureau_code != outside_bureau)
        if mobile:
            query = query.where(Voter.phone_mobile.is_not(None))  # type: ignore[union-attr]
        if work_phone:
            query = query.where(Voter.phone_pro.is_not(None))  # type: ignore[union-attr]
        voter, material = session.exec(query).first()  # type: ignore[misc]
    row = demo_rows()[(election, material.identifier)]
    return DemoVoter(
        voter_id=voter.id,
        matricule=voter.matricule,
        election=election,
        identifier=material.identifier,
        bureau=material.bureau_code,
        birth_date=datetime.strptime(row["date_naissance"], "%d/%m/%Y").date(),
        row=row,
    )


# ------------------------------------------------------- the caller's answers
# As the caller reads them, ``verify_<factor>`` for :func:`verify_ui`.


def card_and_iban(voter: DemoVoter) -> dict[str, str]:
    """Interior: the date of birth, the first 6 characters of the agent card's serial
    number and the last 6 of the IBAN."""
    return {
        "verify_birth_date": voter.birth_text,
        "verify_agent_card": voter.row["carte_agent"][:6],
        "verify_iban": voter.row["iban"][-6:],
    }


def by_numen(voter: DemoVoter) -> dict[str, str]:
    """Education 2022: the challenge answer and the NUMEN."""
    return {
        "verify_challenge_answer": voter.row["reponse_defi"],
        "verify_numen": voter.row["numen"],
    }


def by_department(voter: DemoVoter) -> dict[str, str]:
    """Education 2011: the NUMEN and the département of birth (6th and 7th digits of
    the NIR)."""
    return {"verify_numen": voter.row["numen"], "verify_birth_department": voter.row["nir"][5:7]}


def good_answers(voter: DemoVoter) -> dict[str, str]:
    """Answers that verify a caller of the voter's election by phone (the CCI's need a
    one-time code: :func:`verify_by_code`)."""
    by_election = {"minint-2022": card_and_iban, "men-2022": by_numen, "men-2011": by_department}
    return by_election[voter.election](voter)


def login_works(deps: Deps, voter: DemoVoter, **credentials: str) -> bool:
    """What the voting platform answers to these credentials (it asks CSU)."""
    return check_login(deps, voter.election, voter.identifier, voter.birth_date, **credentials)


def outbox_codes(outbox: Path) -> list[str]:
    """The one-time codes of the SMS and e-mails in the outbox, oldest first."""
    codes = []
    for path in sorted(outbox.glob("*")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            text = json.loads(text)["text"]
        codes.extend(re.findall(r"code de vérification est (\d+)", text))
    return codes


# ------------------------------------------------------------ driving the app
# Pilot steps: each waits for the workers it starts, refused ones included.


def session_of(app: CsuApp) -> AbstractContextManager[None]:
    """Two apps in one test (an agent's and a president's, on one store): Textual takes
    the app started last as the active one, so the steps of the other run in their own
    app's context."""
    return app._context()


async def settle(pilot: Pilot[Any]) -> None:
    """Waits for the workers, including those a service refused (the app shows the
    refusal as a notification: tests read it with :func:`notifications`) and those an
    exclusive worker replaced (the login screen's demo list, refreshed every second,
    on a loaded machine)."""
    for _ in range(5):
        try:
            await pilot.app.workers.wait_for_complete()
            break
        except (WorkerFailed, WorkerCancelled):
            await pilot.pause(0.05)
    await pilot.pause()


async def open_voter_file(pilot: Pilot[Any], matricule: str) -> None:
    """On the look-up screen: find the voter by matricule and open the file. An
    intervention the operator left open (opened through the services before the login)
    reopens its voter's file at the login: already there, nothing to do."""
    await settle(pilot)
    screen = pilot.app.screen
    if isinstance(screen, VoterScreen):
        if screen.file is not None and screen.file.matricule == matricule:
            return
        await pilot.press("escape")
        await settle(pilot)
    pilot.app.screen.query_one("#search", Input).value = matricule
    await pilot.pause(0.2)  # the search is debounced
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def fill(pilot: Pilot[Any], **values: str) -> None:
    """Sets fields of the current screen by id: ``fill(pilot, open_caller="01...")``
    sets ``#open-caller`` (underscores stand for hyphens, except after ``verify-``)."""
    for key, value in values.items():
        pilot.app.screen.query_one(f"#{field_id(key)}").value = value  # type: ignore[attr-defined]


def field_id(key: str) -> str:
    if key.startswith("verify_"):
        return "verify-" + key.removeprefix("verify_")
    return key.replace("_", "-")


async def click(pilot: Pilot[Any], selector: str) -> None:
    # A button ignores clicks during its 0.2 s "pressed" effect: a person would not
    # click twice that fast, a test may.
    for _ in range(20):
        if not pilot.app.screen.query_one(selector).has_class("-active"):
            break
        await pilot.pause(0.05)
    # As a person scrolls a window taller than the terminal to reach its button.
    pilot.app.screen.query_one(selector).scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    await pilot.click(selector)
    await settle(pilot)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def notifications(app: CsuApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def notice_ids(app: CsuApp) -> set[str]:
    """The notices shown now, by identity (two notices may say the same thing)."""
    return {notification.identity for notification in app._notifications}


def notified_since(app: CsuApp, before: set[str]) -> list[str]:
    """The messages of the notices raised since ``before`` (:func:`notice_ids`) was read:
    one of those may have expired meanwhile (a loaded run takes seconds between two
    steps), which is not a new one."""
    return [n.message for n in app._notifications if n.identity not in before]


async def open_intervention_ui(
    pilot: Pilot[Any], channel: str | None = None, **fields: str
) -> None:
    """ctrl+n, the channel (unless a president opens), fields, then « Ouvrir »."""
    await press(pilot, "ctrl+n")
    assert isinstance(pilot.app.screen, InterventionOpenScreen)
    if channel is not None:
        pilot.app.screen.query_one("#open-channel", Select).value = channel
        await pilot.pause()
    fill(pilot, **fields)
    await click(pilot, "#open-ok")
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]


async def verify_ui(pilot: Pilot[Any], document: str | None = None, **answers: str) -> None:
    """ctrl+e, the answers (``verify_<factor>=...``), then « Vérifier »: verified."""
    await press(pilot, "ctrl+e")
    assert isinstance(pilot.app.screen, VerifyScreen)
    if document is not None:
        pilot.app.screen.query_one("#verify-document", Select).value = document
    fill(pilot, **answers)
    await click(pilot, "#verify-ok")
    assert isinstance(pilot.app.screen, VoterScreen), screen_text(pilot.app)  # type: ignore[arg-type]


async def issue_ui(pilot: Pilot[Any], kind: str | None = None) -> str:
    """ctrl+k, the kind, « Délivrer », read the value shown once, « Lu à l'appelant »."""
    await press(pilot, "ctrl+k")
    assert isinstance(pilot.app.screen, IssueScreen), notifications(pilot.app)  # type: ignore[arg-type]
    if kind is not None:
        pilot.app.screen.query_one("#credential-kind", Select).value = kind
        await pilot.pause()
    await click(pilot, "#issue-ok")
    shown = pilot.app.screen
    assert isinstance(shown, CredentialShownScreen), notifications(pilot.app)  # type: ignore[arg-type]
    value = str(shown.query_one("#credential-value", Static).content)
    await click(pilot, "#read-out")
    assert isinstance(pilot.app.screen, VoterScreen)
    return value


async def close_ui(pilot: Pilot[Any], outcome: str = "résolu", note: str = "") -> None:
    await press(pilot, "ctrl+w")
    assert isinstance(pilot.app.screen, InterventionCloseScreen)
    pilot.app.screen.query_one("#close-outcome", Select).value = outcome
    if note:
        pilot.app.screen.query_one("#close-note").text = note  # type: ignore[attr-defined]
    await click(pilot, "#close-ok")
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]


async def verify_by_code(
    pilot: Pilot[Any], outbox: Path, factor: str = "otp_mobile", **answers: str
) -> None:
    """ctrl+e, the answers, a one-time code sent (``factor``: ``otp_mobile`` or
    ``otp_email``) and typed from the outbox, then « Vérifier »: verified."""
    await press(pilot, "ctrl+e")
    fill(pilot, **answers)
    await click(pilot, f"#send-{factor}")
    fill(pilot, **{f"verify_{factor}": outbox_codes(outbox)[-1]})
    await click(pilot, "#verify-ok")
    assert isinstance(pilot.app.screen, VoterScreen), screen_text(pilot.app)  # type: ignore[arg-type]


async def proposed_outcome(pilot: Pilot[Any]) -> object:
    """What the closing window proposes (then left without closing)."""
    await press(pilot, "ctrl+w")
    assert isinstance(pilot.app.screen, InterventionCloseScreen)
    value = pilot.app.screen.query_one("#close-outcome", Select).value
    await press(pilot, "escape")
    return value


def call_path(app: CsuApp) -> str:
    """The call's state and next step, as the voter file shows them."""
    return str(app.screen.query_one("#call-path", Static).render())


# --------------------------------------------------------- the call, set up
# Where a test starts: each step of the way as an operator takes it.


async def on_voter_file(
    pilot: Pilot[Any], voter: DemoVoter, *, login: str = "agent", otp: str = ""
) -> None:
    """Logged in as ``login``, the voter looked up by matricule and their file open."""
    await log_in(pilot, login, otp=otp)
    await open_voter_file(pilot, voter.matricule)


async def in_call(
    pilot: Pilot[Any],
    voter: DemoVoter,
    *,
    login: str = "agent",
    channel: str = "phone",
    otp: str = "",
    **fields: str,
) -> None:
    """On the voter's file, an intervention open by ``channel`` (a president opens in
    person: no channel to choose), with ``fields`` of the window (``open_caller=…``)."""
    await on_voter_file(pilot, voter, login=login, otp=otp)
    await open_intervention_ui(pilot, None if login == "president" else channel, **fields)


async def call_verified(
    pilot: Pilot[Any],
    voter: DemoVoter,
    *,
    login: str = "agent",
    channel: str = "phone",
    otp: str = "",
    document: str | None = None,
    answers: dict[str, str] | None = None,
    **fields: str,
) -> None:
    """:func:`in_call`, then the caller verified with ``answers``: by default the
    :func:`good_answers` of the voter's election, or for a president an agent card seen
    whose number ends in 9876 (``document`` and ``verify_in_person`` otherwise)."""
    await in_call(pilot, voter, login=login, channel=channel, otp=otp, **fields)
    if answers is None and login == "president":
        document, answers = document or "carte_agent", {"verify_in_person": "9876"}
    await verify_ui(pilot, document, **(good_answers(voter) if answers is None else answers))
    assert pilot.app.screen.query_one(InterventionPanel).verified


def sms_to(outbox: Path, number: str) -> list[str]:
    """The texts of the SMS sent to ``number`` (E.164), oldest first."""
    texts = []
    for path in sorted(outbox.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["to"] == number:
            texts.append(record["text"])
    return texts


def mails_to(outbox: Path, address: str) -> list[str]:
    """The bodies of the e-mails sent to ``address``, oldest first."""
    bodies = []
    for path in sorted(outbox.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if str(mail["To"]) == address:
            bodies.append(mail.get_body().get_content())  # type: ignore[union-attr]
    return bodies


def token_in(text: str) -> str:
    """The token of the one-time link in a message (what the platform receives)."""
    found = re.search(r"jeton=([A-Za-z0-9_-]+)", text)
    assert found is not None, text
    return found.group(1)


def material_id(deps: Deps, voter: DemoVoter) -> int:
    """The id of the voter's material in their election."""
    with deps.reading() as session:
        found = session.exec(
            select(Material.id).where(
                Material.election_id == voter.election, Material.identifier == voter.identifier
            )
        ).one()
    assert found is not None
    return found
