"""Headless apps of the tests paint a screen whole when it leaves the top, not at
every refresh.

Under ``run_test`` each refresh rendered the changed regions of the screen (every
changed widget's lines, cut and joined), then Textual's headless driver threw them
away. What a test reads comes from the widgets, or from a full render on demand
(``export_screenshot``, ``tests.screens.shown``). A widget that cannot render what it
holds (markup in a cell, an error in ``render``) must still fail its test: each screen
is painted whole as another covers it, as it is popped or switched away, and the top
one as the test ends (``tests/screens/test_unpainted.py``). tests/screens/test_call_path.py
alone: 59.7 -> 47.1 s of CPU. Tests only: ``csu run`` paints every frame."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

_compositor_refresh = Screen._compositor_refresh
_replace_screen = App._replace_screen
_push_screen = App.push_screen
_run_test = App.run_test


def paint(screen: Screen[Any]) -> None:
    """Render the whole screen as its terminal would (and drop the result)."""
    app = screen.app
    if screen._compositor.size:  # laid out at least once
        screen._compositor.render_update(full=True, screen_stack=app._background_screens)


def _headless(app: App[Any]) -> bool:
    return app.is_headless and not app.is_inline


def _unpainted_refresh(self: Screen[Any]) -> None:
    app = self.app
    if _headless(app) and self is app.screen:
        # What render_update would have consumed, without rendering it.
        self._compositor._dirty_regions.clear()
        self._dirty_widgets.clear()
        app._update_mouse_over(self)
        return
    _compositor_refresh(self)


async def _painted_replace(self: App[Any], screen: Screen[Any]) -> Screen[Any]:
    if _headless(self) and screen.is_running:
        paint(screen)
    return await _replace_screen(self, screen)


def _painted_push(self: App[Any], *args: Any, **kwargs: Any) -> Any:
    if _headless(self) and self._screen_stack:
        paint(self.screen)
    return _push_screen(self, *args, **kwargs)


@asynccontextmanager
async def _painted_run_test(self: App[Any], *args: Any, **kwargs: Any) -> AsyncIterator[Pilot[Any]]:
    async with _run_test(self, *args, **kwargs) as pilot:
        yield pilot
        # Reached only when the test's body passed: its last screen, painted whole.
        if self.is_running and self._screen_stack and self._exception is None:
            with self._context():
                paint(self.screen)


def paint_only_what_leaves() -> None:
    Screen._compositor_refresh = _unpainted_refresh  # type: ignore[method-assign]
    App._replace_screen = _painted_replace  # type: ignore[method-assign]
    App.push_screen = _painted_push  # type: ignore[method-assign]
    App.run_test = _painted_run_test  # type: ignore[method-assign, assignment]
