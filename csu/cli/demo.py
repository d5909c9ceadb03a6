"""``csu demo`` and ``csu demo-callers``: the demonstration database."""

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from csu.cli.common import (
    DbOption,
    display_url,
    engine_of,
    folders_to_make,
    friendly,
    global_db,
    global_demo,
    open_deps,
    out,
    refuse_unusable_sqlite_path,
    remove_made,
    resolve_db,
    sqlite_tables,
    who,
)
from csu.config import Settings, load_settings, sqlite_url
from csu.domain.plural import counted
from csu.domain.roles import ROLE_LABELS
from csu.domain.text import spreadsheet_safe
from csu.services.context import Deps, ServiceError
from csu.startup import demo_url
from csu.store.migrate import current_revision, head_revision, upgrade

if TYPE_CHECKING:
    from csu.services.demo import DemoCaller

MAX_DEMO_VOTERS = 2_000_000  # a demo, not a census: beyond, the build takes hours


@friendly
def demo(
    voters: Annotated[
        int,
        typer.Option(
            "--voters",
            help="Électeurs fictifs des trois scrutins ouverts (men-2011 en a un dixième de "
            "plus : 3 300 en tout par défaut).",
            max=MAX_DEMO_VOTERS,
        ),
    ] = 3000,
    force: Annotated[
        bool, typer.Option("--force", help="Remplacer une base de démo existante.")
    ] = False,
    if_absent: Annotated[
        bool, typer.Option("--if-absent", help="Ne rien faire si la base existe déjà.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Construit une base de démonstration (électeurs fictifs, un opérateur par rôle)."""
    from csu.services.demo import DEMO_OPERATORS, DEMO_PASSWORD, build_demo

    if voters < 3:
        raise ServiceError("--voters : 3 électeurs au moins.")
    settings = load_settings(resolve_db(db) or demo_url())
    path = settings.sqlite_path
    if path is None:
        raise ServiceError("La base de démo est un fichier SQLite : --db CHEMIN.")
    refuse_unusable_sqlite_path(path)  # a folder, a file that is no base: left as they are
    if path.exists():
        if not _is_demo_file(settings):
            raise ServiceError(f"{path} n'est pas une base de démo : elle ne sera pas remplacée.")
        if if_absent:
            engine = engine_of(settings)
            if current_revision(engine) != head_revision():
                upgrade(engine)  # a demo built by an older CSU: bring its schema up to date
                out.print(f"Base de démo mise à jour : {path}")
            else:
                out.print(f"Base de démo déjà présente : {path}")
            return
        if not force:
            raise ServiceError(f"{path} existe déjà : ajoutez --force pour la remplacer.")
    # Built beside it, then put in its place: a build stopped (Ctrl+C, a full disk)
    # leaves the demo there was, whole, and never a half-built one.
    building = path.with_name(f"{path.name}.construction")
    _remove_sqlite(building)
    built_with = load_settings(sqlite_url(building))
    folders = folders_to_make(building)
    try:
        built_with.ensure_key()
        engine = engine_of(built_with)
        upgrade(engine)
        deps = Deps(engine=engine, key=built_with.key_bytes())
        with out.status("Construction de la base de démo…"):
            built = build_demo(deps, who(settings), voters=voters)
        engine.dispose()  # the last connection: the WAL is folded into the file
    except BaseException:
        _remove_sqlite(building)
        remove_made(folders)
        raise
    # Each file by a rename over the old one, the database last: at no moment is there
    # no demo at all.
    for suffix in SQLITE_FILES:
        new, old = Path(f"{building}{suffix}"), Path(f"{path}{suffix}")
        if new.exists():
            new.replace(old)
        else:
            old.unlink(missing_ok=True)
    electorate = counted(built.voters, "électeur")
    out.print(f"Base de démo prête : {display_url(settings)} ({electorate}).")
    out.print(f"Mot de passe de chaque opérateur : {DEMO_PASSWORD}")
    table = Table("Identifiant", "Rôle", box=box.SIMPLE_HEAD)
    # Whole on 80 columns: an authenticator app takes it copied from here; the role wraps.
    widest = max(len(secret) for *_, secret in DEMO_OPERATORS)
    table.add_column("Secret TOTP", no_wrap=True, min_width=widest)
    for login, role, _, secret in DEMO_OPERATORS:
        table.add_row(login, ROLE_LABELS.get(role, role), secret)
    out.print(table)


# What a caller reads out, by verification factor: short enough for a line of 80
# columns, the answer after it never cut.
ANSWER_NAMES: dict[str, str] = {
    "birth_date": "date de naissance",
    "agent_card": "carte agent (6 premiers)",
    "iban": "IBAN (6 derniers)",
    "numen": "NUMEN",
    "nir10": "NIR (10 premiers)",
    "birth_department": "dépt de naissance",
    "challenge_answer": "réponse défi",
}
MOBILE_NAME = "portable enregistré"  # a one-time code by SMS reaches them
PRESIDENT_NAME = "président du bureau"  # the demo login who can attest them in person (S2, S4)
CALLER_FORMATS = ("blocs", "csv")


@friendly
def demo_callers_command(
    count: Annotated[
        int, typer.Option("--count", help="Électeurs par scrutin.", min=1, max=1000)
    ] = 3,
    fmt: Annotated[
        str,
        typer.Option("--format", help="blocs (un appelant par bloc, 80 colonnes) ou csv (« ; »)."),
    ] = "blocs",
    db: DbOption = None,
) -> None:
    """Fiches d'appelants fictifs de la base de démo : ce qu'ils répondraient au téléphone."""
    from csu.services.demo import demo_callers

    if fmt not in CALLER_FORMATS:
        raise ServiceError(f"--format : « {fmt} » inconnu ; choisissez blocs ou csv.")
    # The demo's database unless another is named (--demo names it already).
    _, deps = open_deps(db or global_db.get() or (None if global_demo.get() else demo_url()))
    callers = demo_callers(deps, count)
    if fmt == "csv":
        typer.echo(callers_csv(callers), nl=False)
        return
    for text in caller_blocks(callers):
        out.print(text, markup=False, highlight=False, soft_wrap=True)


def caller_blocks(callers: "Iterable[DemoCaller]") -> list[str]:
    """One block a caller: who they are on one line, then one answer a line (the longest
    line of the demo takes 60 columns: an 80-column terminal cuts none)."""
    blocks = []
    for caller in callers:
        lines = [f"{caller.election} · {caller.matricule} · {caller.name} · bureau {caller.bureau}"]
        if caller.president:  # the callers S2 and S4 can be tried with
            lines.append(f"  {PRESIDENT_NAME} : {caller.president}")
        lines += [f"  {ANSWER_NAMES.get(factor, factor)} : {value}"
                  for factor, value in caller.answers.items()]  # fmt: skip
        lines.append(f"  {MOBILE_NAME} : {'oui' if caller.mobile else 'non (pas de code par SMS)'}")
        blocks.append("\n".join(lines) + "\n")
    return blocks


def callers_csv(callers: "Iterable[DemoCaller]") -> str:
    """A spreadsheet of the callers (« ; », one caller a row, one column an answer)."""
    callers = list(callers)
    factors = [f for f in ANSWER_NAMES if any(f in c.answers for c in callers)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(
        ["scrutin", "matricule", "nom", "bureau", *map(ANSWER_NAMES.get, factors), MOBILE_NAME,
         PRESIDENT_NAME]
    )
    for c in callers:
        answers = (c.answers.get(f, "") for f in factors)
        mobile = "oui" if c.mobile else "non"
        row = [c.election, c.matricule, c.name, c.bureau, *answers, mobile, c.president or ""]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()


def _is_demo_file(settings: Settings) -> bool:
    from csu.services.demo import is_demo

    path = settings.sqlite_path
    tables = sqlite_tables(path) if path is not None else None
    if tables is not None and "alembic_version" not in tables:
        return False  # not CSU's: never opened by the store, which would change it
    try:
        engine = engine_of(settings)
        if current_revision(engine) is None:
            return False
        return is_demo(Deps(engine=engine, key=b""))  # csu_meta exists since the first revision
    except SQLAlchemyError:
        return False


# A SQLite store's files: its WAL and shared memory, its key beside it, the database.
SQLITE_FILES = ("-wal", "-shm", ".key", "")


def _remove_sqlite(path: Path) -> None:
    for suffix in SQLITE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
