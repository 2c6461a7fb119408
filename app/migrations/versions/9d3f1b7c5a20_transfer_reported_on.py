"""transfers: when the member reported (报到) to the receiving branch, and who recorded it

Revision ID: 9d3f1b7c5a20
Revises: 4e8b2c7d9a10
Create Date: 2026-12-01 06:20:00

A transfer's 报到期限 (`report_by`) was recorded but nothing said whether the member came: the
receiving branch now confirms it, and a reminder goes out once when the deadline passes
without it. Both columns are empty for every existing transfer (nobody confirmed yet).
"""

import sqlalchemy as sa
from alembic import op

revision = "9d3f1b7c5a20"
down_revision = "4e8b2c7d9a10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("reported_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("reported_by", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("reported_by")
        batch.drop_column("reported_on")
