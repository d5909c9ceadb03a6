"""login failures counted by origin: an outsider no longer locks an operator out

Five failed logins locked the operator's account for fifteen minutes wherever they came
from: anyone reaching csu serve could lock a president out of their bureau's page by
typing their login and wrong passwords. Failures are now counted per origin (the
workstation, or ``web:<address>`` under csu serve) and lock that origin out only; only
wrong codes typed after the right password lock the account as a whole, except at the
origin of its last good login (csu.services.auth).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("login", AutoString(length=64), nullable=False),
        sa.Column("origin", AutoString(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC(), nullable=True),
        sa.Column("last_failure_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("login", "origin"),
    )
    op.add_column(
        "operator", sa.Column("last_login_origin", AutoString(length=100), nullable=True)
    )
    # failed_logins now counts wrong codes after the right password only: what it held
    # (any failure, an outsider's included) must not count towards the account's lock.
    op.execute("UPDATE operator SET failed_logins = 0, locked_until = NULL")


def downgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.drop_column("last_login_origin")
    op.drop_table("login_failures")
