"""A new security key by post (issue 14 §3, seed 002: Interior, a voter with no agent
card): a letter to the home address on the roll, queued to the print folder.

:class:`LetterScreen` opens on ``(intervention_id, material_id)``: it shows the address
masked (or why no letter can go), asks confirmation, then reports where the letter
went and its state. The key itself is never on screen: it exists only in the letter.

The voter file (ctrl+b, « Clé par courrier ») pushes it with the voter's materials of the
election, a choice when there are several::

    LetterScreen(intervention_id, first.material_id, materials=materials)

and, in ``after_letter(queued)``, reloads the file when ``queued`` is not None (the
previous key was revoked).
"""

from collections.abc import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Select, Static
from textual.worker import get_current_worker

from csu.domain.masking import mask_identifier
from csu.screens.base import CsuModal, WorkFailed
from csu.screens.dialogs import MaterialPicker
from csu.services.letters import LetterPreview, LetterQueued, letter_preview, send_key_by_post
from csu.services.outbox import STATE_LABELS
from csu.services.voters import MaterialView

LETTER_STATES: dict[str, str] = {
    "sent": "déposé dans le dossier d'impression",
    "pending": "en attente d'impression, nouvel essai automatique (suivi dans Messages envoyés)",
    "failed": "échec du dépôt pour impression (voir Messages envoyés)",
}
"""What became of the letter, by outbox state (others: the outbox's own words)."""


def preview_text(preview: LetterPreview) -> str:
    if not preview.allowed:
        return f"Envoi impossible : {preview.refusal or 'refusé.'}"
    return (
        f"Adresse postale sur la liste électorale : {preview.address}\n"
        "Confirmez avec l'électeur que c'est bien son domicile. Une nouvelle clé de "
        "sécurité y sera envoyée par courrier ; la clé actuelle cessera aussitôt de "
        "fonctionner. Personne ne verra la nouvelle clé : elle n'est que dans le courrier."
    )


def queued_text(queued: LetterQueued) -> str:
    """What the agent tells the caller (no key: the service never returns it)."""
    state = LETTER_STATES.get(queued.state, STATE_LABELS.get(queued.state, queued.state))
    return (
        f"Nouvelle clé de sécurité pour le matériel {mask_identifier(queued.material_identifier)} "
        f"envoyée par courrier à {queued.address} : {state}. L'ancienne clé ne fonctionne "
        "plus ; l'électeur est prévenu par un autre canal."
    )


class LetterScreen(CsuModal[LetterQueued | None]):
    """The masked address, « Envoyer par courrier », the outcome; returns the letter
    queued (None when nothing was sent)."""

    DEFAULT_CSS = """
    LetterScreen { align: center middle; }
    """

    BINDINGS = [Binding("escape", "close", "Fermer", id="letter-close")]

    def __init__(
        self, intervention_id: str, material_id: int, *, materials: Sequence[MaterialView] = ()
    ) -> None:
        """``materials``: the voter's materials of the election to choose among (the
        window then acts on the one chosen, ``material_id`` first)."""
        super().__init__()
        self.intervention_id = intervention_id
        self.material_id = material_id
        # The chosen material first, so that the picker starts on it.
        self.materials = sorted(materials, key=lambda m: m.material_id != material_id)
        self.preview: LetterPreview | None = None
        self.queued: LetterQueued | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="letter-box", classes="modal-box"):
            yield Static("Clé de sécurité par courrier", classes="modal-title")
            if len(self.materials) > 1:
                yield MaterialPicker(self.materials, select_id="letter-material")
            yield Static("Lecture de l'adresse…", id="letter-address", markup=False)
            yield Static(id="letter-result", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button(
                    "Envoyer par courrier", id="letter-ok", variant="warning", disabled=True
                )
                yield Button("Fermer", id="letter-close-button")

    def on_mount(self) -> None:
        for picker in self.query(MaterialPicker):  # it starts on an active material
            self.material_id = picker.material_id or self.material_id
        self.query_one("#letter-result", Static).display = False
        self.load_preview()

    def start_in(self) -> Button:
        # Nothing is sent before the preview has loaded: « Fermer » until then.
        return self.query_one("#letter-close-button", Button)

    @on(Select.Changed, "#letter-material")
    def _material_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and event.value != self.material_id:
            self.material_id = event.value
            self.preview = None
            self.query_one("#letter-ok", Button).disabled = True
            self.query_one("#letter-address", Static).update("Lecture de l'adresse…")
            self.load_preview()

    @work(thread=True, exclusive=True, group="letter-preview", exit_on_error=False)
    def load_preview(self) -> None:
        deps, who = self.session()
        material_id = self.material_id
        preview = letter_preview(deps, who, self.intervention_id, material_id)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._previewed, material_id, preview)

    def _previewed(self, material_id: int, preview: LetterPreview) -> None:
        if material_id != self.material_id or self.queued is not None:
            return  # another material was chosen meanwhile, or the letter went
        self.preview = preview
        self.query_one("#letter-address", Static).update(preview_text(preview))
        ok = self.query_one("#letter-ok", Button)
        ok.disabled = not preview.allowed
        if preview.allowed:
            ok.focus()

    @on(Button.Pressed, "#letter-ok")
    def _send(self) -> None:
        if self.preview is None or not self.preview.allowed or self.queued is not None:
            return
        if not self.begin():
            return
        self.query_one("#letter-ok", Button).disabled = True
        result = self.query_one("#letter-result", Static)
        result.update("Préparation du courrier…")
        result.display = True
        self.send()

    @work(thread=True, exclusive=True, group="letter-send", exit_on_error=False)
    def send(self) -> None:
        deps, who = self.session()
        queued = send_key_by_post(deps, who, self.intervention_id, self.material_id)
        self.app.call_from_thread(self._sent, queued)

    def _sent(self, queued: LetterQueued) -> None:
        self.queued = queued
        self.query_one("#letter-result", Static).update(queued_text(queued))
        self.query_one("#letter-ok", Button).display = False  # one letter per window
        for picker in self.query(MaterialPicker):
            picker.disabled = True
        self.query_one("#letter-close-button", Button).focus()

    @on(WorkFailed)
    def _failed(self, event: WorkFailed) -> None:
        result = self.query_one("#letter-result", Static)
        if event.group == "letter-preview":
            self.query_one("#letter-address", Static).update(
                f"Envoi impossible : {event.error}" if event.refused else "Adresse illisible."
            )
            return
        result.update(f"Courrier non envoyé — {event.error}" if event.refused
                      else "Courrier non envoyé : réessayez.")  # fmt: skip
        result.display = True
        self.query_one("#letter-ok", Button).disabled = False

    @on(Button.Pressed, "#letter-close-button")
    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(self.queued)
