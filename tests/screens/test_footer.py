"""The screens' footer (csu.widgets.footer): Textual's, drawn the same, built again only
when the keys it offers change, and without restyling its keys as they mount."""

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input
from textual.widgets._footer import FooterKey

from csu.widgets.footer import KeysFooter


class NoteField(Input):
    """A field that offers a key of its own while it has the focus."""

    BINDINGS = [Binding("f7", "bell", "Dicter")]


class Desk(App[None]):
    BINDINGS = [Binding("f2", "bell", "Rechercher"), Binding("f5", "bell", "Envoyer")]

    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self.footer = footer
        self.restyled: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")
        yield NoteField(id="note")
        yield self.footer()

    def update_styles(self, node: Any, animate: bool = True) -> None:
        self.restyled.append(node)
        super().update_styles(node, animate)

    def keys_shown(self) -> list[FooterKey]:
        return list(self.query(FooterKey))


async def after_tabs(footer: type[Footer], tabs: int = 1) -> tuple[Desk, str, list[Any]]:
    """The desk after ``tabs`` focus moves: its screen, and the nodes restyled."""
    app = Desk(footer)
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        app.restyled.clear()
        for _ in range(tabs):
            await pilot.press("tab")
            await pilot.pause()
        await pilot.pause()
        return app, app.export_screenshot(), list(app.restyled)


@pytest.mark.parametrize("tabs", [1, 2])
async def test_the_footer_reads_as_textuals(tabs: int) -> None:
    _, ours, _ = await after_tabs(KeysFooter, tabs)
    _, textuals, _ = await after_tabs(Footer, tabs)
    assert ours == textuals


@pytest.mark.parametrize(("footer", "restyled"), [(KeysFooter, False), (Footer, True)])
async def test_a_focus_move_restyles_no_footer_key(footer: type[Footer], restyled: bool) -> None:
    _, _, nodes = await after_tabs(footer)
    assert any(isinstance(node, FooterKey) for node in nodes) is restyled


async def test_a_focus_move_offering_the_same_keys_keeps_the_footer_as_it_is() -> None:
    app = Desk(KeysFooter)
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        before = app.keys_shown()
        await pilot.press("tab")
        await pilot.pause()
        await pilot.pause()
        assert app.keys_shown() == before


async def test_a_key_a_field_offers_shows_while_it_has_the_focus_only() -> None:
    app = Desk(KeysFooter)
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        shown = []
        for _ in range(3):  # first → second → note → first
            await pilot.press("tab")
            await pilot.pause()
            await pilot.pause()
            shown.append([key.description for key in app.keys_shown()])
    assert "Dicter" not in shown[0]
    assert "Dicter" in shown[1]
    assert "Dicter" not in shown[2]


class Ledger(Screen[None]):
    """A screen whose keys depend on a widget of its own, as the journal review's do."""

    BINDINGS = [Binding("f3", "bell", "Ouvrir")]

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def compose(self) -> ComposeResult:
        yield DataTable(id="rows")
        yield KeysFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        self.asked += 1
        self.query_one("#rows", DataTable)
        return True


async def test_a_footer_whose_screen_is_going_asks_the_screen_nothing() -> None:
    app = App[None]()
    async with app.run_test(size=(80, 6)) as pilot:
        ledger = Ledger()
        await app.push_screen(ledger)
        await pilot.pause()
        footer = ledger.query_one(KeysFooter)
        ledger.asked = 0
        removed = ledger.remove()  # as popping it does: each of its nodes is now going
        await footer.recompose()  # a recompose that was due, run as the screen goes
        await removed
        assert ledger.asked == 0
