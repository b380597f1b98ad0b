"""目录清单 versions: published versions, the working draft, and the version a record was checked against

Version 1 is what catalog_item holds when the migration runs (公布日期: that day); an empty
catalog gets its first version from seed-demo instead.

Revision ID: 0007_catalog_versions
Revises: 0006
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

revision = "0007_catalog_versions"
down_revision = "0006"
branch_labels = None
depends_on = None

ITEM_COLUMNS = ("code", "name", "field", "responsible_unit", "methods", "stages", "legal_basis", "target_scope",
                "source", "provenance", "notes", "published", "active")


def upgrade():
    version = op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("impact_job_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["published_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    draft = op.create_table(
        "catalog_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("guidance_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalog_version", sa.Integer(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT " + ", ".join(ITEM_COLUMNS) + " FROM catalog_item ORDER BY code")).mappings().all()
    if not rows:
        return
    items = [_item(row) for row in rows]
    now = datetime.now(timezone.utc)
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as UTC without offset, as UTCDateTime does
    op.bulk_insert(version, [{"id": 1, "number": 1, "published_on": today, "published_at": now, "items": items, "note": "迁移时载入的目录清单"}])
    op.bulk_insert(draft, [{"id": 1, "items": items, "revision": 1, "updated_at": now}])


def _item(row) -> dict:
    import json

    def listed(value):
        return json.loads(value) if isinstance(value, str) else list(value or [])

    item = {"code": row["code"], "name": row["name"], "field": row["field"],
            "responsible_unit": row["responsible_unit"], "methods": listed(row["methods"]),
            "stages": listed(row["stages"]), "legal_basis": listed(row["legal_basis"]),
            "target_scope": row["target_scope"] or "", "published": bool(row["published"]),
            "active": bool(row["active"])}
    for key in ("source", "provenance", "notes"):
        if row[key]:
            item[key] = row[key]
    return item


def downgrade():
    with op.batch_alter_table("guidance_record", schema=None) as batch_op:
        batch_op.drop_column("catalog_version")
    op.drop_table("catalog_draft")
    op.drop_table("catalog_version")
