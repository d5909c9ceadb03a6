"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21

The tables of csu.store.tables, the chain head, and the triggers that make
the journal append-only (and let its head only move forward by one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bureau',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('president_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('csu_meta',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('election',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('organiser', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('opens_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closes_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('loaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_JOURNAL_TABLE)
        op.execute("CREATE UNIQUE INDEX uq_journal_entry_event_id ON journal_entry (event_id)")
    else:
        op.create_table('journal_entry',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column('workstation', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('election', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('intervention', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
        sa.UniqueConstraint('event_id')
        )
    for column in ('action', 'election', 'intervention', 'operator', 'subject', 'ts'):
        op.create_index(f'ix_journal_entry_{column}', 'journal_entry', [column], unique=False)

    op.create_table('journal_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('voter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matricule', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pseudonym', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('search_name', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('search_name_rev', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('email_pro', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('phone_pro', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('phone_mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('numen_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('nir10_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('birth_department_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('iban6_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('card6_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('challenge_question', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('challenge_answer_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('purged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('matricule'),
    sa.UniqueConstraint('pseudonym')
    )
    with op.batch_alter_table('voter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voter_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_voter_search_name_rev'), ['search_name_rev'], unique=False)

    op.create_table('intervention',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('operator_login', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('election_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('voter_id', sa.Integer(), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('caller_masked', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['election_id'], ['election.id'], ),
    sa.ForeignKeyConstraint(['voter_id'], ['voter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_operator_login'), ['operator_login'], unique=False)
        batch_op.create_index(batch_op.f('ix_intervention_voter_id'), ['voter_id'], unique=False)

    op.create_table('material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('capacity', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('identifier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('bureau_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('voted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bureau_code'], ['bureau.code'], ),
    sa.ForeignKeyConstraint(['election_id'], ['election.id'], ),
    sa.ForeignKeyConstraint(['replaces_id'], ['material.id'], ),
    sa.ForeignKeyConstraint(['voter_id'], ['voter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('election_id', 'identifier', name='uq_material_identifier')
    )
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_bureau_code'), ['bureau_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_identifier'), ['identifier'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_voter_id'), ['voter_id'], unique=False)
        batch_op.create_index('uq_material_active_capacity', ['election_id', 'voter_id', 'capacity'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('bureau_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('totp_secret_sealed', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_totp_step', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bureau_code'], ['bureau.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('login')
    )
    op.create_table('credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('scheme', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('prefix_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.ForeignKeyConstraint(['material_id'], ['material.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_material_id'), ['material_id'], unique=False)
        batch_op.create_index('uq_credential_active_kind', ['material_id', 'kind'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.execute(f"INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, '{'0' * 64}')")
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)


# On SQLite the journal's index columns are generated from the hashed body, so they
# cannot disagree with it (and verification need not compare them).
SQLITE_JOURNAL_TABLE = """CREATE TABLE journal_entry (
    seq INTEGER NOT NULL PRIMARY KEY,
    body BLOB NOT NULL,
    hash VARCHAR(64) NOT NULL,
""" + ",\n".join(
    f"    {name} VARCHAR({size}) GENERATED ALWAYS AS "
    f"(json_extract(CAST(body AS TEXT), '$.{name}')) VIRTUAL"
    for name, size in (
        ("event_id", 36),
        ("ts", 32),
        ("operator", 64),
        ("role", 20),
        ("workstation", 100),
        ("election", 64),
        ("subject", 64),
        ("intervention", 36),
        ("action", 64),
        ("outcome", 32),
    )
) + "\n)"

SQLITE_TRIGGERS = (
    """CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_entry
    BEGIN SELECT RAISE(ABORT, 'le journal est en ajout seul'); END""",
    """CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_entry
    BEGIN SELECT RAISE(ABORT, 'le journal est en ajout seul'); END""",
    """CREATE TRIGGER journal_head_forward BEFORE UPDATE ON journal_head
    WHEN NEW.seq <> OLD.seq + 1 OR NEW.id <> OLD.id
    BEGIN SELECT RAISE(ABORT, 'la tête du journal avance d''une entrée à la fois'); END""",
    """CREATE TRIGGER journal_head_no_delete BEFORE DELETE ON journal_head
    BEGIN SELECT RAISE(ABORT, 'la tête du journal ne se supprime pas'); END""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION csu_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'le journal est en ajout seul'; END $$""",
    """CREATE TRIGGER journal_entry_no_change BEFORE UPDATE OR DELETE ON journal_entry
    FOR EACH ROW EXECUTE FUNCTION csu_journal_append_only()""",
    """CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry
    FOR EACH STATEMENT EXECUTE FUNCTION csu_journal_append_only()""",
    """CREATE FUNCTION csu_journal_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'la tête du journal avance d''une entrée à la fois';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER journal_head_forward BEFORE UPDATE OR DELETE ON journal_head
    FOR EACH ROW EXECUTE FUNCTION csu_journal_head_forward()""",
    """CREATE TRIGGER journal_head_no_truncate BEFORE TRUNCATE ON journal_head
    FOR EACH STATEMENT EXECUTE FUNCTION csu_journal_append_only()""",
)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS csu_journal_append_only() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS csu_journal_head_forward() CASCADE")
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_index('uq_credential_active_kind', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_credential_material_id'))

    op.drop_table('credential')
    op.drop_table('operator')
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.drop_index('uq_material_active_capacity', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_material_voter_id'))
        batch_op.drop_index(batch_op.f('ix_material_identifier'))
        batch_op.drop_index(batch_op.f('ix_material_bureau_code'))

    op.drop_table('material')
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intervention_voter_id'))
        batch_op.drop_index(batch_op.f('ix_intervention_operator_login'))

    op.drop_table('intervention')
    with op.batch_alter_table('voter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voter_search_name_rev'))
        batch_op.drop_index(batch_op.f('ix_voter_search_name'))

    op.drop_table('voter')
    op.drop_table('journal_head')
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entry_ts'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_subject'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_operator'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_intervention'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_election'))
        batch_op.drop_index(batch_op.f('ix_journal_entry_action'))

    op.drop_table('journal_entry')
    op.drop_table('election')
    op.drop_table('csu_meta')
    op.drop_table('bureau')
