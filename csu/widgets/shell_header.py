"""The header every screen shows: who works where, and the election in focus."""

from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from csu.domain.clock import Clock, countdown, to_paris

if TYPE_CHECKING:  # the election module loads with the store, after the first frame
    from csu.domain.election import ElectionDefinition


def election_line(definition: "ElectionDefinition | None", now: datetime) -> str:
    """« minint-2022 · ouvert · Fermeture du vote dans 2 j 06 h 52 min · support ouvert »."""
    if definition is None:
        return "Aucun scrutin chargé"
    from csu.domain.election import ElectionState, state_at, within_support_hours

    state = state_at(definition, now)
    parts = [definition.id, state.label]
    if state is ElectionState.OPEN:
        parts.append(f"Fermeture du vote dans {countdown(definition.closes_at - now)}")
    elif state is ElectionState.BEFORE:
        parts.append(f"Ouverture dans {countdown(definition.opens_at - now)}")
    else:
        parts.append(f"vote fermé le {to_paris(definition.closes_at):%d/%m/%Y à %H:%M}")
    hours = within_support_hours(definition, now)
    parts.append("support ouvert" if hours else "support fermé")
    return " · ".join(parts)


class ShellHeader(Horizontal):
    """Operator, role and workstation on the left; the election in focus on the right,
    its countdown refreshed every second."""

    DEFAULT_CSS = """
    ShellHeader { height: 1; dock: top; background: $panel; color: $text; }
    ShellHeader > #who { width: 1fr; padding: 0 1; text-style: bold; }
    ShellHeader > #election { width: auto; padding: 0 1; }
    """

    who: reactive[str] = reactive("CSU électeurs — non connecté")
    election: "reactive[ElectionDefinition | None]" = reactive(None, always_update=True)

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield Static(id="who")
        yield Static(id="election")

    def on_mount(self) -> None:
        self.set_interval(1, self._tick)
        self._tick()

    def watch_who(self, value: str) -> None:
        if self.is_mounted:
            self.query_one("#who", Static).update(value)

    def watch_election(self, _: "ElectionDefinition | None") -> None:
        if self.is_mounted:
            self._tick()

    def _tick(self) -> None:
        self.query_one("#who", Static).update(self.who)
        self.query_one("#election", Static).update(election_line(self.election, self._clock()))
