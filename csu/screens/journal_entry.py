"""One journal entry, readable: who, when, from which workstation, on whom, what, with
the before and after of a change and the factors of a verification.

Reading an entry that names a voter is journalled (the detail shows the voter's
name). Opened from the integrity check (F8) on the entry it names, the window says first
why that entry does not check: what follows may be what someone wrote over it.
« i » opens the entry's intervention as its timeline. Recorded values show
with any e-mail address or phone number in them masked (older entries may name a
material by its identifier, which is an address in some elections).
"""


from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from csu.domain.entry_details import Change, FactorTried, changes_of, factors_of, others
from csu.domain.labels import detail_label, entry_label, labelled, outcome_label
from csu.domain.masking import mask_personal_data
from csu.domain.roles import ROLE_LABELS
from csu.screens.base import CsuModal, WorkFailed
from csu.services.journal_review import EntryDetail, entry_detail
from csu.widgets.plain import add_plain_row

MATERIAL_LABEL = detail_label("material")

# --- the window ------------------------------------------------------------------------


def identity_table(detail: EntryDetail) -> Table:
    """The facts of the entry, one per line."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    who = detail.operator or "—"
    if detail.operator_name:
        who += f" ({detail.operator_name})"
    if detail.role:
        who += f", {ROLE_LABELS.get(detail.role, detail.role)}"
    if detail.subject is None:
        voter = "—"
    elif detail.matricule:
        name = f" — {detail.voter_name}" if detail.voter_name else ""
        voter = f"matricule {detail.matricule}{name}"
    else:
        voter = f"électeur qui n'est plus dans la base (pseudonyme {detail.subject[:12]}…)"
    election = detail.election or "—"
    if detail.election_title:
        election += f" — {detail.election_title}"
    for label, value in (
        ("Quand", f"{detail.at:%d/%m/%Y à %H:%M:%S} (heure de Paris)"),
        ("Qui", who),
        ("Poste", detail.workstation or "—"),
        ("Électeur", voter),
        ("Scrutin", election),
        ("Intervention", detail.intervention or "—"),
        ("Action", entry_label(detail.action, detail.details)),
        ("Résultat", outcome_label(detail.outcome)),
    ):
        table.add_row(label, Text(value))
    return table


def changes_table(changes: tuple[Change, ...]) -> Table:
    table = Table(title="Avant / après", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Donnée")
    table.add_column("Avant")
    table.add_column("Après")
    for change in changes:
        add_plain_row(
            table, change.label, mask_personal_data(change.before), mask_personal_data(change.after)
        )
    return table


def factors_table(factors: tuple[FactorTried, ...]) -> Table:
    table = Table(title="Facteurs essayés", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Facteur")
    table.add_column("Contrôle")
    for factor in factors:
        table.add_row(
            factor.label,
            Text("concordant", style="green") if factor.passed else Text("faux", style="red"),
        )
    return table


def details_table(lines: tuple[tuple[str, str], ...]) -> Table:
    table = Table(title="Détails", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Donnée", no_wrap=True)
    table.add_column("Valeur")
    for label, value in lines:
        table.add_row(label, Text(mask_personal_data(value)))
    return table


def detail_renderable(detail: EntryDetail) -> RenderableType:
    parts: list[RenderableType] = [identity_table(detail)]
    changes = changes_of(detail.action, detail.details)
    factors = factors_of(detail.details)
    lines = labelled(others(detail.action, detail.details), detail.materials)
    if detail.material is not None:
        lines = tuple(
            (label, f"{value} — {detail.material}" if label == MATERIAL_LABEL else value)
            for label, value in lines
        )
    if changes:
        parts.append(changes_table(changes))
    if factors:
        parts.append(factors_table(factors))
    if lines:
        parts.append(details_table(lines))
    parts.append(Text(f"\nÉvénement {detail.event_id}\nEmpreinte {detail.hash}", style="dim"))
    return Group(*parts)


class JournalEntryScreen(CsuModal[None]):
    """The detail of entry ``seq``."""

    DEFAULT_CSS = """
    JournalEntryScreen { align: center middle; }
    JournalEntryScreen #entry-box { width: 100; max-width: 100%; height: 90%; }
    JournalEntryScreen #entry-body { height: auto; }
    JournalEntryScreen #entry-fault { height: auto; color: $error; text-style: bold; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="entry-back"),
        Binding("i", "intervention", "Intervention", id="entry-intervention"),
    ]

    def __init__(self, seq: int, *, fault: str | None = None) -> None:
        """``fault``: why the integrity check says this entry does not check."""
        super().__init__()
        self.seq = seq
        self.fault = fault
        self.detail: EntryDetail | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="entry-box", classes="modal-box"):
            yield Static(f"Entrée n° {self.seq} du journal", classes="modal-title", markup=False)
            if self.fault is not None:
                yield Static(
                    f"Vérification du journal : {self.fault}. Ce qui suit est ce que l'entrée "
                    "dit maintenant, peut-être réécrit : ne vous y fiez pas.",
                    id="entry-fault",
                    markup=False,
                )
            yield Static("Lecture de l'entrée…", id="entry-body", markup=False)

    def on_mount(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "intervention":
            return self.detail is not None and self.detail.intervention is not None
        return True

    @work(thread=True, exclusive=True, group="journal-entry", exit_on_error=False)
    def load(self) -> None:
        who = self.csu.operator
        if who is None:
            return
        detail = entry_detail(self.csu.deps, who, self.seq)
        self.app.call_from_thread(self._show, detail)

    def _show(self, detail: EntryDetail) -> None:
        self.detail = detail
        self.query_one("#entry-body", Static).update(detail_renderable(detail))
        self.refresh_bindings()

    def on_work_failed(self, message: WorkFailed) -> None:
        """The window says why nothing shows, rather than « Lecture… » for ever (the
        app's notification says it too): an entry deleted, or no longer readable."""
        if message.group == "journal-entry":
            said = str(message.error) if message.refused else "lecture impossible"
            self.query_one("#entry-body", Static).update(f"Entrée non affichée : {said}")

    def action_intervention(self) -> None:
        from csu.screens.intervention_timeline import InterventionTimelineScreen

        if self.detail is not None and self.detail.intervention:
            self.app.push_screen(InterventionTimelineScreen(self.detail.intervention))
