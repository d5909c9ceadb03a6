"""The footer every screen shows: Textual's, its keys built already in the footer's style."""

from collections.abc import Iterator

from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    """Textual's ``Footer``, drawn the same, without restyling each key as it mounts.

    The footer is built again whenever the keys on offer change (each focus move, each
    screen). Each new ``FooterKey`` starts compact, the class of that style added as it
    mounts, then takes the footer's own (not compact) and the class goes: two restyles
    per key each time. They were a ninth of a Pilot test's CPU
    (tests/screens/test_call_path.py: 7,419 of them, 8 s of 73). Here each key starts
    in its style, class included: the footer's for the keys bound to it, compact for
    the command palette's (as Textual draws it). Nothing changes as they mount."""

    def compose(self) -> Iterator[Widget]:  # type: ignore[override]
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Not read from the key: reading a reactive first runs its watcher.
                bound = "compact" in (widget._reactive_connect or {})
                compact = self.compact if bound else True  # FooterKey's own default
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget
