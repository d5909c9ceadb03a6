"""``csu token``: redeem a one-time link the way the voting platform would."""

import dataclasses
from typing import Annotated

import typer

from csu.cli.common import DbOption, friendly, open_deps, out

app = typer.Typer(help="Liens à usage unique (essais et démonstrations).")


@app.command("redeem")
@friendly
def token_redeem(
    token: Annotated[
        str, typer.Argument(help="Le jeton du lien reçu (après « jeton= »).", metavar="JETON")
    ],
    db: DbOption = None,
) -> None:
    """Ouvre un lien de réassort comme la plateforme de vote : délivre le nouveau code."""
    from csu.delivery.factory import build_delivery
    from csu.services.vote_codes import redeem_link

    settings, deps = open_deps(db)
    deps = dataclasses.replace(deps, hasher=settings.hasher(), delivery=build_delivery(settings))
    issued = redeem_link(deps, token)
    out.print(
        f"Nouveau {issued.label} du matériel {issued.material_identifier} : "
        f"[bold]{issued.display}[/bold] (à afficher {issued.display_seconds} s, une seule fois)",
        highlight=False,
    )
