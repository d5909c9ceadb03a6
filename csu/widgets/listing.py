"""Lists whose items wrap under their own text, not under their marker: a long item (a
set of verification answers, a step of a call) read as the next item when its second
line started at the left edge."""

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text


def hanging_list(heading: str, items: Sequence[tuple[str, str]]) -> Group:
    """``heading`` on its line, then each ``(marker, text)`` item, its text wrapped in
    a column of its own. Both as written: no markup is read."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for marker, text in items:
        grid.add_row(Text(marker), Text(text))
    return Group(Text(heading), grid)
