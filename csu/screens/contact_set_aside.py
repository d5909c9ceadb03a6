"""The supervisor's window to set aside a contact of the roll that is no longer the
voter's (a mobile given to someone else): it says what stops with it, asks the reason
for the journal, and runs :func:`csu.services.voter_contacts.set_contact_aside`. A
refusal (a reason too short) shows in the window, which stays open with what was typed.
Opened from the reveal window (« Écarter… »), where the supervisor picked the field."""

from textual import work
from textual.binding import Binding
from textual.widgets import Input

from csu.domain.contact_fields import CONTACT_FIELD_LABELS, ROUTES
from csu.domain.plural import counted
from csu.screens.dialogs import ReasonDialog
from csu.services.voter_contacts import SetAside, set_contact_aside


def set_aside_consequences(field: str) -> str:
    """What setting ``field`` aside stops, as the window says it before it is done."""
    if field in ROUTES:
        stopped = (
            "Les codes à usage unique qui y ont été envoyés expirent, les liens annulés, les "
            "messages pas encore partis abandonnés ; plus rien n'y sera envoyé."
        )
    else:
        stopped = "Un appel de ce numéro ne sera plus reconnu comme celui de l'électeur."
    return (
        f"Il est effacé de la fiche. {stopped} L'agent prendra le numéro ou l'adresse que "
        "l'électeur donnera. Un nouvel import de la liste électorale qui le porte encore le "
        "rétablira."
    )


def set_aside_done(field: str, done: SetAside) -> str:
    """The notice once done: « Téléphone portable +33 6 ** ** ** 78 écarté : 1 code
    expiré, 0 lien annulé, 1 message abandonné (journalisé). »"""
    label = CONTACT_FIELD_LABELS[field].capitalize()
    stopped = ""
    if field in ROUTES:
        stopped = (
            f" : {counted(done.codes, 'code expiré', 'codes expirés')}, "
            f"{counted(done.links, 'lien annulé', 'liens annulés')}, "
            f"{counted(done.messages, 'message abandonné', 'messages abandonnés')}"
        )
    return f"{label} {done.masked} écarté{stopped} (journalisé)."


class SetAsideScreen(ReasonDialog[SetAside | None]):
    """Set aside one contact field of the voter; returns what was stopped (None:
    cancelled)."""

    PREFIX = "set-aside"
    TITLE_TEXT = "Écarter une coordonnée qui n'est plus celle de l'électeur"
    OK_LABEL = "Écarter"
    OK_VARIANT = "error"
    CANCELLED = None
    UNDONE = "Rien n'a été écarté."
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="set-aside-cancel")]

    def __init__(self, voter_id: int, field: str, masked: str | None, reason: str = "") -> None:
        super().__init__()
        self.voter_id = voter_id
        self.field = field
        self.masked = masked
        self.typed = reason

    def explanation(self) -> str:
        shown = f" {self.masked}" if self.masked else ""
        return f"{CONTACT_FIELD_LABELS[self.field].capitalize()}{shown}. " + (
            set_aside_consequences(self.field)
        )

    def on_mount(self) -> None:
        if self.typed:
            self.query_one(f"#{self.PREFIX}-reason", Input).value = self.typed

    def action_cancel(self) -> None:
        self.dismiss_undone()  # « Rien n'a été écarté. », and never while it runs

    def confirmed(self, reason: str) -> None:
        if self.begin():
            self.set_aside(reason)

    @work(thread=True, exclusive=True, group="set-aside", exit_on_error=False)
    def set_aside(self, reason: str) -> None:
        deps, who = self.session()
        done = set_contact_aside(deps, who, self.voter_id, self.field, reason)
        self.app.call_from_thread(self.finish, done)
