"""The walk of tests/screens/test_masking_walk.py and test_labels_walk.py: a supervisor
handles a call on a voter of a demo election, visiting every screen and window on the
way (look-up, voter file and its windows, the election's own procedures, outbox,
closing), then reads it back at the desk (journal review, each entry written, the
intervention's timeline, dashboard, alerts, approvals) and logs out.

It runs in an 80x24 terminal, most terminals' size when opened, on a demo whose
voters, bureaus, operators and workstation carry markup in their names, and it types
markup in its notes (:func:`name_everything_in_markup`, ``TYPED``).

At each step the walk notes every personal value it sees whole (``found``), every raw
key and every code the catalogue does not name (``raw``), every field or button beyond
the right edge (``cut``), and keeps what it showed (``shown``). The tests of
test_masking_walk.py, test_labels_walk.py and test_markup_walk.py read one walk:
:func:`walked` runs it once per election in a worker (an election's tests share an
xdist group), as a walk is ten to forty seconds of Pilot.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from sqlalchemy import update
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static, TextArea

from csu.app import CsuApp
from csu.domain.labels import ACTION_LABELS, DETAIL_LABELS, ENTRY_LABELS, OUTCOME_LABELS
from csu.screens.approvals import ApprovalsScreen
from csu.screens.credential import CredentialShownScreen, IssueScreen, RevokeScreen
from csu.screens.dashboard import DashboardScreen
from csu.screens.identifier_delivery import IdentifierScreen
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.intervention_timeline import InterventionTimelineScreen
from csu.screens.journal import JournalScreen
from csu.screens.journal_entry import JournalEntryScreen
from csu.screens.login import LoginScreen
from csu.screens.lookup import LookupScreen
from csu.screens.outbox import OutboxScreen
from csu.screens.substitution import SubstitutionRequestScreen
from csu.screens.verification import VerifyScreen
from csu.screens.vote_codes import VoteCodeLinkScreen
from csu.screens.voter import RevealScreen, VoterScreen
from csu.services.context import Deps
from csu.services.demo import DEMO_ELECTIONS
from csu.store.tables import Bureau, JournalEntry, Operator, Voter
from csu.widgets.fitted_table import FittedTable
from tests.screens.conftest import (
    DemoVoter,
    by_department,
    by_numen,
    click,
    demo_voter,
    fill,
    last_intervention,
    log_in,
    notifications,
    press,
    settle,
)
from tests.screens.shown import Personal, leaks, shown_text

MINT, MEN, CCI = "minint-2022", "men-2022", "cci-hdf-2021"
MEN_2011 = "men-2011"
OTHER_MOBILE = "06 12 34 56 78"  # a number the voter gives for one link (S6)
OTHER_ADDRESS = "electeur.perso@exemple.fr"  # an address the voter gives (S5)

NARROW = (80, 24)  # most terminals' size when opened
FIELDS = (Button, Checkbox, Input, Select, TextArea)

# Markup in names and notes. A roll may name a voter « Martin [/] » (brackets are not
# refused in names), an administrator may name an operator or a bureau the same way,
# and an agent may type it in a note.
CLOSE = "[/]"  # closes nothing: raised an error that stopped the app
STYLED = "[bold]gras[/bold]"  # would be drawn bold, brackets gone
LINKED = "[link=https://exemple.invalid]ici[/link]"  # would be a link in the terminal
TYPED = f" {CLOSE} {STYLED} {LINKED} [red"
WORKSTATION = f"poste {CLOSE}"

# The screens every walk goes through, and those of each election's procedures.
EVERY_WALK = {
    LoginScreen, LookupScreen, VoterScreen, RevealScreen, InterventionOpenScreen,
    VerifyScreen, OutboxScreen, InterventionCloseScreen,
    JournalScreen, JournalEntryScreen, InterventionTimelineScreen, ApprovalsScreen,
}  # fmt: skip
# Only Interior's cell reads codes out ([delivery] of each file): elsewhere ctrl+k and
# ctrl+x say what to do instead, and no such window opens.
CODES = {IssueScreen, RevokeScreen}
OF_ELECTION: dict[str, set[type]] = {
    MINT: CODES | {CredentialShownScreen},
    MEN: {VoteCodeLinkScreen},  # the vote code goes by link only, shown on the voter's screen
    MEN_2011: {IdentifierScreen},  # the password too, by a link sent where the identifier went
    CCI: {SubstitutionRequestScreen},
}


def personal_data(voter: DemoVoter) -> Personal:
    row = voter.row
    addresses = [row["email_pro"]]
    if "@" in voter.identifier:
        addresses.append(voter.identifier)
    phones = tuple(row[k] for k in ("telephone_pro", "telephone_mobile") if row[k])
    return Personal(tuple(addresses), phones)


@dataclass
class Walk:
    """Looks at each step of the walk and notes every personal value it sees whole."""

    pilot: Pilot[Any]
    personal: Personal
    typed: str = ""  # added to what the walk types in free text (notes)
    found: list[str] = field(default_factory=list)
    seen: set[type] = field(default_factory=set)
    timeline: str = ""  # the intervention's timeline, as the review showed it

    def look(self, where: str) -> str:
        app = self.pilot.app
        text = shown_text(app)
        self.seen.add(type(app.screen))
        self.found.extend(f"{where}: {value}" for value in leaks(text, self.personal))
        return text

    async def press(self, *keys: str) -> None:
        await press(self.pilot, *keys)

    async def click(self, selector: str) -> None:
        await click(self.pilot, selector)

    def on(self, screen_type: type) -> Any:
        screen = self.pilot.app.screen
        assert isinstance(screen, screen_type), (screen, notifications(self.pilot.app))  # type: ignore[arg-type]
        return screen


# ------------------------------------------------------------------ the walk


async def find_and_open(walk: Walk, voter: DemoVoter) -> None:
    walk.on(LookupScreen).query_one("#search").value = voter.matricule
    await walk.pilot.pause(0.2)  # the search is debounced
    await settle(walk.pilot)
    walk.look("résultats de la recherche")
    await walk.press("enter")
    walk.on(VoterScreen)
    text = walk.look("fiche électeur")
    assert "***@" in text  # the scan sees the masked contact details


async def reveal_window(walk: Walk) -> None:
    await walk.press("ctrl+r")
    walk.on(RevealScreen)
    walk.look("fenêtre de révélation")
    await walk.click("#reveal-cancel-button")


async def open_by_phone(walk: Walk, voter: DemoVoter) -> None:
    """An intervention by phone, the number on the phone being the voter's own (none
    shown when the roll has no phone for them: men-2011)."""
    await walk.press("ctrl+n")
    screen = walk.on(InterventionOpenScreen)
    walk.look("ouverture d'intervention")
    screen.query_one("#open-channel", Select).value = "phone"
    await walk.pilot.pause()
    if walk.personal.phones:
        fill(walk.pilot, open_caller=walk.personal.phones[0])
    await walk.click("#open-ok")
    walk.on(VoterScreen)
    walk.look("fiche avec intervention ouverte")


def last_code(outbox: Path) -> str:
    """The one-time code of the latest message in the outbox (SMS or e-mail)."""
    codes = []
    for path in sorted(outbox.glob("*")):
        if path.suffix == ".eml":
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        elif path.suffix == ".json":
            text = json.loads(path.read_text(encoding="utf-8"))["text"]
        else:
            continue
        codes += re.findall(r"code de vérification est (\d+)", text)
    assert codes, "no one-time code in the outbox"
    return codes[-1]


async def verify(walk: Walk, outbox: Path, otp: str | None = None, **answers: str) -> None:
    """ctrl+e; a one-time code sent first when ``otp`` names its channel."""
    await walk.press("ctrl+e")
    walk.on(VerifyScreen)
    walk.look("vérification d'identité")
    fill(walk.pilot, **answers)
    if otp is not None:
        await walk.click(f"#send-{otp}")
        walk.look("vérification, code envoyé")
        fill(walk.pilot, **{f"verify_{otp}": last_code(outbox)})
    await walk.click("#verify-ok")
    walk.on(VoterScreen)
    walk.look("fiche après vérification")


async def issue(walk: Walk, kind: str | None) -> None:
    """ctrl+k: the window, then (if the election has codes) one issued and read out."""
    await walk.press("ctrl+k")
    if kind is None and isinstance(walk.pilot.app.screen, VoterScreen):
        return  # nothing the election lets the cell issue: the key says so, no window
    screen = walk.on(IssueScreen)
    walk.look("délivrer un code")
    if kind is None:
        await walk.click("#issue-cancel-button")
        return
    screen.query_one("#credential-kind", Select).value = kind
    await walk.pilot.pause()
    await walk.click("#issue-ok")
    walk.on(CredentialShownScreen)
    walk.look("code affiché une fois")
    await walk.click("#read-out")
    walk.on(VoterScreen)


async def revoke_window(walk: Walk) -> None:
    await walk.press("ctrl+x")
    if isinstance(walk.pilot.app.screen, VoterScreen):
        return  # nothing the election lets the cell invalidate: the key says so
    walk.on(RevokeScreen)
    walk.look("invalider un code")
    await walk.click("#revoke-cancel-button")


async def identifier(walk: Walk) -> None:
    """S7: the identifier to the professional address on record."""
    await walk.press("ctrl+d")
    walk.on(IdentifierScreen)
    walk.look("envoi de l'identifiant")
    await walk.click("#identifier-ok")
    result = walk.look("identifiant envoyé")
    assert "Identifiant " in result, notifications(walk.pilot.app)  # type: ignore[arg-type]
    await walk.click("#identifier-close-button")
    walk.on(VoterScreen)


async def vote_code_link(walk: Walk) -> None:
    """S6: a one-time link by SMS to a mobile the voter gives."""
    await walk.press("ctrl+l")
    walk.on(VoteCodeLinkScreen)
    walk.look("lien code de vote")
    fill(walk.pilot, link_recipient=OTHER_MOBILE)
    await walk.click("#link-ok")
    walk.look("lien envoyé")
    await walk.click("#link-close")
    walk.on(VoterScreen)


async def substitution(walk: Walk) -> None:
    """S5: the request window, filled in and submitted (the CCI refuses it on the
    demo's day: the result and its reason are looked at all the same). The identity
    typed from the signed request is the voter's own, as the file gives it."""
    from textual.widgets import Checkbox

    voter_file = walk.on(VoterScreen).file
    await walk.press("f7")
    screen = walk.on(SubstitutionRequestScreen)
    walk.look("demande de matériel de substitution")
    for box in screen.query(Checkbox):
        box.value = True
    fill(
        walk.pilot,
        substitution_last_name=voter_file.last_name,
        substitution_first_name=voter_file.first_name,
        substitution_birth_date=f"{voter_file.birth_date:%d/%m/%Y}",
        substitution_email=OTHER_ADDRESS,
        substitution_email_again=OTHER_ADDRESS,
        substitution_notes=f"Notice non reçue{walk.typed}",
    )
    await walk.click("#substitution-submit")
    walk.look("demande de substitution traitée")
    await walk.click("#substitution-close")
    walk.on(VoterScreen)


async def messages(walk: Walk) -> None:
    await walk.press("f6")
    walk.on(OutboxScreen)
    walk.look("messages à l'électeur")
    await walk.press("escape")


async def close_with_note(walk: Walk) -> None:
    """ctrl+w, with a note quoting the voter's phone and address."""
    await walk.press("ctrl+w")
    screen = walk.on(InterventionCloseScreen)
    walk.look("clôture de l'intervention")
    screen.query_one("#close-outcome", Select).value = "résolu"
    phone = walk.personal.phones[0] if walk.personal.phones else "01 23 45 67 89"
    note = f"Rappeler au {phone} ou écrire à {walk.personal.addresses[0]}{walk.typed}"
    screen.query_one("#close-note").text = note
    await walk.click("#close-ok")
    walk.on(VoterScreen)
    walk.look("fiche après clôture")


async def supervisor_desk(walk: Walk, deps: Deps, since: int) -> None:
    """The journal review, each entry written during the walk, the intervention's
    timeline, the dashboard, the alerts and the approvals."""
    app = walk.pilot.app
    await walk.press("escape")
    walk.on(LookupScreen)
    await walk.press("f2")
    walk.on(JournalScreen)
    walk.look("revue du journal")
    with deps.reading() as session:
        seqs = list(
            session.exec(
                select(JournalEntry.seq).where(JournalEntry.seq > since).order_by(JournalEntry.seq)  # type: ignore[arg-type]
            )
        )
    assert len(seqs) > 5
    for seq in seqs:
        await app.push_screen(JournalEntryScreen(seq))
        await settle(walk.pilot)
        walk.look(f"entrée n° {seq} du journal")
        await app.pop_screen()  # on to the next entry without drawing the review between
    await settle(walk.pilot)
    await app.push_screen(InterventionTimelineScreen(last_intervention(deps)))
    await settle(walk.pilot)
    walk.timeline = walk.look("chronologie de l'intervention")
    await walk.press("escape")
    await walk.press("escape")
    for key, name in (("f3", "tableau de bord"), ("f4", "alertes")):
        await walk.press(key)
        walk.look(name)
        await walk.press("escape")
    app.action_approvals()  # type: ignore[attr-defined]
    await settle(walk.pilot)
    walk.on(ApprovalsScreen)
    walk.look("demandes de substitution")
    await walk.press("escape")


def last_seq(deps: Deps) -> int:
    with deps.reading() as session:
        return session.exec(select(JournalEntry.seq).order_by(JournalEntry.seq.desc())).first() or 0  # type: ignore[attr-defined]


# ------------------------------------------------- what the labels test reads

# A code as services write them: lower case words joined by underscores.
RAW_KEY = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.@-])")
ACTIONS_SHOWN = set(ENTRY_LABELS)
OUTCOMES_SHOWN = set(OUTCOME_LABELS.values())


