"""reports: each member's study seconds of the closed months, frozen with the month

Revision ID: 5b7e2d9c4f18
Revises: 9d3f1b7c5a20
Create Date: 2026-12-01 11:00:00

The open year's 32-hours figures summed every study day and study activity of the year on
each request. A closed month's seconds are now frozen per member (one row per member and
year, a column per month) and `closed_periods.study_frozen` says which months have them.
Months closed before this revision start with the flag off: the reports compute them live,
exactly as before, until the next `periods close-due` (the scheduler's daily job) freezes
them from the data as it is then.
"""

import sqlalchemy as sa
from alembic import op

revision = "5b7e2d9c4f18"
down_revision = "9d3f1b7c5a20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "frozen_study",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        *(
            sa.Column(f"m{n:02d}", sa.Integer(), nullable=False, server_default="0")
            for n in range(1, 13)
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_frozen_study_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "year", name=op.f("pk_frozen_study")),
    )
    # plain ALTER TABLE on both engines: a batch (copy-and-move) of closed_periods on SQLite
    # would drop the old table, and with it, by cascade, every frozen figure
    op.add_column(
        "closed_periods",
        sa.Column("study_frozen", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column("closed_periods", "study_frozen")  # SQLite 3.35+: ALTER TABLE … DROP COLUMN
    op.drop_table("frozen_study")
