"""The supervisors' queue of substitution requests waiting for a decision.

Reading the queue is journalled (it names voters): it is loaded when the screen opens
and when the supervisor asks (r or F5), never polled. A request is decided in a modal,
by a supervisor other than its author (four eyes), with a reason for the journal;
« Accorder » asks first, saying that the original stops working and where the new
material goes, and « Refuser » too, saying that the original stays active and what the
voter is told. « Revenir à la demande » puts the cursor back in the reason.
"""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Static
from textual.worker import Worker, WorkerState

from csu.domain.masking import mask_identifier
from csu.domain.plural import counted
from csu.screens.base import CsuModal, CsuScreen, bound_key, not_done
from csu.screens.dialogs import ConfirmDialog
from csu.screens.substitution import GRANTED, materials_text
from csu.services.reasons import long_enough, minimum_words
from csu.services.substitution import (
    MAX_DECISION_LENGTH,
    SubstitutionView,
    decide_substitution,
    pending_substitutions,
)
from csu.services.substitution_address import request_address
from csu.widgets.footer import KeysFooter
from csu.widgets.plain import PlainTable
from csu.widgets.reason_input import ReasonInput
from csu.widgets.shell_header import ShellHeader

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
NOTES_WIDTH = 30
NAME_WIDTH = 24


def pieces_text(view: SubstitutionView) -> str:
    """« 5/5, identité conforme »: how complete the request was when recorded."""
    total = len(view.checklist) + len(view.missing)
    identity = "identité conforme" if view.identity_match else "identité non conforme"
    return f"{len(view.checklist)}/{total}, {identity}"


def pieces_short(view: SubstitutionView) -> str:
    """« 5/5 » for the table (« 4/5 ⚠ identité » when something is wrong)."""
    total = len(view.checklist) + len(view.missing)
    return f"{len(view.checklist)}/{total}" + ("" if view.identity_match else " ⚠ identité")


def summary(view: SubstitutionView) -> str:
    """Everything about a request, one line per fact."""
    missing = f" ; manquantes : {', '.join(view.missing)}" if view.missing else ""
    lines = [
        f"Demande n° {view.id} — {view.election_id}",
        f"Électeur : {view.voter_name} — matricule {view.matricule}",
        f"Matériel concerné : {materials_text(view)}",
        f"Envoi à : {view.email}",
        f"Perte déclarée le {view.declared_on:%d/%m/%Y}",
        f"Pièces : {pieces_text(view)}{missing}",
        f"Demandée le {view.requested_at:%d/%m/%Y à %H:%M} par {view.requested_by}",
    ]
    if view.notes:
        lines.append(f"Notes : {view.notes}")
    return "\n".join(lines)


def grant_consequences(view: SubstitutionView, address: str) -> str:
    """What « Accorder » does, asked before it is done, with the address the agent typed
    in clear (:func:`csu.services.substitution_address.request_address`): asked to check
    it against the signed request while it showed masked, a supervisor could not."""
    return (
        f"Le matériel actuel ({materials_text(view)}) ne fonctionnera plus, et le nouveau "
        f"matériel partira aussitôt par courriel à :\n\n    {address}\n\nVérifiez cette "
        "adresse, lettre par lettre, sur la demande signée : un envoi fait ne se reprend "
        "pas. (Adresse affichée en clair pour cette vérification : c'est journalisé.)"
    )


def refusal_consequences(view: SubstitutionView) -> str:
    """What « Refuser » does, asked before it is done: nothing replaced, and what the
    voter learns of it (the notice of csu.services.substitution, without the reason)."""
    return (
        f"Aucun nouveau matériel ne sera envoyé : le matériel actuel ({materials_text(view)}) "
        "reste actif. L'électeur recevra un avis du refus (à son adresse professionnelle, "
        "ou à défaut par SMS ; sans l'une ni l'autre, aucun avis ne part et il faut le "
        "prévenir) qui l'invite à appeler la cellule pour en connaître le motif : votre "
        "motif n'y est pas écrit, il reste au journal."
    )


