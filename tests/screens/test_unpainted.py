"""The tests' headless apps paint a screen whole when it leaves the top
(``tests.unpainted``): a widget that cannot paint still fails its test."""

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widget import Widget


class Fragile(Widget):
    """Paints one line, or fails once ``broken`` (a fixed size: layout never renders it)."""

    DEFAULT_CSS = "Fragile { width: 20; height: 1; }"

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self.painted = 0

    def render_line(self, y: int) -> Strip:
        if self.broken:
            raise ValueError("cannot paint")
        self.painted += 1
        return super().render_line(y)


class Covering(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Widget()


class FragileModal(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss")]

    def compose(self) -> ComposeResult:
        yield Fragile()


class Shows(App[None]):
    BINDINGS = [("c", "cover"), ("m", "modal")]

    def compose(self) -> ComposeResult:
        yield Fragile()

    def action_cover(self) -> None:
        self.push_screen(Covering())

    def action_modal(self) -> None:
        self.push_screen(FragileModal())


def fragile(app: App[Any]) -> Fragile:
    return app.screen.query_one(Fragile)


async def test_refreshes_paint_nothing_until_the_screen_leaves_the_top() -> None:
    app = Shows()
    async with app.run_test() as pilot:
        shown = fragile(app)
        before = shown.painted
        for _ in range(3):
            shown.refresh()
            await pilot.pause()
        assert shown.painted == before
        await pilot.press("c")
        assert shown.painted > before  # painted whole as the covering screen came


async def test_a_widget_that_cannot_paint_fails_the_test_at_its_end() -> None:
    app = Shows()
    with pytest.raises(ValueError, match="cannot paint"):
        async with app.run_test() as pilot:
            fragile(app).broken = True
            await pilot.pause()


async def test_a_widget_that_cannot_paint_fails_the_test_when_a_screen_covers_it() -> None:
    app = Shows()
    with pytest.raises(ValueError, match="cannot paint"):
        async with app.run_test() as pilot:
            fragile(app).broken = True
            await pilot.press("c")
            app.pop_screen()  # what the test's end paints can paint
            fragile(app).broken = False
            await pilot.pause()


async def test_a_modal_that_cannot_paint_fails_the_test_when_dismissed() -> None:
    app = Shows()
    with pytest.raises(ValueError, match="cannot paint"):
        async with app.run_test() as pilot:
            await pilot.press("m")
            fragile(app).broken = True
            await pilot.press("escape")
            await pilot.pause()
