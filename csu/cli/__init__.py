"""The ``csu`` command: parses arguments and settings, then calls the services.

One module per command group, each a thin layer over the services: a group module
(``audit``, ``imports`` for ``csu import``, ``operator``…) defines its own ``app``; a
module of top-level commands (``purge``, ``serve``, ``run``…) defines functions that
this module registers on the root ``app``. Shared helpers live in ``common``.
"""

from pathlib import Path

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from typer._click.core import Context
from typer._click.exceptions import ClickException

from csu.cli import (
    api,
    audit,
    db,
    demo,
    election,
    imports,
    operator,
    outbox,
    platform,
    purge,
    run,
    serve,
    token,
)
from csu.cli.common import DbOption, DemoOption, global_db, global_demo
from csu.cli.french import FrenchGroup
from csu.config import ConfigError, normalise_db_option


class CsuGroup(FrenchGroup):
    """The root group; ``--demo`` given anywhere before ``--`` (« csu audit export
    --demo ») is the root's option, so every command takes it without declaring it."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        _refuse_two_databases(args[:end])
        if "--demo" in args[:end]:
            args = ["--demo", *(a for a in args[:end] if a != "--demo"), *args[end:]]
        return super().parse_args(ctx, args)


def _refuse_two_databases(args: list[str]) -> None:
    """``--db`` given twice for two different bases (« csu --db A operator list --db B »,
    or twice to one command) is refused, naming them: the parser would keep one of them
    silently, and a command run on the wrong base (an import, a purge) is not undone.
    The same base given twice (the same path written two ways) is accepted."""
    given: dict[str, str] = {}  # the base, as compared -> as typed
    words = iter(args)
    for word in words:
        if word == "--db":
            value = next(words, None)
            if value is None:
                break  # the parser says the value is missing
        elif word.startswith("--db="):
            value = word.removeprefix("--db=")
        else:
            continue
        given.setdefault(_base_named(value), value)
    if len(given) > 1:
        *others, last = (f"« {typed} »" for typed in given.values())
        raise ClickException(
            f"--db désigne {len(given)} bases différentes : {', '.join(others)} et {last}. "
            "Gardez-en une seule : la commande ne saurait pas laquelle vous visez."
        )


def _base_named(value: str) -> str:
    """The base ``--db`` names, as the commands open it: a SQLite file by its resolved
    path whether given as a path, through a link or as a ``sqlite://`` URL; a
    PostgreSQL URL as parsed. A value that names none is compared as typed (the command
    says what is wrong with it)."""
    try:
        url = make_url(normalise_db_option(value))
    except (ConfigError, ArgumentError, ValueError):
        return value
    if url.get_backend_name() == "sqlite" and url.database:
        return str(Path(url.database).expanduser().resolve())
    return url.render_as_string(hide_password=False)


app = typer.Typer(
    help="CSU : poste opérateur de la cellule de support aux électeurs.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    cls=CsuGroup,  # French help and usage errors for the whole tree, --demo anywhere
)
app.add_typer(db.app, name="db")
app.add_typer(election.app, name="election")
app.add_typer(imports.app, name="import")
app.add_typer(audit.app, name="audit")
app.add_typer(operator.app, name="operator")
app.add_typer(outbox.app, name="outbox")
app.add_typer(token.app, name="token")
app.add_typer(platform.app, name="platform")

app.command("init")(db.init)
app.command("purge")(purge.purge_command)
app.command("demo")(demo.demo)
app.command("demo-callers")(demo.demo_callers_command)
app.command("run")(run.run)
app.command("serve")(serve.serve)
app.command("api")(api.api)


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context, db: DbOption = None, demo: DemoOption = False) -> None:
    """Sans sous-commande : ouvre le terminal sur la base indiquée."""
    global_db.set(db)  # `csu --db X cmd` means the same as `csu cmd --db X`
    global_demo.set(demo)  # and `csu --demo cmd` as `csu cmd --demo`
    if ctx.invoked_subcommand is None:
        ctx.invoke(run.run, db=db, demo=demo)


def main() -> None:
    app()


__all__ = ["app", "main"]
