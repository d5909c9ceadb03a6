"""S4 in a browser: a president without a terminal resets a voter's password through
``csu serve`` in headless Chromium, and the journal holds it."""

import re

from sqlmodel import select

from csu.services.audit import verify_journal
from csu.services.platform import check_login
from csu.store.tables import JournalEntry
from tests.conftest import ADMIN
from tests.e2e.conftest import Served, TerminalPage, totp
from tests.screens.conftest import (
    demo_voter,
    journal_details,
    journal_of,
    last_intervention,
    president_bureau,
)

# What the president's intervention leaves in the journal, in order (S4).
S4_STEPS = [
    ("intervention_open", "ok"),
    ("verification", "vérifié"),
    ("credential_issue", "ok"),
    ("message_queue", "ok"),  # the notice to the voter
    ("message_sent", "ok"),
    ("credential_read_out", "ok"),
    ("intervention_close", "résolu"),
]


def log_in(terminal: TerminalPage, login: str) -> None:
    terminal.wait_for("Base de démonstration")  # the store is open: the form works
    # Each field is clicked before typing, as a person would: keys typed right after
    # Enter could reach the app before it moves the focus to the next field.
    terminal.click("identifiant")
    terminal.type(login)
    terminal.click("mot de passe")
    terminal.type("demo")
    terminal.wait_for("••••")
    terminal.click("code de l'application")
    code = totp(login)
    terminal.type(code)
    terminal.wait_for(f"▊  {code}")
    terminal.press("Enter")


def choose_the_agent_card(terminal: TerminalPage) -> None:
    """In the president's verification window, which starts on the document's list, no
    document chosen: « carte agent », one minint-2022 accepts."""
    terminal.click("Type de pièce")  # the list opens, nothing highlighted
    terminal.wait_for("carte nationale d'identité")  # in the list only
    terminal.click("carte agent")
    # Clicked before the list has closed, the next field may not take the focus.
    terminal.wait_gone("carte nationale d'identité")


def shown_password(screen: str) -> str:
    """The value on the one-time display: alone in its heavy box (┃ value ┃)."""
    found = re.search(r"┃\s+(\S+)\s+┃", screen.split("Nouveau mot de passe", 1)[1])
    assert found is not None, screen
    return found.group(1)


class TestPresidentInTheBrowser:
    def test_the_president_resets_a_password_and_the_journal_shows_it(
        self, terminal: TerminalPage, served_demo: Served
    ) -> None:
        deps = served_demo.deps
        voter = demo_voter(deps, bureau=president_bureau(deps))

        log_in(terminal, "president")
        terminal.wait_for("Tapez au moins 2 caractères.")
        terminal.type(voter.matricule)
        terminal.wait_for("1 électeur —")
        terminal.press("Enter")
        terminal.wait_for("Matériel de vote")

        # A real browser keeps ctrl+n and ctrl+w for itself (new window, close tab):
        # the president uses their alt+n and alt+w twins.
        terminal.press("Alt+n")
        terminal.wait_for("Canal : présentiel via président")
        terminal.click("Ouvrir")
        terminal.wait_for("Identité non vérifiée")

        terminal.press("Control+e")
        terminal.wait_for("4 derniers")
        choose_the_agent_card(terminal)
        terminal.click("4 derniers")  # the field on the right of the document's list
        terminal.type("9876")  # the last 4 characters of the ID card the president holds
        terminal.wait_for("9876")
        terminal.press("Enter")
        terminal.wait_for("Identité vérifiée jusqu'à")

        terminal.press("Control+k")
        terminal.wait_for("Code d'accès : mot de passe")
        terminal.click("Délivrer")
        terminal.wait_for("Affiché encore")
        password = shown_password(terminal.text())
        terminal.press("Enter")  # « Remis en main propre » has the focus
        # The intervention panel lists the journal's entries of the intervention.
        terminal.wait_for("mot de passe remis en main propre")
        assert "mot de passe délivré" in terminal.text()

        terminal.press("Alt+w")
        terminal.wait_for("Note (facultative, versée au journal ; numéros et adresses masqués)")
        terminal.click("Clore")
        terminal.wait_for("Nouvelle intervention")  # ctrl+n again: none is open now
        terminal.wait_for("intervention close (résolu)")  # the call path, atop the file

        intervention = last_intervention(deps)
        assert journal_of(deps, intervention) == S4_STEPS
        # Written by the session the browser drove, named by the browser's address.
        assert operators_of(served_demo, intervention) == {("president", "web:127.0.0.1")}
        issued = journal_details(deps, intervention, "credential_issue")
        assert issued["kind"] == "password"
        assert check_login(
            deps, voter.election, voter.identifier, voter.birth_date, password=password
        )
        assert verify_journal(deps, ADMIN).ok


def operators_of(served: Served, intervention: str) -> set[tuple[str | None, str | None]]:
    """(operator, workstation) of the entries of an intervention."""
    with served.deps.reading() as session:
        rows = session.exec(
            select(JournalEntry.operator, JournalEntry.workstation).where(
                JournalEntry.intervention == intervention
            )
        )
        return set(rows)
