"""The header every screen shows: who works where, and the election in focus."""

from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from csu.domain.clock import Clock, countdown, to_paris

if TYPE_CHECKING:  # the election module loads with the store, after the first frame
    from csu.domain.election import ElectionDefinition


def election_line(
    definition: "ElectionDefinition | None", now: datetime, *, short: bool = False
) -> str:
    """« minint-2022 · ouvert · Fermeture du vote dans 2 j 06 h 52 min · support ouvert »;
    ``short``, for a narrow terminal: « minint-2022 · ferme dans 2 j 06 h 52 min · support
    ouvert » (the countdown says the state)."""
    if definition is None:
        return "Aucun scrutin chargé"
    from csu.domain.election import ElectionState, state_at, within_support_hours

    state = state_at(definition, now)
    parts = [definition.id] if short else [definition.id, state.label]
    if state is ElectionState.OPEN:
        lead = "ferme dans" if short else "Fermeture du vote dans"
        parts.append(f"{lead} {countdown(definition.closes_at - now)}")
    elif state is ElectionState.BEFORE:
        lead = "ouvre dans" if short else "Ouverture dans"
        parts.append(f"{lead} {countdown(definition.opens_at - now)}")
    else:
        closed = to_paris(definition.closes_at)
        parts.append(f"fermé le {closed:%d/%m à %H:%M}" if short
                     else f"vote fermé le {closed:%d/%m/%Y à %H:%M}")  # fmt: skip
    hours = within_support_hours(definition, now)
    parts.append("support ouvert" if hours else "support fermé")
    return " · ".join(parts)


class ShellHeader(Horizontal):
    """Operator, role and workstation on the left; the election in focus on the right,
    its countdown refreshed every second.

    Where both do not fit on the line (80 columns), the election's line takes its short
    form and who works where is cut with an ellipsis: before, the election's line took
    the whole width and hid who was logged in. Narrower still, the election's line is
    cut too, so that the operator's name stays whole: on a shared workstation, who is
    logged in matters more than the countdown."""

    DEFAULT_CSS = """
    ShellHeader { height: 1; dock: top; background: $panel; color: $text; }
    ShellHeader > #who {
        width: 1fr; padding: 0 1; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ShellHeader > #election {
        width: auto; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    PADDING = 4  # one column each side of each part

    who: reactive[str] = reactive("CSU électeurs — non connecté")
    election: "reactive[ElectionDefinition | None]" = reactive(None, always_update=True)

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield Static(id="who", markup=False)  # names are data: brackets shown as typed
        yield Static(id="election", markup=False)

    def on_mount(self) -> None:
        self.set_interval(1, self._tick)
        self._tick()

    def watch_who(self, _: str) -> None:
        if self.is_mounted:
            self._tick()  # a longer or shorter name: the election's line may change form

    def watch_election(self, _: "ElectionDefinition | None") -> None:
        if self.is_mounted:
            self._tick()

    def on_resize(self) -> None:
        self._tick()

    def _tick(self) -> None:
        now = self._clock()
        line = election_line(self.election, now)
        # Terminal cells, not characters: a wide character takes two.
        width = self.size.width
        if cell_len(line) + cell_len(self.who) + self.PADDING > width:
            line = election_line(self.election, now, short=True)
        election = self.query_one("#election", Static)
        # The name (before the first « — ») kept whole, and the ellipsis after it, the
        # election's line cut to fit.
        name = cell_len(self.who.split(" — ", 1)[0]) + 1
        room = width - name - self.PADDING
        election.styles.max_width = max(room, 0) + 2 if cell_len(line) > room else None
        self.query_one("#who", Static).update(self.who)
        election.update(line)
