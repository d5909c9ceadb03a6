"""Windows and parts of windows several screens share: confirm with a reason for the
journal (:class:`ReasonDialog`), and the choice of a voter's material
(:class:`MaterialPicker`).

:class:`ReasonDialog` is a base that subclasses only adjust (title, explanation,
button, and what a confirmed reason does): the unlock of a voter, the reveal of a
masked field. Its widgets are named after ``PREFIX`` (``#unlock-reason``,
``#unlock-ok``…), so that each window keeps its own ids.
"""

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from csu.domain.masking import mask_identifier
from csu.screens.base import CsuModal, ResultT
from csu.services.reasons import MIN_REASON_LENGTH
from csu.services.voters import MaterialView
from csu.widgets.plain import PlainSelect


class ReasonDialog(CsuModal[ResultT]):
    """A title, an explanation, a reason typed (the service checks its length, as for
    a command) and a confirming button. Escape cancels (dismisses ``CANCELLED``)."""

    PREFIX = "reason"
    TITLE_TEXT = "Confirmer"
    OK_LABEL = "Confirmer"
    OK_VARIANT = "warning"
    PLACEHOLDER = f"Motif ({MIN_REASON_LENGTH} lettres ou chiffres au moins)"
    CANCELLED: object = None

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="reason-cancel")]

    def explanation(self) -> str:
        return ""

    def fields(self) -> ComposeResult:
        """Fields above the reason (none by default)."""
        yield from ()

    def compose(self) -> ComposeResult:
        p = self.PREFIX
        with Vertical(id=f"{p}-box", classes="modal-box"):
            yield Static(self.TITLE_TEXT, classes="modal-title", markup=False)
            if self.explanation():
                yield Static(self.explanation(), classes="modal-hint", markup=False)
            yield from self.fields()
            yield Input(id=f"{p}-reason", placeholder=self.PLACEHOLDER)
            with Horizontal(classes="modal-buttons"):
                yield Button(self.OK_LABEL, id=f"{p}-ok", variant=self.OK_VARIANT)  # type: ignore[arg-type]
                yield Button("Annuler", id=f"{p}-cancel-button")

    def on_mount(self) -> None:
        self.query_one(f"#{self.PREFIX}-reason", Input).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == f"{self.PREFIX}-ok":
            self._submit()
        elif event.button.id == f"{self.PREFIX}-cancel-button":
            self.action_cancel()

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        if event.input.id == f"{self.PREFIX}-reason":
            self._submit()

    def _submit(self) -> None:
        # The length of the reason is the service's rule (its refusal says it).
        self.confirmed(self.query_one(f"#{self.PREFIX}-reason", Input).value)

    def confirmed(self, reason: str) -> None:
        """What a reason typed does: by default, the window returns it."""
        self.dismiss(reason)  # type: ignore[arg-type]

    def action_cancel(self) -> None:
        self.dismiss(self.CANCELLED)  # type: ignore[arg-type]


def material_label(material: MaterialView) -> str:
    return f"{mask_identifier(material.identifier)} — {material.capacity} ({material.status})"


class MaterialPicker(Vertical):
    """Which material of the voter a window acts on: a choice when there are several
    (the first active one chosen), the material named when there is one, and a
    sentence when there is none. The choice is ``#<select_id>``."""

    DEFAULT_CSS = "MaterialPicker { height: auto; }"

    def __init__(self, materials: Sequence[MaterialView], *, select_id: str) -> None:
        super().__init__()
        self.materials = list(materials)
        self.select_id = select_id

    def compose(self) -> ComposeResult:
        if len(self.materials) > 1:
            usable = next((m for m in self.materials if m.status == "actif"), self.materials[0])
            yield Label("Matériel de vote")
            yield PlainSelect(
                [(material_label(m), m.material_id) for m in self.materials],
                id=self.select_id,
                value=usable.material_id,
                allow_blank=False,
            )
        elif self.materials:
            yield Static(f"Matériel : {material_label(self.materials[0])}", markup=False)
        else:
            yield Static("Aucun matériel de vote de ce scrutin pour cet électeur.")

    @property
    def material_id(self) -> int | None:
        """The material chosen (None: no material)."""
        if len(self.materials) > 1:
            value = self.query_one(f"#{self.select_id}", Select).value
            return value if isinstance(value, int) else None
        return self.materials[0].material_id if self.materials else None
