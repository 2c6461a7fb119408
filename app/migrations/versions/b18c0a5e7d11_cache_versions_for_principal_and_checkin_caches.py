"""cache versions for the principal and check-in caches

Revision ID: b18c0a5e7d11
Revises: 597529ce79e2
Create Date: 2026-11-30 17:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b18c0a5e7d11'
down_revision = '597529ce79e2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cache_versions',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_cache_versions'))
    )


def downgrade():
    op.drop_table('cache_versions')
