"""Every end of a browser session logs its operator out, once, as ctrl+q does in the
terminal: the tab closed, the page reloaded (a new password on screen included), the
network gone, csu serve stopping. Against the real server and its real sessions, in
headless Chromium or with a raw websocket client."""

import os
import signal
from pathlib import Path
from typing import Any

from sqlmodel import select

from csu import serve
from csu.store.tables import JournalEntry
from tests.e2e.conftest import (
    VIEWPORT,
    WAIT_MS,
    Served,
    TerminalPage,
    children,
    wait_until,
)
from tests.e2e.test_browser import choose_the_agent_card, log_in
from tests.screens.conftest import demo_voter, journal_of, last_intervention, president_bureau

SESSION_SECONDS = 30  # for a session's process to end once its page is gone


def entries_of(served: Served, login: str) -> list[tuple[str, str]]:
    """(action, outcome) of the operator's journal entries, in order."""
    with served.deps.reading() as session:
        rows = session.exec(
            select(JournalEntry.action, JournalEntry.outcome)
            .where(JournalEntry.operator == login)
            .order_by(JournalEntry.seq)  # type: ignore[arg-type]
        )
        return [(action, outcome) for action, outcome in rows]


def logouts(served: Served, login: str) -> int:
    return entries_of(served, login).count(("logout", "ok"))


def president_in_a_call(terminal: TerminalPage, served: Served) -> None:
    """The president logged in on the page, an intervention open on a voter of the
    bureau."""
    voter = demo_voter(served.deps, bureau=president_bureau(served.deps))
    log_in(terminal, "president")
    terminal.wait_for("Tapez au moins 2 caractères.")
    terminal.type(voter.matricule)
    terminal.wait_for("1 électeur —")
    terminal.press("Enter")
    terminal.wait_for("Matériel de vote")
    terminal.press("Alt+n")
    terminal.wait_for("Canal : présentiel via président")
    terminal.click("Ouvrir")
    terminal.wait_for("Identité non vérifiée")


def ended(served: Served) -> None:
    wait_until(lambda: children(served.pid) == [], SESSION_SECONDS, "ended (the session)")


def test_closing_the_tab_logs_the_operator_out_and_abandons_the_intervention(
    chromium: Any, served_demo: Served
) -> None:
    context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        terminal = TerminalPage(context.new_page(), served_demo.log)
        terminal.open(served_demo.url)
        president_in_a_call(terminal, served_demo)
        terminal.page.close()
        ended(served_demo)
    finally:
        context.close()
    assert journal_of(served_demo.deps, last_intervention(served_demo.deps))[-1] == (
        "intervention_close",
        "abandonné",
    )
    assert entries_of(served_demo, "president")[-1] == ("logout", "ok")
    assert logouts(served_demo, "president") == 1


def test_reloading_the_page_logs_out_once_and_starts_again_at_the_login_screen(
    terminal: TerminalPage, served_demo: Served
) -> None:
    president_in_a_call(terminal, served_demo)
    terminal.page.reload()
    terminal.wait_for("Base de démonstration")  # a new session, at its login screen
    wait_until(
        lambda: logouts(served_demo, "president") == 1, SESSION_SECONDS, "logged out (reload)"
    )
    assert journal_of(served_demo.deps, last_intervention(served_demo.deps))[-1] == (
        "intervention_close",
        "abandonné",
    )
    wait_until(lambda: len(children(served_demo.pid)) == 1, SESSION_SECONDS, "one session")
    assert logouts(served_demo, "president") == 1


def test_a_reload_while_a_new_password_is_shown_ends_the_display_unconfirmed_then_logs_out(
    terminal: TerminalPage, served_demo: Served
) -> None:
    president_in_a_call(terminal, served_demo)
    terminal.press("Control+e")
    terminal.wait_for("4 derniers")
    choose_the_agent_card(terminal)
    terminal.click("4 derniers")
    terminal.type("9876")
    terminal.wait_for("9876")
    terminal.press("Enter")
    terminal.wait_for("Identité vérifiée jusqu'à")
    terminal.press("Control+k")
    terminal.wait_for("Code d'accès : mot de passe")
    terminal.click("Délivrer")
    terminal.wait_for("Affiché encore")
    terminal.page.reload()
    terminal.wait_for("Base de démonstration")
    wait_until(
        lambda: logouts(served_demo, "president") == 1, SESSION_SECONDS, "logged out (reload)"
    )
    steps = journal_of(served_demo.deps, last_intervention(served_demo.deps))
    # As « Fermer sans confirmer »: no read-out journalled, the password stays active.
    assert ("credential_issue", "ok") in steps
    assert "credential_read_out" not in {action for action, _ in steps}
    assert steps[-1] == ("intervention_close", "abandonné")
    assert entries_of(served_demo, "president")[-1] == ("logout", "ok")


def test_stopping_the_server_logs_its_sessions_out_and_tells_the_page(
    chromium: Any, served_demo: Served
) -> None:
    context = chromium.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        terminal = TerminalPage(context.new_page(), served_demo.log)
        terminal.open(served_demo.url)
        president_in_a_call(terminal, served_demo)
        os.kill(served_demo.pid, signal.SIGTERM)  # only the server: its sessions are its own
        message = terminal.page.locator(".closed-dialog .message")
        message.wait_for(state="visible", timeout=WAIT_MS)
        assert message.inner_text() == serve.SERVER_STOPPING
        wait_until(
            lambda: (
                not Path(f"/proc/{served_demo.pid}").exists()
                or "State:\tZ" in Path(f"/proc/{served_demo.pid}/status").read_text()
            ),
            SESSION_SECONDS,
            "stopped (the server)",
        )
    finally:
        context.close()
    assert entries_of(served_demo, "president")[-1] == ("logout", "ok")
    assert logouts(served_demo, "president") == 1
    assert journal_of(served_demo.deps, last_intervention(served_demo.deps))[-1] == (
        "intervention_close",
        "abandonné",
    )
