"""Whom the voter calls (issue 14 §3), for the voter file: a CCI voter's local chamber
(CCIL: phone, e-mail, hours) by the roll's constituency, then the election's support
numbers, one French line each; a warning when the election has CCILs but the roll
names none of this voter's.

The voter file mounts it beside the call script, for example in ``compose``::

    yield SupportPanel(self.voter_id, election_id, id="voter-support")

and, when the election in focus changes (an intervention opened on another of the
voter's elections), calls ``self.query_one(SupportPanel).show(voter_id, election_id)``.
It reads through csu.services.support in a thread worker; a refusal shows in the panel.
"""

from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from csu.services.support import SupportView, voter_support

if TYPE_CHECKING:
    from csu.app import CsuApp


def support_text(view: SupportView) -> str:
    """The panel's text: the CCIL first, then the election's numbers."""
    lines = [f"Assistance aux électeurs — {view.election_id}"]
    if view.ccil is not None:
        ccil = view.ccil
        lines += [
            f"{ccil.name} (circonscription {view.constituency})",
            f"  Téléphone : {ccil.phone}",
            f"  Courriel : {ccil.email}",
            f"  Horaires : {ccil.hours}",
        ]
    # The service's lines name the CCIL first; the numbers of the election follow.
    numbers = view.lines[1:] if view.ccil is not None else view.lines
    if numbers:
        lines.append("Numéros du scrutin :")
        lines += [f"  - {line}" for line in numbers]
    elif view.ccil is None:
        lines.append("Aucun numéro d'assistance n'est donné pour ce scrutin.")
    return "\n".join(lines)


def warning_text(view: SupportView) -> str:
    """Why no CCIL shows, when the election has some: the roll is to be checked."""
    if not view.unmatched:
        return ""
    named = f"« {view.constituency} »" if view.constituency else "aucune circonscription"
    return (
        f"⚠ La liste électorale indique {named} pour cet électeur : aucune CCIL connue ne "
        "lui correspond. Vérifiez sa circonscription avec lui ; signalez l'anomalie au "
        "superviseur."
    )


class SupportPanel(Vertical):
    """The numbers of one voter for one election (the voter's only one when None)."""

    DEFAULT_CSS = """
    SupportPanel { height: auto; padding: 0 1; border: round $primary-darken-2; }
    SupportPanel #support-body { height: auto; }
    SupportPanel #support-warning { height: auto; color: $warning; text-style: bold; }
    """

    def __init__(
        self, voter_id: int, election_id: str | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.voter_id = voter_id
        self.election_id = election_id
        self.view: SupportView | None = None

    def compose(self) -> ComposeResult:
        yield Static("Numéros d'assistance…", id="support-body", markup=False)
        yield Static(id="support-warning", markup=False)

    def on_mount(self) -> None:
        self.query_one("#support-warning", Static).display = False
        self.load()

    def show(self, voter_id: int, election_id: str | None = None) -> None:
        """The panel for another voter or election."""
        self.voter_id, self.election_id = voter_id, election_id
        self.load()

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    @work(thread=True, exclusive=True, group="support-panel", exit_on_error=False)
    def load(self) -> None:
        who = self.csu.operator
        if who is None:
            return  # logged out meanwhile
        view = voter_support(self.csu.deps, who, self.voter_id, self.election_id)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, view)

    def _show(self, view: SupportView) -> None:
        self.view = view
        self.query_one("#support-body", Static).update(support_text(view))
        warning = self.query_one("#support-warning", Static)
        warning.update(warning_text(view))
        warning.display = view.unmatched

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The panel's own worker: its failure shows here, in French, not as a traceback.
        if event.state is not WorkerState.ERROR:
            return
        error: Any = event.worker.error
        self.view = None
        self.query_one("#support-warning", Static).display = False
        self.query_one("#support-body", Static).update(
            f"Numéros d'assistance indisponibles : {error}"
            if isinstance(error, ServiceError | InvalidValue)
            else "Numéros d'assistance indisponibles : réessayez."
        )
