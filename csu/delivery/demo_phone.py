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
from collections.abc import Callable, Iterable

from csu.delivery import Delivery, KeepsCopies, Message
from csu.domain.masking import mask_email, mask_phone

MAX_SHOWN = 600
"""Characters of a message shown at most (an SMS of 3 segments is under 480)."""


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
    """(title, text) of ``message`` as the demo's voter receives it: an SMS's text, an
    e-mail's subject and text; of a letter, only that it went to the print folder (its
    body is a PDF)."""
    if message.channel == "sms":
        title = f"SMS reçu au {mask_phone(message.recipient)} (démo)"
        text = message.body
    elif message.channel == "email":
        title = f"Courriel reçu par {mask_email(message.recipient)} (démo)"
        text = f"Objet : {message.subject}\n{message.body}"
    else:
        return "Courrier (démo)", "Lettre déposée dans le dossier d'impression, à imprimer."
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 1] + "…"
    return title, text
