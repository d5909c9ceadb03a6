"""The field of a reason for the journal (an unlock, a reveal, an invalidation, a
decision): it holds no more than the service keeps. A reason typed past the limit was
refused only when submitted, the whole text still to cut; now the key past it rings and
the field says the limit once, and a paste that would pass it is refused and said
(:class:`~csu.widgets.paste_checked.PasteCheckedInput`)."""

from typing import Any

from csu.domain.text import free_text
from csu.services.reasons import MAX_REASON_LENGTH
from csu.widgets.paste_checked import PasteCheckedInput

REASON_FIELD = "Motif"


def limit_reached(field: str, maximum: int) -> str:
    return f"{field} : {maximum} caractères au plus, la suite n'est pas prise."


class ReasonInput(PasteCheckedInput):
    """A reason of ``maximum`` characters at most (the service's own limit), checked
    on paste as free text (a control or invisible character is refused and named)."""

    def __init__(self, *, maximum: int = MAX_REASON_LENGTH, **kwargs: Any) -> None:
        super().__init__(field=REASON_FIELD, check=free_text, max_length=maximum, **kwargs)
        self._told = False

    def restricted(self) -> None:
        super().restricted()  # the bell
        if not self._told:  # once a window, not a notice a key
            self._told = True
            self.notify(limit_reached(self.field, self.max_length), severity="warning", timeout=6)

