"""The election's procedure beside the voter file (issue 14 §2): the checklist of the
intervention, as its organiser wrote it, that follows the call.

With an intervention, the panel shows its scenario (chosen from what the journal shows
done, or by the agent among the election's others), the self-service routes to offer
first, the steps with ✓ for those done and the next one highlighted (and repeated at the
top, always in view), what is forbidden, and the election's support numbers and hours;
once the intervention is closed, no next step but « Appel terminé ». Without one, the
election's scenarios and a line saying how to start. It reads through
csu.services.call_script in a thread worker (no journal entry: a checklist shows no
personal data); the voter file calls :meth:`CallScriptPanel.show` each time it reloads
after an action, so a step ticks as soon as its action is done.
"""

from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from csu.domain.errors import InvalidValue
from csu.screens.base import browser_words
from csu.services.call_script import (
    Checklist,
    ScriptSummary,
    StepView,
    checklist,
    election_scripts,
)
from csu.services.context import ServiceError
from csu.widgets.intervention_words import CALL, InterventionWords
from csu.widgets.plain import PlainSelect

if TYPE_CHECKING:
    from csu.app import CsuApp

MARKS: dict[str, str] = {"done": "✓", "passed": "–", "next": "▶", "todo": "○"}
"""How a step's state shows before its number."""

_MEANINGS = {"done": "fait", "passed": "passé", "next": "à faire maintenant", "todo": "ensuite"}
LEGEND = " · ".join(f"{MARKS[state]} {said}" for state, said in _MEANINGS.items()) + (
    " · ✗ interdit"
)
"""The marks said once under the steps: a newcomer met « – », « ○ », « ▶ » and « ✗ »
explained nowhere."""


def step_text(step: StepView) -> Text:
    """« ✓ 3. Vérifier l'identité… », the next step followed by « étape suivante »."""
    text = Text()
    text.append(f"{MARKS.get(step.state, ' ')} {step.number}. ", style="bold")
    text.append(step.text, style="bold" if step.state == "next" else "")
    if step.state == "next":
        text.append(f"  ← {step.state_label}", style="bold")
    return text


def in_browser_words(view: Checklist) -> Checklist:
    """The checklist as a browser's page says it: a step of the election's file that
    names ctrl+n or ctrl+w, which the browser keeps, names alt+n or alt+w."""
    return replace(
        view,
        when=browser_words(view.when) if view.when else view.when,
        steps=tuple(replace(step, text=browser_words(step.text)) for step in view.steps),
        forbidden=tuple(browser_words(line) for line in view.forbidden),
    )


def support_text(view: Checklist) -> str:
    support = view.support
    lines = [f"Assistance aux électeurs : {support.support_phone}"]
    if support.csu_phone:
        lines.append(f"Cellule de support (CSU) : {support.csu_phone}")
    if support.hours:
        lines.append(f"Horaires : {support.hours}")
    return "\n".join(lines)


class NextStepBox(VerticalScroll, can_focus=False):
    """The step to do now, scrolled within half the panel: never focused (Tab went to it
    when it was hidden or empty); the mouse wheel scrolls it."""


def scenario_label(code: str, title: str) -> str:
    return f"{code} — {title}"


