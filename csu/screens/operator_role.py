"""The administrator's window that gives an operator another role, or a president
another bureau (m on the operators desk, F9).

The service (csu.services.operators.change_operator) checks the role and every rule
(not one's own account, the cell's last administrator, a president's bureau) and
journals the change; the window says its refusals where they can be corrected, in
itself, with the cursor in the field at fault.
"""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select, Static
from textual.worker import Worker, WorkerState

from csu.domain.errors import InvalidValue
from csu.domain.roles import ROLE_LABELS, ROLES
from csu.screens.base import FINISHED, not_done
from csu.screens.dialogs import ReasonDialog
from csu.services.operators import (
    BUREAU_FIELD,
    ROLE_FIELD,
    OperatorChanged,
    OperatorView,
    change_operator,
    role_and_bureau,
)
from csu.widgets.bureau_select import BureauSelect


class ChangeRoleScreen(ReasonDialog[OperatorChanged | None]):
    """The role (and a president's bureau) of one operator, with a reason for the
    journal; returns what the service changed, None when cancelled."""

    DEFAULT_CSS = """
    ChangeRoleScreen { align: center middle; }
    ChangeRoleScreen .role-row { height: auto; }
    ChangeRoleScreen .role-row > Vertical { width: 1fr; height: auto; margin-right: 1; }
    """
    PREFIX = "role"
    OK_LABEL = "Changer"
    PLACEHOLDER = "Motif (facultatif, versé au journal)"
    UNDONE = "Rôle inchangé."
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="role-cancel")]

    def __init__(self, operator: OperatorView) -> None:
        super().__init__()
        self.operator = operator
        self.TITLE_TEXT = f"Rôle ou bureau de « {operator.login} » ({operator.display_name})"

    def explanation(self) -> str:
        now = role_and_bureau(self.operator.role, self.operator.bureau)
        return (
            f"Actuellement : {now}. Sa session en cours se ferme ; ce qu'il laisse en cours "
            "(intervention ouverte, dossiers escaladés pris, vérifications en personne "
            "attendues) est abandonné ou rendu. Il se reconnecte avec ses nouveaux droits."
        )

    def fields(self) -> ComposeResult:
        with Horizontal(classes="role-row"):
            with Vertical():
                yield Label("Nouveau rôle")
                yield Select(
                    [(ROLE_LABELS[role].capitalize(), role) for role in ROLES],
                    id="role-role",
                    value=self.operator.role,
                    allow_blank=False,
                )
            with Vertical(id="role-bureau-box"):
                yield Label("Bureau de vote présidé")
                yield BureauSelect(id="role-bureau", chosen=self.operator.bureau)
        yield Static(id="role-message", classes="modal-message", markup=False)

    def on_mount(self) -> None:
        self.query_one("#role-bureau-box").visible = self.operator.role == "president"

    def start_in(self) -> Select:
        return self.query_one("#role-role", Select)

    @on(Select.Changed, "#role-role")
    def _role_changed(self, event: Select.Changed) -> None:
        # visible, not display: the role keeps its half of the row either way.
        self.query_one("#role-bureau-box").visible = event.value == "president"

    def confirmed(self, reason: str) -> None:
        if self.busy:
            return  # the change asked still runs
        role = str(self.query_one("#role-role", Select).value)
        bureau_field = self.query_one("#role-bureau", Select)
        if role == "president" and bureau_field.is_blank():
            self._say("Indiquez le bureau présidé. Rien n'a changé.")
            bureau_field.focus()
            return
        bureau = bureau_field.value if role == "president" else None
        self.begin()
        self._say("Changement…")
        self.change(role, bureau if isinstance(bureau, str) else None, reason)

    @work(thread=True, exclusive=True, group="role-change", exit_on_error=False)
    def change(self, role: str, bureau: str | None, reason: str) -> OperatorChanged | None:
        who = self.app.operator
        if who is None:
            return None
        return change_operator(
            self.app.deps, who, self.operator.login, role=role, bureau=bureau, reason=reason
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The base class, called too, clears ``busy`` and has the app say a refusal.
        if event.worker.group != "role-change" or event.state not in FINISHED:
            return
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self._say(not_done("Rôle inchangé", error))
            at_fault = {ROLE_FIELD: "#role-role", BUREAU_FIELD: "#role-bureau"}.get(
                error.field if isinstance(error, InvalidValue) else ""
            )
            self.query_one(at_fault or "#role-reason").focus()
            return
        changed = event.worker.result
        # Dismissed once the worker has finished: dismissing from inside it cancels it.
        if event.state is WorkerState.SUCCESS and isinstance(changed, OperatorChanged):
            self.dismiss(changed)

    def action_cancel(self) -> None:
        self.dismiss_undone()

    def _say(self, message: str) -> None:
        self.query_one("#role-message", Static).update(message)
