"""What the terminal sends, read as it was sent: bytes that are not UTF-8, and pastes.

Textual's drivers decode what the terminal sends as strict UTF-8, in their input
thread: one byte that is not UTF-8 (a terminal set to ISO-8859-15 typing « é », a paste
from a Latin-1 file, line noise on a serial line) raised UnicodeDecodeError there, and
the app ended on a traceback, losing the call in hand.
Here the driver in use decodes each such byte as U+FFFD (« � »), as a terminal shows
it, and the app is told, to say once in French what to set right.

Textual's parser also broke a bracketed paste that holds an escape character (a paste
from a terminal log, or a hostile one): it sent the characters after the escape as keys,
the escape itself as « ^ », ahead of the paste's start. « carlier ESC [2J » pasted in the
look-up was typed « ^[2Jcarlier », and searched and journalled so. Here the driver in use
reads every character between the terminal's paste markers into one ``Paste`` event,
escape included, for the field to take whole or refuse whole.
"""

import codecs
import contextlib
import sys
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

from textual import constants, events
from textual._parser import ParseEOF, ParseTimeout, Peek1, Read1, TokenCallback
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser

NOT_UTF8 = (
    "Le terminal envoie des caractères qui ne sont pas de l'UTF-8 : ils s'affichent « � ». "
    "Réglez son encodage en UTF-8 (les accents tapés s'afficheront alors justes)."
)
_REPLACEMENT = "\ufffd"
_REPLACEMENT_BYTES = _REPLACEMENT.encode()
_UTF8 = codecs.getincrementaldecoder("utf-8")


class ReplacingDecoder(_UTF8):  # type: ignore[misc,valid-type]
    """UTF-8, each byte that is not UTF-8 read as U+FFFD, and ``told`` called then."""

    def __init__(self, told: Callable[[], None]) -> None:
        super().__init__(errors="replace")
        self._told = told

    def decode(self, input: bytes, final: bool = False) -> str:
        text: str = super().decode(input, final)
        # A U+FFFD that the bytes did not hold is one the decoder put for a bad byte.
        if _REPLACEMENT in text and _REPLACEMENT_BYTES not in input:
            self._told()
        return text


def tolerate_bytes_not_utf8(driver_class: type, told: Callable[[], None]) -> bool:
    """Makes ``driver_class`` (Textual's Linux, inline or web driver) decode its input
    with :class:`ReplacingDecoder`, and read pastes whole (:func:`keep_pastes_whole`).
    Those drivers build their decoder in their input thread from their module's
    ``getincrementaldecoder``, the name replaced here; a driver that reads no bytes
    (headless, Windows) is left as it is. True if replaced."""
    module = sys.modules.get(driver_class.__module__)
    if module is None or not hasattr(module, "getincrementaldecoder"):
        return False
    vars(module)["getincrementaldecoder"] = partial(_decoder_factory, told)
    keep_pastes_whole(driver_class)
    return True


def _decoder_factory(told: Callable[[], None], encoding: str) -> Callable[[], Any]:
    if codecs.lookup(encoding).name != "utf-8":  # no driver asks for another today
        return codecs.getincrementaldecoder(encoding)
    return partial(ReplacingDecoder, told)


# ------------------------------------------------------------------------ pastes

_ESC = "\x1b"


class PasteKeepingParser(XTermParser):
    """Textual's parser, with a bracketed paste read whole.

    Between the terminal's start marker (``ESC [200~``) and end marker (``ESC [201~``)
    every character goes into one :class:`~textual.events.Paste`, an escape included
    (NUL left out, as Textual does). Everything else (keys, the mouse, focus, resizes)
    is Textual's own parsing: an escape outside a paste is held only as long as Textual
    would wait for the rest of a sequence, to see whether a paste starts."""

    def parse(self, token_callback: TokenCallback[Any]) -> Generator[Read1 | Peek1, str, None]:
        textual = super().parse(token_callback)
        waits = next(textual)  # what Textual's parser reads next
        held = ""  # the start of what may be a paste's start marker
        pasted: list[str] | None = None  # a paste being read
        while True:
            if pasted is not None:
                try:
                    char = yield self.read1()
                except ParseEOF:  # the terminal went mid-paste: nothing to paste into
                    _ended(textual)
                    return
                pasted.append(char)
                if char == "~" and "".join(pasted[-len(BRACKETED_PASTE_END) :]) == (
                    BRACKETED_PASTE_END
                ):
                    text = "".join(pasted[: -len(BRACKETED_PASTE_END)])
                    pasted = None
                    token_callback(events.Paste(text.replace("\x00", "")))
                continue
            if held:
                try:
                    char = yield self.read1(constants.ESCAPE_DELAY)
                except ParseTimeout:  # no paste: the escape key, or a sequence cut short
                    given, held = _given(textual, held), ""
                    if given is None:
                        return
                    # Textual's wait is over too: it sends the escape key (or the keys).
                    waits = given if given.timeout is None else textual.throw(ParseTimeout())
                    continue
                except ParseEOF:
                    if _given(textual, held) is not None:
                        _ended(textual)
                    return
                held += char
                if held == BRACKETED_PASTE_START:
                    held, pasted = "", []
                elif not BRACKETED_PASTE_START.startswith(held):
                    given, held = _given(textual, held), ""
                    if given is None:
                        return
                    waits = given
                continue
            try:
                char = yield waits
            except ParseTimeout:
                waits = textual.throw(ParseTimeout())
                continue
            except ParseEOF:
                _ended(textual)
                return
            if char == _ESC and waits.timeout is None:
                # Textual's parser is at rest (not inside a sequence): a paste may start.
                held = char
                continue
            given = _given(textual, char)
            if given is None:
                return
            waits = given


def _given(textual: Generator[Read1 | Peek1, str, None], chars: str) -> Read1 | Peek1 | None:
    """``chars`` fed to Textual's parser; what it reads next (None: it ended)."""
    waits: Read1 | Peek1 | None = None
    try:
        for char in chars:
            waits = textual.send(char)
    except StopIteration:
        return None
    return waits


def _ended(textual: Generator[Read1 | Peek1, str, None]) -> None:
    """Textual's parser told that the input ended: it sends what it holds."""
    with contextlib.suppress(StopIteration):
        textual.throw(ParseEOF())


def keep_pastes_whole(driver_class: type) -> bool:
    """Makes ``driver_class`` (Textual's Linux, inline or web driver) parse its input
    with :class:`PasteKeepingParser`: those drivers build their parser in their input
    thread from their module's ``XTermParser``, the name replaced here. True if
    replaced; a driver without that parser (headless, Windows) is left as it is."""
    module = sys.modules.get(driver_class.__module__)
    if module is None or not hasattr(module, "XTermParser"):
        return False
    vars(module)["XTermParser"] = PasteKeepingParser
    return True
