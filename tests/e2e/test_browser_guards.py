"""``csu serve``'s guards as a browser meets them, in headless Chromium: another site's
page, a name pointed at 127.0.0.1 (DNS rebinding), all sessions busy, and a tab left
at the login screen."""

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.e2e.conftest import (
    REBINDING_NAME,
    VIEWPORT,
    WAIT_MS,
    Served,
    TerminalPage,
    children,
    serving,
    wait_until,
)

# Another site's page that tries to drive a CSU session from the president's browser.
HOSTILE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Promotions</title>
<script>
window.attempt = new Promise((done) => {
  const socket = new WebSocket("WS_URL");
  socket.onopen = () => done("ouverte");
  socket.onclose = (event) => done("fermée " + event.code);
});
</script></head><body>Promotions</body></html>"""


def closed_dialog(page: Any) -> str:
    """The text of the « session ended » dialog, once it shows."""
    message = page.locator(".closed-dialog .message")
    message.wait_for(state="visible", timeout=WAIT_MS)
    return str(message.inner_text())


@contextmanager
def hostile_site(where: Path, ws_url: str) -> Iterator[str]:
    """Another site's page, served from this machine on another port: a different
    origin that Chromium lets reach 127.0.0.1 (a public site's page would first meet
    the browser's own Local Network Access block, which not every browser has)."""
    (where / "index.html").write_text(HOSTILE_PAGE.replace("WS_URL", ws_url), encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(where))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as site:
        thread = threading.Thread(target=site.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{site.server_address[1]}/"
        finally:
            site.shutdown()
            thread.join(timeout=10)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_another_sites_page_cannot_open_a_session(
    chromium: Any, served_demo: Served, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        with hostile_site(site, served_demo.ws_url) as url:
            page = context.new_page()
            page.goto(url)
            assert page.evaluate("window.attempt") == "fermée 1006"  # refused at the handshake
    finally:
        context.close()
    # The server refused it, for its Origin, and started nothing.
    assert "Origine refusée" in served_demo.log.read_text(errors="replace")
    assert children(served_demo.pid) == []


def test_the_page_under_a_name_pointed_at_loopback_is_refused(
    chromium: Any, served_demo: Served
) -> None:
    port = served_demo.origin.rsplit(":", 1)[1]
    context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        page = context.new_page()
        response = page.goto(f"http://{REBINDING_NAME}:{port}/")
        assert response is not None and response.status == 421
        assert page.inner_text("body") == (
            f"Adresse inattendue : ouvrez la page de CSU à {served_demo.origin}"
        )
    finally:
        context.close()
    assert children(served_demo.pid) == []


def test_when_all_sessions_are_busy_the_page_says_so(
    chromium: Any, live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(live_demo_template, tmp_path, SERVE_MAX_SESSIONS="1") as served:
        context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
        try:
            first = TerminalPage(context.new_page(), served.log)
            first.open(served.url)
            first.wait_for("Base de démonstration")  # the one session, at its login screen
            second = context.new_page()
            second.goto(served.url)
            assert closed_dialog(second) == (
                "CSU : toutes les sessions (1) sont occupées ; réessayez dans quelques minutes."
            )
            assert len(children(served.pid)) == 1
        finally:
            context.close()
        wait_until(lambda: children(served.pid) == [], 30, "ended (sessions)")


def test_a_tab_left_at_the_login_screen_ends_its_session(
    chromium: Any, live_demo_template: Path, tmp_path: Path
) -> None:
    with serving(live_demo_template, tmp_path, SERVE_LOGIN_MINUTES="0.05") as served:
        context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
        try:
            page = TerminalPage(context.new_page(), served.log)
            page.open(served.url)
            page.wait_for("Base de démonstration")
            # 3 s without a key press, checked every 5 s: the session ends, its place freed.
            assert closed_dialog(page.page) == (
                "Session terminée. Rechargez la page pour vous reconnecter."
            )
            wait_until(lambda: children(served.pid) == [], 30, "ended (idle session)")
        finally:
            context.close()
