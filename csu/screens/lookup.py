"""The desk: one field to find a voter by matricule, identifier or name.

What the field holds is checked before it is searched (``read_query``): a control or
invisible character (an escape sequence, a zero-width space a paste brought) or an
over-long query is said in the status line, in French, and neither searched nor
journalled. A paste holding one is refused whole by the field itself
(``PasteCheckedInput``), so the field keeps what it held.

Entrée in the field opens a voter only when the search leaves no doubt (one hit, or
one hit whose matricule is the query): on the phone, the first of several names is
as likely the wrong voter. With several, it moves into the results, first row
highlighted, and the status line asks the agent to choose (↑/↓ then Entrée).

Back from a voter file with an intervention still open (Échap), the query is selected,
so that the next matricule typed replaces it, and a line names the voter the
intervention is open on (by matricule, as the results do) and how to go back to it.
"""

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from csu.domain.errors import InvalidValue
from csu.domain.plural import counted
from csu.screens.base import SAID_WRONG, CsuScreen
from csu.services.interventions import OpenIntervention
from csu.services.voters import (
    MAX_QUERY_LENGTH,
    MAX_RESULTS,
    QUERY_FIELD,
    VoterHit,
    matricule_cut_short,
    outside_bureau,
    query_matricule,
    read_query,
    record_search,
    search_voters,
)
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.paste_checked import PasteCheckedInput
from csu.widgets.shell_header import ShellHeader

# Results follow the keys: the search itself takes a millisecond or so, the debounce
# only gathers a burst of keys into one search.
DEBOUNCE_SECONDS = 0.03
# The journal records the search the agent settled on (paused this long on its results,
# or opened a voter from), not every keystroke.
SETTLE_SECONDS = 1.0
NONE_IN_BUREAU = "Aucun électeur de votre bureau ne correspond."
NOBODY = "Aucun électeur ne correspond."
CUT_SHORT = (
    "Aucun électeur n'a ce matricule, mais des matricules plus longs commencent ainsi : "
    "manque-t-il un caractère ? Faites relire le matricule."
)
PROMPT = "Tapez au moins 2 caractères."
# The results' columns: at 80 columns the names, bureaus and elections give way (cut
# with « … », down to these widths) so that the matricule and the status stay whole.
COLUMNS = (
    Fit("Matricule"), Fit("Nom", 8), Fit("Prénom", 8), Fit("Bureau", 8), Fit("Scrutins", 8),
    Fit("Statut"),
)  # fmt: skip
OUTSIDE_BUREAU = (
    "Cet électeur n'est pas de votre bureau : seul le président de son bureau (ou la "
    "cellule de support) peut intervenir pour lui."
)


def entered_voter(query: str, hits: list[VoterHit]) -> VoterHit | None:
    """The voter Entrée in the field opens: the only hit, or the only one whose
    matricule is the query (a matricule is searched exactly, and may also be another
    voter's identifier of material); ``None`` when the agent has to choose."""
    if len(hits) == 1:
        return hits[0]
    matricule = query_matricule(query)  # as the search read it: « mi 0424 2421 » too
    if matricule is None:
        return None
    exact = [hit for hit in hits if hit.matricule == matricule]
    return exact[0] if len(exact) == 1 else None


def found_words(count: int) -> str:
    """« 1 électeur », « 12 électeurs », « 50 électeurs (les 50 premiers) »."""
    more = f" (les {MAX_RESULTS} premiers)" if count >= MAX_RESULTS else ""
    return f"{counted(count, 'électeur')}{more}"


