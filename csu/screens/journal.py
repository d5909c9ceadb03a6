"""The supervisor's journal review: entries newest first, filtered, a page at a time.

Filters (period, operator, matricule, entry number or range, action, outcome,
election, intervention) apply on Entrée or F5: each search is journalled, so they do
not apply at every keystroke (the number is only checked as it is typed).
The table holds the pages read so far; the next one is read when the cursor comes
near the end (the same search, not journalled again). The count of matching entries
comes after the first page: on a million entries a broad filter takes a moment.
Entrée opens an entry, « i » its intervention, F7 exports the view (CSV or JSONL).
"""

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from csu.domain.clock import to_paris
from csu.domain.contacts import fold
from csu.domain.errors import InvalidValue
from csu.domain.labels import action_label, actor_choice, entry_label, outcome_label
from csu.domain.plural import counted, plural_of
from csu.screens.base import CsuModal, CsuScreen, bound_key
from csu.services.context import ServiceError
from csu.services.journal_review import (
    EntryRow,
    FilterChoices,
    ReviewFilter,
    ReviewPage,
    count_entries,
    filter_choices,
    next_page,
    parse_moment,
    parse_numbers,
    search_journal,
)
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.parsed import Parsed
from csu.widgets.plain import PlainSelect
from csu.widgets.shell_header import ShellHeader

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
# The next page is read when the cursor is this close to the last row read.
PREFETCH_ROWS = 20
# Each column as wide as its widest cell while the table has room, the widest shrinking
# first, with « … », when it has not (csu.widgets.fitted_table): the action and the
# operator give way, never the number, the moment or the matricule. Three fixed sets of
# widths before cut « vérificati… » at 80 columns while 15 stayed blank on the right.
# The year, the workstation, the intervention and the rest are in the entry's detail.
COLUMNS: tuple[Fit, ...] = (
    Fit("N°"), Fit("Quand"), Fit("Opérateur", 8), Fit("Action", 11), Fit("Résultat", 8),
    Fit("Matricule"), Fit("Scrutin", 6),
)  # fmt: skip
# Below 100 columns (80: most terminals' size when opened) the election goes (the filter
# above and the entry's detail name it) so that the action keeps room.
TABLE_NARROW = 100
COMPACT_COLUMNS = COLUMNS[:-1]
# « 1 200 000 – 1 250 000 » and then some: what is typed past it is not taken.
NUMBERS_LENGTH = 40
FORMATS = (("CSV (tableur, « ; »)", "csv"), ("JSON Lines", "jsonl"))
SUFFIXES = {"csv": ".csv", "jsonl": ".jsonl"}


def row_cells(row: EntryRow, columns: int = len(COLUMNS)) -> tuple[str, ...]:
    """The row's first ``columns`` cells (the compact set has no election's)."""
    cells = (
        str(row.seq),
        f"{row.at:%d/%m %H:%M:%S}" if row.at is not None else "—",
        row.operator or "",
        entry_label(row.action, row.details),
        outcome_label(row.outcome),
        row.matricule or "",
        row.election or "",
    )
    return cells[:columns]


def describe(where: ReviewFilter) -> str:
    """The filter in French: « opérateur alice, action « … » »."""
    parts = []
    if where.since is not None:
        parts.append(f"depuis le {to_paris(where.since):%d/%m/%Y %H:%M}")
    if where.until is not None:
        parts.append(f"avant le {to_paris(where.until):%d/%m/%Y %H:%M}")
    if where.operator:
        parts.append(f"opérateur {where.operator}")
    if where.matricule:
        parts.append(f"matricule {where.matricule}")
    if where.numbers is not None:
        first, last = where.numbers
        parts.append(f"entrée n° {first}" if first == last else f"entrées n° {first} à {last}")
    if where.action:
        parts.append(f"action « {action_label(where.action)} »")
    if where.outcome:
        parts.append(f"résultat « {outcome_label(where.outcome)} »")
    if where.election:
        parts.append(f"scrutin {where.election}")
    if where.intervention:
        parts.append(f"intervention {where.intervention}")
    if where.seqs is not None:
        parts.append(counted(len(where.seqs), "entrée désignée", "entrées désignées"))
    return ", ".join(parts) if parts else "tout le journal"


