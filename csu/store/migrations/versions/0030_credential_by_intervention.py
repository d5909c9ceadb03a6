"""credential: those an intervention issued, indexed

Closing an intervention « résolu » without a note looks for a credential it issued
whose hand-over was never confirmed (csu.services.interventions): one probe of this
index for every close, and the journal read only for a call that issued one. Without
it, each close read the whole table (originals imported included).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("intervention_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_credential_intervention", "credential", ["intervention_id"],
        sqlite_where=WHERE, postgresql_where=WHERE,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_credential_intervention", table_name="credential")
