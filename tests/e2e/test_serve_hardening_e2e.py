"""``csu serve`` as the attack run met it, against the real server process and its real
sessions: the journal and the server's log name each browser session's client, and a
paste too long for a session is left out by the page, which says so, while the server
still closes a session sent a message over its limit some other way."""

from sqlmodel import select

from csu.serve import PASTE_TOO_LONG
from csu.store.tables import JournalEntry
from tests.e2e.conftest import WAIT_MS, Served, TerminalPage, children, wait_until
from tests.e2e.test_browser import log_in


def workstations_of(served: Served, login: str) -> set[str | None]:
    with served.deps.reading() as session:
        return set(
            session.exec(select(JournalEntry.workstation).where(JournalEntry.operator == login))
        )


def test_a_presidents_login_in_the_browser_is_journalled_under_the_browsers_address(
    terminal: TerminalPage, served_demo: Served
) -> None:
    log_in(terminal, "president")
    terminal.wait_for("Tapez au moins 2 caractères.")
    # The server's CSU_WORKSTATION (« navigateur ») is not the session's: its client is.
    assert workstations_of(served_demo, "president") == {"web:127.0.0.1"}


def test_each_session_start_and_end_is_in_the_servers_log_with_its_address(
    terminal: TerminalPage, served_demo: Served
) -> None:
    terminal.wait_for("Base de démonstration")
    terminal.page.close()  # the tab closed: its session ends
    wait_until(lambda: children(served_demo.pid) == [], 30, "ended (the session)")
    wait_until(lambda: "fermée" in served_demo.log.read_text(), 10, "logged (the end)")
    log = served_demo.log.read_text()
    assert "csu.serve : session 1 ouverte : web:127.0.0.1 (1 sur 20)" in log
    assert "csu.serve : session 1 fermée : web:127.0.0.1 après " in log


def test_a_paste_too_long_for_a_session_is_left_out_and_said_on_the_page(
    terminal: TerminalPage, served_demo: Served
) -> None:
    terminal.wait_for("Base de démonstration")
    terminal.click("identifiant")
    terminal.page.keyboard.insert_text("x" * 100_000)  # a 100 KB paste: over 64 KB
    notice = terminal.page.locator("#csu-notice")
    notice.wait_for(state="visible", timeout=WAIT_MS)
    assert notice.inner_text() == PASTE_TOO_LONG


def test_the_session_goes_on_after_a_paste_too_long(
    terminal: TerminalPage, served_demo: Served
) -> None:
    terminal.wait_for("Base de démonstration")
    terminal.click("identifiant")
    terminal.page.keyboard.insert_text("x" * 100_000)
    terminal.page.locator("#csu-notice").wait_for(state="visible", timeout=WAIT_MS)
    log_in(terminal, "president")  # the same session takes the next keys
    terminal.wait_for("Tapez au moins 2 caractères.")
    assert terminal.page.locator(".closed-dialog .message").is_hidden()