def exports_folder() -> Path:
    """``<data_dir>/exports``: the folder an export goes to unless told otherwise."""
    from csu.config import Settings

    return Settings().data_dir / "exports"


def default_export_path(now: datetime, fmt: str = "csv") -> Path:
    """``<data_dir>/exports/journal-YYYYMMDD-HHMMSS.csv`` (Paris time)."""
    stamp = f"{to_paris(now):%Y%m%d-%H%M%S}"
    return exports_folder() / f"journal-{stamp}{SUFFIXES[fmt]}"


def count_text(count: int) -> str:
    return counted(count, "entrée")


class JournalScreen(CsuScreen[None]):
    """The review; ``where`` opens it on a filter (an alert's entries, ``seqs``)."""

    # The second row of filters needs about 130 columns, its last field included.
    WIDE = 135
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]

    DEFAULT_CSS = """
    JournalScreen #journal-title { text-style: bold; color: $primary; margin: 0 2; }
    JournalScreen .journal-filters { height: 1; margin: 0 1 1 1; }
    JournalScreen .journal-filter-pair { height: 1; width: auto; }
    JournalScreen .journal-filter-pair.-last { width: 1fr; }
    JournalScreen.-narrow .journal-filters { layout: vertical; height: auto; }
    JournalScreen.-narrow .journal-filter-pair { width: 1fr; }
    JournalScreen .journal-filters Label { width: auto; margin: 0 1 0 1; color: $text-muted; }
    JournalScreen .journal-filters Input { width: 18; }
    JournalScreen #journal-matricule { width: 12; }
    JournalScreen #journal-numbers { width: 13; }
    JournalScreen #journal-intervention { width: 1fr; min-width: 12; }
    JournalScreen #journal-operator { width: 24; }
    JournalScreen #journal-action { width: 36; }
    JournalScreen #journal-outcome { width: 18; }
    JournalScreen #journal-election { width: 22; }
    JournalScreen #journal-status { margin: 0 2; color: $text-muted; height: auto; }
    JournalScreen #journal-table { height: 1fr; width: 100%; margin: 0; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="journal-back"),
        Binding("f5", "search", "Rechercher", id="journal-search"),
        # Not F6, which is every other screen's « Messages » (csu.app): pressed here to
        # reach them, it cleared the filters instead.
        Binding("ctrl+r", "clear", "Effacer les filtres", id="journal-clear"),
        Binding("f7", "export", "Exporter", id="journal-export"),
        Binding("i", "intervention", "Intervention", id="journal-intervention"),
    ]

    def __init__(self, where: ReviewFilter | None = None, about: str | None = None) -> None:
        """``about`` names what designated ``where.seqs`` (an alert's title): the filter
        fields cannot show it, the title does until ctrl+r clears it."""
        super().__init__()
        self.where = where or ReviewFilter()  # the filter of the rows shown
        self.about = about
        self.rows: list[EntryRow] = []
        self.page: ReviewPage | None = None  # the last page read
        self.count: int | None = None
        self.loading_more = False
        self.exporting = False
        self._export_asked: tuple[str, Path] | None = None  # the last export's format, file
        # The filter's designated entries (an alert's) stay until the filters are cleared.
        self._seqs = self.where.seqs
        # The options of each select (its own list of them is private).
        self._options: dict[str, list[tuple[str, str]]] = {
            name: [] for name in ("operator", "action", "outcome", "election")
        }
        self._columns: tuple[Fit, ...] = ()  # as laid out

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.csu.clock)
        yield Static(self.title_text(), id="journal-title", markup=False)
        # Two rows of four filters where they fit; below WIDE, each row's two halves
        # stack (four rows of two), so that no field is cut off the right edge.
        with Horizontal(classes="journal-filters"):
            with Horizontal(classes="journal-filter-pair"):
                yield Label("Du")
                yield Input(placeholder="jj/mm/aaaa hh:mm", id="journal-since", compact=True)
                yield Label("Au")
                yield Input(placeholder="jj/mm/aaaa hh:mm", id="journal-until", compact=True)
            with Horizontal(classes="journal-filter-pair"):
                yield Label("Opérateur")
                yield PlainSelect([], prompt="(tous)", id="journal-operator", compact=True)
                yield Label("Matricule")
                yield Input(placeholder="(tous)", id="journal-matricule", compact=True)
                yield Label("N°")
                yield Input(
                    placeholder="1200-1250",
                    id="journal-numbers",
                    compact=True,
                    max_length=NUMBERS_LENGTH,
                    validators=[Parsed(parse_numbers)],
                )
        with Horizontal(classes="journal-filters"):
            with Horizontal(classes="journal-filter-pair"):
                yield Label("Action")
                yield Select[str]([], prompt="(toutes)", id="journal-action", compact=True)
                yield Label("Résultat")
                yield Select[str]([], prompt="(tous)", id="journal-outcome", compact=True)
            with Horizontal(classes="journal-filter-pair -last"):
                yield Label("Scrutin")
                yield PlainSelect([], prompt="(tous)", id="journal-election", compact=True)
                yield Label("Intervention")
                yield Input(placeholder="n° (ou 8 car.)", id="journal-intervention", compact=True)
        yield Static("Recherche…", id="journal-status", markup=False)
        yield FittedTable(id="journal-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#journal-table", DataTable)
        self._lay_out_columns()
        self._fill_fields(self.where)
        table.focus()
        self.load_choices()
        self._search(self.where)

    def on_resize(self) -> None:
        self._lay_out_columns()

    def _lay_out_columns(self) -> None:
        """The table's columns for the screen's width, the rows read so far again under
        new ones, the cursor where it was."""
        columns = COLUMNS if self.size.width >= TABLE_NARROW else COMPACT_COLUMNS
        if columns is self._columns:
            return
        self._columns = columns
        self.query_one("#journal-table", FittedTable).show_rows(self._cells(self.rows), columns)

    def _cells(self, rows: Iterable[EntryRow]) -> Iterator[tuple[str, tuple[str, ...]]]:
        for row in rows:
            yield str(row.seq), row_cells(row, len(self._columns))

    def _add_rows(self, rows: Iterable[EntryRow]) -> None:
        table = self.query_one("#journal-table", FittedTable)
        for key, cells in self._cells(rows):
            table.add_row(*cells, key=key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "intervention":
            row = self._current()
            return row is not None and row.intervention is not None
        return True

    # --- the filter fields ------------------------------------------------------------

    def _fill_fields(self, where: ReviewFilter) -> None:
        def moment(value: datetime | None) -> str:
            return f"{to_paris(value):%d/%m/%Y %H:%M}" if value is not None else ""

        self.query_one("#journal-since", Input).value = moment(where.since)
        self.query_one("#journal-until", Input).value = moment(where.until)
        self.query_one("#journal-matricule", Input).value = where.matricule or ""
        numbers = where.numbers
        self.query_one("#journal-numbers", Input).value = (
            "" if numbers is None
            else str(numbers[0]) if numbers[0] == numbers[1]
            else f"{numbers[0]}-{numbers[1]}"
        )  # fmt: skip
        self.query_one("#journal-intervention", Input).value = where.intervention or ""
        for name, value in (
            ("operator", where.operator),
            ("action", where.action),
            ("outcome", where.outcome),
            ("election", where.election),
        ):
            select = self.query_one(f"#journal-{name}", Select)
            if value is None:
                select.clear()
                continue
            if value not in {v for _, v in self._options[name]}:
                # A filter given by another screen, before the choices are loaded.
                self._set_options(name, [*self._options[name], (value, value)])
            select.value = value

    def _set_options(self, name: str, options: list[tuple[str, str]]) -> None:
        self._options[name] = options
        self.query_one(f"#journal-{name}", Select).set_options(options)

    def filter_from_fields(self) -> ReviewFilter:
        """The filter the fields say; raises InvalidValue for a bad date, matricule or
        entry number."""
        from csu.domain.identifiers import typed_matricule

        def text(name: str) -> str:
            return self.query_one(f"#journal-{name}", Input).value.strip()

        def chosen(name: str) -> str | None:
            value = self.query_one(f"#journal-{name}", Select).value
            return value if isinstance(value, str) else None

        since, until = text("since"), text("until")
        matricule = text("matricule")
        numbers = text("numbers")
        found = ReviewFilter(
            since=parse_moment(since, "Du") if since else None,
            until=parse_moment(until, "Au", end_of_day=True) if until else None,
            operator=chosen("operator"),
            matricule=typed_matricule(matricule) if matricule else None,
            action=chosen("action"),
            outcome=chosen("outcome"),
            election=chosen("election"),
            intervention=text("intervention") or None,
            seqs=self._seqs,
            numbers=parse_numbers(numbers) if numbers else None,
        )
        if found.empty_period:
            raise InvalidValue("Au", "la fin de la période est avant son début")
        return found

    @work(thread=True, group="journal-choices", exit_on_error=False)
    def load_choices(self) -> None:
        who = self.csu.operator
        if who is not None:
            choices = filter_choices(self.csu.deps, who)
            self.app.call_from_thread(self._show_choices, choices)

    def _show_choices(self, choices: FilterChoices) -> None:
        offered = {
            "operator": [(actor_choice(login, name), login) for login, name in choices.operators],
            # In the order a French reader looks for them: « électeur déverrouillé »
            # among the e's, not after « webhook… ».
            "action": sorted(
                ((action_label(code), code) for code in choices.actions),
                key=lambda option: (fold(option[0]), option[0]),
            ),
            "outcome": [(outcome_label(outcome), outcome) for outcome in choices.outcomes],
            "election": [(election, election) for election, _ in choices.elections],
        }  # fmt: skip
        for name, options in offered.items():
            select = self.query_one(f"#journal-{name}", Select)
            current = select.value
            if isinstance(current, str) and current not in {v for _, v in options}:
                options.append((current, current))  # a filter given before: kept
            self._set_options(name, options)
            if isinstance(current, str):
                select.value = current

    # --- searching --------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self) -> None:
        # Entrée in a field searches once its filter changed: pressed again and again, it
        # journalled the same search each time (nine in a newcomer's run). The search
        # key (F5) still runs it again, to see what came since.
        try:
            same = self.page is not None and self.filter_from_fields() == self.where
        except InvalidValue:
            same = False  # action_search says what is wrong
        if same:
            self.query_one("#journal-table", DataTable).focus()
            self.notify(
                "Mêmes filtres, résultats affichés : "
                f"{bound_key(self.app, self.BINDINGS, 'search')} pour actualiser.",
                title="Journal",
                timeout=4,
            )
            return
        self.action_search()

    def action_search(self) -> None:
        try:
            where = self.filter_from_fields()
        except InvalidValue as error:
            # The rows below stay the last search's: said so, they read as filtered.
            shown = f" Ci-dessous, toujours : {describe(self.where)}." if self.page else ""
            self.query_one("#journal-status", Static).update(
                f"{error} — corrigez le filtre : il n'est pas appliqué.{shown}"
            )
            self.notify(str(error), title="Filtre", severity="warning")
            return
        self._search(where)
        self.query_one("#journal-table", DataTable).focus()

    def title_text(self) -> str:
        if self._seqs is None:
            return "Journal — les entrées les plus récentes d'abord"
        about = f" par l'alerte « {self.about} »" if self.about else ""
        return (
            f"Journal — {counted(len(self._seqs), 'entrée désignée', 'entrées désignées')}"
            f"{about} ; ctrl+r : tout le journal"
        )

    def action_clear(self) -> None:
        self._seqs = None
        self.query_one("#journal-title", Static).update(self.title_text())
        self._fill_fields(ReviewFilter())
        self._search(ReviewFilter())

    def _search(self, where: ReviewFilter) -> None:
        self.where = where
        self.page = None
        self.count = None
        self.loading_more = False
        self.query_one("#journal-status", Static).update(f"Recherche ({describe(where)})…")
        self.run_search(where)

    @work(thread=True, exclusive=True, group="journal-search", exit_on_error=False)
    def run_search(self, where: ReviewFilter) -> None:
        who = self.csu.operator
        if who is None:
            return
        page = search_journal(self.csu.deps, who, where)
        self.app.call_from_thread(self._first_page, where, page)

    def _first_page(self, where: ReviewFilter, page: ReviewPage) -> None:
        if where != self.where:
            return  # a newer search was asked meanwhile
        self.page = page
        self.rows = list(page.rows)
        self.query_one("#journal-table", DataTable).clear()
        self._add_rows(page.rows)
        self._show_status()
        self.refresh_bindings()
        # The count runs after the page: the page never waits for it.
        self.run_count(where, page.search)

    @work(thread=True, exclusive=True, group="journal-count", exit_on_error=False)
    def run_count(self, where: ReviewFilter, search: int) -> None:
        who = self.csu.operator
        if who is None:
            return
        count = count_entries(self.csu.deps, who, where)
        self.app.call_from_thread(self._counted, search, count)

    def _counted(self, search: int, count: int) -> None:
        if self.page is not None and self.page.search == search:
            self.count = count
            self._show_status()

    def _show_status(self) -> None:
        if self.page is None:
            return
        shown = len(self.rows)
        if self.count is None:
            found = "comptage en cours…"
        elif self.count == 0:
            found = "aucune entrée"
        else:
            found = count_text(self.count)
        more = " (les suivantes se chargent en descendant)" if self.page.more else ""
        displayed = f"{shown} {plural_of(shown, 'affichée', 'affichées')}"
        self.query_one("#journal-status", Static).update(
            f"{found} — {describe(self.where)} — {displayed}{more}. "
            "Entrée : détail ; i : intervention ; F7 : exporter ; recherche journalisée."
        )

    # --- more rows as the cursor goes down ------------------------------------------

    @on(DataTable.RowHighlighted, "#journal-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()
        if event.cursor_row >= len(self.rows) - PREFETCH_ROWS:
            self._more()

    def _more(self) -> None:
        page = self.page
        if page is None or not page.more or self.loading_more or page.last_seq is None:
            return
        self.loading_more = True
        self.read_next(self.where, page.search, page.last_seq)

    @work(thread=True, group="journal-more", exit_on_error=False)
    def read_next(self, where: ReviewFilter, search: int, after: int) -> None:
        who = self.csu.operator
        if who is None:
            return
        page = next_page(self.csu.deps, who, where, search, after)
        self.app.call_from_thread(self._next_page, search, page)

    def _next_page(self, search: int, page: ReviewPage) -> None:
        if self.page is None or self.page.search != search:
            return
        self.page = page
        self.rows.extend(page.rows)
        table = self.query_one("#journal-table", DataTable)
        self._add_rows(page.rows)
        self.loading_more = False
        self._show_status()
        if table.cursor_row >= len(self.rows) - PREFETCH_ROWS:
            self._more()  # the cursor went further while this page was read

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # CsuScreen's handler (called too) shows a refusal in French.
        if event.state not in FINISHED:
            return
        if event.worker.group == "journal-more":
            self.loading_more = False
        elif event.worker.group == "journal-export":
            self.exporting = False
        if event.state is WorkerState.ERROR and event.worker.group == "journal-search":
            self.query_one("#journal-status", Static).update(
                f"Recherche refusée : {event.worker.error}"
            )
        if event.state is WorkerState.ERROR and event.worker.group == "journal-export":
            # The status said « Export vers … »: it must not stay as if it went on.
            error = event.worker.error
            known = isinstance(error, ServiceError | InvalidValue)
            said = str(error) if known else "voir le message"
            self.query_one("#journal-status", Static).update(f"Export non réalisé : {said}")
            if known and self._export_asked is not None and self.app.screen is self:
                # The window again, with what was typed and why it failed: it had closed,
                # and the path had to be typed anew (not over another screen opened since).
                fmt, path = self._export_asked
                self._ask_export(fmt, str(path), f"Export non réalisé : {said}")

    # --- an entry, an intervention ----------------------------------------------------

    def _current(self) -> EntryRow | None:
        table = self.query_one("#journal-table", DataTable)
        row = table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @on(DataTable.RowSelected, "#journal-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        from csu.screens.journal_entry import JournalEntryScreen

        if 0 <= event.cursor_row < len(self.rows):
            self.app.push_screen(JournalEntryScreen(self.rows[event.cursor_row].seq))

    def action_intervention(self) -> None:
        from csu.screens.intervention_timeline import InterventionTimelineScreen

        row = self._current()
        if row is not None and row.intervention:
            self.app.push_screen(InterventionTimelineScreen(row.intervention))

    # --- export -----------------------------------------------------------------------

    def action_export(self) -> None:
        if self.exporting:
            self.notify("Un export est déjà en cours.", title="Export")
            return
        self._ask_export()

    def _ask_export(self, fmt: str = "csv", typed: str | None = None, problem: str = "") -> None:
        where = self.where

        def chosen(answer: tuple[str, Path] | None) -> None:
            if answer is not None:
                self.exporting = True
                self._export_asked = answer
                self.query_one("#journal-status", Static).update(f"Export vers {answer[1]}…")
                self.run_export(where, answer[0], answer[1])

        default = default_export_path(self.csu.clock())
        self.app.push_screen(ExportScreen(where, default, fmt, typed, problem), chosen)

    @work(thread=True, exclusive=True, group="journal-export", exit_on_error=False)
    def run_export(self, where: ReviewFilter, fmt: str, path: Path) -> None:
        from csu.services.audit import export_journal_file

        who = self.csu.operator
        if who is None:
            return
        count = export_journal_file(
            self.csu.deps,
            who,
            path,
            fmt=fmt,  # type: ignore[arg-type]
            where=where,
            # The exports folder is made on the first export; no other: a folder
            # mistyped (« /nonexistent/dir/j.jsonl ») was created, file and all.
            make_folder=path.parent.resolve() == exports_folder().resolve(),
            own_suffix=True,
            # A browser's path is the server's: its exports folder only.
            within=exports_folder() if self.app.is_web else None,
        )
        self.app.call_from_thread(self._exported, count, path)

    def _exported(self, count: int, path: Path) -> None:
        message = (
            f"{count_text(count)} {plural_of(count, 'exportée', 'exportées')} vers {path} "
            "(export journalisé)."
        )
        self.notify(message, title="Export du journal", timeout=10)
        self.query_one("#journal-status", Static).update(message)


class ExportScreen(CsuModal[tuple[str, Path] | None]):
    """Asks the format and the file of an export; returns them, or None."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen #export-path { margin-bottom: 0; }
    """
    UNDONE = "Aucun fichier n'a été écrit."
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="export-cancel")]

    def __init__(
        self,
        where: ReviewFilter,
        default: Path,
        fmt: str = "csv",
        typed: str | None = None,
        problem: str = "",
    ) -> None:
        """``typed``, ``fmt`` and ``problem``: an export that failed, asked again."""
        super().__init__()
        self.where = where
        self.default = default
        self.fmt = fmt if fmt in SUFFIXES else "csv"
        self.typed = str(default) if typed is None else typed
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box", classes="modal-box"):
            yield Static("Exporter la vue filtrée du journal", classes="modal-title")
            yield Static(
                f"Entrées : {describe(self.where)}, dans l'ordre du journal. Le fichier "
                "nomme des électeurs : gardez-le en lieu sûr. L'export est journalisé.",
                classes="modal-hint",
                markup=False,
            )
            # Labelled: two bare fields read as one, and Tab, Tab landed on « Annuler ».
            yield Label("Format")
            yield Select[str](FORMATS, value=self.fmt, allow_blank=False, id="export-format")
            yield Label("Fichier (Entrée pour exporter)")
            yield Input(self.typed, id="export-path")
            message = Static(
                self.problem, id="export-problem", classes="modal-message", markup=False
            )
            message.display = bool(self.problem)
            yield message
            with Horizontal(classes="modal-buttons"):
                yield Button("Exporter", id="export-ok", variant="primary")
                yield Button("Annuler", id="export-cancel-button")

    def start_in(self) -> Input:
        return self.query_one("#export-path", Input)

    @on(Select.Changed, "#export-format")
    def _format(self, event: Select.Changed) -> None:
        """The file's extension follows the format while it is one of ours."""
        field = self.query_one("#export-path", Input)
        path = Path(field.value.strip())
        if isinstance(event.value, str) and path.suffix in SUFFIXES.values():
            field.value = str(path.with_suffix(SUFFIXES[event.value]))

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _confirm(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.notify("Indiquez le fichier où écrire l'export.", severity="warning")
            return
        fmt = self.query_one("#export-format", Select).value
        # The service expands « ~ » (and says so when it cannot). A bare name goes to the
        # exports folder offered, not to wherever the terminal was started from, where a
        # supervisor would never find it.
        path = Path(text)
        if not path.is_absolute() and not text.startswith("~"):
            path = self.default.parent / path
        self.dismiss((fmt if isinstance(fmt, str) else "csv", path))

    @on(Button.Pressed, "#export-cancel-button")
    def action_cancel(self) -> None:
        self.dismiss_undone()
