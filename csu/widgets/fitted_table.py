"""Tables whose columns follow the terminal's width: below a width, narrower columns cut
their text with « … » so that the columns that matter most (an entry's outcome) stay in
view at 80 columns instead of off the right edge.

Two ways: a screen that lays its columns out itself (:func:`columns_for` and
:func:`lay_out`, two fixed sets of widths), or a :class:`FittedTable`, whose columns
take their content's width and shrink, widest first, when the table is too narrow."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from csu.widgets.plain import PlainTable

Columns = tuple[tuple[str, int | None], ...]  # label and width of each column


def cut(cell: str) -> Text:
    """A cell (or a header) on its one line, cut with « … » where its column is narrower:
    a wrapped cell in a one-line row showed its first words as if they were all, and a
    wrapped header of a scrolled table its second line alone."""
    return Text(cell, no_wrap=True, overflow="ellipsis", end="")


def columns_for(width: int, wide: Columns, narrow: Columns, breakpoint: int) -> Columns:
    return wide if width >= breakpoint else narrow


def lay_out(
    table: DataTable[Any], columns: Columns, rows: Iterable[tuple[str, Sequence[object]]]
) -> None:
    """``table``'s columns set anew, its ``(key, cells)`` rows added again under them,
    the cursor on the row it was on."""
    cursor = table.cursor_row
    table.clear(columns=True)
    for label, width in columns:
        table.add_column(label, width=width)
    count = 0
    for key, cells in rows:
        table.add_row(*cells, key=key)
        count += 1
    if count:
        table.move_cursor(row=min(cursor, count - 1), animate=False)


# ------------------------------------------------------------------ FittedTable


@dataclass(frozen=True, slots=True)
class Fit:
    """A column of a :class:`FittedTable`: its label, and the fewest cells it may shrink
    to (``None``: never, its widest cell is always shown whole)."""

    label: str
    floor: int | None = None
    # Shrunk to its floor before any other column is: free text beside names (a step's
    # precisions give way before the step's name).
    gives_way_first: bool = False


def shrunk(
    natural: Sequence[int],
    floors: Sequence[int | None],
    room: int,
    first: Sequence[bool] = (),
) -> tuple[int, ...]:
    """Widths for columns whose content is ``natural`` wide, in ``room`` cells: as they
    are if they fit, else the widest shrinkable one narrowed a cell at a time (a long
    name gives way before a short bureau), none below its floor; the ``first`` columns
    before the others. Still too wide at their floors, the table scrolls sideways."""
    widths = list(natural)
    excess = sum(widths) - room
    firsts = set(i for i, is_first in enumerate(first) if is_first)
    while excess > 0:
        shrinkable = [
            i for i, floor in enumerate(floors) if floor is not None and widths[i] > floor
        ]
        if not shrinkable:
            break
        shrinkable = [i for i in shrinkable if i in firsts] or shrinkable
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return tuple(widths)


def _plain_width(cell: object) -> int:
    if isinstance(cell, str):
        return cell_len(cell)
    if isinstance(cell, Text):
        return cell.cell_len
    return 0


_DANGLING = " \t\u00a0\u202f([{«"  # left dangling before an ellipsis


def fitted(cell: object, width: int | None) -> object:
    """A cell on one line, ``width`` cells at most (``None``: cut where drawn): « Dominique
    Prés… », the ellipsis after the last character kept rather than after a space or an
    opening bracket (« Alix Admin… », not « Alix Admin (… »)."""
    if isinstance(cell, str):
        return _cut_to(cut(cell), width)
    if isinstance(cell, Text):
        text = cell.copy()
        text.no_wrap, text.overflow, text.end = True, "ellipsis", ""
        return _cut_to(text, width)
    return cell


def _cut_to(text: Text, width: int | None) -> Text:
    if width is not None and text.cell_len > width:
        text.truncate(max(width - 1, 0), overflow="crop")
        dangling = len(text.plain) - len(text.plain.rstrip(_DANGLING))
        if dangling:  # right_crop(0) would empty the text
            text.right_crop(dangling)
        text.append("…")
    return text


class FittedTable(PlainTable):
    """A table of one-line rows whose columns take the width of their widest cell while
    the table has room, and otherwise shrink to fit it (:func:`shrunk`), their cells cut
    with « … »: at 80 columns the last columns (an operator's lock, a voter's status)
    were drawn off the right edge, the first ones wide for a long name.

    The columns are set with :meth:`set_columns`; the rows are added with ``add_row``
    (one line each, whatever ``height`` says) and emptied with ``clear`` as in any table.
    The table keeps them, whole, to lay them out again under new widths when a row or the
    terminal's size calls for it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fits: tuple[Fit, ...] = ()
        self._kept: list[tuple[str | None, tuple[object, ...]]] = []
        self._natural: list[int] = []
        self._widths: tuple[int, ...] | None = None
        self._fit_pending = False

    def set_columns(self, *fits: Fit) -> None:
        self._fits = fits
        self._kept = []
        self._natural = [cell_len(fit.label) for fit in fits]
        self._lay_out(tuple(self._natural))
        self._fit_soon()

    def show_rows(
        self,
        rows: Iterable[tuple[str | None, Sequence[object]]],
        fits: tuple[Fit, ...] | None = None,
    ) -> None:
        """The ``(key, cells)`` rows in place of those shown, under ``fits`` if given (new
        columns), the cursor on the row it was on (the last, if fewer)."""
        cursor = self.cursor_row
        if fits is not None:
            self.set_columns(*fits)
        else:
            self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if self._kept:
            self.move_cursor(row=min(max(cursor, 0), len(self._kept) - 1), animate=False)

    def whole_row(self, index: int) -> tuple[object, ...]:
        """The cells of the row at ``index`` as they were added, before any was cut."""
        return self._kept[index][1]

    @property
    def widths(self) -> tuple[int, ...] | None:
        """The width of each column's content as laid out now."""
        return self._widths

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: str | Text | None = None,
    ) -> RowKey:
        self._kept.append((key, cells))
        for index, cell in enumerate(cells[: len(self._natural)]):
            self._natural[index] = max(self._natural[index], _plain_width(cell))
        widths = self._widths or (None,) * len(cells)
        shown = [fitted(cell, width) for cell, width in zip(cells, widths, strict=False)]
        self._fit_soon()
        return super().add_row(*shown, *cells[len(shown) :], height=1, key=key, label=label)

    def clear(self, columns: bool = False) -> Self:
        self._kept = []
        self._natural = [cell_len(fit.label) for fit in self._fits]
        return super().clear(columns)

    def on_resize(self) -> None:
        self._fit()

    def _fit_soon(self) -> None:
        """Fits the columns once the rows being added are all there: after the handler
        adding them, before the next frame is drawn."""
        if not self._fit_pending:
            self._fit_pending = True
            self.call_next(self._fit)

    def _fit(self) -> None:
        self._fit_pending = False
        if not self._fits or self.size.width == 0:
            return
        rows = len(self._kept) + (1 if self.show_header else 0)
        scrollbar = self.styles.scrollbar_size_vertical if rows > self.size.height else 0
        room = self.size.width - scrollbar - 2 * self.cell_padding * len(self._fits)
        floors = [fit.floor for fit in self._fits]
        widths = shrunk(self._natural, floors, room, [fit.gives_way_first for fit in self._fits])
        if widths != self._widths:
            self._lay_out(widths)

    def _lay_out(self, widths: tuple[int, ...]) -> None:
        """The columns set anew ``widths`` wide, the rows kept added again under them, the
        cursor on the row it was on."""
        self._widths = widths
        cursor = self.cursor_row
        super().clear(columns=True)
        for fit, width in zip(self._fits, widths, strict=True):
            self.add_column(_cut_to(cut(fit.label), width), width=width)
        for key, cells in self._kept:
            shown = [fitted(cell, width) for cell, width in zip(cells, widths, strict=False)]
            super().add_row(*shown, *cells[len(shown) :], key=key)
        if self._kept:
            self.move_cursor(row=min(max(cursor, 0), len(self._kept) - 1), animate=False)
