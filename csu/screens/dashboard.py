"""The supervisors' dashboard: interventions per hour as charts, today and since the
support began, counts by action, outcome and operator, the calls redirected to
self-service and the election's escalated cases, what waits now, the émargements per
hour since the vote opened and each voting platform's last call (a feed silent past the
election's threshold is flagged).

Counts only, no voter named: refreshed every 30 s and on F5, not journalled. « e »
shows the next election loaded.
"""

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from csu.domain import escalation as cases
from csu.domain.election import ElectionDefinition
from csu.domain.labels import action_label, outcome_label
from csu.domain.plural import counted
from csu.screens.base import CsuScreen
from csu.screens.escalations import STATE_WORDS
from csu.services.dashboard import (
    Dashboard,
    Escalations,
    Period,
    PlatformActivity,
    Votes,
    dashboard,
)
from csu.widgets.footer import KeysFooter
from csu.widgets.plain import PlainTable
from csu.widgets.shell_header import ShellHeader

REFRESH_SECONDS = 30
# Each table's first column names a code: an action, an outcome (by the catalogue), a login.
TABLES: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("dashboard-actions", "Action", action_label),
    ("dashboard-outcomes", "Issue", outcome_label),
    ("dashboard-operators", "Opérateur", str),
)
MAX_TICKS = 5  # lines on a chart's count axis, the zero included
PLATFORM_COLUMNS = ("Plateforme", "Dernier appel", "Dernier lot", "Flux")


def now_line(figures: Dashboard) -> str:
    """« En ce moment, toute la cellule : 2 interventions ouvertes · ... »: figures of
    every election (a newcomer read them as the election's, as the others are)."""
    opened = counted(figures.open_interventions, "intervention ouverte", "interventions ouvertes")
    line = (
        f"En ce moment, toute la cellule : {opened} · "
        f"{counted(figures.locked_voters, 'électeur verrouillé', 'électeurs verrouillés')} · "
        f"{counted(figures.pending_approvals, 'demande')} de substitution à approuver · "
        f"{counted(figures.failed_messages, 'message')} en échec"
    )
    silent = [p.name for p in figures.platforms if p.silent]
    if silent:
        line += f" · flux d'émargements muet : {', '.join(silent)}"
    return line


def share_text(period: Period, *, named: bool = False) -> str:
    """« 3 sur 10 (30 %) »: interventions redirected among those closed in the period;
    ``named``: « 3 sur 10 interventions closes (30 %) »."""
    share = period.redirected_share
    if share is None:
        return "aucune intervention close"
    noun = ""
    if named:
        noun = " interventions closes" if period.closed > 1 else " intervention close"
    return f"{period.redirected} sur {period.closed}{noun} ({round(share * 100)}\u00a0%)"


def redirected_line(figures: Dashboard) -> str:
    """« Redirections vers le libre-service : aujourd'hui 3 sur 10 interventions closes
    (30 %) · depuis le 28/11 12 sur 40 (30 %) »."""
    periods = [period for period in (figures.today, figures.election) if period is not None]
    parts = [
        f"{period.label[:1].lower()}{period.label[1:]} {share_text(period, named=first)}"
        for first, period in zip((True, False), periods, strict=False)
    ]
    return "Redirections vers le libre-service : " + " · ".join(parts)


def escalations_line(counts: Escalations, election_id: str | None = None) -> str:
    """« Dossiers escaladés de minint-2022 : 1 en attente · 2 en retard · 1 pris en
    charge · 3 clos aujourd'hui », in the words of the escalations screen (F10). The
    election named: under « toute la cellule », a newcomer read them as the cell's, and
    F10 (every election) showed another count."""
    of = f" de {election_id}" if election_id else ""
    return (
        f"Dossiers escaladés{of} : {counts.waiting} {STATE_WORDS[cases.WAITING]} · "
        f"{counts.overdue} {STATE_WORDS[cases.OVERDUE]} · "
        f"{counts.taken} {STATE_WORDS[cases.TAKEN]} · "
        f"{counts.closed_today} {STATE_WORDS[cases.CLOSED]} aujourd'hui"
    )


def election_lines(figures: Dashboard) -> str:
    """The election's calls redirected to self-service and its escalated cases, a line
    each (nothing when no election is loaded)."""
    if figures.escalations is None:
        return ""
    escalated = escalations_line(figures.escalations, figures.election_id)
    return f"{redirected_line(figures)}\n{escalated}"


def platform_row(activity: PlatformActivity) -> tuple[str, str, str, str]:
    """(name, last call, last batch, state of the feed), times in Paris."""

    def moment(at: datetime | None) -> str:
        return f"{at:%d/%m %H:%M}" if at is not None else "jamais"

    state = f"muet (seuil {activity.silence_minutes} min)" if activity.silent else "normal"
    return (activity.name, moment(activity.last_call), moment(activity.last_batch), state)


