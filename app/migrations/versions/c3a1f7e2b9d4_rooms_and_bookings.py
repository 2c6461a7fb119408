"""rooms and bookings (党群服务中心活动室), with the no-overlap exclusion on PostgreSQL

Revision ID: c3a1f7e2b9d4
Revises: 80877a151f34
Create Date: 2026-11-30 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1f7e2b9d4'
down_revision = "80877a151f34"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('equipment', sa.JSON(), nullable=False),
    sa.Column('open_weekdays', sa.JSON(), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=False),
    sa.Column('closes_at', sa.Time(), nullable=False),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_rooms_capacity')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_rooms_hours')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_rooms_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rooms'))
    )
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rooms_org_id'), ['org_id'], unique=False)
        batch_op.create_index('uq_rooms_org_name', ['org_id', 'name'], unique=True)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('attendance', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('booked_by', sa.String(length=64), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=200), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled')", name=op.f('ck_bookings_status')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_bookings_order')),
    sa.CheckConstraint('attendance >= 1', name=op.f('ck_bookings_attendance')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_bookings_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_bookings_org_id_organizations')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_bookings_enterprise_id_enterprises'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_bookings_activity_id_activities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_room_starts', ['room_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_bookings_org_starts', ['org_id', 'starts_at'], unique=False)
        batch_op.create_index('uq_bookings_live_activity', ['activity_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'approved')"), postgresql_where=sa.text("status IN ('pending', 'approved')"))

    if op.get_bind().dialect.name == 'postgresql':
        # No two live bookings of a room overlap, whatever requests race. btree_gist gives
        # GiST the `=` on room_id; the columns are naive UTC timestamps, hence tsrange
        # (half-open '[)': a booking may start when the previous one ends).
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        op.execute(
            'ALTER TABLE bookings ADD CONSTRAINT ex_bookings_room_overlap '
            'EXCLUDE USING gist (room_id WITH =, tsrange(starts_at, ends_at) WITH &&) '
            "WHERE (status IN ('pending', 'approved'))"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE bookings DROP CONSTRAINT IF EXISTS ex_bookings_room_overlap')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_live_activity', sqlite_where=sa.text("status IN ('pending', 'approved')"), postgresql_where=sa.text("status IN ('pending', 'approved')"))
        batch_op.drop_index('ix_bookings_org_starts')
        batch_op.drop_index('ix_bookings_room_starts')

    op.drop_table('bookings')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_index('uq_rooms_org_name')
        batch_op.drop_index(batch_op.f('ix_rooms_org_id'))

    op.drop_table('rooms')
