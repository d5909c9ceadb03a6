"""material: identifiers that are e-mail addresses indexed by their lower-case form

The platform's login check (csu.services.platform.check_platform_login) compared the
identifier typed at the login page with the roll's as it was written: where identifiers
are e-mail addresses (men-2022: prenom.nom@ac-….fr), a voter who typed
« Jean.Dupont@Education.gouv.fr » was refused. An address is now compared whatever its
case, by this index: the election and the identifier's lower-case form (ASCII letters
only, as the roll's identifiers are ASCII, csu.domain.roll), for the identifiers holding
« @ » only (a matricule or a number is still compared as typed, and costs a roll's import
no second index). On PostgreSQL ``lower()`` is taken under the "C" collation, whatever
the database's locale.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_material_identifier_folded"
# The expressions of csu.store.tables.folded and holds_at: a query uses a partial index
# only when its condition holds the index's, word for word. No LIKE '%@%': a roll's
# import rebuilds the indexes it set aside from their text, where psycopg reads « % ».
FOLDED = {"sqlite": "lower(identifier)", "postgresql": 'lower(identifier COLLATE "C")'}
HOLDS_AT = {"sqlite": "instr(identifier, '@') > 0", "postgresql": "strpos(identifier, '@') > 0"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(
        f"CREATE INDEX {NAME} ON material (election_id, {FOLDED[dialect]}) "
        f"WHERE {HOLDS_AT[dialect]}"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {NAME}")
