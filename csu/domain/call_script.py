"""Call scripts: each election's procedure per scenario, as its organiser wrote it.

An election file carries, under ``[scripts.S1]`` .. ``[scripts.S8]`` (the scenarios of
DESIGN.md that the election has), the steps an agent follows in order: where to
redirect the voter first (self-service), what to ask, what to say, what to do, and
what is forbidden. A step may name the journal entries that prove it done
(``done_when``): the checklist of an intervention ticks itself from its journal.

:func:`check_scripts` checks the file's table (called by the election parser) and
returns it as plain JSON values; :func:`scripts_of` builds the frozen scripts of a
definition; :func:`progress` says, for the facts of one intervention, which steps are
done and which comes next. No I/O here.
"""

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from csu.domain.actions import ACTIONS
from csu.domain.election import CREDENTIAL_KINDS
from csu.domain.escalation import CLOSE_OUTCOMES as ESCALATION_OUTCOMES
from csu.domain.interventions import OUTCOMES as INTERVENTION_OUTCOMES
from csu.domain.substitution import REFUSED as SUBSTITUTION_REFUSED
from csu.domain.substitution import STATE_LABELS as SUBSTITUTION_STATES

if TYPE_CHECKING:
    from csu.domain.election import ElectionDefinition, _Reader

SCENARIOS: dict[str, str] = {
    "S1": "Clé de sécurité perdue, par téléphone",
    "S2": "Par le président du bureau de vote",
    "S3": "Mot de passe perdu : données secrètes",
    "S4": "Le président réinitialise le mot de passe",
    "S5": "Matériel de substitution",
    "S6": "Réassort du code de vote",
    "S7": "Électeur sans notice",
    "S8": "Codes à usage unique",
}
"""The scenarios of DESIGN.md, with their French titles."""

STEP_KINDS: dict[str, str] = {
    "redirect": "orienter d'abord",
    "ask": "demander",
    "say": "dire",
    "act": "faire",
}
"""What a step asks of the agent, with its French label."""

STEP_STATES: dict[str, str] = {
    "done": "fait",
    "passed": "passé",
    "next": "étape suivante",
    "todo": "à faire",
}
"""Where a step stands in an intervention: ``done`` (its journal entry is there),
``passed`` (a later step is done: asked or said without a trace of its own, or left
aside), ``next`` (the first step neither done nor passed), ``todo``."""

FAILED_OUTCOMES: frozenset[str] = frozenset({"non vérifié", "refusé", "refusée"})
"""Journal outcomes that prove nothing done (a failed verification, a refusal)."""

_OK = frozenset({"ok"})
JOURNAL_DETAILS: dict[str, frozenset[str]] = {
    "intervention_open": _OK,
    "intervention_close": frozenset(INTERVENTION_OUTCOMES),
    "consultation": _OK,  # « refusé » (outside the bureau) names no intervention
    "verification": frozenset({"vérifié", "non vérifié", "refusé"}),
    "presence_request": _OK,
    "presence_attest": frozenset({"attesté"}),
    "presence_decline": frozenset({"refusé"}),
    "otp_send": _OK,
    "credential_issue": frozenset({"ok", *CREDENTIAL_KINDS}),
    "credential_read_out": frozenset({"ok", *CREDENTIAL_KINDS}),
    "credential_revoke": frozenset({"ok", *CREDENTIAL_KINDS}),
    "vote_code_link_send": frozenset({"ok", "password"}),  # a vote code's link names no kind
    "vote_code_redeem": _OK,
    "identifier_send": _OK,
    "message_queue": _OK,
    "message_sent": _OK,
    "message_failed": frozenset({"pending", "failed"}),
    "message_resend": _OK,
    "message_abandon": _OK,
    "substitution_request": frozenset(SUBSTITUTION_STATES.values()),
    "substitution_refuse": frozenset({SUBSTITUTION_STATES[SUBSTITUTION_REFUSED]}),
    "substitution_grant": _OK,
    "escalation_open": _OK,
    "escalation_take": _OK,
    "escalation_callback": _OK,
    "escalation_close": frozenset(ESCALATION_OUTCOMES),
}
"""The journal actions whose entries name an intervention, each with the outcomes and
kinds of code (``details["kind"]``) those entries carry, as the services write them
(csu.services.interventions, verification, presence, credentials, vote_codes, outbox,
substitution, escalation...): all a ``done_when`` may name. Any other action or detail
is never among an intervention's facts, and its step would never tick."""

MAX_STEPS = 30
MAX_TEXT = 600


