"""``csu init`` and ``csu db``: create the schema and apply migrations."""

import typer

from csu.cli.common import DbOption, display_url, engine_of, friendly, out, resolve_db
from csu.config import ConfigError, load_settings
from csu.services.context import Deps
from csu.startup import check_key
from csu.store.migrate import current_revision, refuse_newer, upgrade

app = typer.Typer(help="Schéma de la base (migrations).")


@friendly
def init(db: DbOption = None) -> None:
    """Crée le schéma de la base (et sa clé secrète à côté d'un fichier SQLite)."""
    settings = load_settings(resolve_db(db))
    if settings.key_file is None:
        settings.key_bytes()  # PostgreSQL: its key is said missing before connecting
    engine = engine_of(settings)
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
    revision = current_revision(engine)
    if revision is not None:  # its key before anything is migrated
        check_key(settings, Deps(engine=engine, key=key))
    upgrade(engine)
    if revision is None:
        check_key(settings, Deps(engine=engine, key=key))
    out.print(f"Schéma à jour (révision {current_revision(engine)}).")
