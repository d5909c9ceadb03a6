"""Windows and parts of windows several screens share: confirm with a reason for the
journal (:class:`ReasonDialog`), a question with two answers (:class:`ConfirmDialog`),
an address whose domain looks like a typo (:func:`doubtful_address`), quitting with
an intervention open (:class:`QuitScreen`), and the choice of a voter's
material (:class:`MaterialPicker`).

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

from csu.domain.contacts import typed_twice_alike
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email
from csu.domain.mail_domains import likely_typo
from csu.domain.masking import mask_identifier
from csu.screens.base import CsuModal, ResultT
from csu.services.reasons import MAX_REASON_LENGTH, minimum_words
from csu.services.voters import MaterialView
from csu.widgets.plain import PlainSelect
from csu.widgets.reason_input import ReasonInput


class ReasonDialog(CsuModal[ResultT]):
    """A title, an explanation, a reason typed (the service checks its length, as for
    a command) and a confirming button. Escape cancels (dismisses ``CANCELLED``).

    The cursor starts in the first field: the choice of :meth:`fields` when there is
    one (which field to reveal), the reason otherwise."""

    PREFIX = "reason"
    TITLE_TEXT = "Confirmer"
    OK_LABEL = "Confirmer"
    OK_VARIANT = "warning"
    PLACEHOLDER = f"Motif ({minimum_words()})"
    MAXIMUM = MAX_REASON_LENGTH  # the service's (csu.services.reasons)
    # Above the field: the placeholder alone went as the first letter was typed, and
    # a newcomer read a bare field as part of the explanation above it.
    REASON_LABEL = "Motif (versé au journal)"
    CANCELLED: object = None

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="reason-cancel")]

    def explanation(self) -> str:
        return ""

    def fields(self) -> ComposeResult:
        """Fields above the reason (none by default)."""
        yield from ()

    def other_buttons(self) -> ComposeResult:
        """Buttons between the confirming one and « Annuler » (none by default)."""
        yield from ()

    def compose(self) -> ComposeResult:
        p = self.PREFIX
        with Vertical(id=f"{p}-box", classes="modal-box"):
            yield Static(self.TITLE_TEXT, classes="modal-title", markup=False)
            if self.explanation():
                yield Static(self.explanation(), classes="modal-hint", markup=False)
            yield from self.fields()
            yield Label(self.REASON_LABEL, id=f"{p}-reason-label", markup=False)
            yield ReasonInput(id=f"{p}-reason", placeholder=self.PLACEHOLDER, maximum=self.MAXIMUM)
            with Horizontal(classes="modal-buttons"):
                yield Button(self.OK_LABEL, id=f"{p}-ok", variant=self.OK_VARIANT)  # type: ignore[arg-type]
                yield from self.other_buttons()
                yield Button("Annuler", id=f"{p}-cancel-button")

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


# « identifiant »: Education's identifier is an address, and « Matériel de vote :
# t***@ac-creteil.fr » in the link window read as where the link would go (newcomer run).
MATERIAL_WORDS = "Matériel de vote (identifiant)"


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
            yield Label(MATERIAL_WORDS)
            yield PlainSelect(
                [(material_label(m), m.material_id) for m in self.materials],
                id=self.select_id,
                value=usable.material_id,
                allow_blank=False,
            )
        elif self.materials:
            yield Static(
                f"{MATERIAL_WORDS} : {material_label(self.materials[0])}", markup=False
            )
        else:
            yield Static("Aucun matériel de vote de ce scrutin pour cet électeur.")

    @property
    def material_id(self) -> int | None:
        """The material chosen (None: no material)."""
        if len(self.materials) > 1:
            value = self.query_one(f"#{self.select_id}", Select).value
            return value if isinstance(value, int) else None
        return self.materials[0].material_id if self.materials else None


class ConfirmDialog(CsuModal[bool]):
    """A question with two answers: the first (``yes``) returns True, the other and
    Escape False. The safe answer, the second, has the focus."""

    DEFAULT_CSS = "ConfirmDialog { align: center middle; }"
    BINDINGS = [Binding("escape", "cancel", "Retour", id="confirm-cancel")]

    def __init__(self, title: str, message: str, yes: str, no: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="modal-box"):
            yield Static(self.title_text, classes="modal-title", markup=False)
            yield Static(self.message, classes="modal-hint", id="confirm-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button(self.yes, id="confirm-yes", variant="error")
                yield Button(self.no, id="confirm-no", variant="primary")

    def start_in(self) -> Button:
        return self.query_one("#confirm-no", Button)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        self.dismiss(False)


def doubtful_address(typed: str, again: str) -> ConfirmDialog | None:
    """The question to ask before an address typed twice for a delivery goes, when its
    domain looks like a typo (« gmail.con »): « Corriger l'adresse » focused, « Envoyer
    quand même » to go on (the service's ``domain_confirmed``). None when there is
    nothing to ask: a domain that looks right, or two typings the service refuses."""
    try:
        if not typed_twice_alike(typed, again):
            return None
        # As the services read it (fullwidth letters, punycode made plain): the screen
        # asked nothing of « x@ｇｍｉａｌ.com » that the service then refused (the review).
        address = parse_email(typed)
    except InvalidValue:
        return None
    domain = address.rpartition("@")[2].casefold()
    meant = likely_typo(address)
    if meant is None:
        return None
    return ConfirmDialog(
        "Adresse à vérifier",
        f"Le domaine « {domain} » ressemble à une faute de frappe pour « {meant} ». "
        "Relisez l'adresse à l'électeur, lettre par lettre : une fois l'envoi fait, elle ne "
        "s'affiche plus que masquée, et une faute l'envoie à un inconnu.",
        yes="Envoyer quand même",
        no="Corriger l'adresse",
    )


QUIT_ANYWAY = "quit"
CLOSE_FIRST = "close"


class QuitScreen(CsuModal[str | None]):
    """ctrl+q (or ctrl+o) with an intervention open: quitting closes it as abandonné, which may not
    be what happened (a key just read out, a request taken). Returns
    :data:`CLOSE_FIRST` (the closing window, to give its outcome), :data:`QUIT_ANYWAY`,
    or None (Escape, « Annuler »: back to work). « Clore l'intervention d'abord » has
    the focus."""

    DEFAULT_CSS = "QuitScreen { align: center middle; }"
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="quit-cancel")]

    def __init__(self, intervention: str, *, logout: bool = False) -> None:
        """``intervention``: the open intervention as the operator knows it (« par
        téléphone, ouverte à 11:30, électeur … »). The key that closes it is the one the
        voter file binds now (keymap, browser). ``logout``: asked for ctrl+o, which
        closes it the same (a newcomer logged out mid-call, never told)."""
        super().__init__()
        self.intervention = intervention
        self.logout = logout
        from csu.screens.voter import file_key  # the file imports this module

        self.close_key = file_key(self.app, "close_intervention")

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box", classes="modal-box"):
            title = "Se déconnecter ?" if self.logout else "Quitter CSU électeurs ?"
            yield Static(title, classes="modal-title")
            yield Static(
                f"Une intervention est en cours : {self.intervention}.",
                id="quit-intervention",
                markup=False,
            )
            # « l'intervention », not « l'appel »: a president's is a visit (S4).
            key = f" ({self.close_key})" if self.close_key else ""
            leaving = "vous déconnectez" if self.logout else "quittez"
            yield Static(
                f"Si vous {leaving} maintenant, l'intervention en cours sera close comme "
                "abandonnée (« fin de session ») et votre session fermée. Si elle a "
                f"abouti, clôturez-la d'abord avec son issue{key}.",
                classes="modal-hint",
                id="quit-hint",
                markup=False,
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Clore l'intervention d'abord", id="quit-close", variant="primary")
                anyway = "Se déconnecter quand même" if self.logout else "Quitter quand même"
                yield Button(anyway, id="quit-anyway", variant="error")
                yield Button("Annuler", id="quit-cancel-button")

    def start_in(self) -> Button:
        return self.query_one("#quit-close", Button)

    @on(Button.Pressed, "#quit-close")
    def _close_first(self) -> None:
        self.dismiss(CLOSE_FIRST)

    @on(Button.Pressed, "#quit-anyway")
    def _quit_anyway(self) -> None:
        self.dismiss(QUIT_ANYWAY)

    @on(Button.Pressed, "#quit-cancel-button")
    def action_cancel(self) -> None:
        self.dismiss(None)
