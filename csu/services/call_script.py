"""The call script beside the voter file: the election's procedure for a scenario, as a
checklist that follows the intervention.

The steps come from the election's file (``[scripts.S1]`` .. ``[scripts.S8]``, see
:mod:`csu.domain.call_script`); a step ticks itself when the intervention's journal
holds the entry that proves it (a verification, a key issued, a link sent, the call
closed as « redirigé vers le libre-service »...), and the first step left is the next
until the intervention is closed.
The view carries codes (step kinds and states) with their French labels, and the
election's support numbers and hours, which the agent gives the caller.

On PostgreSQL an action's journal entry may wait in the sequencer's queue for a
moment after its commit: the checklist reads the queued entries too, so that a step
ticks as soon as its action is done.

Reading a checklist shows no personal data (the procedure and which actions were
done): it writes no journal entry. :func:`redirected_count` counts the calls closed
as redirected to self-service, for the dashboard.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from csu.domain.call_script import (
    SCENARIOS,
    CallScript,
    Fact,
    likely_scenario,
    progress,
    scenario_of_channel,
    scripts_for,
    scripts_of,
)
from csu.domain.election import ElectionDefinition, describe_support_hours
from csu.domain.interventions import REDIRECTED
from csu.domain.roles import Role
from csu.services.context import Deps, NotFound, OperatorContext, ServiceError, require_role
from csu.services.elections import get_definition
from csu.services.sessions import require_live_session
from csu.store import journal
from csu.store.tables import Intervention, JournalEntry, Operator


@dataclass(frozen=True, slots=True)
class ScriptSummary:
    """A scenario the election has a script for."""

    scenario: str  # S1..S8
    title: str
    when: str | None


@dataclass(frozen=True, slots=True)
class StepView:
    number: int  # from 1
    kind: str  # redirect, ask, say, act
    kind_label: str  # « orienter d'abord », « demander »...
    text: str
    state: str  # done, passed, next, todo
    state_label: str  # « fait », « passé », « étape suivante », « à faire »


@dataclass(frozen=True, slots=True)
class SupportInfo:
    """What the agent may give the caller: the election's numbers and hours."""

    support_phone: str
    csu_phone: str | None
    hours: str  # French, e.g. « pendant le vote : tous les jours, 09:00–18:00 »


@dataclass(frozen=True, slots=True)
class Checklist:
    """One scenario's procedure, where the intervention stands in it."""

    election_id: str
    scenario: str
    title: str
    when: str | None
    steps: tuple[StepView, ...]
    next_step: int | None  # the number of the step to do now; None: all done or passed
    redirects: tuple[str, ...]  # the self-service routes to offer first
    forbidden: tuple[str, ...]
    support: SupportInfo
    others: tuple[ScriptSummary, ...]  # the election's other scenarios, to switch to
    closed: bool = False  # the intervention is closed: the call is over, nothing is next


# Who follows a call's checklist: those who take calls, and who oversees them. An
# election's procedures are no secret: anyone logged in may read them (an administrator
# looking at a file sees them too, not « none »).
CALL_TAKERS: tuple[Role, ...] = ("agent", "president", "superviseur")


def election_scripts(
    deps: Deps, who: OperatorContext, election_id: str
) -> tuple[ScriptSummary, ...]:
    """The scenarios the election has a script for that ``who`` follows, in the file's
    order."""
    with deps.reading() as session:
        definition = get_definition(session, election_id)
    return tuple(_summary(s) for s in scripts_for(scripts_of(definition), who.role).values())


def checklist(
    deps: Deps, who: OperatorContext, intervention_id: str, scenario: str | None = None
) -> Checklist:
    """The checklist of an intervention (its own operator's, or any for a supervisor):
    ``scenario`` (S1..S8) if given, else the scenario its journal follows most (the
    election's first when nothing is done yet)."""
    require_role(deps, who, *CALL_TAKERS)
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        row = session.get(Intervention, intervention_id)
        if row is None or (row.operator_login != who.login and who.role != "superviseur"):
            raise NotFound("Intervention introuvable.")
        if row.election_id is None:
            raise ServiceError("Cette intervention ne relève d'aucune élection.")
        definition = get_definition(session, row.election_id)
        hint = _scenario_of_channel(session, who, row)
        facts = tuple(_fact(fields) for fields in _journal_of(session, intervention_id))
        closed = row.closed_at is not None
        own = row.operator_login == who.login
    # Those its operator follows (a supervisor reading another's call: them all).
    scripts = scripts_for(scripts_of(definition), who.role if own else None)
    if not scripts:
        raise ServiceError(f"L'élection {definition.id} ne donne aucune procédure d'appel.")
    if scenario is None:
        scenario = likely_scenario(scripts, facts, first=hint)
    if scenario not in scripts:
        known = ", ".join(f"{code} ({s.title})" for code, s in scripts.items())
        label = SCENARIOS.get(scenario or "", scenario)
        raise ServiceError(
            f"L'élection {definition.id} n'a pas de procédure pour « {label} » : {known}."
        )
    return _view(definition, scripts[scenario], facts, scripts, closed=closed)


