"""``csu demo`` and ``csu demo-callers``: the demonstration database."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from csu.cli.common import (
    DbOption,
    display_url,
    engine_of,
    friendly,
    open_deps,
    out,
    resolve_db,
    who,
)
from csu.config import Settings, load_settings
from csu.services.context import Deps, ServiceError
from csu.startup import demo_url
from csu.store.migrate import current_revision, head_revision, upgrade

MAX_DEMO_VOTERS = 2_000_000  # a demo, not a census: beyond, the build takes hours


@friendly
def demo(
    voters: Annotated[
        int, typer.Option("--voters", help="Nombre d'électeurs fictifs.", max=MAX_DEMO_VOTERS)
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
        _remove_sqlite(path)
    try:
        settings.ensure_key()
        engine = engine_of(settings)
        upgrade(engine)
        deps = Deps(engine=engine, key=settings.key_bytes())
        with out.status("Construction de la base de démo…"):
            built = build_demo(deps, who(settings), voters=voters)
        engine.dispose()
    except BaseException:
        _remove_sqlite(path)  # never leave a half-built demo behind
        raise
    out.print(f"Base de démo prête : {display_url(settings)} ({built.voters} électeurs).")
    table = Table("Identifiant", "Rôle", "Mot de passe", "Secret TOTP")
    for login, role, _, secret in DEMO_OPERATORS:
        table.add_row(login, role, DEMO_PASSWORD, secret)
    out.print(table)


@friendly
def demo_callers_command(
    count: Annotated[
        int, typer.Option("--count", help="Électeurs par scrutin.", min=1, max=1000)
    ] = 3,
    db: DbOption = None,
) -> None:
    """Fiches d'appelants fictifs de la base de démo : ce qu'ils répondraient au téléphone."""
    from csu.services.demo import demo_callers

    short = {
        "birth_date": "né(e) le",
        "agent_card": "carte agent (6 premiers)",
        "iban": "IBAN (6 derniers)",
        "numen": "NUMEN",
        "nir10": "NIR (10 premiers)",
        "birth_department": "dépt de naissance",
        "challenge_answer": "réponse défi",
    }
    _, deps = open_deps(resolve_db(db) or demo_url())
    table = Table("Scrutin", "Matricule", "Nom", "Bureau", "Réponses")
    for caller in demo_callers(deps, count):
        answers = "\n".join(
            f"{short.get(factor, factor)} : {value}" for factor, value in caller.answers.items()
        )
        table.add_row(caller.election, caller.matricule, caller.name, caller.bureau, answers)
    out.print(table)


def _is_demo_file(settings: Settings) -> bool:
    from csu.services.demo import is_demo

    try:
        engine = engine_of(settings)
        if current_revision(engine) is None:
            return False
        return is_demo(Deps(engine=engine, key=b""))  # csu_meta exists since the first revision
    except SQLAlchemyError:
        return False


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".key"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
