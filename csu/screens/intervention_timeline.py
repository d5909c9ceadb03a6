"""An intervention as its timeline, for supervisors: who handled it, for which voter,
how it ended, and each step from the journal. Entrée opens a step's entry.

Reading it is journalled (it names the voter). Recorded values and the closing
note show with any e-mail address or phone number in them masked.
"""

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from csu.domain.entry_details import factors_of
from csu.domain.labels import channel_label, entry_label, factor_label, labelled, outcome_label
from csu.domain.masking import mask_personal_data
from csu.screens.base import CsuScreen
from csu.services.journal_review import Timeline, TimelineStep, intervention_timeline
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.shell_header import ShellHeader

# Each column as wide as its widest cell while the table has room, the widest shrinking
# first with « … » when it has not (csu.widgets.fitted_table): at 80 columns two fixed
# sets of widths cut the precisions mid-word, with no « … ». The day is in the summary
# above, the entry's number and its whole text in its detail (Entrée).
TIMELINE_COLUMNS: tuple[Fit, ...] = (
    Fit("Heure"), Fit("Opérateur", 8), Fit("Poste", 6), Fit("Étape", 11), Fit("Résultat", 8),
    Fit("Précisions", 10, gives_way_first=True),
)  # fmt: skip


def step_cells(step: TimelineStep) -> tuple[str, ...]:
    return (
        f"{step.at:%H:%M:%S}" if step.at is not None else "—",
        step.operator or "",
        step.workstation or "",
        entry_label(step.action, step.details),
        outcome_label(step.outcome),
        mask_personal_data(step_summary(step)),
    )


def step_summary(step: TimelineStep) -> str:
    """A step's main details: the factors of a verification, else its first three."""
    factors = factors_of(step.details)
    if factors:
        return ", ".join(f"{f.label} {'✓' if f.passed else '✗'}" for f in factors)
    return " ; ".join(f"{label} : {value}" for label, value in labelled(step.details)[:3])


def title_of(timeline: Timeline) -> str:
    """« Intervention ouverte par agent le 02/12/2022 à 11:30 »: its number is in the
    summary (« de agent » wanted an elision no login can be trusted to take)."""
    if timeline.opened_at is None:
        return "Intervention introuvable"
    by = f" par {timeline.operator}" if timeline.operator else ""
    return f"Intervention ouverte{by} le {timeline.opened_at:%d/%m/%Y à %H:%M}"


def summary_table(timeline: Timeline) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    voter = "—"
    if timeline.matricule:
        name = f" — {timeline.voter_name}" if timeline.voter_name else ""
        voter = f"matricule {timeline.matricule}{name}"
    opened = f"{timeline.opened_at:%d/%m/%Y à %H:%M:%S}" if timeline.opened_at else "—"
    if timeline.closed_at is not None:
        outcome = outcome_label(timeline.outcome) if timeline.outcome else ""
        closed = f"{timeline.closed_at:%d/%m/%Y à %H:%M:%S} — {outcome}"
    else:
        closed = "toujours ouverte" if timeline.opened_at else "—"
    rows = [
        # the number the journal's filter « Intervention » takes
        ("N°", timeline.intervention),
        ("Opérateur", timeline.operator or "—"),
        ("Canal", channel_label(timeline.channel) if timeline.channel else "—"),
        ("Électeur", voter),
        ("Scrutin", timeline.election or "—"),
        ("Ouverte", opened),
        ("Close", closed),
        ("Vérifiée par", " + ".join(map(factor_label, timeline.verified_factors)) or "—"),
    ]
    if timeline.note:
        rows.append(("Note", mask_personal_data(timeline.note)))
    for label, value in rows:
        table.add_row(label, Text(value))
    return table


class InterventionTimelineScreen(CsuScreen[None]):
    """The intervention ``intervention_id`` and its steps, oldest first."""

    DEFAULT_CSS = """
    InterventionTimelineScreen #timeline-title {
        text-style: bold; color: $primary; margin: 1 2 0 2;
    }
    InterventionTimelineScreen #timeline-summary { margin: 1 2; height: auto; }
    InterventionTimelineScreen #timeline-table { height: 1fr; width: 100%; margin: 0; }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "Retour", id="timeline-back")]

    def __init__(self, intervention_id: str) -> None:
        super().__init__()
        self.intervention_id = intervention_id
        self.timeline: Timeline | None = None

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.csu.clock)
        yield Static("Intervention", id="timeline-title", markup=False)
        yield Static("Lecture de l'intervention…", id="timeline-summary", markup=False)
        yield FittedTable(id="timeline-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#timeline-table", FittedTable)
        table.set_columns(*TIMELINE_COLUMNS)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="journal-timeline", exit_on_error=False)
    def load(self) -> None:
        who = self.csu.operator
        if who is None:
            return
        timeline = intervention_timeline(self.csu.deps, who, self.intervention_id)
        self.app.call_from_thread(self._show, timeline)

    def _show(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.query_one("#timeline-title", Static).update(title_of(timeline))
        self.query_one("#timeline-summary", Static).update(summary_table(timeline))
        table = self.query_one("#timeline-table", FittedTable)
        table.clear()
        for step in timeline.steps:
            table.add_row(*step_cells(step), key=str(step.seq))

    @on(DataTable.RowSelected, "#timeline-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        from csu.screens.journal_entry import JournalEntryScreen

        if self.timeline is not None and 0 <= event.cursor_row < len(self.timeline.steps):
            self.app.push_screen(JournalEntryScreen(self.timeline.steps[event.cursor_row].seq))
