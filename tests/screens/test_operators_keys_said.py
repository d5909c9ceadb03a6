"""The operators desk names its keys as the workplace's keymap binds them: the summary
and a disabled operator's « create a new account » both said « n » whatever the key."""

from textual.widgets import Static

from csu.app import CsuApp
from csu.services.context import Deps
from csu.services.operators import add_operator, disable_operator
from tests.conftest import ADMIN
from tests.fakes import FAST_HASHER
from tests.screens.conftest import SIZE
from tests.screens.test_operators_screen import choose, open_operators


async def test_a_keymap_moving_create_is_said_in_the_summary_and_the_refusal(
    demo_deps: Deps,
) -> None:
    deps = Deps(engine=demo_deps.engine, key=demo_deps.key, clock=demo_deps.clock,
                hasher=FAST_HASHER)  # fmt: skip
    add_operator(deps, ADMIN, "camille", role="agent", password="Pluie-sur-Brest-42")
    disable_operator(deps, ADMIN, "camille", reason="départ")
    app = CsuApp(demo_deps, "poste-test", keymap={"operators-create": "c"})
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_operators(pilot)
        await choose(pilot, "camille")
        said = str(screen.query_one("#operators-status", Static).render())
        assert "c pour créer ; m, d, t, u sur l'opérateur choisi." in said
        assert "(touche c)" in said and "n pour créer" not in said
