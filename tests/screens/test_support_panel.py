"""The panel of whom the voter calls (issue 14 §3), mounted on the voter file of the
running app as the voter file will mount it: a CCI voter's CCIL, the election's
numbers one line each, a warning when the roll names no known constituency."""

from typing import Any

from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import Static

from csu.app import CsuApp
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.store.tables import Voter
from csu.widgets.support_panel import SupportPanel
from tests.screens.conftest import SIZE, DemoVoter, demo_voter, on_voter_file, settle

INTERIOR_LINES = (
    "  - CSU électeurs : 01 80 15 43 21 (tous les jours du 01/12/22 au 08/12/22",
    "  - Support électeur de la plateforme (N° vert) : 0 800 808 900 (service et appel "
    "gratuits)",
    "  - Support électeur de la plateforme : 05 56 42 72 47 (tarif d'une communication "
    "nationale)",
)


async def panel_text(
    pilot: Pilot[Any], voter: DemoVoter, election_id: str | None = None
) -> tuple[str, str]:
    """The panel the voter file mounts for ``voter``: its text and its warning (shown
    or ""), for ``election_id`` when given."""
    await on_voter_file(pilot, voter)
    assert isinstance(pilot.app.screen, VoterScreen)
    await settle(pilot)
    panel = pilot.app.screen.query_one(SupportPanel)
    if election_id is not None:
        panel.show(voter.voter_id, election_id)
        await settle(pilot)
    warning = panel.query_one("#support-warning", Static)
    shown = str(warning.content) if warning.display else ""
    return str(panel.query_one("#support-body", Static).content), shown


def set_constituency(deps: Deps, voter: DemoVoter, constituency: str | None) -> None:
    with deps.writing() as session:
        session.execute(
            update(Voter).where(Voter.id == voter.voter_id).values(circonscription=constituency)  # type: ignore[arg-type]
        )


async def test_a_cci_voter_sees_their_ccils_phone_email_and_hours(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, "cci-hdf-2021")
    set_constituency(demo_deps, voter, "Artois")
    async with app.run_test(size=SIZE) as pilot:
        text, warning = await panel_text(pilot, voter)
    assert "CCIL Artois (circonscription Artois)" in text
    assert "  Téléphone : 03 21 23 24 24" in text.splitlines()
    assert "  Courriel : elections@artois.cci.fr" in text.splitlines()
    assert "  Horaires : du lundi au vendredi de 8h30 à 12h00 et de 13h30 à 17h00" in text
    assert warning == ""


async def test_an_interior_voter_sees_the_elections_numbers_one_line_each(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, "minint-2022")
    async with app.run_test(size=SIZE) as pilot:
        text, warning = await panel_text(pilot, voter)
    lines = text.splitlines()
    assert lines[0] == "Assistance aux électeurs — minint-2022"
    numbers = [line for line in lines if line.startswith("  - ")]
    assert len(numbers) == 3
    for expected, line in zip(INTERIOR_LINES, numbers, strict=True):
        assert line.startswith(expected)
    assert "CCIL" not in text and warning == ""


async def test_a_constituency_no_ccil_answers_for_is_a_warning(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, "cci-hdf-2021")
    set_constituency(demo_deps, voter, "Bretagne")
    async with app.run_test(size=SIZE) as pilot:
        text, warning = await panel_text(pilot, voter)
    assert warning.startswith("⚠ La liste électorale indique « Bretagne » pour cet électeur")
    assert "aucune CCIL connue" in warning and "CCIL" not in text


async def test_no_constituency_on_the_roll_is_a_warning_too(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, "cci-hdf-2021")
    set_constituency(demo_deps, voter, None)
    async with app.run_test(size=SIZE) as pilot:
        _, warning = await panel_text(pilot, voter)
    assert "indique aucune circonscription pour cet électeur" in warning


async def test_an_election_the_voter_does_not_vote_in_is_said_in_french(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, "minint-2022")
    async with app.run_test(size=SIZE) as pilot:
        text, warning = await panel_text(pilot, voter, "cci-hdf-2021")
    assert text == "Numéros d'assistance indisponibles : Cet électeur ne vote pas à ce scrutin."
    assert warning == ""


async def test_the_panel_follows_another_voter(app: CsuApp, demo_deps: Deps) -> None:
    interior = demo_voter(demo_deps, "minint-2022")
    cci = demo_voter(demo_deps, "cci-hdf-2021")
    async with app.run_test(size=SIZE) as pilot:
        await panel_text(pilot, interior)
        panel = app.screen.query_one(SupportPanel)
        panel.show(cci.voter_id)
        await settle(pilot)
        assert panel.view is not None and panel.view.election_id == "cci-hdf-2021"
        assert "CCIL" in str(panel.query_one("#support-body", Static).content)
