"""From the integrity check (F8) to the entry it names: Entrée, or a click on the result,
opens it in the review's entry window with why it does not check; the key shows only
when there is such an entry. And the journal's own alarms on the alerts desk (F4): a
checkpoint the terminal refused to sign, an entry set aside from the queue, each with
what to do."""

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from csu.app import CsuApp
from csu.domain import alerts as rules
from csu.domain.checkpoint import NoteSigner
from csu.screens.alerts import AlertsScreen
from csu.screens.integrity import IntegrityScreen
from csu.screens.journal_entry import JournalEntryScreen
from csu.services.checkpoints import CheckpointPolicy, CheckpointRefused, sign_due_checkpoint
from csu.services.context import Deps
from csu.store import journal, sequencer
from csu.store.journal import Actor
from csu.widgets.footer import KeysFooter
from tests.conftest import NOW
from tests.screens.conftest import SIZE, log_in, notifications, press, screen_text, settle
from tests.store.test_journal import spoil_body, tamper

OPEN = "Ouvrir l'entrée en défaut"
SIGNER = NoteSigner.generate("csu.test/f8")


def offered(app: CsuApp) -> set[str]:
    """The descriptions of the keys the current screen's footer shows."""
    return {
        str(key.description)
        for key in app.screen.query_one(KeysFooter).query(FooterKey)
        if key.display
    }


def status(app: CsuApp) -> str:
    return str(app.screen.query_one("#integrity-status", Static).content)


async def checked(pilot: Pilot[Any]) -> None:
    """A supervisor on F8, the chain checked and the footer laid out."""
    await log_in(pilot, "superviseur")
    await press(pilot, "f8")
    await settle(pilot)
    await pilot.pause(0.1)  # the footer lays its keys out once they have their width
    assert isinstance(pilot.app.screen, IntegrityScreen)


class TestOpenFromF8:
    async def test_an_intact_journal_offers_no_entry_to_open(self, app: CsuApp) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await checked(pilot)
            assert "Journal intègre" in screen_text(app)
            assert OPEN not in offered(app)
            assert "Entrée :" not in status(app)
            await press(pilot, "enter")
            assert isinstance(app.screen, IntegrityScreen)

    async def test_enter_opens_the_altered_entry_and_says_why(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        spoil_body(demo_deps.engine, 3)
        async with app.run_test(size=SIZE) as pilot:
            await checked(pilot)
            assert OPEN in offered(app)
            assert "Entrée : ouvrir l'entrée n° 3." in status(app)
            await press(pilot, "enter")
            await settle(pilot)
            window = app.screen
            assert isinstance(window, JournalEntryScreen) and window.seq == 3
            text = " ".join(screen_text(app).split())
            assert "Entrée n° 3 du journal" in text
            assert "Vérification du journal : première entrée en défaut : empreinte" in text
            assert "Ce qui suit est ce que l'entrée dit maintenant" in text
            assert "Quand" in text and "Résultat" in text  # what the entry says, in full
            await press(pilot, "escape")
            assert isinstance(app.screen, IntegrityScreen)

    async def test_a_click_on_the_result_opens_the_entry(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        spoil_body(demo_deps.engine, 2)
        async with app.run_test(size=SIZE) as pilot:
            await checked(pilot)
            await pilot.click("#integrity-result")
            await settle(pilot)
            assert isinstance(app.screen, JournalEntryScreen) and app.screen.seq == 2

    async def test_a_deleted_entry_is_said_missing(self, app: CsuApp, demo_deps: Deps) -> None:
        tamper(demo_deps.engine, "DELETE FROM journal_entry WHERE seq = 5")
        async with app.run_test(size=SIZE) as pilot:
            await checked(pilot)
            assert "n° 5 :" in screen_text(app)
            await press(pilot, "enter")
            await settle(pilot)
            assert isinstance(app.screen, JournalEntryScreen)
            missing = "Entrée non affichée : Entrée n° 5 introuvable dans le journal."
            assert missing in screen_text(app)

    async def test_an_entry_no_longer_readable_is_said_so(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # (SQLite's index columns are read from the body: it stays JSON.)
        tamper(
            demo_deps.engine,
            "UPDATE journal_entry SET body = json_set(body, '$.ts', 'hier') WHERE seq = 4",
        )
        async with app.run_test(size=SIZE) as pilot:
            await checked(pilot)
            await press(pilot, "enter")
            await settle(pilot)
            text = " ".join(screen_text(app).split())
            assert "Entrée n° 4 illisible : son contenu n'est plus celui d'une entrée" in text
            assert not [n for n in notifications(app) if "Erreur inattendue" in n]


# --- the alerts desk --------------------------------------------------------------------


def refused_checkpoint(deps: Deps) -> None:
    """The terminal tried to sign over an altered journal, and journalled its refusal."""
    spoil_body(deps.engine, 2)
    with pytest.raises(CheckpointRefused):
        sign_due_checkpoint(deps, CheckpointPolicy(SIGNER, "csu.test/f8"), "poste-1")


def set_aside(deps: Deps) -> None:
    """An entry as the sequencer chains in place of a row of the queue it cannot chain."""
    with deps.writing() as session:
        journal.append(
            session,
            actor=Actor(operator="système", role=None, workstation="serveur"),
            action=sequencer.SET_ASIDE,
            outcome="refusé",
            at=NOW,
            details={"reason": "champ « ts » absent", "queue": 3},
        )


async def on_alert(pilot: Pilot[Any], kind: str) -> str:
    """F4, the cursor on the first alert of ``kind``: what the screen says to do."""
    await log_in(pilot, "superviseur")
    await press(pilot, "f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AlertsScreen)
    row = next(i for i, view in enumerate(screen.alerts) if view.alert.kind == kind)
    screen.query_one("#alerts-table", DataTable).move_cursor(row=row)
    await settle(pilot)
    advice = screen.query_one("#alerts-advice", Static)
    assert advice.display
    title, said = str(advice.content).split("\n")
    assert title == screen.alerts[row].alert.title  # in full: the table cuts it
    return said


class TestAlertDesk:
    async def test_a_refused_checkpoint_is_listed_with_what_to_do(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        refused_checkpoint(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            advice = await on_alert(pilot, rules.CHECKPOINT_REFUSED)
            assert advice.startswith("Que faire : Ouvrez l'intégrité (F8)")
            text = screen_text(app)
            assert "point de contrôle refusé" in text
            assert "Le terminal a refusé de signer un point de contrôle" in text

    async def test_an_entry_set_aside_is_listed_with_what_to_do_and_opens(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        set_aside(demo_deps)
        async with app.run_test(size=SIZE) as pilot:
            advice = await on_alert(pilot, rules.SET_ASIDE)
            assert "sans passer par CSU" in advice
            assert "entrée écartée de la file" in screen_text(app)
            await press(pilot, "enter")  # the review on that entry
            await settle(pilot)
            from csu.screens.journal import JournalScreen

            assert isinstance(app.screen, JournalScreen)
            assert app.screen.where.seqs is not None and len(app.screen.where.seqs) == 1

    async def test_the_other_alerts_show_no_advice_line(self, app: CsuApp, demo_deps: Deps) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "superviseur")
            await press(pilot, "f4")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, AlertsScreen)
            assert not any(view.alert.kind in (rules.CHECKPOINT_REFUSED, rules.SET_ASIDE)
                           for view in screen.alerts)  # fmt: skip
            assert not screen.query_one("#alerts-advice", Static).display