class LookupScreen(CsuScreen[None]):
    """The start of every call: an empty field (« Nouvel appel » on the voter file
    comes back here emptied), the results as the operator types."""

    BINDINGS = [
        Binding("ctrl+f", "focus_search", "Chercher", id="lookup-search"),
        Binding("down", "focus_results", "Résultats", id="lookup-results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._debounce: Timer | None = None
        self._settle: Timer | None = None
        self._hits: list[VoterHit] = []
        self._shown_query = ""  # the query whose results are on screen
        self._recorded_query: str | None = None  # the last query journalled
        self._entered: str | None = None  # Entrée pressed before this query's results

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield PasteCheckedInput(
            id="search",
            placeholder="Matricule, identifiant de matériel ou nom (nom prénom ou prénom nom)",
            field=QUERY_FIELD,
            max_length=MAX_QUERY_LENGTH,
        )
        yield Static(PROMPT, id="search-status", markup=False)
        yield Static(id="open-call", markup=False)
        yield FittedTable(id="results", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#results", FittedTable).set_columns(*COLUMNS)
        self.query_one("#open-call", Static).display = False
        self.query_one("#search", Input).focus()

    def came_back(self, current: OpenIntervention | None) -> None:
        """Back from a voter file, the call not over: the query selected (the next one
        typed replaces it, where it went on at its end), and the operator's intervention
        still open, if any, said with its voter."""
        search = self.query_one("#search", Input)
        search.select_all()
        # In the field: the cursor came back to the results it had left, and a matricule
        # typed there went nowhere, Entrée then reopening the last caller (newcomer run).
        search.focus()
        line = self.query_one("#open-call", Static)
        line.display = current is not None
        if current is not None:
            line.update(
                f"Intervention toujours ouverte sur l'électeur de matricule {current.matricule} "
                f"({current.channel_label}, ouverte à {current.opened_at:%H:%M}) : tapez son "
                "matricule puis Entrée pour revenir à sa fiche et la poursuivre ou la clôturer."
            )

    def clear(self) -> None:
        """Empties the field and the results: the next call starts from nothing."""
        if self._debounce is not None:
            self._debounce.stop()
        if self._settle is not None:
            self._settle.stop()
        self.workers.cancel_group(self, "search")
        self._hits = []
        self._shown_query = ""
        self._recorded_query = None
        self._entered = None
        self.query_one("#results", DataTable).clear()
        self.query_one("#search-status", Static).update(PROMPT)
        self.query_one("#open-call", Static).display = False
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        search.focus()
        self.fill_header()

    def on_key(self, event: events.Key) -> None:
        """A character typed on the results goes to the field, as typed there: on the
        results it went nowhere, and the agent who went on with a matricule then opened
        the voter still highlighted."""
        search = self.query_one("#search", Input)
        if not event.is_printable or not self.query_one("#results", DataTable).has_focus:
            return
        event.stop()
        event.prevent_default()
        search.focus()
        search.post_message(events.Key(event.key, event.character))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_results(self) -> None:
        self.query_one("#results", DataTable).focus()

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._entered = None  # typing on: an earlier Entrée no longer applies
        query = event.value
        if self._refused(query):
            return
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self.search(query))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._refused(event.value):
            return
        if event.value == self._shown_query:
            self._enter(event.value, self._hits)
        else:  # the results of what the field holds are not shown yet: Entrée waits
            if self._debounce is not None:
                self._debounce.stop()
            self._entered = event.value
            self.search(event.value)

    def _enter(self, query: str, hits: list[VoterHit]) -> None:
        """Entrée on the results of ``query``: opens the voter if the search leaves no
        doubt; with several hits, goes into the results for the agent to choose. The
        search is settled either way, so journalled now."""
        voter = entered_voter(query, hits)
        if voter is not None:
            self.open(voter.voter_id)
            return
        if self._settle is not None:
            self._settle.stop()
        self._record_settled()
        if not hits:  # the status line already says that nothing was found
            return
        table = self.query_one("#results", DataTable)
        table.move_cursor(row=0, column=0)
        table.focus()
        self.query_one("#search-status", Static).update(
            f"{found_words(len(hits))} : choisissez le bon avec ↑/↓ puis Entrée."
        )

    def _refused(self, query: str) -> bool:
        """Whether ``query`` may not be searched; if so the status line (and a
        notification, as for a refusal of the search itself) says why, the results are
        emptied, and nothing is searched or journalled."""
        try:
            read_query(query)
        except InvalidValue as refused:
            self.workers.cancel_group(self, "search")
            if self._settle is not None:
                self._settle.stop()
            self._hits = []
            self._shown_query = ""
            self.query_one("#results", DataTable).clear()
            self.query_one("#search-status", Static).update(
                f"{refused}. Corrigez ou retapez la recherche : rien n'a été cherché."
            )
            self.notify(str(refused), title=SAID_WRONG, severity="warning", timeout=8)
            return True
        return False

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search(self, query: str) -> None:
        deps, who = self.session()
        hits = search_voters(deps, who, query, journal=False)
        elsewhere = not hits and outside_bureau(deps, who, query)
        short = not hits and not elsewhere and matricule_cut_short(deps, who, query)
        if not get_current_worker().is_cancelled:  # emptied for a new call meanwhile
            self.app.call_from_thread(self._show, query, hits, elsewhere, short)

    def _show(
        self, query: str, hits: list[VoterHit], elsewhere: bool = False, short: bool = False
    ) -> None:
        self._hits = hits
        self._shown_query = query
        if self._settle is not None:
            self._settle.stop()
        self._settle = self.set_timer(SETTLE_SECONDS, self._record_settled)
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
            status.update(PROMPT)
        elif not hits and elsewhere:
            status.update(OUTSIDE_BUREAU)
        elif not hits:
            # A president searches their bureau only: « none » must not read as « nobody
            # of that name is on any roll ».
            president = self.app.operator is not None and self.app.operator.role == "president"
            status.update(
                NONE_IN_BUREAU if president else CUT_SHORT if short else NOBODY
            )
        elif len(hits) == 1:
            status.update(f"{found_words(1)} — Entrée pour ouvrir la fiche.")
        elif (voter := entered_voter(query, hits)) is not None:
            status.update(
                f"{found_words(len(hits))} — Entrée pour ouvrir la fiche du matricule "
                f"{voter.matricule}."
            )
        else:
            status.update(f"{found_words(len(hits))} — Entrée ou ↓ pour choisir dans la liste.")
        if self._entered == query:  # Entrée was pressed before these results came
            self._entered = None
            self._enter(query, hits)

    @on(DataTable.RowSelected, "#results")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open(int(event.row_key.value))

    def _record_settled(self) -> None:
        query = self._shown_query
        if query != self._recorded_query:
            self._recorded_query = query
            self.record(query, list(self._hits))

    @work(thread=True, group="record", exit_on_error=False)
    def record(self, query: str, hits: list[VoterHit]) -> None:
        deps, who = self.session()
        record_search(deps, who, query, hits)

    def open(self, voter_id: int) -> None:
        from csu.screens.voter import VoterScreen

        if self._settle is not None:
            self._settle.stop()
        self._record_settled()  # the search the agent opened a voter from
        self.app.push_screen(VoterScreen(voter_id))