def detail_keys(details: Mapping[str, Any]) -> Iterable[str]:
    """The keys of recorded details, those of nested objects included."""
    for key, value in details.items():
        yield key
        if isinstance(value, dict):
            yield from detail_keys(value)


def column(table: DataTable[Any], index: int) -> list[str]:
    """The column's cells, whole where the table cut them to its width (a FittedTable)."""
    if isinstance(table, FittedTable):
        return [str(table.whole_row(row)[index]) for row in range(table.row_count)]
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


@dataclass
class ElectionWalk(Walk):
    """The walk of the three tests: at each step, besides the personal values, every raw
    key and unnamed code it sees, every field or button beyond the right edge, and what
    it showed (tests/screens/shown.py: the terminal as drawn and each widget's whole
    content, a rich table as a console prints it, so what the 24 rows leave out of view
    is read too, with markup read as the screen would)."""

    raw: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    placeholders_cut: list[str] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)
    voter: str = ""  # the matricule of the voter the walk calls about

    def look(self, where: str) -> str:
        text = super().look(where)
        self.raw.extend(f"{where}: {key}" for key in RAW_KEY.findall(text))
        self.raw.extend(f"{where}: {code}" for code in self.unnamed())
        app = self.pilot.app
        for widget in app.screen.query("*").results(FIELDS):
            region = widget.region
            if widget.display and region.width and region.right > app.size.width:
                self.cut.append(f"{where}: #{widget.id} {region}")
        for entry in app.screen.query(Input):
            hint = str(entry.placeholder)
            width = entry.content_region.width
            if entry.region and not entry.value and cell_len(hint) > width:  # laid out
                self.placeholders_cut.append(f"{where}: #{entry.id} « {hint} » ({width})")
        self.shown[where] = text
        return text

    def unnamed(self) -> Iterable[str]:
        screen = self.pilot.app.screen
        if isinstance(screen, JournalScreen):
            table = screen.query_one("#journal-table", DataTable)
            yield from set(column(table, 3)) - ACTIONS_SHOWN
            yield from set(column(table, 4)) - OUTCOMES_SHOWN
        elif isinstance(screen, InterventionTimelineScreen):
            table = screen.query_one("#timeline-table", DataTable)
            yield from set(column(table, 3)) - ACTIONS_SHOWN
            yield from set(column(table, 4)) - OUTCOMES_SHOWN
            for step in screen.timeline.steps if screen.timeline else ():
                yield from set(detail_keys(step.details)) - set(DETAIL_LABELS)
        elif isinstance(screen, JournalEntryScreen) and screen.detail is not None:
            detail = screen.detail
            yield from {detail.action} - set(ACTION_LABELS)
            yield from {detail.outcome} - set(OUTCOME_LABELS)
            yield from set(detail_keys(detail.details)) - set(DETAIL_LABELS)
        elif isinstance(screen, DashboardScreen):
            yield from set(column(screen.query_one("#dashboard-actions", DataTable), 0)) - (
                ACTIONS_SHOWN
            )
            yield from set(column(screen.query_one("#dashboard-outcomes", DataTable), 0)) - (
                OUTCOMES_SHOWN
            )


