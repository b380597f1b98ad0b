"""warning reasons: the officer's 说明理由 beside each warning kept on submit

Revision ID: 0011_warning_reasons
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_warning_reasons"
down_revision = "0010_accounts_admin"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("guidance_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warning_reasons", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("guidance_record", schema=None) as batch_op:
        batch_op.drop_column("warning_reasons")
