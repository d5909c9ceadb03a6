"""``csu platform``: the voting platforms that call CSU's API, and their keys."""

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from csu.cli.common import MAX_ROW_NUMBER, DbOption, friendly, open_deps, out, who
from csu.domain.clock import paris_text

app = typer.Typer(help="Plateformes de vote clientes de l'API (csu api) et leurs clés.")


@app.command("add")
@friendly
def platform_add(
    name: Annotated[str, typer.Argument(help="Nom du client (ex. neovote).", metavar="NOM")],
    election: Annotated[
        list[str],
        typer.Option("--election", help="Élection que la clé atteint (option répétable)."),
    ],
    webhook_url: Annotated[
        str | None,
        typer.Option(
            "--webhook-url",
            help="Adresse https:// où la plateforme reçoit les webhooks.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Crée un client de l'API et affiche sa clé, une seule fois."""
    from csu.services.platform_clients import add_platform_client

    settings, deps = open_deps(db)
    created = add_platform_client(deps, who(settings), name, election, webhook_url)
    client = created.client
    out.print(
        f"Client « {client.name} » créé pour : {', '.join(client.elections)}.", highlight=False
    )
    if created.webhook_secret is not None:
        # Before the key, which stays alone on the last line for scripts.
        out.print(
            "Secret de signature des webhooks (Standard Webhooks), affiché cette seule "
            "fois : la plateforme vérifie avec lui chaque webhook reçu.",
            highlight=False,
        )
        out.print(created.webhook_secret, markup=False, highlight=False, soft_wrap=True)
    out.print(
        "Clé d'API, affichée cette seule fois (CSU n'en garde qu'une empreinte) : "
        "transmettez-la à la plateforme par un canal sûr.",
        highlight=False,
    )
    # Alone on its line, without markup: a script can read it with `tail -n 1`.
    out.print(created.key, markup=False, highlight=False, soft_wrap=True)


@app.command("list")
@friendly
def platform_list(db: DbOption = None) -> None:
    """Liste les clients de l'API (les révoqués en dernier)."""
    from csu.services.platform_clients import list_platform_clients

    settings, deps = open_deps(db)
    table = Table("Nom", "Élections", "Clé", "Webhooks", "Créé le", "Dernier appel", "État")
    for client in list_platform_clients(deps, who(settings)):
        revoked = client.revoked_at
        state = "actif" if revoked is None else f"révoqué le {paris_text(revoked)}"
        cells = (
            client.name,
            ", ".join(client.elections),
            f"{client.key_hint}…",
            client.webhook_url or "",
            f"{paris_text(client.created_at)} par {client.created_by}",
            # Written at most every SEEN_PRECISION (30 s): to the minute is exact enough.
            paris_text(client.last_seen_at) if client.last_seen_at else "jamais",
            state,
        )
        # Typed by an administrator (an address may hold « [link=…] »): never markup.
        table.add_row(*map(escape, cells))
    out.print(table)


@app.command("revoke")
@friendly
def platform_revoke(
    name: Annotated[str, typer.Argument(help="Nom du client à révoquer.", metavar="NOM")],
    db: DbOption = None,
) -> None:
    """Révoque la clé d'un client : ses appels suivants sont refusés (401)."""
    from csu.services.platform_clients import revoke_platform_client

    settings, deps = open_deps(db)
    client = revoke_platform_client(deps, who(settings), name)
    out.print(f"Clé du client « {client.name} » révoquée.", highlight=False)


@app.command("webhooks")
@friendly
def platform_webhooks(
    name: Annotated[
        str | None,
        typer.Argument(help="Nom du client (tous par défaut).", show_default=False, metavar="NOM"),
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Seulement les webhooks en échec.")
    ] = False,
    resend: Annotated[
        int | None,
        typer.Option(
            "--resend",
            help="Renvoie ce webhook en échec (son n°).",
            show_default=False,
            min=1,
            max=MAX_ROW_NUMBER,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    db: DbOption = None,
) -> None:
    """Les derniers webhooks envoyés aux plateformes, leur état ; renvoie un échec."""
    from csu.services.webhooks import STATE_LABELS, list_webhooks, resend_webhook

    settings, deps = open_deps(db)
    if resend is not None:
        state = resend_webhook(deps, who(settings), resend)
        label = STATE_LABELS.get(state, state)
        out.print(f"Webhook n° {resend} renvoyé : {label}.", highlight=False)
        return
    table = Table("N°", "Client", "Événement", "Matériel", "Créé le", "État", "Essais", "Erreur")
    views = list_webhooks(
        deps, who(settings), name, state="failed" if failed else None, limit=limit
    )
    for view in views:
        cells = (
            str(view.id),
            view.client,
            f"{view.event_type} ({view.kind})",
            f"n° {view.material}",
            paris_text(view.created_at),
            view.state,
            str(view.attempts),
            view.last_error or "",
        )
        table.add_row(*map(escape, cells))  # a client's name, an error: never markup
    out.print(table)