def next_election(figures: Dashboard) -> str | None:
    """The election after the one shown, in opening order (the first after the last)."""
    loaded = figures.elections
    if not loaded:
        return None
    if figures.election_id not in loaded:
        return loaded[0]
    return loaded[(loaded.index(figures.election_id) + 1) % len(loaded)]


def merged(
    today: tuple[tuple[str, int], ...],
    election: tuple[tuple[str, int], ...],
    name: Callable[[str], str] = str,
) -> list[tuple[str, str, str]]:
    """Rows (name of the code, today, so far) in the order of the longer period."""
    now = dict(today)
    return [(name(code), str(now.get(code, 0)), str(count)) for code, count in election] + [
        (name(code), str(count), "0") for code, count in today if code not in dict(election)
    ]


def count_ticks(top: int) -> list[int]:
    """Whole numbers from 0 to at least ``top`` for a count axis (no « 0.50 »: a count of
    interventions or votes has no half), at most MAX_TICKS of them."""
    top = max(top, 1)
    step = math.ceil(top / (MAX_TICKS - 1))
    return list(range(0, math.ceil(top / step) * step + 1, step))


class DashboardScreen(CsuScreen[None]):
    """Figures of the election in focus; F5 refreshes, Échap returns. The tables give
    each count today (« Auj. ») and since the support began (« Cumul »)."""

    DEFAULT_CSS = """
    DashboardScreen #dashboard-title { text-style: bold; padding: 0 1; }
    DashboardScreen #dashboard-now { padding: 0 1; color: $warning; }
    DashboardScreen #dashboard-election-figures { padding: 0 1; }
    DashboardScreen #dashboard-charts { height: 14; }
    DashboardScreen #dashboard-feed { height: 10; }
    DashboardScreen #dashboard-votes-chart { width: 1fr; }
    DashboardScreen #dashboard-platforms { width: 1fr; height: 1fr; }
    DashboardScreen #dashboard-tables { height: 1fr; }
    DashboardScreen #dashboard-tables DataTable { width: 1fr; height: 1fr; }
    DashboardScreen #dashboard-status { padding: 0 1; color: $text-muted; }
    """

    # Textual's auto focus scrolled to the first table: at 80x24 the screen opened below
    # its summary (« En ce moment : … ») and the charts' titles. It is focused in place.
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="dashboard-back"),
        Binding("f5", "refresh", "Actualiser", id="dashboard-refresh"),
        Binding("e", "next_election", "Élection suivante", id="dashboard-next-election"),
        # The requests « En ce moment » counts: a newcomer found them only in the palette.
        # A supervisor's only (the app's check_action, as for every desk screen).
        Binding("s", "app.desk('approvals')", "Substitutions", id="dashboard-approvals"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.figures: Dashboard | None = None
        self.election_id: str | None = None  # None: the app's election in focus

    def own_election(self) -> ElectionDefinition | None:
        """Once « e » chose an election, the header shows it, not the operator's."""
        if self.election_id is None or self.figures is None:
            return None
        return self.figures.definition

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.csu.clock)
        yield Static("Tableau de bord", id="dashboard-title", markup=False)
        yield Static("Chargement des chiffres…", id="dashboard-now", markup=False)
        yield Static("", id="dashboard-election-figures", markup=False)
        with Horizontal(id="dashboard-charts"):
            yield PlotextPlot(id="dashboard-today-chart")
            yield PlotextPlot(id="dashboard-election-chart")
        with Horizontal(id="dashboard-feed"):
            yield PlotextPlot(id="dashboard-votes-chart")
            yield PlainTable(id="dashboard-platforms", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="dashboard-tables"):
            for table_id, _, _ in TABLES:
                yield PlainTable(id=table_id, cursor_type="row", zebra_stripes=True)
        yield Static("", id="dashboard-status", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        for table_id, label, _ in TABLES:
            table = self.query_one(f"#{table_id}", DataTable)
            table.add_columns(label, "Auj.", "Cumul")
        platforms = self.query_one("#dashboard-platforms", DataTable)
        platforms.add_columns(*PLATFORM_COLUMNS)
        platforms.focus(scroll_visible=False)
        self.load()
        self.set_interval(REFRESH_SECONDS, self.load)

    def on_resize(self) -> None:
        # The charts' titles follow their width (_title): drawn again for the new one.
        if self.figures is not None:
            self.call_after_refresh(self._show, self.figures)

    def action_refresh(self) -> None:
        self.load()

    def action_next_election(self) -> None:
        if self.figures is None:
            return
        self.election_id = next_election(self.figures)
        self.load()

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def load(self) -> None:
        who = self.csu.operator
        if who is None:
            return
        election = self.election_id or (self.csu.election.id if self.csu.election else None)
        figures = dashboard(self.csu.deps, who, election)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, figures)

    # --- showing ------------------------------------------------------------------

    def _show(self, figures: Dashboard) -> None:
        self.figures = figures
        self.fill_header()
        title = f"Tableau de bord — {figures.election_id or 'aucun scrutin chargé'}"
        self.query_one("#dashboard-title", Static).update(title)
        self.query_one("#dashboard-now", Static).update(now_line(figures))
        self.query_one("#dashboard-election-figures", Static).update(election_lines(figures))
        today, election = figures.today, figures.election
        self._chart("#dashboard-today-chart", today, hours_only=True)
        self._chart("#dashboard-election-chart", election, hours_only=False)
        empty: tuple[tuple[str, int], ...] = ()
        rows = (
            (today.by_action if today else empty, election.by_action if election else empty),
            (today.by_outcome if today else empty, election.by_outcome if election else empty),
            (
                today.by_operator if today else empty,
                election.by_operator if election else empty,
            ),
        )
        for (table_id, _, name), (of_today, so_far) in zip(TABLES, rows, strict=True):
            table = self.query_one(f"#{table_id}", DataTable)
            table.clear()
            for row in merged(of_today, so_far, name):
                table.add_row(*row)
        self._votes_chart(figures.votes)
        platforms = self.query_one("#dashboard-platforms", DataTable)
        platforms.clear()
        for activity in figures.platforms:
            platforms.add_row(*platform_row(activity), key=activity.name)
        if not figures.platforms:
            platforms.add_row("aucune", "", "", "")
        self.query_one("#dashboard-status", Static).update(
            f"Actualisé à {figures.at:%H:%M:%S}, toutes les {REFRESH_SECONDS} s "
            "(F5 pour actualiser ; e : élection suivante)."
        )

    def _votes_chart(self, votes: Votes | None) -> None:
        plot = self.query_one("#dashboard-votes-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        if votes is None:
            plt.title("Émargements par heure : le vote n'est pas ouvert")
        else:
            hours = votes.per_hour
            counts = [count for _, count in hours]
            _count_axis(plt, counts)
            plt.plot([float(i) for i in range(len(hours))], counts)
            ticks = [i for i, (moment, _) in enumerate(hours) if i == 0 or moment.hour == 0]
            plt.xticks([float(i) for i in ticks], [f"{hours[i][0]:%d/%m}" for i in ticks])
            _title(plot, f"Émargements par heure depuis l'ouverture : {votes.total}",
                   f"Émargements/h depuis l'ouverture : {votes.total}")  # fmt: skip
        plot.refresh()

    def _chart(self, selector: str, period: Period | None, *, hours_only: bool) -> None:
        plot = self.query_one(selector, PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        if period is None:
            plt.title("Interventions par heure : aucune donnée")
        else:
            hours = period.per_hour
            counts = [count for _, count in hours]
            _count_axis(plt, counts)
            if hours_only:
                plt.bar([f"{moment:%H}h" for moment, _ in hours], counts)
            else:
                plt.plot([float(i) for i in range(len(hours))], counts)
                ticks = list(range(0, len(hours), 24))
                plt.xticks([float(i) for i in ticks], [f"{hours[i][0]:%d/%m}" for i in ticks])
            said = f"{period.label.lower()} : {period.interventions}"
            _title(
                plot,
                f"Interventions par heure — {said}",
                f"Interventions/h, {said}",
                f"Interv./h, {said}",  # since the 17/11 at 80 columns: its count was cut
            )
        plot.refresh()


def _title(plot: PlotextPlot, *forms: str) -> None:
    """The chart's title: the first of its ``forms``, longest first, that the chart has
    room for (plotext drew none at all rather than a title wider than the chart), else
    the shortest, cut."""
    room = plot.size.width - 4  # the frame and the axis' labels
    chosen = next((form for form in forms if len(form) <= room), forms[-1])
    if len(chosen) > room > 1:  # large counts: cut, rather than no title at all
        chosen = chosen[: room - 1] + "…"
    plot.plt.title(chosen)


def _count_axis(plt: Any, counts: list[int]) -> None:
    """From zero (no negative axis on a quiet day) to the highest count, whole numbers."""
    ticks = count_ticks(max([1, *counts]))
    plt.ylim(0, ticks[-1])
    plt.yticks([float(tick) for tick in ticks], [str(tick) for tick in ticks])
