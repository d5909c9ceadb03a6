"""Keys from a terminal that sends bytes that are not UTF-8.

Textual's drivers decode what the terminal sends as strict UTF-8, in their input
thread: one byte that is not UTF-8 (a terminal set to ISO-8859-15 typing « é », a paste
from a Latin-1 file, line noise on a serial line) raised UnicodeDecodeError there, and
the app ended on a traceback, losing the call in hand.
Here the driver in use decodes each such byte as U+FFFD (« � »), as a terminal shows
it, and the app is told, to say once in French what to set right.
"""

import codecs
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

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
    with :class:`ReplacingDecoder`. Those drivers build their decoder in their input
    thread from their module's ``getincrementaldecoder``, the name replaced here; a
    driver that reads no bytes (headless, Windows) is left as it is. True if replaced."""
    module = sys.modules.get(driver_class.__module__)
    if module is None or not hasattr(module, "getincrementaldecoder"):
        return False
    vars(module)["getincrementaldecoder"] = partial(_decoder_factory, told)
    return True


def _decoder_factory(told: Callable[[], None], encoding: str) -> Callable[[], Any]:
    if codecs.lookup(encoding).name != "utf-8":  # no driver asks for another today
        return codecs.getincrementaldecoder(encoding)
    return partial(ReplacingDecoder, told)
