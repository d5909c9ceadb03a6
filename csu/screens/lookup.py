"""The desk: one field to find a voter by matricule, identifier or name."""

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker

from csu.services.voters import VoterHit, search_voters
from csu.widgets.shell_header import ShellHeader

if TYPE_CHECKING:
    from csu.app import CsuApp

DEBOUNCE_SECONDS = 0.15


class LookupScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+f", "focus_search", "Chercher", id="lookup-search"),
        Binding("down", "focus_results", "Résultats", id="lookup-results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._debounce: Timer | None = None
        self._hits: list[VoterHit] = []

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.csu.clock)
        yield Input(
            id="search",
            placeholder="Matricule, identifiant de matériel ou nom (nom prénom ou prénom nom)",
        )
        yield Static("Tapez au moins 2 caractères.", id="search-status")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker messages do not bubble: the app's handler shows a refusal in French.
        self.csu.on_worker_state_changed(event)

    def on_mount(self) -> None:
        header = self.query_one(ShellHeader)
        header.who = self.csu.who_line
        header.election = self.csu.election
        table = self.query_one("#results", DataTable)
        table.add_columns("Matricule", "Nom", "Prénom", "Bureau", "Scrutin(s)", "Statut")
        self.query_one("#search", Input).focus()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_results(self) -> None:
        self.query_one("#results", DataTable).focus()

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        query = event.value
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self.search(query))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._hits:
            self.open(self._hits[0].voter_id)
        else:
            self.search(event.value)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search(self, query: str) -> None:
        who = self.csu.operator
        if who is None:
            return
        hits = search_voters(self.csu.deps, who, query)
        self.app.call_from_thread(self._show, query, hits)

    def _show(self, query: str, hits: list[VoterHit]) -> None:
        self._hits = hits
        table = self.query_one("#results", DataTable)
        table.clear()
        for hit in hits:
            table.add_row(
                hit.matricule,
                hit.last_name,
                hit.first_name,
                ", ".join(hit.bureaus),
                ", ".join(hit.elections),
                hit.status,
                key=str(hit.voter_id),
            )
        status = self.query_one("#search-status", Static)
        if len(query.strip()) < 2:
            status.update("Tapez au moins 2 caractères.")
        elif not hits:
            status.update("Aucun électeur ne correspond.")
        else:
            more = " (les 50 premiers)" if len(hits) >= 50 else ""
            status.update(f"{len(hits)} électeur(s){more} — Entrée pour ouvrir la fiche.")

    @on(DataTable.RowSelected, "#results")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open(int(event.row_key.value))

    def open(self, voter_id: int) -> None:
        from csu.screens.voter import VoterScreen

        self.app.push_screen(VoterScreen(voter_id))
