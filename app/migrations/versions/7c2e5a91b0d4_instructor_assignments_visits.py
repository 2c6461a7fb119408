"""instructor assignments and visit logs

Revision ID: 7c2e5a91b0d4
Revises: da373cfc43c1
Create Date: 2026-11-30 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2e5a91b0d4'
down_revision = 'da373cfc43c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instructor_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('assigned_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('instructor', 'contact')", name=op.f('ck_instructor_assignments_kind')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_instructor_assignments_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_instructor_assignments_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instructor_assignments')),
    sa.UniqueConstraint('enterprise_id', 'member_id', 'kind', 'since', name='uq_assignments_spell')
    )
    with op.batch_alter_table('instructor_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_instructor_assignments_member', ['member_id', 'until'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('people_met', sa.String(length=200), nullable=False),
    sa.Column('topics', sa.Text(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_visits_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_visits_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_enterprise_day', ['enterprise_id', 'visited_on'], unique=False)
        batch_op.create_index('ix_visits_member_day', ['member_id', 'visited_on'], unique=False)



def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_member_day')
        batch_op.drop_index('ix_visits_enterprise_day')

    op.drop_table('visits')
    with op.batch_alter_table('instructor_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_instructor_assignments_member')

    op.drop_table('instructor_assignments')
