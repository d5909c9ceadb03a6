"""An organiser's matricule pattern is matched in linear time: the attack run's
« ^A*A*A*A*A*A*A*A*A*A*A*A*B$ », which the old check of a pattern's shape let through,
held a roll import past 40 s on one line; « ^(A+)+$ » over a minute on 41 characters."""

import subprocess
import sys

import pytest

from csu.domain.errors import InvalidValue
from csu.domain.identifiers import MAX_MATRICULE, parse_matricule
from csu.domain.organiser_patterns import PatternRefused, compiled
from tests.domain.test_election import BACKTRACKING

# Run in a process of its own, stopped after a while: a backtracking engine would hold
# the test (and the GIL) for hours rather than fail it.
HOSTILE = f"""
from csu.domain.identifiers import parse_matricule
from csu.domain.errors import InvalidValue
for pattern in {BACKTRACKING!r}:
    for matricule in ("A" * {MAX_MATRICULE}, "A" * {MAX_MATRICULE - 1} + "!"):
        try:
            parse_matricule(matricule, pattern)
        except InvalidValue:
            pass
print("done")
"""


def test_a_hostile_matricule_against_every_backtracking_pattern_is_answered_at_once() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HOSTILE], capture_output=True, text=True, timeout=30
    )
    assert done.stdout.strip() == "done", done.stderr


@pytest.mark.parametrize(
    ("pattern", "matricule"),
    zip(BACKTRACKING, ["AAAA", "ABCD", "12-34", "AABA", "AAB"], strict=True),
)
def test_such_a_pattern_still_takes_what_it_describes(pattern: str, matricule: str) -> None:
    assert parse_matricule(matricule, pattern) == matricule
    with pytest.raises(InvalidValue, match="format non reconnu"):
        parse_matricule("A" * 20 + "!", pattern)


def test_a_syntax_error_says_where() -> None:
    with pytest.raises(PatternRefused, match=r"^expression régulière invalide à la position 1$"):
        compiled("[A-Z")


def test_a_refused_pattern_prints_nothing_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    """RE2 logs its own refusals in English on stderr: the election's loading says them."""
    with pytest.raises(PatternRefused):
        compiled("^(A)\\1$")
    assert capfd.readouterr().err == ""


def test_a_lone_surrogate_is_refused_in_french_not_raised() -> None:
    """A stored definition's JSON may hold « \\ud800 »: RE2, reading UTF-8, raised."""
    with pytest.raises(PatternRefused, match=r"^expression régulière invalide \(caractère"):
        compiled("^A\ud800$")
