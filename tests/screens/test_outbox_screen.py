"""The messages screen: a message the transport refused five times shows « échec »,
goes out again with « e » once the transport works, or is abandoned with « a »
(confirmed): its recipient and content are then erased."""

import dataclasses
from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Static

from csu.app import CsuApp
from csu.delivery.folder import FolderDelivery
from csu.screens.outbox import AbandonScreen, OutboxScreen, created_text
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, OperatorContext
from csu.services.identifier_delivery import send_identifier
from csu.services.interventions import close_intervention, open_intervention
from csu.services.outbox import MAX_ATTEMPTS, deliver
from csu.services.verification import verify_identity
from csu.store.tables import Material, OutboundMessage
from tests.conftest import NOW
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    journal_actions,
    log_in,
    notifications,
    on_voter_file,
    press,
    screen_text,
)
from tests.screens.shown import _drawn, header_election

SUPERVISOR = OperatorContext("superviseur", "superviseur", "poste-test")
MEN = "men-2011"  # seed 003: the identifier goes by e-mail


def failed_identifier(deps: Deps, voter: DemoVoter, tmp_path: Path) -> int:
    """The identifier of a men-2011 voter, e-mailed by a supervisor while the outbox
    folder cannot be created (its parent is a regular file): five refused attempts."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    broken = dataclasses.replace(deps, delivery=FolderDelivery(blocker / "outbox"))
    opened = open_intervention(broken, SUPERVISOR, voter.voter_id, "phone", election_id=MEN)
    verified = verify_identity(
        broken,
        SUPERVISOR,
        opened.id,
        {"numen": voter.row["numen"], "birth_department": voter.row["nir"][5:7]},
    )
    assert verified.verified
    with deps.reading() as session:
        material_id = session.exec(
            select(Material.id).where(Material.voter_id == voter.voter_id)
        ).one()
    assert material_id is not None
    sent = send_identifier(broken, SUPERVISOR, opened.id, material_id, to="pro")
    assert sent.delivery == "en attente"
    close_intervention(broken, SUPERVISOR, opened.id, "résolu")
    with deps.reading() as session:
        message_id = session.exec(
            select(OutboundMessage.id).where(OutboundMessage.voter_id == voter.voter_id)
        ).one()
    assert message_id is not None
    for _ in range(MAX_ATTEMPTS - 1):  # the retries, which _claim takes at once
        state = deliver(broken, [message_id])[message_id]
    assert state == "failed"
    return message_id


def rows(app: CsuApp) -> list[list[str]]:
    table = app.screen.query_one("#outbox-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


def stored(deps: Deps, message_id: int) -> OutboundMessage:
    with deps.reading() as session:
        row = session.get(OutboundMessage, message_id)
        assert row is not None
        session.expunge(row)
        return row


class TestOutboxScreen:
    async def test_a_voter_s_messages_keep_the_election_of_their_file_in_the_header(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, "cci-hdf-2021")
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            assert app.election is not None and app.election.id != "cci-hdf-2021"
            await press(pilot, "f6")
            assert isinstance(app.screen, OutboxScreen)
            line = header_election(app)
            assert line.startswith("cci-hdf-2021"), line  # not the agent's default election
            app.load_election()  # the default read again (a login, a new election loaded)
            await app.workers.wait_for_complete()
            await pilot.pause()
            line = header_election(app)
            assert line.startswith("cci-hdf-2021"), line

    async def test_at_80_columns_the_state_and_attempts_show_whole(
        self, app: CsuApp, demo_deps: Deps, tmp_path: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        failed_identifier(demo_deps, voter, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await on_voter_file(pilot, voter)
            await press(pilot, "f6")
            await pilot.pause(0.1)
            lines = _drawn(app).splitlines()
            at = next(i for i, line in enumerate(lines) if "Créé" in line)
            assert "État" in lines[at] and "Essais" in lines[at]
            row = lines[at + 1]
            assert row.split("échec", 1)[1].split()[0] == str(MAX_ATTEMPTS)

    async def test_at_80_columns_the_detail_gives_what_the_columns_cut(
        self, app: CsuApp, demo_deps: Deps, tmp_path: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        failed_identifier(demo_deps, voter, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await on_voter_file(pilot, voter)
            await press(pilot, "f6")
            await pilot.pause(0.1)
            detail = str(app.screen.query_one("#outbox-detail", Static).render())
        first, second, *_ = detail.splitlines()
        assert first.startswith("N° ") and "identifiant, courriel à " in first
        assert "@" in first and second.endswith("— échec")

    async def test_a_failed_message_is_resent_from_the_voter_file(
        self, app: CsuApp, demo_deps: Deps, outbox: Path, tmp_path: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        message_id = failed_identifier(demo_deps, voter, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            await press(pilot, "f6")
            screen = app.screen
            assert isinstance(screen, OutboxScreen) and screen.voter_id == voter.voter_id
            [row] = rows(app)
            assert row[0] == str(message_id)
            assert row[1] == "11:30" and row[2] == "identifiant" and row[3] == "courriel"
            assert "***@" in row[6] and voter.row["email_pro"] not in row[6]
            assert row[4:6] == ["échec", str(MAX_ATTEMPTS)]
            assert row[8].startswith("boîte d'envoi")  # cut: whole below the table
            assert "dont 1 en échec" in str(screen.query_one("#outbox-status", Static).content)
            assert "Dernière erreur : boîte d'envoi" in screen_text(app)  # in full, below
            assert screen.check_action("resend", ()) and screen.check_action("abandon", ())

            await press(pilot, "e")  # the default delivery works
            assert f"Message n° {message_id} renvoyé : envoyé." in notifications(app)
            [row] = rows(app)
            assert row[4] == "envoyé" and row[8] == ""
            assert not screen.check_action("resend", ())
            assert not screen.check_action("abandon", ())
            await press(pilot, "e")  # nothing to resend: no second message
            [mail] = list(outbox.glob("*.eml"))
            assert voter.identifier in mail.read_text(encoding="utf-8")

            await press(pilot, "escape")
            assert isinstance(app.screen, VoterScreen)
        actions = journal_actions(demo_deps)
        resent = actions.index(("message_resend", "ok"))
        assert actions[resent + 1] == ("message_sent", "ok")
        assert actions.count(("message_resend", "ok")) == 1
        assert stored(demo_deps, message_id).recipient_sealed is None  # sent: erased

    async def test_abandon_after_confirmation_erases_the_message(
        self, app: CsuApp, demo_deps: Deps, outbox: Path, tmp_path: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        message_id = failed_identifier(demo_deps, voter, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "superviseur")
            app.push_screen(OutboxScreen())  # every voter's messages
            await press(pilot)
            screen = app.screen
            assert isinstance(screen, OutboxScreen)
            assert "Messages aux électeurs" in screen_text(app)
            assert rows(app)[0][4] == "échec"

            await press(pilot, "a")
            assert isinstance(app.screen, AbandonScreen)
            await press(pilot, "escape")  # changed their mind
            assert app.screen is screen and rows(app)[0][4] == "échec"

            await press(pilot, "a")
            await click(pilot, "#abandon-ok")
            assert app.screen is screen
            assert rows(app)[0][4] == "abandonné"
            assert not screen.check_action("abandon", ())
            assert not screen.check_action("resend", ())
        row = stored(demo_deps, message_id)
        assert row.state == "abandoned"
        assert row.recipient_sealed is None and row.body_sealed is None
        assert ("message_abandon", "ok") in journal_actions(demo_deps)
        assert not list(outbox.glob("*"))


def test_created_today_shows_the_time_older_the_day() -> None:
    assert created_text(NOW, NOW) == "11:30"
    assert created_text(NOW.replace(day=1), NOW) == "01/12 11:30"


@pytest.mark.parametrize("purpose", ["password_link", "link_notice", "link_voided_notice",
                                     "letter", "otp", "substitution"])  # fmt: skip
def test_every_purpose_sent_is_named_in_french(purpose: str) -> None:
    """The list kept its own labels, without four purposes sent today: their internal
    names showed in the « Objet » column."""
    from csu.screens.outbox import PURPOSE_LABELS

    assert PURPOSE_LABELS[purpose] != purpose


@pytest.mark.parametrize("login", ["superviseur", "agent", "admin"])
async def test_f6_opens_every_voter_s_messages_from_the_look_up(login: str, app: CsuApp) -> None:
    """A supervisor found the failed deliveries only in the palette."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, login)
        await press(pilot, "f6")
        assert isinstance(app.screen, OutboxScreen)
        assert app.screen.voter_id is None


async def test_f6_tells_a_president_whose_screen_it_is(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        await press(pilot, "f6")
        assert not isinstance(app.screen, OutboxScreen)
    assert (
        "Écran réservé aux agents, aux superviseurs et aux administrateurs."
        in notifications(app)
    )
