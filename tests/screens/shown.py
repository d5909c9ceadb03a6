"""What the app shows a person, as text, and the personal values found in it.

``shown_text`` reads the terminal as drawn (the current screen, the screens beneath a
modal, notifications) and, beyond the visible part, every widget's whole content: the
lines scrolled off, every row of a table, every option of a list, what a field holds.
``leaks`` finds in that text a voter's e-mail address, in any case, or one of their
phone numbers, in any format (spaces, dots, dashes, +33, 0033...).
"""

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from rich.console import Console
from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    RadioButton,
    Select,
    Static,
    TextArea,
)

# A run of digits with the separators a phone number is written with ("/" is left out:
# dates are not phone numbers).
_DIGIT_RUN = re.compile(r"\+?\d[\d\s.()\-]*\d")


def _plain(renderable: object, console: Console) -> str:
    if isinstance(renderable, str):
        return renderable
    if isinstance(renderable, Content | Text):
        return renderable.plain
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def static_text(widget: Static) -> str:
    """What a Static holds, as text: a rich renderable printed on a wide console, each
    line without the spaces that pad it."""
    wide = Console(width=300, file=io.StringIO(), color_system=None)
    text = _plain(widget.content, wide)
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


def _drawn(app: App[Any]) -> str:
    """The terminal as drawn now, as export_screenshot sees it, in plain text."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def _contents(app: App[Any]) -> Iterable[str]:
    """Every widget's whole content, on every screen of the stack."""
    wide = Console(width=300, file=io.StringIO(), color_system=None)
    yield str(app.title)
    yield str(app.sub_title)
    for notification in app._notifications:
        yield f"{notification.title} {notification.message}"
    for screen in app.screen_stack:
        yield f"{screen.title} {screen.sub_title}"
        for widget in screen.query("*"):
            yield f"{widget.border_title or ''} {widget.border_subtitle or ''}"
            if isinstance(widget, DataTable):
                yield " | ".join(str(column.label) for column in widget.columns.values())
                for row in range(widget.row_count):
                    yield " | ".join(_plain(cell, wide) for cell in widget.get_row_at(row))
            elif isinstance(widget, Select):
                yield "\n".join(_plain(prompt, wide) for prompt, _ in widget._options)
            elif isinstance(widget, Input):
                yield f"{widget.value} {widget.placeholder}"
            elif isinstance(widget, TextArea):
                yield widget.text
            elif isinstance(widget, Button | Checkbox | RadioButton):
                yield _plain(widget.label, wide)
            elif isinstance(widget, Static):
                yield _plain(widget.content, wide)  # as given: a rich table, all of it


def shown_text(app: App[Any]) -> str:
    return "\n".join([_drawn(app), *_contents(app)])


@dataclass(frozen=True, slots=True)
class Personal:
    """A voter's contact data as stored: addresses (the professional one, identifiers
    that are addresses) and phone numbers (as the roll wrote them)."""

    addresses: tuple[str, ...]
    phones: tuple[str, ...]

    @property
    def national_numbers(self) -> tuple[str, ...]:
        """The national significant number of each phone: "675292742" for
        "06 75 29 27 42", whatever way it is written."""
        found = []
        for phone in self.phones:
            number = phonenumbers.parse(phone, "FR")
            found.append(phonenumbers.national_significant_number(number))
        return tuple(found)


def leaks(text: str, personal: Personal) -> list[str]:
    """The personal values of ``personal`` that ``text`` shows whole."""
    found: list[str] = []
    lowered = text.lower()
    unwrapped = "".join(lowered.split())  # an address cut at the end of a line
    for address in personal.addresses:
        if address.lower() in lowered or address.lower() in unwrapped:
            found.append(address)
    runs = ["".join(c for c in run if c.isdigit()) for run in _DIGIT_RUN.findall(text)]
    for phone, national in zip(personal.phones, personal.national_numbers, strict=True):
        if any(national in digits for digits in runs):
            found.append(phone)
    return found


def header_election(app: App[Any]) -> str:
    """The election line of the current screen's header."""
    return str(app.screen.query_one("ShellHeader #election", Static).content)
