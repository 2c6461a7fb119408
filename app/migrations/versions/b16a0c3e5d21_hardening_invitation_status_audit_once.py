"""hardening: invitations wait for acceptance; idempotent actions audited once

Revision ID: b16a0c3e5d21
Revises: 717a8ba10816
Create Date: 2026-11-30 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b16a0c3e5d21'
down_revision = '717a8ba10816'
branch_labels = None
depends_on = None

STATUS = "status IN ('pending', 'accepted')"
ONCE = "action IN ('points.revoke', 'points.adjust')"


def upgrade():
    # existing invitations were made by managers under the old rules: they stay accepted
    for table in ('activity_invited_orgs', 'activity_invited_members'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('status', sa.String(length=16), server_default='accepted', nullable=False)
            )
            batch_op.create_check_constraint('status', STATUS)
    op.create_index(
        'uq_audit_log_once',
        'audit_log',
        ['action', 'entity_type', 'entity_id'],
        unique=True,
        sqlite_where=sa.text(ONCE),
        postgresql_where=sa.text(ONCE),
    )


def downgrade():
    op.drop_index('uq_audit_log_once', table_name='audit_log')
    for table in ('activity_invited_members', 'activity_invited_orgs'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint('status', type_='check')
            batch_op.drop_column('status')
