"""The footer every screen shows: Textual's, built again only when the keys it offers
change, its keys built already in their style, on two lines at most."""

from collections.abc import Hashable, Iterator, Sequence
from math import ceil
from typing import Any

from textual import events
from textual.binding import ActiveBinding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

MAX_LINES = 2  # of a footer: at 80×24, the screen keeps 21 lines (the header takes one)
KEPT_ACTIONS = ("help",)  # F1 lists every key: in the footer whatever gives way
# The class of a toast rack under a window: its toasts are not drawn (csu.screens.base).
UNDER_WINDOW = "-under-window"
OVER_WINDOW = "-over-window"  # a window's rack: its newest toast alone is drawn
OVER_SECRET = "-over-secret"  # a window showing a secret once: no toast is drawn


class KeysFooter(Footer):
    """Textual's ``Footer``, drawn the same, at a fraction of the cost of keeping it.

    Textual builds the footer again whenever the screen's bindings are updated: each
    focus move, even between two fields that offer the same keys. Here it is rebuilt
    only when what it shows changes (a key, its label, whether it is enabled).

    And each new ``FooterKey`` started compact, the class of that style added as it
    mounted, then took the footer's own (not compact) and the class went: two restyles
    per key. Restyles were a ninth of a Pilot test's CPU (tests/screens/test_call_path.py:
    7,419 of them, 8 s of 73). Here each key starts in its style, class included: the
    footer's for the keys bound to it, compact for the command palette's (as Textual
    draws it). Nothing changes as they mount.

    Textual's footer is one line, cut where the screen ends: at 120 columns the voter's
    file showed 8 of its keys, and not « F1 Aide ». Here the keys that do not fit on one
    line go on a second, in aligned columns, or flowed line by line as words where that
    takes fewer lines.

    Two lines at most (``max_lines``): a supervisor's voter file took 5 of an 80×24
    terminal's lines, the voter's lock state out of view. Past them, keys give way one
    by one, the last first, until the others fit: the application's (« ctrl+o
    Déconnexion », « F8 Intégrité »…, also in the command palette), then the greyed
    ones, then the others. F1 lists them all, and « F1 Aide » stays."""

    _shown: Hashable = None
    _grid: Hashable = (0, 0)  # lines and columns, or the keys flowed, as last laid out
    _app_keys: frozenset[str] = frozenset()  # the keys bound by the application

    def __init__(self, *, max_lines: int | None = MAX_LINES, **options: Any) -> None:
        super().__init__(**options)
        self.max_lines = max_lines  # None: as many lines as the keys need
        # Each key's width as last measured: one that gave way, hidden, has none.
        self._widths: dict[FooterKey, int] = {}

    def _offered(self, active: dict[str, ActiveBinding]) -> Hashable:
        """What the footer shows of the screen's bindings."""
        return (
            self.show_command_palette,
            self.compact,
            tuple(
                (b.key, b.action, b.description, b.group, enabled, tooltip)
                for (_, b, enabled, tooltip) in active.values()
                if b.show
            ),
        )

    async def recompose(self) -> None:
        if not self.is_attached or self._pruning:
            # Its screen is going: asked now, the screen's check_action may look for a
            # widget already removed (NoMatches, seen once in a walk's journal review).
            return
        if self._bindings_ready and self._offered(self.screen.active_bindings) == self._shown:
            return
        await super().recompose()
        self.call_after_refresh(self._arrange)  # once the new keys have their width

    def _on_resize(self, event: events.Resize) -> None:
        self._arrange()

    def _arrange(self, tries: int = 3) -> None:
        """One line if the keys fit, else the fewest lines of aligned columns that do, or
        of keys flowed as words if fewer still; past ``max_lines``, without the keys
        that give way first."""
        if not self.is_attached or not self.size.width:
            # Its screen is hidden under another: arranged with no room, its grid had
            # negative columns, which Textual's grid layout fails on. Arranged again
            # when it gets its width back (a resize).
            return
        every = [key for key in self.children if isinstance(key, FooterKey)]
        keys = [key for key in every if not key.has_class("-command-palette")]
        for key in keys:
            if key.display:
                self._widths[key] = key.outer_size.width
        all_widths = [self._widths.get(key, 0) for key in keys]
        if 0 in all_widths and tries:  # new keys not laid out yet: once they are
            self.call_after_refresh(self._arrange, tries - 1)
            return
        if not all_widths or 0 in all_widths:
            return
        docked = sum(k.outer_size.width for k in every if k.has_class("-command-palette"))
        room = self.size.width - docked
        kept = self._kept(keys, all_widths, room)
        for key in keys:
            key.display = key in kept
        keys = [key for key in keys if key in kept]
        widths = [self._widths[key] for key in keys]
        lines = _aligned_lines(widths, room)
        columns = ceil(len(widths) / lines)
        spans, flowed_lines = _flowed(widths, room)
        # Aligned columns read best; keys flowed line by line, as words, take fewer lines
        # where the widest keys fall in different columns (a president's file at 80
        # columns: 3 lines instead of 6, of a 24-line terminal).
        flowed = flowed_lines < lines
        grid: Hashable = (
            ("flowed", tuple(spans)) if flowed else (lines, columns),
            tuple(id(key) for key in keys),
        )
        if grid == self._grid:
            return  # each style set lays the screen out again
        self._grid = grid
        styles = self.styles
        for key, span in zip(keys, spans, strict=True):
            key.styles.column_span = span if flowed else 1
        if flowed:
            lines = flowed_lines
            styles.layout = "grid"
            styles.grid_size_columns = room  # one a column: a key spans its width
            styles.grid_size_rows = lines
            styles.grid_columns = "1"
        elif lines == 1:
            styles.layout = "horizontal"
        else:
            styles.layout = "grid"
            styles.grid_size_columns = columns
            styles.grid_size_rows = lines
            styles.grid_columns = "auto"
        styles.height = lines
        keep_notifications_above(self.app.screen_stack)  # windows above it included

    def _kept(self, keys: list[FooterKey], widths: list[int], room: int) -> list[FooterKey]:
        """The keys shown: all of them if they fit on ``max_lines`` lines, else all but
        those that give way first, one by one, until the others fit."""
        kept = list(keys)
        if self.max_lines is None:
            return kept
        width = dict(zip(keys, widths, strict=True))
        application = [key for key in keys if key.key in self._app_keys]
        greyed = [key for key in keys if key.has_class("-disabled")]
        giving_way = [
            key
            for key in [*reversed(application), *reversed(greyed), *reversed(keys)]
            if key.action not in KEPT_ACTIONS
        ]
        for key in dict.fromkeys(giving_way):
            if _lines([width[k] for k in kept], room) <= self.max_lines:
                break
            kept.remove(key)
        return kept

    def compose(self) -> Iterator[Widget]:  # type: ignore[override]
        if self._bindings_ready:
            active = self.screen.active_bindings
            self._shown = self._offered(active)
            self._app_keys = frozenset(
                key for key, found in active.items() if found.node is self.app
            )
        self._widths = {}
        self._grid = (0, 0)  # Textual's compose sets the grid's columns: arrange again
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Not read from the key: reading a reactive first runs its watcher.
                bound = "compact" in (widget._reactive_connect or {})
                compact = self.compact if bound else True  # FooterKey's own default
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget


