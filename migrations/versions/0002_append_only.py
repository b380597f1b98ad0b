"""append-only audit trail and undeletable records, enforced by the database itself

The ORM already refuses to change an AuditEvent; these triggers also stop raw SQL, a bulk
update or a console session from rewriting history or deleting a guidance record.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "audit_event_no_update": "BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "audit_event_no_delete": "BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "guidance_record_no_delete": "BEFORE DELETE ON guidance_record BEGIN SELECT RAISE(ABORT, 'guidance records are never deleted (void them)'); END",
}

POSTGRES_FUNCTION = """
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % refused: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0];
END $$
"""
POSTGRES_TRIGGERS = {
    "audit_event_append_only": "BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW "
                               "EXECUTE FUNCTION refuse_change('audit_event is append-only')",
    "guidance_record_no_delete": "BEFORE DELETE ON guidance_record FOR EACH ROW "
                                 "EXECUTE FUNCTION refuse_change('guidance records are never deleted (void them)')",
}


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        op.execute(POSTGRES_FUNCTION)
        for name, body in POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, body in POSTGRES_TRIGGERS.items():
            table = body.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_change()")