@dataclass(frozen=True)
class Evidence:
    """A journal entry that proves a step done: its ``action``, and when given,
    ``detail`` equal to the entry's outcome or to the kind of code it concerns
    (``credential_issue:security_key``, ``intervention_close:redirigé``)."""

    action: str
    detail: str | None = None

    def matches(self, fact: "Fact") -> bool:
        if fact.action != self.action or fact.outcome in FAILED_OUTCOMES:
            return False
        return self.detail is None or self.detail in (fact.outcome, fact.kind)

    def __str__(self) -> str:
        return self.action if self.detail is None else f"{self.action}:{self.detail}"


@dataclass(frozen=True)
class Fact:
    """What a journal entry of the intervention says, for the checklist."""

    action: str
    outcome: str
    kind: str | None = None


@dataclass(frozen=True)
class ScriptStep:
    number: int  # from 1, in the file's order
    kind: str  # a key of STEP_KINDS
    text: str  # French, as the agent reads it
    done_when: tuple[Evidence, ...] = ()  # any one suffices

    @property
    def kind_label(self) -> str:
        return STEP_KINDS[self.kind]


@dataclass(frozen=True)
class CallScript:
    """One scenario's procedure in one election."""

    scenario: str  # S1..S8
    title: str
    steps: tuple[ScriptStep, ...]
    when: str | None = None  # when the script applies, in the caller's words
    forbidden: tuple[str, ...] = ()  # what the agent must never do

    @property
    def redirects(self) -> tuple[ScriptStep, ...]:
        """The self-service routes to offer first."""
        return tuple(step for step in self.steps if step.kind == "redirect")


@dataclass(frozen=True)
class StepProgress:
    step: ScriptStep
    state: str  # a key of STEP_STATES

    @property
    def state_label(self) -> str:
        return STEP_STATES[self.state]


# --------------------------------------------------------------------------- rules


def progress(
    script: CallScript, facts: Iterable[Fact], *, closed: bool = False
) -> tuple[StepProgress, ...]:
    """Each step's state given the intervention's journal facts: a step is done when
    one of its evidences is among the facts; every step before the last one done
    counts as passed; the first step after it is next. Once the intervention is
    ``closed`` nothing is next: the steps not done were left aside (passed)."""
    seen = tuple(facts)
    done = [any(e.matches(f) for e in step.done_when for f in seen) for step in script.steps]
    last_done = max((index for index, flag in enumerate(done) if flag), default=-1)
    states: list[str] = []
    next_given = False
    for index, flag in enumerate(done):
        if flag:
            states.append("done")
        elif index < last_done or closed:
            states.append("passed")
        elif not next_given:
            states.append("next")
            next_given = True
        else:
            states.append("todo")
    pairs = zip(script.steps, states, strict=True)
    return tuple(StepProgress(step, state) for step, state in pairs)


def next_step(states: Sequence[StepProgress]) -> ScriptStep | None:
    """The step to do now, or None when every step is done or passed."""
    return next((s.step for s in states if s.state == "next"), None)


def likely_scenario(
    scripts: dict[str, CallScript], facts: Iterable[Fact], first: str | None = None
) -> str | None:
    """The scenario whose steps the intervention's journal proves most (ties: ``first``,
    the one the call's channel points to, then the file's order); None when the
    election has no script."""
    seen = tuple(facts)
    best: tuple[int, str] | None = None
    ordered = sorted(scripts.items(), key=lambda item: item[0] != first)  # stable
    for code, script in ordered:
        score = sum(1 for s in progress(script, seen) if s.state == "done")
        if best is None or score > best[0]:
            best = (score, code)
    return best[1] if best else None


def scenario_of_channel(channel: str, operator_role: str | None) -> str | None:
    """In person, the scenario is known before anything is done: S4 in a president's
    own intervention, S2 in an agent's that a president attests; None otherwise."""
    if channel != "president":
        return None
    return "S4" if operator_role == "president" else "S2"


PRESIDENTS_OWN = "S4"
"""The president's own intervention: in no one else's list, and the only one in theirs."""


def scripts_for(scripts: dict[str, CallScript], role: str | None) -> dict[str, CallScript]:
    """The scripts an operator of ``role`` follows (all with None: a supervisor reading
    another's call). An agent was offered S4's « Mettre à disposition un nouveau mot de
    passe », which only a president's own intervention may do (newcomer run). An
    election without the role's scenarios keeps them all, as before."""
    if role is None:
        return scripts
    own = role == "president"
    kept = {code: s for code, s in scripts.items() if (code == PRESIDENTS_OWN) == own}
    return kept or scripts


