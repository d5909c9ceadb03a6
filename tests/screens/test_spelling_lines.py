"""The spelling of a credential as the window wraps it: a line never starts inside a
character's phrase nor with the « · » between two of them, whatever the width."""

import io
import re

from rich.console import Console
from rich.text import Text

from csu.domain.credentials import spell
from csu.screens.credential import spelling_lines

PHRASE_START = re.compile(r"\S+ (minuscule|majuscule|comme|chiffre)")


def _wrapped(line: str, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO())
    return [part.plain.replace("\u00a0", " ").strip() for part in Text(line).wrap(console, width)]


def test_each_wrapped_line_starts_a_character_s_phrase_at_every_width() -> None:
    spelling = spell("k4Wq9mZ2", alphabet="aA")  # mixed case: the longest phrases
    for width in range(30, 90):
        for line in spelling_lines(spelling):
            for part in _wrapped(line, width):
                assert PHRASE_START.match(part), (width, part)


def test_a_line_too_long_ends_on_the_separator_not_the_next_line() -> None:
    spelling = spell("k4Wq", alphabet="aA")
    widths = [len(" · ".join(spelling[:n])) for n in range(1, 5)]
    parts = _wrapped(spelling_lines(spelling)[0], widths[1] + 1)  # room for two and « · »
    assert parts[0].endswith("·")
    assert PHRASE_START.match(parts[1])
