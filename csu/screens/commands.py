"""The command palette: every screen and action the operator's role may use.

It is the app's only provider (``CsuApp.COMMANDS``): Textual's system commands,
in English and with a screenshot that would save a voter file outside the
journal, are not offered.
"""

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from csu.domain.roles import MESSAGE_READERS
from csu.screens.base import Explained, key_name

if TYPE_CHECKING:
    from textual.screen import Screen

    from csu.app import CsuApp

# (label, help, action name on the app, roles allowed; empty = everyone logged in)
COMMANDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Recherche d'électeur", "Matricule, identifiant ou nom", "lookup", ()),
    (
        "Demandes de substitution à approuver",
        "Matériel de substitution en attente d'un superviseur",
        "approvals",
        ("superviseur",),
    ),
    (
        "Vérifications en personne",
        "Demandes des agents : attester la pièce d'identité vue (ctrl+g)",
        "desk('presence')",
        ("president",),
    ),
    (
        "Messages envoyés aux électeurs",
        "Courriels et SMS de la boîte d'envoi, et leur état (F6)",
        "desk('outbox')",
        MESSAGE_READERS,
    ),
    (
        "Journal des interventions",
        "Revue filtrée, détail d'une entrée, export",
        "desk('journal')",
        ("superviseur", "admin"),
    ),
    (
        "Intégrité du journal",
        "Vérifier la chaîne et le dernier point de contrôle signé",
        "desk('integrity')",
        ("superviseur", "admin"),
    ),
    (
        "Tableau de bord",
        "Activité de la cellule aujourd'hui et depuis l'ouverture",
        "desk('dashboard')",
        ("superviseur", "admin"),
    ),
    (
        "Alertes",
        "Ce qui demande l'attention d'un superviseur",
        "desk('alerts')",
        ("superviseur", "admin"),
    ),
    (
        "Escalades",
        "Dossiers escaladés : prendre en charge, rappeler, clore (F10)",
        "desk('escalations')",
        ("superviseur",),
    ),
    (
        "Opérateurs",
        "Créer, désactiver, réinitialiser le TOTP, débloquer",
        "desk('operators')",
        ("admin",),
    ),
    ("Aide", "Les touches de l'écran courant", "help", ()),
    ("Thème clair ou sombre", "Basculer le thème", "toggle_dark", ()),
    ("Déconnexion", "Fermer la session", "logout", ()),
    ("Quitter", "Fermer la session et quitter CSU électeurs", "quit", ()),
)
# What the palette offers before login (the login screen has no operator yet).
LOGGED_OUT_ACTIONS = ("help", "toggle_dark", "quit")


class CsuCommands(Provider):
    def _offered(self) -> list[tuple[str, str, Callable[[], object]]]:
        """The application's commands for the role, then the keys of the screen the
        palette opened over (a voter file's « Nouvelle intervention »…), those the footer
        keeps out for room too: a newcomer finds an action by its name, and learns its
        key. A greyed one is listed with why, and choosing it says so, as its key does."""
        app = cast("CsuApp", self.app)
        allowed = self._allowed()
        offered = [(name, text, partial(app.run_action, act)) for name, text, act in allowed]
        if app.operator is None:
            return offered
        screen = self.screen
        explained = screen if isinstance(screen, Explained) else None
        seen = {action for _, _, action in allowed}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            # The screen's own keys, CSU's (they have an id): its widgets' keys and the
            # screens' Tab (« Focus Next ») are Textual's, in English.
            if active.node is not screen or not binding.id or not binding.description:
                continue
            if binding.action in seen:
                continue
            seen.add(binding.action)
            said = f"Touche {key_name(key)}"
            if active.enabled:
                run = partial(_run_or_say_why, screen, binding.action, binding.description)
                offered.append((binding.description, said, run))
                continue
            reason = explained.refusal_for(binding.action) if explained else None
            if reason is not None:
                tell = partial(screen.notify, reason, title=binding.description,
                               severity="warning")  # fmt: skip
                offered.append((binding.description, f"{said} — indisponible : {reason}", tell))
        return offered

    def _allowed(self) -> list[tuple[str, str, str]]:
        app = cast("CsuApp", self.app)
        if app.operator is None:
            return [
                (label, text, action)
                for label, text, action, _ in COMMANDS
                if action in LOGGED_OUT_ACTIONS
            ]
        return [
            (label, text, action)
            for label, text, action, roles in COMMANDS
            if not roles or app.operator.role in roles
        ]

    async def discover(self) -> Hits:
        for label, text, run in self._offered():
            yield DiscoveryHit(label, run, help=text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        found = False
        for label, text, run in self._offered():
            score = matcher.match(label)
            if score > 0:
                found = True
                yield Hit(score, matcher.highlight(label), run, help=text)
        if not found:
            # In place of Textual's English « No matches found » (this is the only provider).
            yield Hit(1, NO_MATCH, _nothing, help="Effacez ou changez la recherche.")


async def _run_or_say_why(screen: "Screen[object]", action: str, label: str) -> None:
    """A screen's action chosen in the palette: done, or, if it can no longer be (the
    call closed while the palette was open), why, as its key would say, not nothing."""
    if await screen.app.run_action(action, screen):
        return
    reason = screen.refusal_for(action) if isinstance(screen, Explained) else None
    screen.notify(reason or "Action indisponible pour l'instant.", title=label, severity="warning")


NO_MATCH = "Aucune commande ne correspond"


def _nothing() -> None:
    """Choosing « Aucune commande ne correspond » closes the palette, doing nothing."""
