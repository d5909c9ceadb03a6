"""``csu election``: load election definitions and list them."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from csu.cli.common import DbOption, friendly, open_deps, out, paris, who

app = typer.Typer(help="Scrutins : chargement et liste.")


@app.command("load")
@friendly
def election_load(
    files: Annotated[
        list[Path], typer.Argument(help="Fichiers TOML de définition.", metavar="FICHIERS")
    ],
    db: DbOption = None,
) -> None:
    """Valide puis crée ou met à jour des scrutins."""
    from csu.services.elections import read_definition, store_definition

    settings, deps = open_deps(db)
    # Every file is checked before any is stored.
    definitions = [(read_definition(path), path.name) for path in files]
    for definition, source in definitions:
        loaded = store_definition(deps, who(settings), definition, source)
        verb = "créé" if loaded.created else "mis à jour"
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
            paris(definition.opens_at),
            paris(definition.closes_at),
            state_at(definition, deps.clock()).label,
        )
    out.print(table)
