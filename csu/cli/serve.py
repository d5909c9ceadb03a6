"""``csu serve``: the terminal in a browser page (textual-serve)."""

from typing import Annotated

import typer

from csu.cli.common import DbOption, err, friendly, resolve_db


@friendly
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Adresse d'écoute : locale par défaut, [::1] en IPv6.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute (1 à 65535).")] = 8000,
    db: DbOption = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="Adresse de la page vue des navigateurs (derrière un proxy HTTPS) ; "
            "les connexions venues d'une autre page sont refusées.",
            show_default=False,
        ),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Accepter une adresse non locale (HTTP en clair : déconseillé) ; "
            "demande --public-url.",
        ),
    ] = False,
) -> None:
    """Sert le terminal dans un navigateur (une session CSU par onglet).

    Réglages : CSU_SERVE_MAX_SESSIONS (sessions à la fois, 20), CSU_SERVE_SESSIONS_PER_MINUTE
    (nouvelles sessions par adresse et par minute, 10), CSU_SERVE_SESSIONS_PER_ADDRESS
    (sessions ouvertes à la fois depuis une même adresse, 3), CSU_SERVE_LOGIN_MINUTES
    (minutes sur l'écran de connexion sans frappe avant la fin de la session, 5)."""
    from csu.serve import serve as serve_app

    serve_app(
        host,
        port,
        db=resolve_db(db),  # --demo, given to the root command: the demo database
        public_url=public_url,
        allow_remote=allow_remote,
        warn=lambda message: err.print(f"[bold red]{message}[/bold red]", highlight=False),
    )