# ------------------------------------------------------- the whole walk, run once

_WALKED: dict[str, ElectionWalk] = {}


def name_everything_in_markup(deps: Deps) -> None:
    with deps.writing() as session:
        session.execute(
            update(Voter).values(
                last_name=Voter.last_name + f" {CLOSE}",
                first_name=f"{STYLED} " + Voter.first_name,
            )
        )
        session.execute(update(Bureau).values(name=f"{LINKED} " + Bureau.name))
        session.execute(update(Bureau).values(president_name=f"Président {CLOSE}"))
        session.execute(update(Operator).values(display_name=Operator.display_name + f" {CLOSE}"))


async def walked(deps: Deps, outbox: Path, election: str) -> ElectionWalk:
    """The walk on a voter of ``election``, run on the first call in this process (on
    ``deps``, its names then given markup) and remembered for the other tests that read
    it."""
    if election not in _WALKED:
        name_everything_in_markup(deps)
        _WALKED[election] = await _walk(CsuApp(deps, WORKSTATION), deps, outbox, election)
    return _WALKED[election]


def walked_voter(deps: Deps, election: str) -> DemoVoter:
    """The voter the walk calls about."""
    # Education voters have no work phone on record; those of 2011 no mobile either.
    return demo_voter(
        deps, election, mobile=election != MEN_2011, work_phone=election in (MINT, CCI)
    )


