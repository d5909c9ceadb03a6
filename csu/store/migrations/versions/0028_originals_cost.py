"""the argon2id parameters of each election's originals, for its login checks

A login check took as long as its stored hash asked: an identifier whose original the
platform hashed cheaper than CSU (or dearer) answered sooner (or later) than an unknown
one, checked against a decoy at CSU's own cost, so that timing told which identifiers
exist. Where an election has originals, each verification of its checks now holds its
worker as long as the slowest of its costs takes (csu.services.platform): this table
keeps the originals' costs, one row each, added by the imports (csu.services.originals).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    table = op.create_table(
        "originals_cost",
        sa.Column("election_id", AutoString(length=64), nullable=False),
        sa.Column("memory_kib", sa.Integer(), nullable=False),
        sa.Column("time_cost", sa.Integer(), nullable=False),
        sa.Column("parallelism", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.PrimaryKeyConstraint("election_id", "memory_kib", "time_cost", "parallelism"),
    )
    # The originals already imported, their parameters read from each PHC string's head.
    rows = op.get_bind().execute(sa.text(
        "SELECT m.election_id, substr(c.hash, 1, 40) FROM credential c "
        "JOIN material m ON m.id = c.material_id WHERE c.issued_by = 'original'"
    ))  # fmt: skip
    found: set[tuple[str, int, int, int]] = set()
    for election, head in rows:
        parameters = _PARAMETERS.match(head or "")
        if parameters is not None:
            found.add((election, int(parameters[1]), int(parameters[2]), int(parameters[3])))
    if found:
        op.bulk_insert(table, [
            {"election_id": e, "memory_kib": m, "time_cost": t, "parallelism": p}
            for e, m, t, p in sorted(found)
        ])  # fmt: skip


_PARAMETERS = re.compile(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def downgrade() -> None:
    op.drop_table("originals_cost")