def scripts_of(definition: "ElectionDefinition") -> dict[str, CallScript]:
    """The election's scripts, by scenario, in the file's order."""
    return {code: _build(code, raw) for code, raw in definition.scripts.items()}


# --------------------------------------------------------------------------- reading


def check_scripts(r: "_Reader", value: object) -> dict[str, Any]:
    """Checks ``[scripts]`` of an election file (or its JSON form) and returns it as
    plain JSON values, in the same shape."""
    spec = r.table(value, "scripts", SCENARIOS)
    result: dict[str, Any] = {}
    for code, raw in spec.items():
        path = f"scripts.{code}"
        script = r.table(raw, path, ("title", "when", "forbidden", "steps"), ("steps",))
        checked: dict[str, Any] = {
            "title": _text(r, script.get("title", SCENARIOS[code]), f"{path}.title")
        }
        if "when" in script:
            checked["when"] = _text(r, script["when"], f"{path}.when")
        forbidden = r.texts(script.get("forbidden", []), f"{path}.forbidden", allow_empty=True)
        checked["forbidden"] = [_text(r, item, f"{path}.forbidden") for item in forbidden]
        steps = script["steps"]
        if not isinstance(steps, list) or not steps:
            r.fail(f"{path}.steps", f"au moins une étape attendue ([[{path}.steps]])")
        if len(steps) > MAX_STEPS:
            r.fail(f"{path}.steps", f"{MAX_STEPS} étapes au plus")
        checked["steps"] = [
            _check_step(r, step, f"{path}.steps[{number}]")
            for number, step in enumerate(steps, start=1)
        ]
        result[code] = checked
    return result


def _check_step(r: "_Reader", value: object, path: str) -> dict[str, Any]:
    step = r.table(value, path, ("kind", "text", "done_when"), ("kind", "text"))
    kind = r.choice(step["kind"], f"{path}.kind", STEP_KINDS, "type d'étape")
    checked: dict[str, Any] = {"kind": kind, "text": _text(r, step["text"], f"{path}.text")}
    raw = step.get("done_when", [])
    evidences = [raw] if isinstance(raw, str) else raw
    names = r.texts(evidences, f"{path}.done_when", allow_empty=True)
    for number, name in enumerate(names, start=1):
        fault = evidence_fault(name)
        if fault is not None:
            r.fail(f"{path}.done_when[{number}]", fault)
    if names:
        checked["done_when"] = list(names)
    return checked


def evidence_fault(name: str) -> str | None:
    """Why ``name`` (``action`` or ``action:detail``) could never tick a step, in French;
    None when an intervention's journal can hold it (:data:`JOURNAL_DETAILS`)."""
    action, _, detail = name.partition(":")
    if action not in ACTIONS:
        return (
            f"action du journal inconnue « {action} »{_hint(action, ACTIONS)} (ex. "
            "verification, credential_issue:security_key, intervention_close:redirigé)"
        )
    held = JOURNAL_DETAILS.get(action)
    if held is None:
        return (
            f"l'action « {action} » n'est jamais rattachée à une intervention : "
            "elle ne coche aucune étape"
        )
    ticking = sorted(held - FAILED_OUTCOMES)
    if not ticking:
        return f"l'action « {action} » est toujours un échec : elle ne coche aucune étape"
    if not detail:
        return None
    if detail in held - set(ticking):
        return f"« {detail} » est un échec : il ne coche aucune étape"
    if detail not in ticking:
        return (
            f"précision inconnue « {detail} » pour {action}{_hint(detail, ticking)} "
            f"(précisions possibles : {', '.join(ticking)})"
        )
    return None


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" ; vouliez-vous dire « {close[0]} » ?" if close else ""


def _text(r: "_Reader", value: object, path: str) -> str:
    text = r.text(value, path)
    if len(text) > MAX_TEXT:
        r.fail(path, f"{MAX_TEXT} caractères au plus")
    return text


def _build(code: str, raw: dict[str, Any]) -> CallScript:
    steps = tuple(
        ScriptStep(
            number=number,
            kind=step["kind"],
            text=step["text"],
            done_when=tuple(_evidence(name) for name in step.get("done_when", ())),
        )
        for number, step in enumerate(raw["steps"], start=1)
    )
    return CallScript(
        scenario=code,
        title=raw.get("title", SCENARIOS[code]),
        steps=steps,
        when=raw.get("when"),
        forbidden=tuple(raw.get("forbidden", ())),
    )


def _evidence(name: str) -> Evidence:
    action, _, detail = name.partition(":")
    return Evidence(action, detail or None)
