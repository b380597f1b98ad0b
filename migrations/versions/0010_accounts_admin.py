"""user administration: a forced password change after an admin set the password, last login

Discarded drafts need no schema change: they keep their row with status "discarded".

Revision ID: 0010_accounts_admin
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_accounts_admin"
down_revision = "0009_spot_checks"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite ≥ 3.35 drops columns natively): a batch copy of user_account would
# have to drop a table that every record's foreign keys point at.
def upgrade():
    op.add_column("user_account", sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(),
                                            nullable=False))
    op.add_column("user_account", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("user_account", "last_login_at")
    op.drop_column("user_account", "must_change_password")
