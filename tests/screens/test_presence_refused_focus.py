"""S2 from the agent's side: the president declined to attest. The verification window
had nothing to type (the attestation is the whole set) and, the refusal shown, no
button had the cursor: Entrée did nothing until Tab. « Redemander au président » now
takes it."""

from sqlmodel import col, select
from textual.widgets import Button

from csu.app import CsuApp
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps, OperatorContext
from csu.services.presence import decline_presence
from csu.store.tables import PresenceCheck
from tests.screens.conftest import SIZE, demo_voter, in_call, president_bureau, press, settle


async def test_after_the_presidents_refusal_enter_asks_again(
    app: CsuApp, demo_deps: Deps
) -> None:
    bureau = president_bureau(demo_deps)
    voter = demo_voter(demo_deps, bureau=bureau)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="president", open_president="president")
        await press(pilot, "ctrl+e")
        window = app.screen
        assert isinstance(window, VerifyScreen)
        with demo_deps.reading() as session:
            latest = select(PresenceCheck).order_by(col(PresenceCheck.id).desc())
            asked = session.exec(latest).first()
            assert asked is not None
        president = OperatorContext("president", "president", "poste-president", bureau)
        decline_presence(demo_deps, president, asked.id, "La personne est repartie sans pièce.")
        window.poll_presence()
        await settle(pilot)
        ask = window.query_one("#verify-ask", Button)
        assert ask.display and window.focused is ask
        await press(pilot, "enter")
        await settle(pilot)
        assert not ask.display  # asked again
