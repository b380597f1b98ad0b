"""user administration: a forced password change after an admin set the password, last login

Discarded drafts need no schema change: they keep their row with status "discarded".

Revision ID: 0010_accounts_admin
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_accounts_admin"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("must_change_password")
