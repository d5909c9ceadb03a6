"""A checkbox that reads ticked or not without its colours: Textual's draws « X » in
both states, the colour alone telling them apart (a monochrome terminal, a screen
reader or a colour-blind agent saw every box ticked)."""

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    """``Checkbox``, its box holding « X » when ticked and a space when not."""

    @property
    def _button(self) -> Content:
        button = super()._button
        if self.value:
            return button
        # Left side, inner, right side, as ToggleButton._button assembles them.
        return Content.assemble(
            button[: len(self.BUTTON_LEFT)],
            (" ", self.get_visual_style("toggle--button")),
            button[len(self.BUTTON_LEFT) + len(self.BUTTON_INNER) :],
        )
