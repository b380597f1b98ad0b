"""spot checks (抽查) of records filed without legal review

Revision ID: 0009_spot_checks
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_spot_checks"
down_revision = "0008_ruleset_versions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "spot_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draw_value", sa.Float(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["checked_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["guidance_record.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("spot_check", schema=None) as batch_op:
        batch_op.create_index("ix_spot_check_result_drawn", ["result", "drawn_at"], unique=False)


def downgrade():
    with op.batch_alter_table("spot_check", schema=None) as batch_op:
        batch_op.drop_index("ix_spot_check_result_drawn")
    op.drop_table("spot_check")
