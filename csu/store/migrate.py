"""Schema migrations (Alembic), run programmatically: ``csu init``, ``csu db upgrade``."""

import functools
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from csu.domain.errors import InvalidValue

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


class NewerStore(InvalidValue):
    """A store whose schema revision these migrations do not know: a newer CSU made it."""

    def __init__(self, revision: str) -> None:
        self.revision = revision
        super().__init__(
            "Base de données",
            f"révision {revision} inconnue de cette version de CSU (la dernière qu'elle "
            f"connaît est {head_revision()}), car la base a été créée ou mise à jour par un "
            "CSU plus récent ; mettez CSU à jour sur ce poste pour l'ouvrir.",
        )


def refuse_newer(revision: str | None) -> None:
    """:class:`NewerStore` for a store at a revision these migrations do not know."""
    if revision is not None and revision not in _known_revisions():
        raise NewerStore(revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Up to ``revision``; a store a newer CSU migrated is refused (:class:`NewerStore`)
    before anything is written, rather than Alembic's « Can't locate revision »."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Back to an earlier schema (tests of upgrades; an operator undoing a release)."""
    _migrate(engine, command.downgrade, revision)


def _require_utf8(connection: Connection) -> None:
    """The journal's bodies are UTF-8 JSON that the server reads (its sequencer, the
    audit's check of the indexed columns): in a LATIN1 database an entry holding a
    character LATIN1 lacks would stop the chain there."""
    encoding = connection.exec_driver_sql("SHOW server_encoding").scalar()
    if encoding != "UTF8":
        raise InvalidValue(
            "Base de données",
            f"encodage {encoding} : CSU a besoin d'une base en UTF8 "
            "(createdb --encoding=UTF8 --template=template0 …)",
        )


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A table others point at is rebuilt (copied, dropped, renamed) with foreign
            # keys off, which only takes effect outside a transaction; the keys are
            # checked before the commit instead (SQLite's "making other kinds of table
            # schema changes").
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if not sqlite:
                    _require_utf8(connection)
                refuse_newer(MigrationContext.configure(connection).get_current_revision())
                config.attributes["connection"] = connection
                step(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:  # rolled back: the store stays as it was
                        table, row, parent, _ = broken
                        raise InvalidValue(
                            "Base de données",
                            f"mise à jour du schéma annulée : la ligne {row} de la table "
                            f"{table} désigne une ligne absente de la table {parent}",
                        )
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache  # the scripts do not change while a process runs; reading them costs ~0.1 s
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@functools.cache
def _known_revisions() -> frozenset[str]:
    return frozenset(
        script.revision
        for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    )


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
