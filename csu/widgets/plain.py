"""Widgets that show data as written: tables and choices.

Textual and Rich read square brackets in a string as markup: a voter named « Martin [/] »
in a roll (brackets are not refused in names) stopped the app with a markup error, and
« [link=…] » in a name or a note would have been drawn as a link. What the cell shows
comes from rolls, organisers' files and what operators typed, never styles written in
strings, so each text is handed over as a rich ``Text``. The Statics of the screens
that show data say ``markup=False`` for the same reason, and the app's notifications
never read markup (``CsuApp.notify``)."""

from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.widgets import DataTable, Select
from textual.widgets._select import SelectOverlay
from textual.widgets.data_table import RowKey


def plain(cell: object) -> object:
    """A string as ``Text`` (shown as written); anything else as it is."""
    return Text(cell, end="") if isinstance(cell, str) else cell


class PlainTable(DataTable[Any]):
    """``DataTable`` whose string cells are data, never markup."""

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: str | Text | None = None,
    ) -> RowKey:
        return super().add_row(
            *(plain(cell) for cell in cells),
            height=height,
            key=key,
            label=Text(label) if isinstance(label, str) else label,
        )

    def update_cell(
        self, row_key: Any, column_key: Any, value: Any, *, update_width: bool = False
    ) -> None:
        super().update_cell(row_key, column_key, plain(value), update_width=update_width)


def add_plain_row(table: Table, *cells: object) -> None:
    """A row of a rich ``Table`` (the voter's file, an entry's changes), its string cells
    shown as written: Rich too reads a string cell as markup."""
    table.add_row(*(plain(cell) for cell in cells))  # type: ignore[arg-type]


def plain_options(options: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return [(plain(prompt), value) for prompt, value in options]


class PlainSelect(Select[Any]):
    """``Select`` whose string prompts are data (a bureau's name, an operator's, an
    election's title), never markup."""

    def __init__(self, options: Iterable[tuple[Any, Any]], **kwargs: Any) -> None:
        super().__init__(plain_options(options), **kwargs)

    def set_options(self, options: Iterable[tuple[Any, Any]]) -> None:
        super().set_options(plain_options(options))


class NextSelect(Select[Any]):
    """``Select`` of a window's form: an option picked (Entrée, or a click, in its list)
    leaves the cursor on the list, so that Tab goes on to the next field as everywhere;
    Entrée right after the pick goes on too, where it would open the list again.

    Entrée, Entrée, Entrée opened the list, picked, and opened it again, never reaching
    « Ouvrir » or « Délivrer » (newcomer run); the cursor then moved on by itself, and
    the Tab a newcomer pressed after the pick skipped a field: four digits typed on a
    button went nowhere, a Tab then Entrée pressed « Annuler » (the next newcomer run).
    Now both go on once. Down, Space or Entrée later on open the list."""

    BINDINGS = [Binding("enter", "enter", show=False)]

    _just_picked = False

    @on(SelectOverlay.UpdateSelection)
    def _picked(self) -> None:
        self._just_picked = True

    def action_enter(self) -> None:
        if self._just_picked:
            self._just_picked = False
            self.screen.focus_next()
        else:
            self.action_show_overlay()

    def action_show_overlay(self) -> None:
        self._just_picked = False
        super().action_show_overlay()

    @on(events.Blur)
    def _forget_pick(self) -> None:
        self._just_picked = False


class PlainNextSelect(NextSelect, PlainSelect):
    """:class:`NextSelect` whose prompts are data (an election's title)."""
