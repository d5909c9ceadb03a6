"""Tables whose columns follow the terminal's width: below a width, narrower columns cut
their text with « … » so that the columns that matter most (an entry's outcome) stay in
view at 80 columns instead of off the right edge."""

from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

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
