"""A credential's entries say which credential and how it reached the voter, in the
words of the channel (issue 15): read out to a caller on the phone, handed over in
person in a polling station. The intervention's timeline, the journal review and an
entry's detail name them alike; an entry journalled before the channel was recorded
still gets a name.

The operator's part runs in their own session of the real app, the supervisor's in
another one on the same store.
"""

from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable

from csu.app import CsuApp
from csu.screens.intervention_timeline import InterventionTimelineScreen
from csu.screens.journal import JournalScreen
from csu.screens.journal_entry import JournalEntryScreen
from csu.services.context import Deps, OperatorContext
from csu.services.credentials import confirm_read_out, issue_credential
from csu.services.interventions import open_intervention
from csu.services.journal_review import ReviewFilter
from csu.services.verification import verify_identity
from csu.store import journal
from csu.store.journal import Actor
from tests.conftest import NOW
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    call_verified,
    card_and_iban,
    demo_voter,
    issue_ui,
    last_intervention,
    log_in,
    material_id,
    president_bureau,
    press,
    screen_text,
    settle,
)


async def president_hands_over_a_password(app: CsuApp, voter: DemoVoter) -> str:
    """S4 in the president's session: in-person check, a new password, « Remis en main
    propre »; returns the intervention."""
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter, login="president")
        await issue_ui(pilot)
    return last_intervention(app.deps)


async def agent_reads_out_a_key(app: CsuApp, voter: DemoVoter) -> str:
    """S1 in the agent's session: a call, a verification, a new security key, « Lu à
    l'appelant »; returns the intervention."""
    async with app.run_test(size=SIZE) as pilot:
        whole_iban = {**card_and_iban(voter), "verify_iban": voter.row["iban"]}
        await call_verified(pilot, voter, open_caller="01 23 45 67 89", answers=whole_iban)
        await issue_ui(pilot, "security_key")
    return last_intervention(app.deps)


def president_handed_over_a_password(deps: Deps, voter: DemoVoter) -> str:
    """The same S4 through the services (for the tests of the supervisor's screens)."""
    president = OperatorContext("president", "president", "bureau-de-vote", voter.bureau)
    opened = open_intervention(deps, president, voter.voter_id, "president")
    verify_identity(deps, president, opened.id, {"in_person": "carte_agent:9876"})
    issued = issue_credential(deps, president, opened.id, material_id(deps, voter), "password")
    confirm_read_out(deps, president, opened.id, issued.credential_id)
    return opened.id


def steps(app: CsuApp) -> list[str]:
    table = app.screen.query_one("#timeline-table", DataTable)
    return [str(table.get_row_at(row)[3]) for row in range(table.row_count)]


def actions(app: CsuApp) -> list[str]:
    table = app.screen.query_one("#journal-table", DataTable)
    return [str(table.get_row_at(row)[3]) for row in range(table.row_count)]


async def supervisor_opens(pilot: Pilot[Any], screen: Screen[Any]) -> None:
    await log_in(pilot, "superviseur")
    await pilot.app.push_screen(screen)
    await settle(pilot)


async def test_a_password_the_president_handed_over_reads_as_remis_en_main_propre(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    intervention = await president_hands_over_a_password(app, voter)
    desk = CsuApp(demo_deps, "poste-sup")
    async with desk.run_test(size=SIZE) as pilot:
        await supervisor_opens(pilot, InterventionTimelineScreen(intervention))
        assert "mot de passe délivré" in steps(desk)
        assert "mot de passe remis en main propre" in steps(desk)
        assert "appelant" not in screen_text(desk)


async def test_a_key_read_out_on_the_phone_reads_as_lue_a_l_appelant(
    app: CsuApp, demo_deps: Deps
) -> None:
    intervention = await agent_reads_out_a_key(app, demo_voter(demo_deps))
    desk = CsuApp(demo_deps, "poste-sup")
    async with desk.run_test(size=SIZE) as pilot:
        await supervisor_opens(pilot, InterventionTimelineScreen(intervention))
        assert "clé de sécurité délivrée" in steps(desk)
        assert "clé de sécurité lue à l'appelant" in steps(desk)


async def test_the_review_names_the_entries_as_the_timeline_does(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    intervention = president_handed_over_a_password(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await supervisor_opens(pilot, JournalScreen(ReviewFilter(intervention=intervention)))
        assert "mot de passe délivré" in actions(app)
        assert "mot de passe remis en main propre" in actions(app)


async def test_an_entry_s_detail_names_it_as_the_review_does(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    intervention = president_handed_over_a_password(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await supervisor_opens(pilot, JournalScreen(ReviewFilter(intervention=intervention)))
        table = app.screen.query_one("#journal-table", DataTable)
        table.move_cursor(row=actions(app).index("mot de passe remis en main propre"))
        await press(pilot, "enter")
        assert isinstance(app.screen, JournalEntryScreen)
        text = screen_text(app)
        assert "mot de passe remis en main propre" in text
        assert "présentiel via président" in text  # the channel, among the details


async def test_a_read_out_journalled_before_the_channel_was_recorded_still_has_a_name(
    app: CsuApp, demo_deps: Deps
) -> None:
    with demo_deps.writing() as session:
        for details in ({"kind": "security_key", "credential": 1}, {"credential": 2}):
            journal.append(
                session,
                actor=Actor(operator="agent", role="agent", workstation="poste-1"),
                action="credential_read_out",
                outcome="ok",
                at=NOW,
                election="minint-2022",
                intervention="ancienne-intervention",
                details=details,
            )
    async with app.run_test(size=SIZE) as pilot:
        where = ReviewFilter(intervention="ancienne-intervention")
        await supervisor_opens(pilot, JournalScreen(where))
        assert actions(app) == ["code communiqué", "clé de sécurité communiquée"]
