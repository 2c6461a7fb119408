"""frozen compliance: one compact row per branch and year (city reports read 3,000 rows)

Revision ID: 4e8b2c7d9a10
Revises: c3a1f7e2b9d4
Create Date: 2026-11-30 20:15:00

The rows are built from the frozen figures already stored, so a closed period reads the same
items after the upgrade as before it. frozen_figures keeps every figure; this table is the
compliance matrix's read side of it.
"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "4e8b2c7d9a10"
down_revision = "c3a1f7e2b9d4"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "frozen_compliance",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_frozen_compliance_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "year", name=op.f("pk_frozen_compliance")),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT f.org_id, p.kind, p.start, f.figures FROM frozen_figures f"
            " JOIN closed_periods p ON p.id = f.period_id ORDER BY f.org_id, p.start, p.kind"
        )
    )
    docs: dict[tuple[int, int], dict[str, list]] = {}
    for org_id, kind, start, figures in rows:
        if isinstance(start, str):  # SQLite hands dates back as text
            start = date.fromisoformat(start)
        if isinstance(figures, str):  # json on SQLite; psycopg decodes it already
            figures = json.loads(figures)
        items = (figures or {}).get("compliance") or []
        docs.setdefault((org_id, start.year), {})[f"{kind}:{start.isoformat()}"] = items
    batch = [
        {
            "org_id": org_id,
            "year": year,
            "items": json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
        }
        for (org_id, year), doc in docs.items()
    ]
    for i in range(0, len(batch), 1000):
        op.bulk_insert(table, batch[i : i + 1000])


def downgrade():
    op.drop_table("frozen_compliance")