def redirected_count(
    deps: Deps,
    who: OperatorContext,
    election_id: str | None = None,
    since: datetime | None = None,
) -> int:
    """How many interventions were closed as « redirigé vers le libre-service »: in one
    election or all, since a moment (aware) or ever; for the dashboard's readers."""
    require_role(deps, who, "superviseur", "admin")  # who reads the dashboard
    require_live_session(deps, who)  # a disabled account reads nothing more
    redirected = Intervention.outcome == REDIRECTED
    query = select(func.count()).select_from(Intervention).where(redirected)
    if election_id is not None:
        query = query.where(Intervention.election_id == election_id)
    if since is not None:
        query = query.where(Intervention.closed_at >= since)  # type: ignore[operator]
    with deps.reading() as session:
        return int(session.execute(query).scalar_one())


# ----------------------------------------------------------------------- helpers


def _journal_of(session: Session, intervention_id: str) -> list[dict[str, Any]]:
    """What the intervention's journal says, chained entries and (PostgreSQL) those still
    queued for the sequencer: an action's entry counts from its commit, not from its
    integration. The queue is read first: an entry integrated between the two reads
    then shows in both (kept once, by its event id), never in neither."""
    queued = journal.waiting(session, intervention=intervention_id)
    entries = (
        session.execute(
            select(JournalEntry)
            .where(JournalEntry.intervention == intervention_id)
            .order_by(JournalEntry.seq)  # type: ignore[arg-type]
        )
        .scalars()
        .all()
    )
    chained = [journal.entry_fields(entry) for entry in entries]
    seen = {fields.get("event_id") for fields in chained}
    return chained + [fields for fields in queued if fields.get("event_id") not in seen]


def _fact(fields: dict[str, Any]) -> Fact:
    details = fields.get("details") or {}
    kind = details.get("kind") if isinstance(details, dict) else None
    return Fact(
        action=str(fields.get("action", "")),
        outcome=str(fields.get("outcome", "")),
        kind=kind if isinstance(kind, str) else None,
    )


def _summary(script: CallScript) -> ScriptSummary:
    return ScriptSummary(script.scenario, script.title, script.when)


def _view(
    definition: ElectionDefinition,
    script: CallScript,
    facts: tuple[Fact, ...],
    scripts: dict[str, CallScript],
    *,
    closed: bool,
) -> Checklist:
    states = progress(script, facts, closed=closed)
    steps = tuple(
        StepView(
            number=s.step.number,
            kind=s.step.kind,
            kind_label=s.step.kind_label,
            text=s.step.text,
            state=s.state,
            state_label=s.state_label,
        )
        for s in states
    )
    upcoming = next((s.number for s in steps if s.state == "next"), None)
    return Checklist(
        election_id=definition.id,
        scenario=script.scenario,
        title=script.title,
        when=script.when,
        steps=steps,
        next_step=upcoming,
        redirects=tuple(step.text for step in script.redirects),
        forbidden=script.forbidden,
        support=SupportInfo(
            support_phone=definition.support_phone,
            csu_phone=definition.csu_phone,
            hours=describe_support_hours(definition),
        ),
        others=tuple(_summary(s) for code, s in scripts.items() if code != script.scenario),
        closed=closed,
    )


def _scenario_of_channel(session: Session, who: OperatorContext, row: Intervention) -> str | None:
    """The scenario the intervention's channel and its operator's role point to."""
    if row.channel != "president":
        return None
    role = who.role if row.operator_login == who.login else session.execute(
        select(Operator.role).where(Operator.login == row.operator_login)
    ).scalar_one_or_none()
    return scenario_of_channel(row.channel, role)
