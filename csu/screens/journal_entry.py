"""One journal entry, readable: who, when, from which workstation, on whom, what, with
the before and after of a change and the factors of a verification.

Reading an entry that names a voter is journalled (the detail shows the voter's
name). « i » opens the entry's intervention as its timeline. Recorded values show
with any e-mail address or phone number in them masked (older entries may name a
material by its identifier, which is an address in some elections).
"""

from typing import TYPE_CHECKING, cast

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual.worker import Worker

from csu.domain.masking import mask_contacts
from csu.services.context import ROLE_LABELS
from csu.services.journal_review import EntryDetail, entry_detail

if TYPE_CHECKING:
    from csu.app import CsuApp


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
        ("Action", f"{detail.action_label} ({detail.action})"),
        ("Résultat", detail.outcome),
    ):
        table.add_row(label, Text(value))
    return table


def changes_table(detail: EntryDetail) -> Table:
    table = Table(title="Avant / après", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Donnée")
    table.add_column("Avant")
    table.add_column("Après")
    for change in detail.changes:
        table.add_row(change.label, mask_contacts(change.before), mask_contacts(change.after))
    return table


def factors_table(detail: EntryDetail) -> Table:
    table = Table(title="Facteurs essayés", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Facteur")
    table.add_column("Contrôle")
    for factor in detail.factors:
        table.add_row(
            factor.label,
            Text("concordant", style="green") if factor.passed else Text("faux", style="red"),
        )
    return table


def details_table(detail: EntryDetail) -> Table:
    table = Table(title="Détails", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Donnée", no_wrap=True)
    table.add_column("Valeur")
    for label, value in detail.details:
        table.add_row(label, Text(mask_contacts(value)))
    return table


def detail_renderable(detail: EntryDetail) -> RenderableType:
    parts: list[RenderableType] = [identity_table(detail)]
    if detail.changes:
        parts.append(changes_table(detail))
    if detail.factors:
        parts.append(factors_table(detail))
    if detail.details:
        parts.append(details_table(detail))
    parts.append(Text(f"\nÉvénement {detail.event_id}\nEmpreinte {detail.hash}", style="dim"))
    return Group(*parts)


class JournalEntryScreen(ModalScreen[None]):
    """The detail of entry ``seq``."""

    DEFAULT_CSS = """
    JournalEntryScreen { align: center middle; }
    JournalEntryScreen #entry-box { width: 100; height: 90%; }
    JournalEntryScreen #entry-body { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="entry-back"),
        Binding("i", "intervention", "Intervention", id="entry-intervention"),
    ]

    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq
        self.detail: EntryDetail | None = None

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="entry-box", classes="modal-box"):
            yield Static(f"Entrée n° {self.seq} du journal", classes="modal-title")
            yield Static("Lecture de l'entrée…", id="entry-body")
        yield Footer()

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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.csu.on_worker_state_changed(event)

    def action_intervention(self) -> None:
        from csu.screens.intervention_timeline import InterventionTimelineScreen

        if self.detail is not None and self.detail.intervention:
            self.app.push_screen(InterventionTimelineScreen(self.detail.intervention))
