"""F8 says what waits to be chained (PostgreSQL's queue) and what is wrong with it, as
``csu audit verify`` does: it said nothing of the queue."""

from datetime import UTC, datetime

from csu.app import CsuApp
from csu.screens.integrity import IntegrityScreen, queue_text
from csu.services.audit import QueueHealth
from csu.store.sequencer import Pending
from tests.conftest import SUPERVISOR
from tests.screens.conftest import SIZE, screen_text
from tests.services.intervention_support import Desk, desk_fixture  # noqa: F401  ("desk")


def test_what_waits_and_what_is_wrong_are_said() -> None:
    health = QueueHealth(
        Pending(2, datetime(2022, 12, 2, 10, 0, tzinfo=UTC), 75.0),
        ("2 entrées attendent depuis plus de 60 s d'être intégrées à la chaîne",),
    )
    said = queue_text(health).plain
    assert said.startswith("File d'attente : 2 entrées en attente d'intégration à la chaîne")
    assert "\n• 2 entrées attendent depuis plus de 60 s" in said


async def test_f8_tells_the_queue_on_postgresql_and_nothing_of_it_on_sqlite(desk: Desk) -> None:
    app = CsuApp(desk.deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.logged_in(SUPERVISOR, "Superviseur de test")
        await pilot.pause()
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, IntegrityScreen)
        said = screen_text(app)
        assert "Journal intègre" in said
        queue = "File d'attente : aucune entrée en attente d'intégration."
        if desk.deps.engine.dialect.name == "postgresql":
            assert queue in said
        else:
            assert "File d'attente" not in said