def short(text: str, width: int = NOTES_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def outcome_line(view: SubstitutionView) -> str:
    """One line for a notification once a request is decided."""
    if view.state == GRANTED:
        given = ", ".join(
            f"{mask_identifier(m.new_identifier)} ({m.capacity})"
            for m in view.materials
            if m.new_identifier
        )
        delivery = view.message_state or "en file d'envoi"
        return (
            f"Demande n° {view.id} accordée : nouveau matériel {given} ; courriel à "
            f"{view.email} {delivery}."
        )
    delivery = view.message_state or "en file d'envoi"
    told = (
        f" Avis du refus à l'électeur ({view.notice_to}) : {delivery}."
        if view.notice_to
        else " Aucun avis envoyé : l'électeur n'a ni courriel professionnel ni portable "
        "enregistré."
    )
    return f"Demande n° {view.id} {view.state} : {view.reason or view.decision_note or ''}{told}"


class ApprovalsScreen(CsuScreen[None]):
    """Pending substitution requests, oldest first; Enter decides the one selected."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="approvals-back"),
        Binding("d", "decide", "Décider", id="approvals-decide"),
        Binding("f5", "reload", "Actualiser", id="approvals-reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[SubstitutionView] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static(
            "Demandes de matériel de substitution à approuver", id="approvals-title", markup=False
        )
        yield Static("Chargement des demandes…", id="approvals-status", markup=False)
        yield PlainTable(id="approvals-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="approvals-detail", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#approvals-table", DataTable)
        table.add_columns(
            "Demandée", "Par", "Matricule", "Électeur", "Scrutin", "Matériel", "Adresse",
            "Pièces", "Notes",
        )  # fmt: skip
        table.focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return bool(self.requests)
        return True

    # --- the queue ----------------------------------------------------------------

    def action_reload(self) -> None:
        self.query_one("#approvals-status", Static).update("Chargement des demandes…")
        self.load()

    @work(thread=True, exclusive=True, group="approvals", exit_on_error=False)
    def load(self) -> None:
        who = self.app.operator
        if who is None:
            return
        views = pending_substitutions(self.app.deps, who)
        self.app.call_from_thread(self._show, views)

    def _show(self, views: list[SubstitutionView]) -> None:
        self.requests = views
        self.loaded = True
        table = self.query_one("#approvals-table", DataTable)
        table.clear()
        for view in views:
            table.add_row(
                f"{view.requested_at:%d/%m %H:%M}",
                view.requested_by,
                view.matricule,
                short(view.voter_name, NAME_WIDTH),
                view.election_id,
                ", ".join(mask_identifier(m.old_identifier) for m in view.materials),
                view.email,
                pieces_short(view),
                short(view.notes) or "—",
                key=str(view.id),
            )
        status = self.query_one("#approvals-status", Static)
        # The key as bound: « r » was said, F5 bound (newcomer run).
        reload = f"{bound_key(self.app, self.BINDINGS, 'reload')} pour actualiser"
        status.update(
            f"{counted(len(views), 'demande')} en attente — Entrée pour décider, {reload}."
            if views
            else f"Aucune demande en attente — {reload}."
        )
        self._detail()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#approvals-table")
    def _detail(self) -> None:
        """The highlighted request in full, below the table."""
        view = self.selected()
        detail = self.query_one("#approvals-detail", Static)
        detail.update(summary(view) if view is not None else "")
        detail.display = view is not None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "approvals":
            self.query_one("#approvals-status", Static).update(
                "Liste indisponible — r pour réessayer."
            )

    # --- deciding -----------------------------------------------------------------

    def selected(self) -> SubstitutionView | None:
        table = self.query_one("#approvals-table", DataTable)
        if not self.requests or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.requests[row] if 0 <= row < len(self.requests) else None

    @on(DataTable.RowSelected, "#approvals-table")
    def _row_selected(self) -> None:
        self.action_decide()

    def action_decide(self) -> None:
        view = self.selected()
        who = self.app.operator
        if view is None or who is None:
            return
        self.app.push_screen(
            DecisionScreen(view, own=view.requested_by == who.login), self.after_decision
        )

    def after_decision(self, view: SubstitutionView | None) -> None:
        if view is None:
            return
        self.notify(
            outcome_line(view),
            title="Matériel de substitution",
            severity="information" if view.state == GRANTED else "warning",
            timeout=15,
        )
        self.action_reload()


OWN_REQUEST_SAID = (
    "Vous êtes l'auteur de cette demande : un autre superviseur doit la décider "
    "(principe des quatre yeux)."
)


class DecisionScreen(CsuModal[SubstitutionView | None]):
    """Grant or refuse one request, with a reason (5 characters or more) for the
    journal; returns the request as decided."""

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="decision-cancel")]

    def __init__(self, view: SubstitutionView, *, own: bool = False) -> None:
        super().__init__()
        self.view = view
        self.own = own
        self._busy = False

    def compose(self) -> ComposeResult:
        view = self.view
        with Vertical(id="decision-box", classes="modal-box"):
            yield Static(f"Décider la demande n° {view.id}", classes="modal-title", markup=False)
            yield Static(summary(view), id="decision-summary", markup=False)
            if self.own:
                yield Static(
                    OWN_REQUEST_SAID,
                    id="decision-own",
                    classes="modal-message",
                    markup=False,
                )
            yield ReasonInput(
                id="decision-reason",
                maximum=MAX_DECISION_LENGTH,
                placeholder=(
                    f"Motif ({minimum_words()}, versé au journal)"
                ),
            )
            yield Static(id="decision-message", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Accorder", id="decision-approve", variant="success")
                yield Button("Refuser", id="decision-refuse", variant="error")
                yield Button("Annuler", id="decision-cancel-button")

    def start_in(self) -> Input:
        return self.query_one("#decision-reason", Input)

    @on(Input.Submitted, "#decision-reason")
    def _reason_entered(self) -> None:
        """Two decisions: Entrée takes neither, it takes the cursor to them (it did
        nothing, and a newcomer waited for the request to be decided)."""
        message = self.query_one("#decision-message", Static)
        if not long_enough(self.query_one("#decision-reason", Input).value):
            message.update(f"Motif trop court ({minimum_words()}) : complétez-le.")
            return
        if self.own:
            message.update(OWN_REQUEST_SAID)
            self.query_one("#decision-cancel-button", Button).focus()
            return
        message.update("Choisissez « Accorder » ou « Refuser » (Tab de l'un à l'autre, Entrée).")
        self.query_one("#decision-approve", Button).focus()

    @on(Button.Pressed, "#decision-approve")
    def _approve(self) -> None:
        """Asked first, the address in clear: the original stops working and the new
        material goes out at once."""
        if self._busy:
            return
        if self.own or not long_enough(self.query_one("#decision-reason", Input).value):
            self._submit(approve=True)  # the service's refusal says why
            return
        self._busy = True
        self.address_to_check()

    @work(thread=True, exclusive=True, group="decision-address", exit_on_error=False)
    def address_to_check(self) -> None:
        who = self.app.operator
        if who is None:
            return
        address = request_address(self.app.deps, who, self.view.id)
        self.app.call_from_thread(self._ask_grant, address)

    def _ask_grant(self, address: str) -> None:
        self._busy = False
        self._ask(True, "Accorder", grant_consequences(self.view, address))

    @on(Button.Pressed, "#decision-refuse")
    def _refuse(self) -> None:
        """Asked first, as « Accorder » is: a refusal tells the voter and closes the
        request for good."""
        self._ask(False, "Refuser", refusal_consequences(self.view))

    def _ask(self, approve: bool, verb: str, consequences: str) -> None:
        """The decision, once confirmed. One the service will refuse (its own author, a
        reason too short) goes to it unasked, for its refusal to say why."""
        if self._busy:
            return
        if self.own or not long_enough(self.query_one("#decision-reason", Input).value):
            self._submit(approve=approve)
            return
        self.app.push_screen(
            ConfirmDialog(
                f"{verb} la demande n° {self.view.id} ?",
                consequences,
                yes=verb,
                no="Revenir à la demande",
            ),
            lambda confirmed: self._confirmed(approve, confirmed),
        )

    def _confirmed(self, approve: bool, confirmed: bool | None) -> None:
        if confirmed:
            self._submit(approve=approve)
        else:
            self._back_to_reason(approve)

    def _back_to_reason(self, approve: bool) -> None:
        """« Revenir à la demande »: the cursor in the reason, not on the button pressed
        (left on « Accorder », Tab then Entrée refused the request by mistake), and the
        window says nothing was decided (back on it, a newcomer took it as granted)."""
        undone = "accordée" if approve else "refusée"
        self.query_one("#decision-message", Static).update(
            f"Demande non {undone} : elle reste en attente, rien n'est enregistré."
        )
        self.query_one("#decision-reason", Input).focus()

    def _submit(self, *, approve: bool) -> None:
        if self._busy:
            return
        self._busy = True
        self.query_one("#decision-message", Static).update(
            "Attribution du nouveau matériel…" if approve else "Enregistrement du refus…"
        )
        self.decide(approve, self.query_one("#decision-reason", Input).value)

    @work(thread=True, exclusive=True, group="decision", exit_on_error=False)
    def decide(self, approve: bool, reason: str) -> None:
        who = self.app.operator
        if who is None:
            return
        view = decide_substitution(self.app.deps, who, self.view.id, approve, reason)
        self.app.call_from_thread(self.finish, view)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#decision-message", Static).update(
                not_done("Décision non enregistrée", error)
            )
        if event.state in FINISHED:
            self._busy = False

    @on(Button.Pressed, "#decision-cancel-button")
    def action_cancel(self) -> None:
        if not self._busy:
            self.dismiss(None)
