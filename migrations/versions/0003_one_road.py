"""one road for a record: normalised target key, stored draft report, good-practice mark, review turnaround

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import rules

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy): a table rebuild on SQLite would drop 0002's triggers.
    op.add_column("guidance_record", sa.Column("target_name_key", sa.String(), nullable=True))
    op.add_column("guidance_record", sa.Column("draft_report", sa.JSON(), nullable=True))
    op.add_column("guidance_record", sa.Column("good_practice", sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.add_column("guidance_record", sa.Column("good_practice_reason", sa.Text(), nullable=True))
    op.add_column("guidance_record", sa.Column("good_practice_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("review_decision", sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    # Decisions taken before this column existed: the record's latest submit is the best we know.
    conn.execute(sa.text("UPDATE review_decision SET submitted_at = (SELECT submitted_at FROM guidance_record "
                         "WHERE guidance_record.id = review_decision.record_id)"))
    rows = conn.execute(sa.text("SELECT id, target_name FROM guidance_record WHERE target_name IS NOT NULL")).all()
    for record_id, name in rows:
        conn.execute(sa.text("UPDATE guidance_record SET target_name_key = :key WHERE id = :id"),
                     {"key": rules.target_key(name), "id": record_id})
    op.drop_index("ix_record_target_name_guided", table_name="guidance_record")
    op.create_index("ix_record_target_key_guided", "guidance_record", ["target_name_key", "guided_at"])


def downgrade():
    op.drop_index("ix_record_target_key_guided", table_name="guidance_record")
    op.create_index("ix_record_target_name_guided", "guidance_record", ["target_name", "guided_at"])
    op.drop_column("review_decision", "submitted_at")
    for column in ("good_practice_at", "good_practice_reason", "good_practice", "draft_report",
                   "target_name_key"):
        op.drop_column("guidance_record", column)
