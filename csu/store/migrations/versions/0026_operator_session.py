"""operator: the id of the operator's live session

A session of the terminal was a value built at login that nothing read again: an
operator disabled, given another role or bureau, or whose authenticator was reset went
on working until they logged out, and two sessions of one login shared (and abandoned)
each other's intervention. Each operator now has one live session, its random id kept
here: set by a login, cleared by that session's logout; a newer login takes over, and
the session it replaced, and every action it still asks of a service, is refused
(csu.services.auth, csu.services.interventions).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Nullable, no default: an ALTER TABLE … ADD COLUMN on both databases (no rebuild).
    op.add_column("operator", sa.Column("session_id", AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.drop_column("session_id")
