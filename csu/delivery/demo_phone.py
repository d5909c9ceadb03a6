"""The demo's voter's phone and mailbox: what the demo terminal sends is also shown on
its screen.

On the demo database (``csu run --demo``, ``make run``) nobody's phone rings: a code
sent by SMS or e-mail went only to the outbox folder, as a file a newcomer had to find
to answer the verification they were learning. The demo's delivery is wrapped in a
:class:`DemoPhone`, which hands each message it sent to the terminal (``show``) once the
transport took it; the terminal shows it as the voter would read it. Only the demo
gets one: on a real cell the voter alone sees what is sent to them.
"""

import contextlib
import re
from collections.abc import Callable, Iterable

from csu.delivery import Delivery, KeepsCopies, Message
from csu.domain.masking import mask_email, mask_phone

MAX_SHOWN = 160
"""Characters of a message shown at most: the notice sits over the form the code is
typed in (a whole SMS, advice included, hid half a verification window at 80x24)."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A link, or a code, identifier or number: four digits or more that are not a year
# (« Élections professionnelles 2022 » opens men-2022's messages).
_WHAT_MATTERS = re.compile(r"://|jeton|(?!(?:19|20)\d\d\b)\d{4,}")


class DemoPhone:
    """A transport that sends through ``inner`` and then shows what it sent."""

    def __init__(self, inner: Delivery) -> None:
        self.inner = inner
        # Set by the terminal once it runs; a message sent before is only sent.
        self.show: Callable[[Message], None] | None = None

    def send(self, message: Message) -> str:
        reference = self.inner.send(message)
        show = self.show
        if show is not None:
            # The screen's trouble must not fail a message the transport took.
            with contextlib.suppress(Exception):
                show(message)
        return reference

    def erase(self, references: Iterable[str] = (), *, dry_run: bool = False) -> int:
        if isinstance(self.inner, KeepsCopies):
            return self.inner.erase(references, dry_run=dry_run)
        return 0


def as_received(message: Message) -> tuple[str, str]:
    """(title, text) of ``message`` as the demo's voter receives it, its :func:`gist`;
    of a letter, only that it went to the print folder (its body is a PDF)."""
    if message.channel == "sms":
        title = f"SMS reçu au {mask_phone(message.recipient)} (démo)"
    elif message.channel == "email":
        title = f"Courriel reçu par {mask_email(message.recipient)} (démo)"
    else:
        return "Courrier (démo)", "Lettre déposée dans le dossier d'impression, à imprimer."
    return title, gist(message.body, message.sender_name)


def gist(body: str, sender: str = "") -> str:
    """What the voter needs of ``body``: its first line up to the sentence that holds a
    code, a number or a link (the advice after it left out, « … » said), at most
    :data:`MAX_SHOWN` characters. The ``sender``'s name, which opens the message and
    may hold a year (« Élections professionnelles 2022 »), is no such number."""
    first_line = body.strip().split("\n", 1)[0]
    sentences = _SENTENCE_END.split(first_line)
    kept: list[str] = []
    for sentence in sentences:
        kept.append(sentence)
        if _WHAT_MATTERS.search(sentence.replace(sender, "") if sender else sentence):
            break
    else:
        kept = sentences[:1]
    text = " ".join(kept)
    if len(text) > MAX_SHOWN:  # the code or the link ends what is kept: its start goes
        return "…" + text[1 - MAX_SHOWN :]
    return text if text == body.strip() else f"{text} …"
