"""F1: how a call goes for the operator's role, then the keys of the screen below and
of the whole application, in French words (« ctrl+n », « Échap »), never an id."""

import string
from typing import Any

from rich.console import Group
from textual.actions import parse
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import DataTable, Static

from csu.screens.base import CsuModal, bound_key, browser_words, in_browser, key_name
from csu.screens.voter import file_key
from csu.widgets.listing import hanging_list
from csu.widgets.plain import PlainTable

# The flow of a call, per role: what the operator does, in order. ``{action}`` is the
# key the voter file binds to that action now (its keymap applied, in a browser its
# twin), ``{desk_name}`` the application's key to that desk: a workplace that rebinds a
# key reads its own key here.
FLOWS: dict[str, tuple[str, ...]] = {
    "agent": (
        "Tapez le matricule (ou le nom) de l'appelant, puis Entrée pour ouvrir sa fiche ; "
        "si plusieurs électeurs s'affichent, choisissez le bon avec ↑/↓ puis Entrée.",
        "{open_intervention} : ouvrez une intervention (canal, numéro affiché ; pour un "
        "président qui appelle, son identifiant).",
        "Suivez la « Procédure d'appel » du scrutin, à côté de l'intervention : les étapes "
        "faites se cochent (✓), l'étape suivante est surlignée ; {choose_script} pour suivre "
        "une autre procédure du scrutin.",
        "{verify} : vérifiez l'identité de l'appelant avec les questions proposées ; si le "
        "scrutin le permet, {send_code} dans la fenêtre envoie un code par SMS ou courriel, que "
        "l'appelant vous lit.",
        "Agissez, selon ce que prévoit le scrutin : {issue} délivre une clé ou un mot de "
        "passe, à lire à l'appelant ; {vote_code_link} envoie un lien de réassort du code de "
        "vote ; {identifier} envoie l'identifiant de vote par courriel ; {substitution} "
        "demande un matériel de substitution ; {letter} envoie une nouvelle clé de sécurité "
        "par courrier au domicile (ministère de l'Intérieur).",
        "{close_intervention} : clôturez l'intervention avec son issue (proposée d'après ce qui "
        "s'est passé).",
        "{new_call} (ou Échap) : nouvel appel, sur une recherche vide.",
    ),
    "president": (
        "L'électeur est devant vous : tapez son matricule, puis Entrée (seuls les "
        "électeurs de votre bureau s'affichent).",
        "{open_intervention} : ouvrez l'intervention (en présentiel).",
        "{verify} : indiquez la pièce d'identité vue et ses 4 derniers caractères.",
        "{issue} : délivrez un nouveau mot de passe et remettez-le à l'électeur.",
        "{close_intervention} : clôturez l'intervention ; {new_call} pour l'électeur suivant.",
        "{desk_presence} : les vérifications en personne que vous demandent les agents.",
    ),
    "superviseur": (
        "Les appels se traitent comme un agent : matricule, {open_intervention}, {verify}, "
        "action, {close_intervention}.",
        "{unlock} : déverrouillez un électeur verrouillé après des échecs (avec un motif).",
        "{reveal} : révélez un champ masqué (motif journalisé).",
        "{desk_journal} journal, {desk_dashboard} tableau de bord, {desk_alerts} alertes, "
        "{desk_escalations} escalades, {desk_integrity} intégrité.",
        "Demandes de substitution à approuver : « s » sur le tableau de bord, ou ctrl+p "
        "« Demandes de substitution ».",
    ),
    "admin": (
        "{desk_operators} : les opérateurs (création, désactivation, authentificateur).",
        "{desk_journal} journal, {desk_dashboard} tableau de bord, {desk_alerts} alertes, "
        "{desk_integrity} intégrité.",
        "Les scrutins et les listes électorales se chargent avec la commande « csu ».",
    ),
}

# What each role's flow is: a president has the voter in front of them (S4), nobody
# calls; a supervisor takes calls and keeps the desk; an administrator takes none.
HEADINGS = {
    "agent": "Déroulé d'un appel :",
    "president": "Déroulé d'une intervention au bureau :",
    "superviseur": "Votre poste de superviseur :",
    "admin": "Votre poste d'administrateur :",
}

# The keys the flows name: the voter file's actions, and the application's desks.
_NAMED = frozenset(
    name
    for steps in FLOWS.values()
    for step in steps
    for _, name, _, _ in string.Formatter().parse(step)
    if name
)
DESK = "desk_"


