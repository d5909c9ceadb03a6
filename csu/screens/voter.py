"""The voter file: identity, bureau, materials and credentials, interventions, lock."""

from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from csu.domain.clock import to_paris
from csu.services.voters import (
    REVEALABLE,
    REVEALABLE_LABELS,
    VoterFile,
    open_voter,
    reveal_field,
)
from csu.widgets.shell_header import ShellHeader

if TYPE_CHECKING:
    from csu.app import CsuApp

# The masked contact fields, labelled as the service names them.
FIELD_LABELS = {name: REVEALABLE_LABELS[name].capitalize() for name in REVEALABLE}


def when(moment: datetime | None) -> str:
    return f"{to_paris(moment):%d/%m/%Y %H:%M}" if moment else "—"


def render_file(file: VoterFile, now: datetime) -> list[Table | Text]:
    """The file as rich renderables (pure, so tests and snapshots see the same)."""
    identity = Table.grid(padding=(0, 2))
    identity.add_column(style="bold")
    identity.add_column()
    identity.add_row("Matricule", file.matricule)
    identity.add_row("Nom, prénom", f"{file.last_name} {file.first_name}")
    birth = f"{file.birth_date:%d/%m/%Y}" if file.birth_date else "—"
    identity.add_row("Né(e) le", birth)
    for name, label in FIELD_LABELS.items():
        identity.add_row(label, getattr(file, name) or "—")
    identity.add_row("Secrets enregistrés", ", ".join(file.secrets_on_record) or "aucun")
    if file.challenge_question:
        identity.add_row("Question défi", file.challenge_question)
    locked = file.locked_until is not None and file.locked_until > now
    identity.add_row(
        "Verrouillage",
        Text(f"verrouillé jusqu'au {when(file.locked_until)}", style="bold red")
        if locked
        else Text("non verrouillé"),
    )
    for bureau in file.bureaus:
        president = bureau.president_operator or bureau.president or "non désigné"
        identity.add_row("Bureau", f"{bureau.code} {bureau.name} — président : {president}")

    materials = Table(title="Matériel de vote", expand=True)
    for column in ("Scrutin", "Qualité", "Identifiant", "Statut", "A voté", "Identifiants"):
        materials.add_column(column)
    for material in file.materials:
        credentials = "\n".join(
            f"{c.label} : {c.status}"
            + (f" depuis {when(c.since)}" if c.since and not c.revoked_at else "")
            + (f" (révoqué {when(c.revoked_at)})" if c.revoked_at else "")
            for c in material.credentials
        )
        materials.add_row(
            f"{material.election_id}\n{material.election_title}",
            material.capacity,
            material.identifier,
            material.status,
            when(material.voted_at) if material.voted_at else "non",
            credentials or "aucun émis par la cellule",
        )

    interventions = Table(title="Interventions", expand=True)
    for column in ("Ouverte le", "Opérateur", "Canal", "Issue"):
        interventions.add_column(column)
    for item in file.interventions:
        interventions.add_row(when(item.opened_at), item.operator, item.channel, item.outcome or "")
    if not file.interventions:
        interventions.add_row("—", "aucune", "", "")
    return [identity, materials, interventions]


class VoterScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="voter-back"),
        Binding("ctrl+r", "reveal", "Révéler un champ", id="voter-reveal"),
    ]

    def __init__(self, voter_id: int) -> None:
        super().__init__()
        self.voter_id = voter_id
        self.file: VoterFile | None = None

    @property
    def csu(self) -> "CsuApp":
        return cast("CsuApp", self.app)

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.csu.clock)
        with VerticalScroll(id="voter-file"):
            yield Static("Chargement de la fiche…", id="voter-identity")
            yield Static(id="voter-materials")
            yield Static(id="voter-interventions")
        yield Footer()

    def on_mount(self) -> None:
        header = self.query_one(ShellHeader)
        header.who = self.csu.who_line
        header.election = self.csu.election
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reveal":
            who = self.csu.operator
            return who is not None and who.role == "superviseur"
        return True

    @work(thread=True, exclusive=True, group="voter", exit_on_error=False)
    def load(self) -> None:
        who = self.csu.operator
        if who is None:
            return
        file = open_voter(self.csu.deps, who, self.voter_id)
        self.app.call_from_thread(self._show, file)

    def _show(self, file: VoterFile) -> None:
        self.file = file
        identity, materials, interventions = render_file(file, self.csu.clock())
        self.query_one("#voter-identity", Static).update(identity)
        self.query_one("#voter-materials", Static).update(materials)
        self.query_one("#voter-interventions", Static).update(interventions)

    def action_reveal(self) -> None:
        def revealed(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                self.reveal(*answer)

        self.app.push_screen(RevealScreen(), revealed)

    @work(thread=True, exclusive=True, group="reveal", exit_on_error=False)
    def reveal(self, field: str, reason: str) -> None:
        who = self.csu.operator
        if who is None:
            return
        value = reveal_field(self.csu.deps, who, self.voter_id, field, reason)
        label = FIELD_LABELS.get(field, field)
        self.app.call_from_thread(
            self.app.notify, f"{label} : {value}", title="Champ révélé (journalisé)", timeout=20
        )


class RevealScreen(ModalScreen[tuple[str, str] | None]):
    """Which field to reveal, and why: the reason goes to the journal."""

    BINDINGS = [Binding("escape", "cancel", "Annuler", id="reveal-cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="reveal-box"):
            yield Label("Révéler un champ masqué (la révélation est journalisée)")
            yield Select(
                [(FIELD_LABELS[name], name) for name in REVEALABLE],
                id="reveal-field",
                allow_blank=False,
            )
            yield Input(id="reveal-reason", placeholder="Motif (5 caractères au moins)")
            yield Button("Révéler", id="reveal-ok", variant="warning")

    @on(Button.Pressed, "#reveal-ok")
    @on(Input.Submitted, "#reveal-reason")
    def _confirm(self) -> None:
        field = self.query_one("#reveal-field", Select).value
        reason = self.query_one("#reveal-reason", Input).value
        self.dismiss((str(field), reason))

    def action_cancel(self) -> None:
        self.dismiss(None)
