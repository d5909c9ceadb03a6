"""Lists whose items wrap under their own text (csu/widgets/listing.py): the sets of
answers in the verification window, the steps of a call in the help."""

import io

from rich.console import Console

from csu.widgets.listing import hanging_list


def printed(renderable: object, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    with console.capture() as captured:
        console.print(renderable)
    return [line.rstrip() for line in captured.get().splitlines()]


def test_a_long_item_wraps_under_its_text_not_under_its_marker() -> None:
    lines = printed(hanging_list("Étapes :", [("  1.", "un deux trois quatre cinq six")]), 20)
    assert lines == ["Étapes :", "  1. un deux trois", "     quatre cinq six"]


def test_the_items_are_shown_as_written() -> None:
    lines = printed(hanging_list("[bold]Titre[/]", [("  •", "[/] [link=x]ici[/link]")]), 60)
    assert lines == ["[bold]Titre[/]", "  • [/] [link=x]ici[/link]"]
