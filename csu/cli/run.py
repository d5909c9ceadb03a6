"""``csu run``: open the terminal (``csu.launch`` usually does it without Typer)."""

from typing import Annotated

import typer

from csu.cli.common import DbOption, friendly, resolve_db
from csu.startup import open_workplace


@friendly
def run(
    db: DbOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="Ouvrir la base de démo.")] = False,
) -> None:
    """Ouvre le terminal."""
    from csu.app import CsuApp

    # Reached when `csu.launch` hands over (e.g. tests); it opens the store first.
    CsuApp.at(open_workplace(resolve_db(db), demo)).run()
