"""The footer every screen shows: Textual's, built again only when the keys it offers
change, its keys built already in their style."""

from collections.abc import Hashable, Iterator

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
    draws it). Nothing changes as they mount."""

    _shown: Hashable = None

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

    def compose(self) -> Iterator[Widget]:  # type: ignore[override]
        if self._bindings_ready:
            self._shown = self._offered()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Not read from the key: reading a reactive first runs its watcher.
                bound = "compact" in (widget._reactive_connect or {})
                compact = self.compact if bound else True  # FooterKey's own default
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget
