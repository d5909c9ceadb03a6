"""Calls on a demo voter closed some minutes ago, through the services, for the screens
that count them or alert on them (dashboard, alerts): « escaladé » opens a case in the
supervisors' queue (issue 14 §5), « redirigé » sends the caller to self-service (§2)."""

import dataclasses
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from csu.domain.clock import fixed_clock
from csu.services.context import Deps
from csu.services.interventions import close_intervention, open_intervention
from csu.store.tables import Escalation
from tests.conftest import AGENT, NOW
from tests.screens.conftest import demo_voter

REASON = "l'électeur conteste son bureau de vote : rappel demandé"


def closed_call(
    deps: Deps, outcome: str, minutes_ago: int = 0, election: str = "minint-2022"
) -> str:
    """An agent's call on a demo voter of ``election`` closed with ``outcome``
    ``minutes_ago``; the intervention's id."""
    then = dataclasses.replace(deps, clock=fixed_clock(NOW - timedelta(minutes=minutes_ago)))
    voter = demo_voter(deps, election)
    call = open_intervention(then, AGENT, voter.voter_id, "phone")
    note = REASON if outcome == "escaladé" else ""
    close_intervention(then, AGENT, call.id, outcome, note)
    return call.id


def escalate(deps: Deps, minutes_ago: int = 0, election: str = "minint-2022") -> int:
    """A call closed « escaladé » ``minutes_ago``; the id of its case."""
    intervention = closed_call(deps, "escaladé", minutes_ago, election)
    with deps.reading() as session:
        return session.execute(
            select(col(Escalation.id)).where(col(Escalation.intervention_id) == intervention)
        ).scalar_one()
