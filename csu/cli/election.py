"""``csu election``: load election definitions and list them."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from csu.cli.common import DbOption, friendly, open_deps, out, who
from csu.domain.clock import paris_text

app = typer.Typer(help="Scrutins : chargement et liste.")


@app.command("load")
@friendly
def election_load(
    files: Annotated[
        list[Path], typer.Argument(help="Fichiers TOML de définition.", metavar="FICHIERS")
    ],
    close_now: Annotated[
        bool,
        typer.Option(
            "--close-now",
            help="Confirmer une mise à jour qui clôt un vote ouvert dès maintenant, ou rend "
            "ses données à purger dès maintenant.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Valide puis crée ou met à jour des scrutins : tous ou aucun."""
    from csu.services.elections import read_definition, store_definitions

    settings, deps = open_deps(db)
    # Every file is read and checked, then all are stored in one transaction.
    definitions = [(read_definition(path), path.name) for path in files]
    for loaded in store_definitions(deps, who(settings), definitions, close_now=close_now):
        verb = "créé" if loaded.created else "mis à jour"
        definition = loaded.definition
        out.print(f"Scrutin {definition.id} {verb} : {definition.title}", markup=False)


@app.command("list")
@friendly
def election_list(db: DbOption = None) -> None:
    """Liste les scrutins chargés."""
    from csu.domain.election import state_at
    from csu.services.elections import list_elections

    _, deps = open_deps(db)
    table = Table("Scrutin", "Intitulé", "Ouverture", "Clôture", "État")
    for definition in list_elections(deps):
        table.add_row(
            escape(definition.id),
            escape(definition.title),  # the file's words, never markup
            paris_text(definition.opens_at),
            paris_text(definition.closes_at),
            state_at(definition, deps.clock()).label,
        )
    out.print(table)