def _key_named(app: App[Any], name: str) -> str:
    if name.startswith(DESK):
        return bound_key(app, type(app).BINDINGS, f"desk('{name.removeprefix(DESK)}')")
    if name == "send_code":  # a key of the verification window, not of the file
        from csu.screens.verification import VerifyScreen

        return bound_key(app, VerifyScreen.BINDINGS, name)
    return file_key(app, name)


def flow(role: str, app: App[Any]) -> Group | None:
    """The steps of a call for ``role``, numbered (None: the role takes no call), with
    the keys ``app`` binds on a voter's file; in a browser, the keys the page receives."""
    steps = FLOWS.get(role, ())
    if not steps:
        return None
    keys = {name: _key_named(app, name) for name in _NAMED}
    # The other keys named as a browser's page receives them, before the file's are
    # filled in from its bindings (browser twins included): a key the keymap moved to
    # ctrl+w must not read alt+w.
    said = browser_words if getattr(app, "is_web", False) else str
    heading = HEADINGS[role]
    return hanging_list(
        heading,
        [(f"  {number}.", said(step).format_map(keys)) for number, step in enumerate(steps, 1)],
    )


class HelpScreen(CsuModal[None]):
    CSS_PATH = None  # opens from the login screen too: styled by app.tcss
    BINDINGS = [Binding("escape,f1", "dismiss", "Fermer", id="close")]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self._below = below
        self._highlighted = 0  # the keys' row the box last scrolled to

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("Aide — Échap pour fermer", id="help-title", markup=False)
            yield Static(flow(self.role, self.app) or "", id="help-flow", markup=False)
            yield PlainTable(id="help-keys", cursor_type="row", zebra_stripes=True)

    def start_in(self) -> None:
        # The keys' table is focused in place by on_mount, and never scrolled to: taller
        # than the box at 80x24, scrolling to it went past the title and the first steps
        # of a call.
        return None

    def on_mount(self) -> None:
        self.query_one("#help-flow", Static).display = self.role in FLOWS
        table = self.query_one(DataTable)
        table.focus(scroll_visible=False)
        table.add_columns("Touche", "Action")
        seen: set[str] = set()
        for source in (self._below, self.app):
            bindings = [binding for binding in source.BINDINGS if isinstance(binding, Binding)]
            if self.app.is_web:
                bindings = in_browser(bindings)  # as the screens bind them in a browser
            for binding in bindings:
                if not binding.description:
                    continue
                if binding.key in seen or not self._allowed(source, binding.action):
                    continue
                seen.add(binding.key)
                table.add_row(self._key(source, binding), self._label(source, binding))
        table.add_row("ctrl+p", "Palette de commandes")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The box scrolls to the highlighted key: the table, as tall as its rows, moved
        its cursor out of the box's view (80x24) and never scrolled it. Not for the first
        row's highlight as the table fills: the box opens on its title."""
        if event.cursor_row == self._highlighted:
            return
        self._highlighted = event.cursor_row
        table = event.data_table
        box = self.query_one("#help-box")
        if event.cursor_row == 0:  # back on the first key: the title and steps above it too
            box.scroll_home(animate=False)
            return
        row = table.virtual_region.y + table.header_height + event.cursor_row
        box.scroll_to_region(Region(0, row, 1, 1), animate=False)

    def _key(self, source: object, binding: Binding) -> str:
        """The key as bound now (a keymap may have changed it), in words."""
        for namespace, bindings in self._below._binding_chain:
            if namespace is source:
                for key, bound in bindings:
                    if bound.action == binding.action and bound.id == binding.id:
                        return key_name(key)
        return key_name(binding.key)

    @staticmethod
    def _label(source: object, binding: Binding) -> str:
        """The binding's label as the screen itself gives it: a screen may relabel its
        keys as it opens (a president's voter file: ctrl+y « Électeur suivant », not the
        class's « Nouvel appel »)."""
        own = getattr(source, "_bindings", None)
        for _, bound in own or ():
            if bound.action == binding.action and bound.id == binding.id:
                return bound.description or binding.description
        return binding.description

    @staticmethod
    def _allowed(source: object, action: str) -> bool:
        """Keys the operator's role may never use are left out (greyed ones stay)."""
        _, name, parameters = parse(action)
        check = getattr(source, "check_action", None)
        return check is None or check(name, parameters) is not False