async def _walk(app: CsuApp, deps: Deps, outbox: Path, election: str) -> ElectionWalk:
    voter = walked_voter(deps, election)
    since = last_seq(deps)
    async with app.run_test(size=NARROW) as pilot:
        walk = ElectionWalk(pilot, personal_data(voter), typed=TYPED, voter=voter.matricule)
        await log_in(pilot, "superviseur")
        walk.look("recherche")
        await find_and_open(walk, voter)
        await reveal_window(walk)
        await open_by_phone(walk, voter)
        if election == MINT:
            await verify(walk, outbox, "otp_mobile", verify_birth_date=voter.birth_text)
            await issue(walk, "security_key")
            await revoke_window(walk)
            # No identifier by e-mail here (the matricule is on the arrêté): ctrl+d says so.
            await walk.press("ctrl+d")
            walk.on(VoterScreen)
            walk.look("identifiant refusé")
        elif election == MEN:
            await verify(walk, outbox, **by_numen(voter))
            await issue(walk, None)  # the vote code goes by link only
            await revoke_window(walk)
            await vote_code_link(walk)
        elif election == MEN_2011:
            await verify(walk, outbox, **by_department(voter))
            await issue(walk, None)  # the password shows on the voter's screen, by link
            await revoke_window(walk)
            await identifier(walk)
        else:
            assert election == CCI
            await verify(walk, outbox, "otp_email", verify_birth_date=voter.birth_text)
            await issue(walk, None)
            await revoke_window(walk)
            await substitution(walk)
        await messages(walk)
        await close_with_note(walk)
        await supervisor_desk(walk, deps, since)
        await walk.press("ctrl+o")
        walk.on(LoginScreen)
        walk.look("connexion après déconnexion")
        assert isinstance(pilot.app.screen.query_one("#login-title"), Static)
    return walk


WALKS = [
    pytest.param(election, id=election, marks=pytest.mark.xdist_group(f"walk-{election}"))
    for election in DEMO_ELECTIONS
]
"""The elections walked, as test parameters: an election's tests share a worker, so its
walk runs once."""
