"""``csu init`` and ``csu db``: create the schema and apply migrations."""

import typer

from csu.cli.common import DbOption, display_url, engine_of, friendly, out, resolve_db
from csu.config import ConfigError, load_settings
from csu.services.context import Deps
from csu.startup import check_key
from csu.store.migrate import NewerStore, current_revision, is_known_revision, upgrade

app = typer.Typer(help="Schéma de la base (migrations).")


@friendly
def init(db: DbOption = None) -> None:
    """Crée le schéma de la base (et sa clé secrète à côté d'un fichier SQLite)."""
    settings = load_settings(resolve_db(db))
    if settings.key_file is None:
        settings.key_bytes()  # PostgreSQL: its key is said missing before connecting
    engine = engine_of(settings)
    revision = current_revision(engine)
    if revision is not None and not is_known_revision(revision):
        raise NewerStore(revision)  # before a key file is made for a store it cannot open
    key_file = settings.key_file
    lost = key_file is not None and settings.secret_key is None and not key_file.exists()
    if revision is not None and lost:  # a new key would find none of its voters
        raise ConfigError(
            f"Base existante sans sa clé secrète : {key_file} introuvable. Restaurez-la "
            "depuis sa sauvegarde ; une nouvelle clé ne retrouverait aucun électeur."
        )
    key = settings.ensure_key()
    if revision is not None:  # an existing store: its key before anything is migrated
        check_key(settings, Deps(engine=engine, key=key))
    upgrade(engine)
    check_key(settings, Deps(engine=engine, key=key))  # a new store: its key recorded
    out.print(f"Base prête : {display_url(settings)}")
    if settings.key_file and settings.secret_key is None:
        out.print(f"Clé secrète : {settings.key_file} (à sauvegarder, ne pas diffuser)")


@app.command("upgrade")
@friendly
def db_upgrade(db: DbOption = None) -> None:
    """Applique les migrations en attente."""
    settings = load_settings(resolve_db(db))
    key = settings.key_bytes()
    engine = engine_of(settings)
    if current_revision(engine) is not None:  # its key before anything is migrated
        check_key(settings, Deps(engine=engine, key=key))
    upgrade(engine)
    check_key(settings, Deps(engine=engine, key=key))
    out.print(f"Schéma à jour (révision {current_revision(engine)}).")
