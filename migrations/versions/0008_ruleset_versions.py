"""rule-parameter versions: the draft overlay, published versions, change-impact runs

Revision ID: 0008_ruleset_versions
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_ruleset_versions"
down_revision = "0007_catalog_versions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ruleset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("ruleset", sa.String(length=40), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("impact_job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["published_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["impact_job_id"], ["job.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "ruleset_draft",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "impact_run",
        sa.Column("job_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("year_from", sa.Integer(), nullable=False),
        sa.Column("year_to", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("looked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("looked_at_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"]),
        sa.ForeignKeyConstraint(["looked_at_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("job_id"),
    )
    op.create_index("ix_impact_run_fingerprint", "impact_run", ["fingerprint"])


def downgrade():
    op.drop_index("ix_impact_run_fingerprint", table_name="impact_run")
    op.drop_table("impact_run")
    op.drop_table("ruleset_draft")
    op.drop_table("ruleset_version")
