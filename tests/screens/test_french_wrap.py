"""Rich's wrap, as CSU sets it (csu.widgets.french_wrap): « : », « ; », « ! », « ? »,
« » » never start a line, « « » never ends one, and every other space still breaks."""

import rich._wrap
from rich._wrap import divide_line
from rich.console import Console
from rich.text import Text

from csu.widgets.french_wrap import FRENCH_WORD


def lines(text: str, width: int) -> list[str]:
    offsets = divide_line(text, width)
    return [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)], strict=True)]


def test_the_app_wraps_with_the_french_pattern() -> None:
    import csu.app  # noqa: F401  (it sets the pattern as it is imported)

    assert rich._wrap.re_word is FRENCH_WORD


def test_a_colon_stays_on_the_line_of_its_word() -> None:
    text = "Intervention refusée : rouvrez sa fiche"
    # At 20 columns Rich's own wrap gave « Intervention refusée », « : rouvrez sa fiche ».
    assert lines(text, 20) == ["Intervention ", "refusée : rouvrez sa ", "fiche"]


def test_no_line_starts_with_french_punctuation_at_any_width() -> None:
    text = (
        "Refusé : une intervention est ouverte sur « Martin » ; rouvrez sa fiche ! "
        "Déjà fait ? Voir l'écran F6 : messages."
    )
    for width in range(12, len(text)):
        for line in lines(text, width):
            assert line.lstrip(" ")[:1] not in {":", ";", "!", "?", "»"}, (width, line)
            assert not line.rstrip().endswith("«"), (width, line)


def test_a_no_break_space_does_not_break() -> None:
    # Rich's own wrap gave « taux 93 », « % ».
    assert lines("taux 93\u00a0% atteint", 8) == ["taux ", "93\u00a0% ", "atteint"]


def test_other_spaces_still_break_as_before() -> None:
    text = "un deux trois quatre cinq six sept"
    assert [line.rstrip() for line in lines(text, 10)] == [
        "un deux", "trois", "quatre", "cinq six", "sept",
    ]  # fmt: skip


def test_a_rich_text_printed_narrow_keeps_the_colon() -> None:
    console = Console(width=16, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(Text("Session fermée : reconnectez-vous."))
    printed = console.export_text().splitlines()
    assert printed[0].rstrip() == "Session fermée :"
