"""A one-line field that takes a paste whole or refuses it whole, and says why.

Textual's ``Input`` kept the first line of a paste, let a control or invisible character
in (a bidirectional mark, a zero-width space: the field shows « 077497 » and holds seven
characters), and dropped a paste longer than its ``max_length`` with a bell alone: « AB
U+200B 12 » pasted into a 4-character field left it empty, without a word. This field
checks the paste first: a refused paste changes nothing, and a French notification
names the field, the character and its position, or the length. Keys are not concerned:
a key never types a control or invisible character, and a key past ``max_length`` rings
as before.
"""

from collections.abc import Callable
from typing import Any

from textual import events
from textual.widgets import Input

from csu.domain.errors import InvalidValue
from csu.domain.text import visible_text

REFUSED_TITLE = "Collage refusé"
NOTHING_PASTED = "Rien n'a été collé."
LINE_ENDS = "\r\n"


class PasteCheckedInput(Input):
    """``Input`` whose pastes are checked whole: ``check(text, field)`` (by default
    :func:`~csu.domain.text.visible_text`: no control or invisible character) raises a
    French ``InvalidValue`` to refuse; ``field`` names the field in the message. The line
    break a copied line ends with is left out; one inside the text is refused."""

    def __init__(
        self,
        *args: Any,
        field: str,
        check: Callable[[str, str], object] = visible_text,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.field = field
        self._check = check

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Input's own handler would paste the first line anyway
        text = self.pasted(event.text.rstrip(LINE_ENDS))
        if not text:
            return
        refusal = self.paste_refusal(text)
        if refusal is not None:
            self.refuse(refusal)
            return
        selection = self.selection
        start, end = sorted((selection.start, selection.end))
        expected = self.value[:start] + text + self.value[end:]
        self.replace(text, start, end)
        if self.value != expected:  # refused by ``restrict`` or ``type``
            self.refuse(f"{self.field} : caractères non admis dans ce champ.")

    def pasted(self, text: str) -> str:
        """What of a paste the field takes (all of it here)."""
        return text

    def paste_refusal(self, text: str) -> str | None:
        """Why ``text`` may not be pasted here, in French; None if it may."""
        try:
            self._check(text, self.field)
        except InvalidValue as refused:
            return f"{refused.field} : {refused.fault}."
        if self.max_length:
            selection = self.selection
            kept = len(self.value) - abs(selection.end - selection.start)
            if kept + len(text) > self.max_length:
                if kept:
                    return (
                        f"{self.field} : trop long, le champ compterait {kept + len(text)} "
                        f"caractères ({self.max_length} au plus)."
                    )
                return (
                    f"{self.field} : trop long, {len(text)} caractères collés "
                    f"({self.max_length} au plus)."
                )
        return None

    def refuse(self, why: str) -> None:
        self.app.bell()
        self.notify(f"{why} {NOTHING_PASTED}", title=REFUSED_TITLE, severity="warning", timeout=8)


class SpacelessInput(PasteCheckedInput):
    """A field whose value holds no space: a space typed is skipped, and a paste's spaces
    and tabs are left out. The last 4 characters of an identity document's number are
    printed in groups (« AB 12 ») and read out so: a space typed first took one of the
    field's 4 characters, and the last one typed then rang and went nowhere."""

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character is not None and event.character.isspace():
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def pasted(self, text: str) -> str:
        return "".join(char for char in text if not char.isspace() or char in LINE_ENDS)


class RetypedInput(PasteCheckedInput):
    """A value typed a second time to check the first (an address material or an
    identifier is sent to): a paste is refused, it would copy the first one's typo."""

    def paste_refusal(self, text: str) -> str | None:
        return f"{self.field} : à retaper au clavier, pas à coller (elle vérifie la première)."
