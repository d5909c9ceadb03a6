"""The operator's open intervention on the voter file: channel, caller, verification
state and the timeline of its steps (from the journal). Hidden when there is none."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from csu.domain.clock import Clock, to_paris
from csu.domain.labels import entry_label, outcome_label
from csu.widgets.fitted_table import cut
from csu.widgets.plain import add_plain_row

if TYPE_CHECKING:
    from csu.services.interventions import OpenIntervention, Step

# How often the verification line is redrawn: a verification lapses after 10 minutes.
REFRESH_SECONDS = 5

MATCHES = "correspond au poste de travail enregistré"
# Said with how it compares: a caller's number and the work phone can read the same
# masked (« +33 1 ** ** ** 42 ») and differ in a hidden digit.
DOES_NOT_MATCH = "n'est pas le poste de travail enregistré (chiffres masqués compris)"
NOT_VERIFIED = "Identité non vérifiée"
RESULT = "Résultat"
OUTCOME_WIDTH = 12  # the longest outcome the panel keeps whole (« non vérifié »)
STEP_WIDTH = 14  # a step's longest words whole (« vérification »)


def is_verified(intervention: "OpenIntervention | None", now: datetime) -> bool:
    """Whether the intervention's verification still holds at ``now``."""
    until = intervention.verified_until if intervention is not None else None
    return until is not None and now < until


def summary_text(intervention: "OpenIntervention") -> Text:
    """Channel, opening time, caller (masked) and president, as the panel shows them."""
    text = Text()
    text.append(
        f"Canal : {intervention.channel_label}, depuis "
        f"{to_paris(intervention.opened_at):%H:%M:%S}"
    )
    if intervention.caller:
        region = f" ({intervention.caller_region})" if intervention.caller_region else ""
        text.append(f"\nAppelant : {intervention.caller}{region}")
        if intervention.caller_matches_work_phone is True:
            text.append(f" — {MATCHES}", style="green")
        elif intervention.caller_matches_work_phone is False:
            text.append(f" — {DOES_NOT_MATCH}", style="yellow")
    elif intervention.channel == "phone":
        text.append("\nAppelant : numéro non relevé")
    if intervention.president_login:
        bureau = intervention.president_bureau
        bureau = f" (bureau {bureau})" if bureau else ""
        text.append(f"\nPrésident : {intervention.president_login}{bureau}")
    return text


def verification_text(intervention: "OpenIntervention", now: datetime) -> Text:
    if is_verified(intervention, now):
        assert intervention.verified_until is not None
        return Text(
            f"Identité vérifiée jusqu'à {to_paris(intervention.verified_until):%H:%M}",
            style="bold green",
        )
    return Text(NOT_VERIFIED, style="bold yellow")


def timeline_table(steps: Sequence["Step"], *, seconds: bool = True) -> Table:
    """The steps, each outcome whole (at 80 columns the panel read « vér… » for
    « vérifié »); ``seconds``: the hours to the second."""
    outcomes = [outcome_label(step.outcome) for step in steps]
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False, pad_edge=False)
    # Headers on one line, cut if narrow: a wrapped header's first line went out of view
    # as the panel scrolls to its latest step (« l'interventi… » alone at 80 columns).
    # « Étape », not « Déroulé de l'intervention », which read « Déroulé de … » at 80.
    table.add_column("Heure", width=8 if seconds else 5, no_wrap=True)
    table.add_column(cut("Étape"), ratio=1)
    table.add_column(cut(RESULT), width=outcome_width(outcomes))
    for step, outcome in zip(steps, outcomes, strict=True):
        add_plain_row(
            table,
            f"{to_paris(step.at):%H:%M:%S}" if seconds else f"{to_paris(step.at):%H:%M}",
            entry_label(step.action, step.details),
            outcome,
        )
    return table


def outcome_width(outcomes: Sequence[str]) -> int:
    return max(len(RESULT), min(max(map(len, outcomes), default=0), OUTCOME_WIDTH))


class Timeline:
    """The steps' table for the width it is drawn in: where the seconds would leave the
    steps fewer than STEP_WIDTH columns (80 columns: « interven… »), the hours go
    without them."""

    def __init__(self, steps: Sequence["Step"]) -> None:
        self.steps = tuple(steps)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fixed = 8 + outcome_width([outcome_label(step.outcome) for step in self.steps]) + 4
        yield timeline_table(self.steps, seconds=options.max_width - fixed >= STEP_WIDTH)


class InterventionPanel(Vertical):
    """Shows an :class:`OpenIntervention` and its steps; ``show(None, [])`` hides it."""

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self.intervention: OpenIntervention | None = None
        self.steps: tuple[Step, ...] = ()
        self._shown: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        # Who calls and whether they are verified stay in view; the steps scroll below
        # them. The whole panel scrolled to its latest step, and at 80x24 a caller's number
        # that is not the voter's work phone went out of view above (newcomer run).
        yield Static(id="intervention-summary", markup=False)
        yield Static(id="intervention-verification", markup=False)
        with VerticalScroll(id="intervention-steps"):
            yield Static(id="intervention-timeline", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Intervention en cours"
        self.display = False
        self.set_interval(REFRESH_SECONDS, self._redraw_verification)

    def show(self, intervention: "OpenIntervention | None", steps: Sequence["Step"]) -> None:
        shown = (intervention, tuple(steps))
        if shown == self._shown:
            return
        self._shown = shown
        self.intervention = intervention
        self.steps = tuple(steps)
        self.display = intervention is not None
        if intervention is None:
            return
        self.query_one("#intervention-summary", Static).update(summary_text(intervention))
        self._redraw_verification()
        self.query_one("#intervention-timeline", Static).update(Timeline(steps))
        steps_view = self.query_one("#intervention-steps", VerticalScroll)
        self.call_after_refresh(steps_view.scroll_end, animate=False)  # the latest step

    @property
    def verified(self) -> bool:
        return is_verified(self.intervention, self._clock())

    def _redraw_verification(self) -> None:
        if self.intervention is not None:
            self.query_one("#intervention-verification", Static).update(
                verification_text(self.intervention, self._clock())
            )
