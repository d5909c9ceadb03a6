"""In a real browser the page never receives ctrl+n nor ctrl+w (new window, close tab):
what the president reads names alt+n and alt+w, which work."""

from tests.e2e.conftest import Served, TerminalPage
from tests.e2e.test_browser import log_in
from tests.screens.conftest import demo_voter, president_bureau


def test_the_page_names_alt_n_and_alt_w_and_they_work(
    terminal: TerminalPage, served_demo: Served
) -> None:
    voter = demo_voter(served_demo.deps, bureau=president_bureau(served_demo.deps))
    log_in(terminal, "president")
    terminal.wait_for("Tapez au moins 2 caractères.")
    terminal.type(voter.matricule)
    terminal.wait_for("1 électeur —")
    terminal.press("Enter")
    terminal.wait_for("Ouvrez une intervention (alt+n) pour cet électeur.")
    terminal.wait_for("alt+n Nouvelle intervention")  # the footer
    terminal.press("Alt+n")
    terminal.wait_for("Canal : présentiel via président")
    terminal.click("Ouvrir")
    terminal.wait_for("alt+w Clore")
    terminal.press("F1")
    terminal.wait_for("alt+n : ouvrez l'intervention (en présentiel).")
    screen = terminal.text()
    assert "ctrl+n" not in screen and "ctrl+w" not in screen
    assert "^n" not in screen and "^w" not in screen
