"""``csu init`` and ``csu db``: create the schema and apply migrations."""

from pathlib import Path

import typer
from sqlalchemy.engine import Engine

from csu.cli.common import (
    DbOption,
    display_url,
    engine_of,
    folders_to_make,
    friendly,
    is_absent,
    out,
    refuse_unusable_sqlite_path,
    remove_made,
    resolve_db,
    sqlite_tables,
)
from csu.config import ConfigError, Settings, load_settings
from csu.domain.plural import counted, plural_of
from csu.services.context import Deps
from csu.startup import check_key
from csu.store.migrate import current_revision, refuse_newer, upgrade

app = typer.Typer(help="Schéma de la base (migrations).")


@friendly
def init(db: DbOption = None) -> None:
    """Crée le schéma de la base (et sa clé secrète à côté d'un fichier SQLite)."""
    settings = load_settings(resolve_db(db))
    path = settings.sqlite_path
    if path is None:
        settings.key_bytes()  # PostgreSQL: its key is said missing before connecting
    else:  # a path that cannot be a base: told before its key file is made beside it
        refuse_unusable_sqlite_path(path)
        _refuse_foreign_sqlite(path)
    made = _to_be_made(settings)
    engine = None
    try:
        engine = engine_of(settings)
        _initialise(settings, engine)
    except BaseException:
        # Nothing left of a failed init: neither a key (the next init would find it and
        # take it for the key of whatever base is there then) nor a base, nor folders.
        if engine is not None:
            engine.dispose()
        remove_made(made)
        raise
    engine.dispose()
    out.print(f"Base prête : {display_url(settings)}")
    if settings.key_file and settings.secret_key is None:
        out.print(f"Clé secrète : {settings.key_file} (à sauvegarder, ne pas diffuser)")


def _initialise(settings: Settings, engine: Engine) -> None:
    revision = current_revision(engine)
    refuse_newer(revision)  # before a key file is made for a store it cannot open
    key_file = settings.key_file
    lost = key_file is not None and settings.secret_key is None and not key_file.exists()
    if revision is not None and lost:  # a new key would find none of its voters
        raise ConfigError(
            f"Base existante sans sa clé secrète : {key_file} introuvable. Restaurez-la "
            "depuis sa sauvegarde ; une nouvelle clé ne retrouverait aucun électeur."
        )
    key = settings.ensure_key()
    # An existing store: its key checked before anything is migrated; a new one: the
    # key recorded once its schema is there.
    if revision is not None:
        check_key(settings, Deps(engine=engine, key=key))
    upgrade(engine)
    if revision is None:
        check_key(settings, Deps(engine=engine, key=key))
    else:  # an existing store, perhaps written by an older CSU
        _refuse_unreadable_definitions(Deps(engine=engine, key=key))


def _refuse_foreign_sqlite(path: Path) -> None:
    """A SQLite base with tables but none of CSU's: another program's, where init would
    add CSU's tables (or fail on a name both use)."""
    tables = sqlite_tables(path)
    if tables and "alembic_version" not in tables:
        raise ConfigError(
            f"Base {path} : ce fichier est la base SQLite d'un autre programme (aucune des "
            "tables de CSU) ; csu init n'y écrit rien. Indiquez un nouveau fichier, ou "
            "celui de la base de CSU."
        )


def _to_be_made(settings: Settings) -> list[Path]:
    """What init may make for a SQLite base and is not there yet: its key file, the
    base with its -wal, -shm and -journal (a base that was there keeps them: its WAL may
    hold what it committed), then the folders on the way, the deepest first."""
    path = settings.sqlite_path
    if path is None:
        return []
    made = []
    key_file = settings.key_file
    if key_file is not None and settings.secret_key is None and is_absent(key_file):
        made.append(key_file)
    if is_absent(path):
        files = (Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal", ""))
        made += [each for each in files if is_absent(each)]
    return made + folders_to_make(path)


@app.command("upgrade")
@friendly
def db_upgrade(db: DbOption = None) -> None:
    """Applique les migrations en attente."""
    settings = load_settings(resolve_db(db))
    key = settings.key_bytes()
    engine = engine_of(settings)
    revision = current_revision(engine)
    if revision is not None:  # its key before anything is migrated
        check_key(settings, Deps(engine=engine, key=key))
    upgrade(engine)
    if revision is None:
        check_key(settings, Deps(engine=engine, key=key))
    out.print(f"Schéma à jour (révision {current_revision(engine)}).")
    _refuse_unreadable_definitions(Deps(engine=engine, key=key))


def _refuse_unreadable_definitions(deps: Deps) -> None:
    """Names the stored elections this version no longer reads, before the cell opens
    on them: each screen listing the elections would fail with their fault."""
    from csu.services.elections import unreadable_definitions

    faults = unreadable_definitions(deps)
    if faults:
        listed = " ; ".join(fault for _, fault in faults)
        count = len(faults)
        raise ConfigError(
            f"{counted(count, 'élection enregistrée', 'élections enregistrées')} "
            f"{plural_of(count, 'ne se lit', 'ne se lisent')} plus avec cette version de "
            f"CSU : {listed}. D'ici {plural_of(count, 'sa', 'leur')} correction, aucun écran "
            "ni aucune commande ne liste les élections : chargez "
            f"{plural_of(count, 'le fichier corrigé', 'les fichiers corrigés')} (csu election "
            f"load FICHIER), qui {plural_of(count, 'remplace', 'remplacent')} la définition "
            "enregistrée."
        )