def _aligned_lines(widths: Sequence[int], room: int) -> int:
    """The fewest lines of aligned columns that keys of these widths fit in."""
    return next((n for n in range(1, len(widths)) if _fits(widths, n, room)), len(widths))


def _lines(widths: Sequence[int], room: int) -> int:
    """The lines keys of these widths take: aligned in columns, or flowed as words."""
    if not widths:
        return 1
    return min(_aligned_lines(widths, room), _flowed(widths, room)[1])


def _flowed(widths: Sequence[int], room: int) -> tuple[list[int], int]:
    """Keys of these widths flowed into lines of ``room`` columns, as words are: the
    columns each spans (the last of a line spans the rest of it, so that the grid starts
    the next on the next line) and the number of lines."""
    spans: list[int] = []
    lines, used = 1, 0
    for width in widths:
        width = min(width, room)
        if used and used + width > room:
            spans[-1] += room - used
            lines, used = lines + 1, 0
        spans.append(width)
        used += width
    return spans, lines


def _fits(widths: Sequence[int], lines: int, room: int) -> bool:
    """Whether keys of these widths, laid in rows of ``lines`` lines (a grid filled row
    by row, each column as wide as its widest key), fit in ``room`` columns."""
    columns = ceil(len(widths) / lines)
    return sum(max(widths[column::columns]) for column in range(columns)) <= room


def keep_notifications_above(screens: Sequence[Screen[Any]]) -> None:
    """Textual's notifications keep one line free at the bottom for its footer. Here each
    screen's keep as many as the footer seen under them: their own (a CSU window has
    one), or, for one of Textual's (the command palette), that of the nearest screen
    below it.

    A CSU window (a modal with its own footer) shows them at the top instead: its
    buttons end the window, at the bottom right of a small terminal, where a notice
    hid « Fermer » or « Valider » from an agent who had to read both.

    Only the topmost modal screen shows them: Textual gives each new notification to
    the screen on top, but a screen below keeps the toasts it showed before the window
    opened, seen through the window's translucent background (the same notice twice,
    at the bottom and at the top). The screens below hide their toasts until the
    window closes; called again on every change of the stack (``CsuApp``)."""
    lines = 1
    modals = [index for index, screen in enumerate(screens) if screen.is_modal]
    top = modals[-1] if modals else 0  # the screens below it hide their toasts
    for index, screen in enumerate(screens):  # from the bottom of the stack up
        footers = screen.query(KeysFooter)
        height = footers.first().styles.height if footers else None
        if height is not None:
            lines = int(height.value)
        window = screen.is_modal and bool(footers)
        for rack in screen.query("#textual-toastrack"):
            # Not its display: Textual sets it as the rack is given its notifications.
            rack.set_class(index < top, UNDER_WINDOW)
            rack.set_class(window, OVER_WINDOW)  # the newest toast alone (csu.screens.base)
            rack.set_class(getattr(screen, "SHOWS_SECRET", False), OVER_SECRET)
            if window:
                rack.styles.dock = "top"
                rack.styles.align = ("right", "top")
                rack.styles.margin = (0, 0, 0, 0)
            else:
                rack.styles.margin = (0, 0, lines, 0)
