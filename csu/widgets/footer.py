"""The footer every screen shows: Textual's, built again only when the keys it offers
change, its keys built already in their style, on as many lines as they need."""

from collections.abc import Hashable, Iterator, Sequence
from math import ceil
from typing import Any

from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


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
    line go on a second (a third…), in aligned columns, or flowed line by line as words
    where that takes fewer lines."""

    _shown: Hashable = None
    _grid: Hashable = (0, 0)  # lines and columns, or the keys flowed, as last laid out

    def _offered(self) -> Hashable:
        """What the footer shows of the screen's bindings."""
        return (
            self.show_command_palette,
            self.compact,
            tuple(
                (b.key, b.action, b.description, b.group, enabled, tooltip)
                for (_, b, enabled, tooltip) in self.screen.active_bindings.values()
                if b.show
            ),
        )

    async def recompose(self) -> None:
        if not self.is_attached or self._pruning:
            # Its screen is going: asked now, the screen's check_action may look for a
            # widget already removed (NoMatches, seen once in a walk's journal review).
            return
        if self._bindings_ready and self._offered() == self._shown:
            return
        await super().recompose()
        self.call_after_refresh(self._arrange)  # once the new keys have their width

    def _on_resize(self, event: events.Resize) -> None:
        self._arrange()

    def _arrange(self, tries: int = 3) -> None:
        """One line if the keys fit, else the fewest lines of aligned columns that do, or
        of keys flowed as words if fewer still."""
        if not self.is_attached:
            return
        keys = [key for key in self.children if not key.has_class("-command-palette")]
        widths = [key.outer_size.width for key in keys]
        if 0 in widths and tries:  # new keys not laid out yet: once they are
            self.call_after_refresh(self._arrange, tries - 1)
            return
        if not widths or 0 in widths:
            return
        docked = sum(k.outer_size.width for k in self.children if k.has_class("-command-palette"))
        room = self.size.width - docked
        lines = next((n for n in range(1, len(widths)) if _fits(widths, n, room)), len(widths))
        columns = ceil(len(widths) / lines)
        spans, flowed_lines = _flowed(widths, room)
        # Aligned columns read best; keys flowed line by line, as words, take fewer lines
        # where the widest keys fall in different columns (a president's file at 80
        # columns: 3 lines instead of 6, of a 24-line terminal).
        flowed = flowed_lines < lines
        grid: Hashable = ("flowed", tuple(spans)) if flowed else (lines, columns)
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

    def compose(self) -> Iterator[Widget]:  # type: ignore[override]
        if self._bindings_ready:
            self._shown = self._offered()
        self._grid = (0, 0)  # Textual's compose sets the grid's columns: arrange again
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Not read from the key: reading a reactive first runs its watcher.
                bound = "compact" in (widget._reactive_connect or {})
                compact = self.compact if bound else True  # FooterKey's own default
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget


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
    screen's keep as many as the footer seen under them: their own, or, for a window
    (which has none), that of the nearest screen below it, which shows through."""
    lines = 1
    for screen in screens:  # from the bottom of the stack up
        footers = screen.query(KeysFooter)
        height = footers.first().styles.height if footers else None
        if height is not None:
            lines = int(height.value)
        for rack in screen.query("#textual-toastrack"):
            rack.styles.margin = (0, 0, lines, 0)
