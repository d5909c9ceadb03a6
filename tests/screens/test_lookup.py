"""Finding a voter as you type, and opening the file: masked, journalled."""

import pytest
from sqlmodel import select
from textual.widgets import Input

from csu.app import CsuApp
from csu.screens import lookup
from csu.screens.help import HelpScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, ServiceError
from csu.store.tables import Material, Voter
from tests.screens.conftest import SIZE, journal_actions, log_in, screen_text


def a_voter(deps: Deps, bureau: str | None = None) -> Voter:
    with deps.reading() as session:
        query = select(Voter).join(Material, Material.voter_id == Voter.id)
        if bureau:
            query = query.where(Material.bureau_code == bureau)
        return session.exec(query.where(Voter.email_pro.is_not(None)).limit(1)).one()  # type: ignore[union-attr]


async def search(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.click("#search")
    await pilot.press(*text)
    await pilot.pause(0.3)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_file(pilot, matricule: str) -> None:  # type: ignore[no-untyped-def]
    """Find a voter by matricule and open the file (Enter opens the first hit)."""
    await search(pilot, matricule)
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_matricule_typed_in_lower_case_finds_the_voter(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = a_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await search(pilot, voter.matricule.lower())
        text = screen_text(app)
        assert voter.matricule in text and voter.last_name in text
        assert "1 électeur —" in text


async def test_a_matricule_read_out_in_groups_finds_the_voter_and_enter_opens_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    # « mi 0424 2421 », as read out over the phone, found nothing.
    voter = a_voter(demo_deps)
    m = voter.matricule.lower()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_file(pilot, f"{m[:2]} {m[2:6]} {m[6:]}")
        assert isinstance(app.screen, VoterScreen)
        assert app.screen.voter_id == voter.id


async def test_a_matricule_a_character_short_says_one_may_be_missing(
    app: CsuApp, demo_deps: Deps
) -> None:
    # « MI0424242 » found nobody and said nothing more.
    voter = a_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await search(pilot, voter.matricule[:-1])
        assert lookup.CUT_SHORT in screen_text(app)


async def test_a_matricule_no_longer_one_starts_says_nobody_only(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await search(pilot, "ZZ9999999")
        assert lookup.NOBODY in screen_text(app)
        assert lookup.CUT_SHORT not in screen_text(app)


async def test_a_president_is_not_told_of_longer_matricules(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = a_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        await search(pilot, voter.matricule[:-1])
        assert lookup.CUT_SHORT not in screen_text(app)


async def test_a_name_prefix_finds_voters_in_either_order(app: CsuApp, demo_deps: Deps) -> None:
    voter = a_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await search(pilot, f"{voter.first_name} {voter.last_name[:3]}")
        assert voter.matricule in screen_text(app)


async def test_enter_opens_the_file_with_contacts_masked(app: CsuApp, demo_deps: Deps) -> None:
    voter = a_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_file(pilot, voter.matricule)
        assert isinstance(app.screen, VoterScreen)
        text = screen_text(app)
        assert voter.matricule in text and "Matériel de vote" in text
        assert voter.email_pro is not None and voter.email_pro not in text
        assert "***@" in text


async def test_searches_and_consultations_are_journalled(app: CsuApp, demo_deps: Deps) -> None:
    voter = a_voter(demo_deps)
    before = len(journal_actions(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_file(pilot, voter.matricule)
    actions = [action for action, _ in journal_actions(demo_deps)[before:]]
    assert "recherche" in actions and "consultation" in actions


async def test_f1_lists_the_keys_of_the_screen(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Déconnexion" in text and "Chercher" in text


async def test_a_supervisor_reveals_a_masked_field_with_a_reason(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = a_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await open_file(pilot, voter.matricule)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.click("#reveal-reason")
        await pilot.press(*"appel du président", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert voter.email_pro is not None and voter.email_pro in screen_text(app)
        assert not any(voter.email_pro in n.message for n in app._notifications)
    assert ("révélation", "ok") in journal_actions(demo_deps)


async def test_an_agent_cannot_reveal(app: CsuApp, demo_deps: Deps) -> None:
    voter = a_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_file(pilot, voter.matricule)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, VoterScreen)
    assert "révélation" not in [action for action, _ in journal_actions(demo_deps)]


async def test_a_refused_search_is_told_to_the_agent_in_french(
    app: CsuApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_: object, **__: object) -> list[object]:
        raise ServiceError("Recherche refusée : base en maintenance.")

    monkeypatch.setattr("csu.screens.lookup.search_voters", refused)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await search(pilot, "Mar")
        # one notice per search run as the keys came in: the same sentence each time
        assert {n.message for n in app._notifications} == {
            "Recherche refusée : base en maintenance."
        }


def searches(deps: Deps) -> int:
    return sum(1 for action, _ in journal_actions(deps) if action == "recherche")


async def test_keystrokes_are_not_each_journalled(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "SETTLE_SECONDS", 60)  # the agent never pauses here
    voter = a_voter(demo_deps)
    before = searches(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await search(pilot, voter.matricule)
        assert voter.matricule in screen_text(app)  # results shown as typed
        assert searches(demo_deps) == before


async def test_the_search_a_voter_is_opened_from_is_journalled_once(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "SETTLE_SECONDS", 60)
    voter = a_voter(demo_deps)
    before = searches(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await open_file(pilot, voter.matricule)
        await pilot.app.workers.wait_for_complete()
    assert searches(demo_deps) == before + 1


async def test_a_search_the_agent_pauses_on_is_journalled_once(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "SETTLE_SECONDS", 0.2)
    voter = a_voter(demo_deps)
    before = searches(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        app.screen.query_one("#search", Input).value = voter.matricule  # pasted at once
        await pilot.pause(0.5)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.5)
        await pilot.app.workers.wait_for_complete()
    assert searches(demo_deps) == before + 1
