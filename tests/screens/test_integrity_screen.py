"""The integrity screen (F8): the chain checked with a progress bar, the result, and the
latest signed checkpoint held up against the journal."""

from typing import Any

from textual.pilot import Pilot
from textual.widgets import ProgressBar

from csu.app import CsuApp
from csu.domain.checkpoint import NoteSigner
from csu.domain.journal import ChainCheck
from csu.screens.integrity import IntegrityScreen, result_text
from csu.services.checkpoints import (
    CheckpointPolicy,
    IntegrityReport,
    latest_checkpoint,
    sign_checkpoint,
)
from csu.services.context import Deps
from tests.conftest import SUPERVISOR
from tests.screens.conftest import SIZE, log_in, screen_text
from tests.services.test_checkpoint_whitewash import delete_checkpoint_rows
from tests.services.test_checkpoints import truncate
from tests.store.test_journal import spoil_body, tamper

SIGNER = NoteSigner.generate("csu.test/demo")


async def checked_by_a_supervisor(pilot: Pilot[Any]) -> None:
    """A supervisor logged in, then F8: the screen once the chain is checked."""
    await log_in(pilot, "superviseur")
    await pilot.press("f8")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_supervisor_sees_an_intact_journal_and_no_checkpoint_yet(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        assert isinstance(app.screen, IntegrityScreen)
        text = screen_text(app)
        assert "Journal intègre" in text
        assert "Aucun point de contrôle signé" in text


async def test_no_checkpoint_yet_says_whether_it_matters_and_whom_to_ask(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        text = " ".join(screen_text(app).split())
        assert "rien d'anormal au début du scrutin" in text
        assert "Demandez à l'administrateur" in text


async def test_with_the_cell_s_public_key_and_no_checkpoint_it_says_both_cases(
    app: CsuApp,
) -> None:
    """Not « rien d'anormal »: a journal cut back to before its first checkpoint, the
    checkpoint's row with it, leaves just that."""
    app.checkpoint_verifier = SIGNER.verifier
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        text = " ".join(screen_text(app).split())
        assert "mais le journal n'est pas conforme" in text
        assert "alors que la clé publique de la cellule est configurée" in text
        assert "Si aucun n'a encore été signé (début du scrutin)" in text
        assert "rien d'anormal" not in text


async def test_the_progress_bar_ends_full(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        bar = app.screen.query_one("#integrity-progress", ProgressBar)
        assert bar.total is not None and bar.progress == bar.total


async def test_the_screen_names_the_first_altered_entry(app: CsuApp, demo_deps: Deps) -> None:
    spoil_body(demo_deps.engine, 3)
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        text = screen_text(app)
        assert "Journal altéré" in text
        assert "n° 3 : empreinte incorrecte" in text


async def test_the_latest_checkpoint_is_shown_signed_and_matching(
    app: CsuApp, demo_deps: Deps
) -> None:
    signed = sign_checkpoint(demo_deps, SUPERVISOR, SIGNER)
    app.checkpoint_verifier = SIGNER.verifier
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        text = screen_text(app)
        assert f"{signed.size} entrées, signé le 02/12/2022 à 11:30" in text
        assert "Clé « csu.test/demo »" in text
        assert "Signature : vérifiée" in text
        assert "Journal : conforme" in text


async def test_a_checkpoint_the_journal_no_longer_holds_is_flagged(
    app: CsuApp, demo_deps: Deps
) -> None:
    signed = sign_checkpoint(demo_deps, SUPERVISOR, SIGNER)
    truncate(demo_deps, signed.size - 2)
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        text = screen_text(app)
        assert "Signature : non vérifiée" in text
        assert "mais le journal ne contient plus ce que le dernier point de contrôle" in text
        assert "Journal : non conforme : journal plus court que le point de contrôle" in text


async def test_f5_checks_again(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        spoil_body(demo_deps.engine, 2)
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "n° 2 : empreinte incorrecte" in screen_text(app)


async def test_the_terminal_signs_a_checkpoint_when_one_is_due(
    app: CsuApp, demo_deps: Deps
) -> None:
    app.checkpoints = CheckpointPolicy(SIGNER, "csu.test/demo", every_entries=1000)
    async with app.run_test(size=SIZE) as pilot:
        app._sign_due()  # what the app's timer calls every CHECKPOINT_SECONDS
        # Its own worker only: the login screen's exclusive workers may be replaced
        # (cancelled) meanwhile, which waiting for all of them would report.
        [signing] = [worker for worker in app.workers if worker.group == "checkpoint"]
        await signing.wait()
        await pilot.pause()
    view = latest_checkpoint(demo_deps, SUPERVISOR, SIGNER.verifier)
    assert view is not None
    assert (view.created_by, view.signature) == ("système", "vérifiée")


async def test_a_supervisor_is_told_when_the_terminal_refuses_to_sign(
    app: CsuApp, demo_deps: Deps
) -> None:
    app.checkpoints = CheckpointPolicy(SIGNER, "csu.test/demo", every_entries=1)
    spoil_body(demo_deps.engine, 2)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        app._sign_due()
        [signing] = [worker for worker in app.workers if worker.group == "checkpoint"]
        await signing.wait()
        await pilot.pause()
        told = [n.message for n in app._notifications if n.title == "Point de contrôle"]
        assert told and "Point de contrôle refusé : journal altéré : entrée 2" in told[0]


async def test_a_checkpoint_the_journal_mentions_but_the_base_lost_is_flagged(
    app: CsuApp, demo_deps: Deps
) -> None:
    signed = sign_checkpoint(demo_deps, SUPERVISOR, SIGNER)
    delete_checkpoint_rows(demo_deps.engine)
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        text = " ".join(screen_text(app).split())
        assert "Aucun point de contrôle signé" not in text
        assert "mais le journal n'est pas conforme" in text
        assert (
            f"Le journal mentionne un point de contrôle (entrée n° {signed.size + 1}, "
            f"{signed.size} entrées) absent de la base : suppression suspecte"
        ) in text
        assert "Aucun point de contrôle en base, alors que le journal en mentionne 1" in text


async def test_a_checkpoint_row_a_hand_made_unreadable_is_named(
    app: CsuApp, demo_deps: Deps
) -> None:
    sign_checkpoint(demo_deps, SUPERVISOR, SIGNER)
    columns = "size, root_hash, origin, key_name, key_id, note, created_at, created_by"
    copied = columns.replace("created_at", "'garbage'")
    tamper(demo_deps.engine, f"INSERT INTO checkpoint ({columns}) SELECT {copied} FROM checkpoint")
    async with app.run_test(size=SIZE) as pilot:
        await checked_by_a_supervisor(pilot)
        text = " ".join(screen_text(app).split())
        assert "mais le journal n'est pas conforme" in text
        assert "Point de contrôle n° 2 illisible : date d'enregistrement « garbage » invalide" in (
            text
        )


def test_the_result_counts_entries_as_the_review_does() -> None:
    report = IntegrityReport(ChainCheck(30_028, "0" * 64))
    assert result_text(report).plain == "Journal intègre : 30\u202f028 entrées vérifiées."
