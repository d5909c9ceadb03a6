"""``csu operator``: the cell's operators (accounts, TOTP, locks)."""

import dataclasses
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from csu.cli.common import DbOption, friendly, hidden_prompt, open_deps, out, who
from csu.config import Settings
from csu.services.context import Deps, ServiceError

app = typer.Typer(help="Opérateurs de la cellule.")


@app.command("list")
@friendly
def operator_list(db: DbOption = None) -> None:
    """Liste les opérateurs (et ceux verrouillés après des échecs de connexion)."""
    from csu.domain.roles import ROLE_LABELS
    from csu.services.operators import list_operators

    settings, deps = open_deps(db)
    table = Table("Identifiant", "Nom", "Rôle", "Bureau", "Actif", "Verrouillé")
    for op in list_operators(deps, who(settings)):
        # The login screen says nothing of a lock: the administrator sees it here and in F9.
        locked = op.lock_words
        table.add_row(
            op.login,
            escape(op.display_name),  # typed by an admin: never markup
            ROLE_LABELS[op.role],
            op.bureau or "",
            "oui" if op.active else "non",
            locked,
        )
    out.print(table)


@app.command("add")
@friendly
def operator_add(
    login: Annotated[str, typer.Argument(help="Identifiant de connexion.", metavar="IDENTIFIANT")],
    role: Annotated[str, typer.Option("--role", help="agent, president, superviseur ou admin.")],
    bureau: Annotated[
        str | None, typer.Option("--bureau", help="Bureau de vote (président).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Nom affiché.")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Lire le mot de passe sur l'entrée standard."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Crée un opérateur et affiche son QR code TOTP (une seule fois).

    Le mot de passe a 12 caractères au moins et n'est ni courant ni tiré de
    l'identifiant ou du nom.
    """
    from csu.domain.roles import ROLE_LABELS
    from csu.services.operators import add_operator

    settings, deps = _operator_deps(db)  # before the prompt: a wrong --db asks nothing
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = hidden_prompt("Mot de passe")
            confirmed = hidden_prompt("Mot de passe (confirmation)")
        except typer.Abort:  # no terminal, and stdin ran dry: say what is missing
            raise ServiceError(
                "Mot de passe manquant : tapez-le deux fois à l'invite, ou passez "
                "--password-stdin. Rien n'a été créé."
            ) from None
        if confirmed != password:
            raise ServiceError("Les deux mots de passe saisis diffèrent : rien n'a été créé.")
    created = add_operator(
        deps,
        who(settings),
        login,
        role=role,
        password=password,
        display_name=name,
        bureau=bureau,
    )
    out.print(f"Opérateur « {created.login} » créé ({ROLE_LABELS[created.role]}).", highlight=False)
    _show_enrolment(created.provisioning_uri)


@app.command("change")
@friendly
def operator_change(
    login: Annotated[
        str, typer.Argument(help="Identifiant de l'opérateur.", metavar="IDENTIFIANT")
    ],
    role: Annotated[
        str, typer.Option("--role", help="Nouveau rôle : agent, president, superviseur ou admin.")
    ],
    bureau: Annotated[
        str | None, typer.Option("--bureau", help="Bureau de vote présidé (président).")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Motif (journalisé).")] = None,
    db: DbOption = None,
) -> None:
    """Change le rôle d'un opérateur, ou le bureau d'un président.

    Sa session en cours se ferme ; l'intervention qu'il avait ouverte est abandonnée.
    """
    from csu.services.operators import change_operator

    settings, deps = open_deps(db)
    changed = change_operator(deps, who(settings), login, role=role, bureau=bureau, reason=reason)
    out.print(changed.sentence, highlight=False)


@app.command("disable")
@friendly
def operator_disable(
    login: Annotated[
        str, typer.Argument(help="Identifiant de l'opérateur.", metavar="IDENTIFIANT")
    ],
    reason: Annotated[str | None, typer.Option("--reason", help="Motif (journalisé).")] = None,
    db: DbOption = None,
) -> None:
    """Désactive un opérateur : il ne peut plus se connecter."""
    from csu.services.operators import disable_operator

    settings, deps = _operator_deps(db)
    disabled = disable_operator(deps, who(settings), login, reason)
    out.print(disabled.sentence, highlight=False)


@app.command("reset-totp")
@friendly
def operator_reset_totp(
    login: Annotated[
        str, typer.Argument(help="Identifiant de l'opérateur.", metavar="IDENTIFIANT")
    ],
    reason: Annotated[str | None, typer.Option("--reason", help="Motif (journalisé).")] = None,
    db: DbOption = None,
) -> None:
    """Remplace le secret TOTP d'un opérateur et affiche le nouveau QR code."""
    from csu.services.operators import reset_totp

    settings, deps = _operator_deps(db)
    created = reset_totp(deps, who(settings), login, reason)
    out.print(
        f"Nouveau secret TOTP pour « {created.login} » : les anciens codes ne valent plus.",
        highlight=False,
    )
    _show_enrolment(created.provisioning_uri)


@app.command("unlock")
@friendly
def operator_unlock(
    login: Annotated[
        str, typer.Argument(help="Identifiant de l'opérateur.", metavar="IDENTIFIANT")
    ],
    reason: Annotated[str | None, typer.Option("--reason", help="Motif (journalisé).")] = None,
    db: DbOption = None,
) -> None:
    """Déverrouille un opérateur bloqué après des échecs de connexion."""
    from csu.services.operators import unlock_operator

    settings, deps = _operator_deps(db)
    unlocked = unlock_operator(deps, who(settings), login, reason)
    out.print(unlocked.sentence, highlight=False)


def _operator_deps(db: str | None) -> tuple[Settings, Deps]:
    """open_deps, with the argon2id cost of the settings for operators' passwords."""
    settings, deps = open_deps(db)
    return settings, dataclasses.replace(deps, hasher=settings.hasher())


def _show_enrolment(uri: str) -> None:
    """The TOTP enrolment, shown once: a QR code for the phone, and its URI."""
    import segno

    out.print(
        "Scannez maintenant ce QR code avec une application d'authentification "
        "(FreeOTP, Google Authenticator, Aegis…) : il ne sera plus affiché.",
        highlight=False,
    )
    sys.stdout.flush()
    segno.make(uri).terminal(out=sys.stdout, compact=True)
    sys.stdout.flush()
    out.print("Ou saisissez ce lien dans l'application :", highlight=False)
    out.print(uri, highlight=False, markup=False, soft_wrap=True)
