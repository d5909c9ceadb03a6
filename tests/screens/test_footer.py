"""The screens' footer (csu.widgets.footer): Textual's, drawn the same, without restyling
each of its keys as the footer is built again on every focus move."""

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

from csu.widgets.footer import KeysFooter


class Desk(App[None]):
    BINDINGS = [Binding("f2", "bell", "Rechercher"), Binding("f5", "bell", "Envoyer")]

    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self.footer = footer
        self.restyled: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")
        yield self.footer()

    def update_styles(self, node: Any, animate: bool = True) -> None:
        self.restyled.append(node)
        super().update_styles(node, animate)


async def screenshot_after_focus_moves(footer: type[Footer]) -> tuple[str, list[Any]]:
    app = Desk(footer)
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        app.restyled.clear()
        await pilot.press("tab")
        await pilot.pause()
        await pilot.pause()
        return app.export_screenshot(), list(app.restyled)


async def test_the_footer_reads_as_textuals() -> None:
    ours, _ = await screenshot_after_focus_moves(KeysFooter)
    textuals, _ = await screenshot_after_focus_moves(Footer)
    assert ours == textuals


@pytest.mark.parametrize(("footer", "restyled"), [(KeysFooter, False), (Footer, True)])
async def test_a_focus_move_restyles_no_footer_key(footer: type[Footer], restyled: bool) -> None:
    _, nodes = await screenshot_after_focus_moves(footer)
    assert any(isinstance(node, FooterKey) for node in nodes) is restyled
