"""A checkbox tells ticked from not in its text, not by its colour alone."""

from textual.app import App, ComposeResult

from csu.widgets.tick_box import TickBox


class Boxes(App[None]):
    def compose(self) -> ComposeResult:
        yield TickBox("Pièce d'identité", id="box")


async def test_a_ticked_box_shows_x_and_an_unticked_one_a_space() -> None:
    app = Boxes()
    async with app.run_test() as pilot:
        box = app.query_one(TickBox)
        assert box.render().plain.startswith("▐ ▌")

        await pilot.click("#box")

        assert box.value
        assert box.render().plain.startswith("▐X▌")
