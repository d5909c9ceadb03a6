"""Snapshots of the voter file in each state of a call, for each demo election: the
path of the call (open, verify, act, close), its state and next step, and the header
on the election of the call.

Regenerate after an intended change with ``pytest tests/screens --snapshot-update``.
"""

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from csu.app import CsuApp
from csu.services.context import Deps
from csu.services.interventions import open_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.verification import verify_identity
from tests.conftest import AGENT
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    on_voter_file,
    press,
)

ELECTIONS = ("minint-2022", "men-2022", "cci-hdf-2021", "men-2011")
STATES = ("none", "open", "verified", "closed")


def answers(deps: Deps, voter: DemoVoter, intervention_id: str, outbox: Path) -> dict[str, str]:
    """What the caller of ``voter`` answers on the phone, by election."""
    if voter.election == "minint-2022":
        return {
            "birth_date": voter.birth_text,
            "agent_card": voter.row["carte_agent"][:6],
            "iban": voter.row["iban"][-6:],
        }
    if voter.election == "men-2022":
        return {"challenge_answer": voter.row["reponse_defi"], "numen": voter.row["numen"]}
    if voter.election == "men-2011":  # NUMEN + département of birth (seed 003)
        return {"numen": voter.row["numen"], "birth_department": voter.row["nir"][5:7]}
    send_one_time_code(deps, AGENT, intervention_id, "otp_email")
    return {"birth_date": voter.birth_text, "otp_email": mailed_code(outbox)}


def mailed_code(outbox: Path) -> str:
    """The one-time code of the last e-mail in the outbox (its body decoded)."""
    [path] = sorted(outbox.glob("*.eml"))[-1:]
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    [code] = re.findall(r"code de vérification est (\d+)", body.get_content())
    return str(code)


def prepare(deps: Deps, voter: DemoVoter, state: str, outbox: Path) -> None:
    """The call as it stands when the agent opens the file (through the services)."""
    if state == "none":
        return
    opened = open_intervention(deps, AGENT, voter.voter_id, "phone")
    if state in ("verified", "closed"):
        assert verify_identity(
            deps, AGENT, opened.id, answers(deps, voter, opened.id, outbox)
        ).verified


async def steady(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("election", ELECTIONS)
def test_voter_file_in_each_state_of_a_call(
    snap_compare: Any, app: CsuApp, demo_deps: Deps, outbox: Path, election: str, state: str
) -> None:
    voter = demo_voter(demo_deps, election)
    prepare(demo_deps, voter, state, outbox)

    async def walk(pilot: Pilot[Any]) -> None:
        await on_voter_file(pilot, voter)
        # The call prepared through the services is picked up at the login (« Intervention
        # en cours reprise », tests/screens/test_session_revoked.py): the picture is the file's.
        await pilot.app.workers.wait_for_complete()
        pilot.app.clear_notifications()
        if state == "closed":
            await press(pilot, "ctrl+w")
            await click(pilot, "#close-ok")
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=walk)
