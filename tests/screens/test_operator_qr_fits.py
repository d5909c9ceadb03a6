"""A new operator's enrolment window in an 80x24 terminal (a newcomer's tmux): the whole
QR code of the operator's otpauth URI shows at once, and the key to type by hand beside
it; the window used to show half of the code and scroll."""

from typing import Any

import pyotp
from sqlmodel import select
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from csu.app import CsuApp
from csu.domain import sealing
from csu.screens.operators import EnrolmentScreen, qr_text
from csu.services.context import Deps
from csu.services.operators import ISSUER, TOTP_PURPOSE
from csu.store.tables import Operator
from tests.screens.conftest import click, fill, log_in, press

SMALL = (80, 24)
PASSWORD = "Pluie-sur-Brest-42"


def seed_of(deps: Deps, login: str) -> str:
    with deps.reading() as session:
        row = session.exec(select(Operator).where(Operator.login == login)).one()
        return sealing.unseal(deps.key, TOTP_PURPOSE, row.totp_secret_sealed)


def wholly_on_screen(app: CsuApp, widget: Widget) -> bool:
    """Every cell of ``widget`` is in the terminal, none scrolled or cut away."""
    geometry = app.screen.find_widget(widget)
    terminal = app.screen.region
    return (
        geometry.clip.intersection(geometry.region) == geometry.region
        and terminal.intersection(geometry.region) == geometry.region
    )


async def create_c_martin(pilot: Pilot[Any]) -> EnrolmentScreen:
    await log_in(pilot, "admin")
    await press(pilot, "f9")
    await press(pilot, "n")
    fill(pilot, create_login="c.martin", create_name="Camille Martin",
         create_password=PASSWORD, create_password_again=PASSWORD)  # fmt: skip
    await click(pilot, "#create-ok")
    screen = pilot.app.screen
    assert isinstance(screen, EnrolmentScreen)
    return screen


async def test_the_whole_qr_code_of_the_new_operators_uri_is_on_screen_at_80x24(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        screen = await create_c_martin(pilot)
        qr = screen.query_one("#enrolment-qr", Static)
        uri = pyotp.TOTP(seed_of(demo_deps, "c.martin")).provisioning_uri(
            name="c.martin", issuer_name=ISSUER
        )
        drawn = qr_text(uri)
        assert str(qr.content) == drawn.plain
        lines = drawn.plain.splitlines()
        assert (qr.region.width, qr.region.height) == (len(lines[0]), len(lines))
        assert wholly_on_screen(app, qr)


async def test_the_key_to_type_by_hand_is_on_screen_beside_the_qr_code_at_80x24(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        screen = await create_c_martin(pilot)
        secret = screen.query_one("#enrolment-secret", Static)
        shown = str(secret.content).split(":", 1)[1].replace(" ", "")
        assert shown == seed_of(demo_deps, "c.martin")
        assert wholly_on_screen(app, secret)
