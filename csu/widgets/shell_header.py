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


NO_ELECTION = "Aucun scrutin chargé"


def election_line(
    definition: "ElectionDefinition | None", now: datetime, *, short: bool = False
) -> str:
    """« minint-2022 · ouvert · Fermeture du vote dans 2 j 06 h 52 min · support ouvert »;
    ``short``, for a narrow terminal: « minint-2022 · ferme dans 2 j 06 h 52 min · support
    ouvert » (the countdown says the state)."""
    if definition is None:
        return NO_ELECTION
    forms = election_forms(definition, now)
    return forms[1] if short else forms[0]


def election_forms(definition: "ElectionDefinition | None", now: datetime) -> tuple[str, ...]:
    """The election's line from the longest form to the shortest, each one dropping what
    matters least: the long line, the short one (:func:`election_line`), the countdown
    without the support hours (« minint-2022 · ferme dans 2 j 06 h 52 min »), to the hour
    (« … ferme dans 2 j 06 h »), and the election alone (« minint-2022 »). Out of the
    support's hours, « support fermé » stays longest, the countdown going first."""
    if definition is None:
        return (NO_ELECTION, "Aucun scrutin")
    from csu.domain.election import ElectionState, state_at, within_support_hours

    state = state_at(definition, now)
    name = definition.id
    if state is ElectionState.OPEN:
        left = countdown(definition.closes_at - now)
        long_when = f"Fermeture du vote dans {left}"
        when, coarse = f"ferme dans {left}", f"ferme dans {_to_the_hour(left)}"
    elif state is ElectionState.BEFORE:
        left = countdown(definition.opens_at - now)
        long_when = f"Ouverture dans {left}"
        when, coarse = f"ouvre dans {left}", f"ouvre dans {_to_the_hour(left)}"
    else:
        closed = to_paris(definition.closes_at)
        long_when = f"vote fermé le {closed:%d/%m/%Y à %H:%M}"
        when, coarse = f"fermé le {closed:%d/%m à %H:%M}", f"fermé le {closed:%d/%m}"
    opened = within_support_hours(definition, now)
    support = "support ouvert" if opened else "support fermé"
    forms = [f"{name} · {state.label} · {long_when} · {support}", f"{name} · {when} · {support}"]
    if not opened:
        # Out of hours, the agent must see it before the countdown: at 80 columns it went
        # first (newcomer run).
        forms += [f"{name} · {coarse} · {support}", f"{name} · {support}"]
    forms += [f"{name} · {when}", f"{name} · {coarse}", name]
    return tuple(dict.fromkeys(forms))  # « 4 min » has no coarser form


def _to_the_hour(left: str) -> str:
    """« 2 j 06 h 52 min » → « 2 j 06 h »; under a day, as it is."""
    return left.rsplit(" ", 2)[0] if " j " in left else left


class ShellHeader(Horizontal):
    """Operator, role and workstation on the left; the election in focus on the right,
    its countdown refreshed every second.

    Where both do not fit on the line, parts go in this order, whole words always: the
    election's long line for its short one, the workstation, the support hours, the
    countdown's minutes, the countdown. What stays at 80 columns is who is logged in,
    their role, a president's bureau and the election in focus: before, who works where
    was cut with an ellipsis after the name, and a president's bureau showed nowhere.
    Narrower still (or a name too long for 80 columns), who works where is cut with an
    ellipsis and then the election's line, the operator's name kept whole: on a shared
    workstation, who is logged in matters more than the countdown."""

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

    # Who works where, then shorter forms of it (the app's who_forms): the first that
    # fits beside the election's line is shown.
    who: reactive[tuple[str, ...]] = reactive(("CSU électeurs — non connecté",))
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

    def watch_who(self, _: tuple[str, ...]) -> None:
        if self.is_mounted:
            self._tick()  # a longer or shorter name: the election's line may change form

    def watch_election(self, _: "ElectionDefinition | None") -> None:
        if self.is_mounted:
            self._tick()

    def on_resize(self) -> None:
        self._tick()

    def _tick(self) -> None:
        now = self._clock()
        # Terminal cells, not characters: a wide character takes two.
        width = self.size.width
        whos = self.who
        lines = election_forms(self.election, now)
        # Who works where whole with the long or short line, then without the workstation
        # with ever shorter lines.
        tries = [(whos[0], line) for line in lines[:2]] + [(whos[-1], line) for line in lines[1:]]
        fitting = (
            (who, line)
            for who, line in tries
            if cell_len(who) + cell_len(line) + self.PADDING <= width
        )
        who, line = next(fitting, tries[-1])
        election = self.query_one("#election", Static)
        # Nothing fits: the name (before the first « — ») kept whole, and the ellipsis
        # after it, the election's line cut to fit.
        name = cell_len(who.split(" — ", 1)[0]) + 1
        room = width - name - self.PADDING
        fits = cell_len(who) + cell_len(line) + self.PADDING <= width
        election.styles.max_width = None if fits or cell_len(line) <= room else max(room, 0) + 2
        self.query_one("#who", Static).update(who)
        election.update(line)
