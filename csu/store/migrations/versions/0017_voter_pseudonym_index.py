"""the voter's pseudonym unique by a named index, not a table constraint: a first roll
import into an empty voter table then builds it once at the end, by a sort, instead of
inserting a million random keys one by one (issue 16 §4). SQLite cannot drop a table
constraint, so the table is rebuilt there (csu.store.migrate turns foreign keys off
around the migrations, as SQLite's procedure for changing a table asks).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from csu.domain.errors import InvalidValue

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite names no table constraint: batch mode reflects them unnamed, and this convention
# lets it name (and so drop) the pseudonym's. PostgreSQL named it voter_pseudonym_key.
NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _pseudonym_constraint() -> str:
    """The unique constraint on the pseudonym as the database names it (a downgrade
    names it on SQLite too), or as NAMES would."""
    for found in sa.inspect(op.get_bind()).get_unique_constraints("voter"):
        if found["column_names"] == ["pseudonym"]:
            return found["name"] or "uq_voter_pseudonym"
    raise InvalidValue(
        "Base de données",
        "mise à jour du schéma annulée : la table voter n'a pas la contrainte d'unicité "
        "du pseudonyme que la révision 0017 remplace",
    )


def upgrade() -> None:
    name = _pseudonym_constraint()
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("voter", naming_convention=NAMES, recreate="always") as batch:
            batch.drop_constraint(name, type_="unique")
            batch.create_index("ix_voter_pseudonym", ["pseudonym"], unique=True)
    else:
        op.drop_constraint(name, "voter", type_="unique")
        op.create_index("ix_voter_pseudonym", "voter", ["pseudonym"], unique=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("voter", recreate="always") as batch:
            batch.drop_index("ix_voter_pseudonym")
            batch.create_unique_constraint("voter_pseudonym_key", ["pseudonym"])
    else:
        op.drop_index("ix_voter_pseudonym", "voter")
        op.create_unique_constraint("voter_pseudonym_key", "voter", ["pseudonym"])
