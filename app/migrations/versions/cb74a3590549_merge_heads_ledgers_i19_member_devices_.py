"""merge heads: ledgers (i19), member devices (i13), record attachments (i14)

Revision ID: cb74a3590549
Revises: 597529ce79e2, 7c1d3e5a9b21, 976d2a78c58d
Create Date: 2026-11-30 17:15:44.494442

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cb74a3590549'
down_revision = ('597529ce79e2', '7c1d3e5a9b21', '976d2a78c58d')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