class CallScriptPanel(Vertical):
    """The checklist of one intervention, or the scenarios of one election: the
    scenario and the next step stay in view, the rest scrolls below them."""

    DEFAULT_CSS = """
    CallScriptPanel {
        height: 1fr; padding: 0 1;
        border: round $secondary; border-title-color: $secondary; border-title-style: bold;
    }
    CallScriptPanel Static { height: auto; }
    CallScriptPanel #script-heading { text-style: bold; }
    CallScriptPanel #script-scenario { margin: 0; text-style: bold; }
    CallScriptPanel #script-next-box { height: auto; max-height: 50%; }
    CallScriptPanel #script-next { background: $accent 30%; text-style: bold; }
    CallScriptPanel #script-next.-finished { background: $success 20%; text-style: none; }
    CallScriptPanel #script-body { height: 1fr; }
    CallScriptPanel.-idle #script-body { height: auto; }
    CallScriptPanel #script-content { height: auto; }
    CallScriptPanel .script-section { text-style: bold; margin-top: 1; color: $secondary; }
    CallScriptPanel .script-when { color: $text-muted; text-style: italic; }
    CallScriptPanel .script-step.-done, CallScriptPanel .script-step.-passed {
        color: $text-muted;
    }
    CallScriptPanel .script-step.-next { background: $accent 30%; }
    CallScriptPanel .script-forbidden { color: $error; }
    CallScriptPanel .script-legend { color: $text-muted; margin-top: 1; }
    """

    BORDER_TITLE = CALL.panel_title

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.intervention_id: str | None = None
        self.election_id: str | None = None
        self.hint = ""
        self.pinned: str | None = None  # the scenario the agent chose (None: the journal's)
        self.checklist: Checklist | None = None
        self.scenarios: tuple[ScriptSummary, ...] = ()
        self.switch_key = ""  # the screen's key to choose another scenario, as a word
        self._election_shown: str | None = None  # the election the title names

    @property
    def words(self) -> InterventionWords:
        """The words of the intervention the screen is on (a call, a visit, a request by
        e-mail), read from it, never copied."""
        words = getattr(self.screen, "words", CALL)
        return words if isinstance(words, InterventionWords) else CALL

    def compose(self) -> ComposeResult:
        # The scenario followed: a one-line choice when the election has others.
        yield PlainSelect(
            [], id="script-scenario", allow_blank=True, prompt="Procédure", compact=True
        )
        yield Static("Chargement de la procédure…", id="script-heading", markup=False)
        # The step to do now, always in view; the list may be longer than the panel. A
        # long step scrolls in its half of the panel: at 80×24 one took the whole panel,
        # cut, and the list below was out of reach.
        with NextStepBox(id="script-next-box"):
            yield Static(id="script-next", markup=False)
        with VerticalScroll(id="script-body"):
            yield Vertical(id="script-content")

    def on_mount(self) -> None:
        self._show_choice(False)
        self._show_next(False)

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    # --- what the voter file asks ---------------------------------------------------

    def show(self, intervention_id: str | None, election_id: str | None, hint: str = "") -> None:
        """The checklist of ``intervention_id``, or (None) the scenarios of
        ``election_id`` under ``hint`` (how to start). Read again on every call: the
        file calls it after each action."""
        if intervention_id != self.intervention_id:
            self.pinned = None
        self.intervention_id, self.election_id, self.hint = intervention_id, election_id, hint
        self.load()

    def choose(self, scenario: str) -> None:
        """The agent follows ``scenario`` (S1..S8) for this intervention."""
        self.pinned = scenario
        self.load()

    def follow(self, scenario: str) -> None:
        """A window of ``scenario`` opened (F7: S5): the panel shows its procedure, unless
        the agent chose one or the election has none such. Left to the journal's steps, a
        code sent to verify an S5 caller showed S8, whose steps it ticked."""
        shown = self.checklist
        if self.pinned is not None or shown is None or shown.scenario == scenario:
            return
        if any(other.scenario == scenario for other in shown.others):
            self.choose(scenario)

    @property
    def can_switch(self) -> bool:
        """Whether another scenario of the election may be chosen."""
        return self.checklist is not None and bool(self.checklist.others)

    def open_choice(self) -> None:
        """Focuses the scenario choice, opened."""
        select = self.query_one("#script-scenario", Select)
        if select.display:
            select.focus()
            select.expanded = True

    # --- reading --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="call-script", exit_on_error=False)
    def load(self) -> None:
        who = self.csu.operator
        if who is None:
            return  # logged out meanwhile
        deps = self.csu.deps
        intervention_id, election_id, pinned = self.intervention_id, self.election_id, self.pinned
        if intervention_id is not None:
            view = checklist(deps, who, intervention_id, pinned)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._show_checklist, view)
        elif election_id is not None:
            scripts = election_scripts(deps, who, election_id)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._show_scripts, election_id, scripts)
        else:
            self.app.call_from_thread(self._show_scripts, None, ())

    def _title(self, election_id: str | None) -> None:
        """« Procédure d'appel — minint-2022 », or without the election where the frame
        is too narrow for both (half of 80 columns cut it to « minint-20… »): the header
        names the election in focus."""
        self._election_shown = election_id
        title = self.words.panel_title
        whole = f"{title} — {election_id}" if election_id else title
        room = self.size.width - 4  # the frame's corners and a space each side
        self.border_title = whole if not self.size.width or cell_len(whole) <= room else title

    def on_resize(self) -> None:
        if self.border_title:
            self._title(self._election_shown)

    async def _show_checklist(self, view: Checklist) -> None:
        if self.app.is_web:
            view = in_browser_words(view)
        self.checklist, self.scenarios = view, ()
        self.remove_class("-idle")
        self._title(view.election_id)
        heading = self.query_one("#script-heading", Static)
        heading.update(scenario_label(view.scenario, view.title))
        heading.display = not view.others
        self.border_subtitle = (
            f"{self.switch_key} : autre procédure" if view.others and self.switch_key else ""
        )
        self._fill_choice(view)
        upcoming = next((step for step in view.steps if step.state == "next"), None)
        next_line = self.query_one("#script-next", Static)
        if view.closed:
            # As the file's « Étape suivante : Appel terminé »: a call closed early (a
            # locked voter, a refusal) left steps undone, none of them is next.
            said = Text(self.words.closed_line)
        elif upcoming is not None:
            # « Procédure », not « Étape suivante » as the call's path above says: the
            # two disagreed (« Vérifiez l'identité » there, the self-service route here).
            said = Text(f"▶ Procédure, étape {upcoming.number} : {upcoming.text}")
        else:
            said = Text("✓ Procédure suivie : aucune étape restante.")
        if said.plain != str(next_line.content):  # a new step: its start in view
            self.query_one("#script-next-box", VerticalScroll).scroll_home(animate=False)
        next_line.update(said)
        next_line.set_class(upcoming is None, "-finished")
        self._show_next(True)
        widgets: list[Widget] = []
        if view.when:
            widgets.append(Static(view.when, classes="script-when", markup=False))
        redirects = [step for step in view.steps if step.kind == "redirect"]
        others = [step for step in view.steps if step.kind != "redirect"]
        for title, steps in (("À proposer d'abord", redirects), ("Étapes", others)):
            if steps:
                widgets.append(Static(title, classes="script-section", markup=False))
                widgets += [
                    Static(step_text(step), classes=f"script-step -{step.state}", markup=False)
                    for step in steps
                ]
        if view.forbidden:
            widgets.append(Static("Interdit", classes="script-section"))
            widgets += [
                Static(f"✗ {line}", classes="script-forbidden", markup=False)
                for line in view.forbidden
            ]
        if view.steps:
            widgets.append(Static(LEGEND, classes="script-legend", markup=False))
        widgets.append(Static("Numéros et horaires", classes="script-section"))
        widgets.append(Static(support_text(view), markup=False))
        await self._replace(widgets)

    async def _show_scripts(
        self, election_id: str | None, scripts: tuple[ScriptSummary, ...]
    ) -> None:
        self.checklist, self.scenarios = None, scripts
        self.add_class("-idle")
        self._show_next(False)
        self._title(election_id)
        self.border_subtitle = ""
        self.query_one("#script-heading", Static).display = False
        self._show_choice(False)
        # Briefly: the call has not started, the file needs the room.
        text = Text()
        text.append("Procédures : ", style="bold")
        text.append(
            " ; ".join(scenario_label(s.scenario, s.title) for s in scripts)
            if scripts
            else "ce scrutin n'en donne aucune."
        )
        widgets: list[Widget] = [Static(text, markup=False)]
        if self.hint:
            widgets.append(Static(self.hint, classes="script-when", markup=False))
        await self._replace(widgets)

    def _fill_choice(self, view: Checklist) -> None:
        select: Select[str] = self.query_one("#script-scenario", Select)
        self._show_choice(bool(view.others))
        if not view.others:
            return
        summaries = sorted(
            ((view.scenario, view.title), *((s.scenario, s.title) for s in view.others))
        )
        # Filled by the panel, not chosen by the agent: no Changed to act on.
        with self.prevent(Select.Changed):
            select.set_options((scenario_label(code, title), code) for code, title in summaries)
            select.value = view.scenario

    def _show_next(self, shown: bool) -> None:
        """Shows or hides the next step's box, its line with it."""
        self.query_one("#script-next-box", VerticalScroll).display = shown
        self.query_one("#script-next", Static).display = shown

    def _show_choice(self, shown: bool) -> None:
        """Shows or hides the scenario choice. Hidden, it is disabled too, its list
        included: Textual's auto-focus skips only disabled widgets, and would give it
        the file's focus, where Entrée opened an invisible list."""
        select = self.query_one("#script-scenario", Select)
        select.display = shown
        select.disabled = not shown
        if not shown and select.has_focus:
            select.blur()

    @on(Select.Changed, "#script-scenario")
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        if isinstance(value, str) and (self.checklist is None or value != self.checklist.scenario):
            self.choose(value)

    async def _replace(self, widgets: list[Widget]) -> None:
        content = self.query_one("#script-content", Vertical)
        await content.remove_children()
        await content.mount_all(widgets)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The panel's own worker: its failure shows here, in French, not as a traceback.
        if event.state is not WorkerState.ERROR:
            return
        error: Any = event.worker.error
        self.checklist = None
        self.border_title, self.border_subtitle = self.words.panel_title, ""
        self._show_next(False)
        self._show_choice(False)
        self.query_one("#script-heading", Static).display = False
        message = (
            f"Procédure indisponible : {error}"
            if isinstance(error, ServiceError | InvalidValue)
            else "Procédure indisponible : réessayez."
        )
        await self._replace([Static(message, markup=False)])
