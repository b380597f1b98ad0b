"""the tamper-evident trail: a hash chain over audit events, record content hashes, long texts once

Each event gets its position (seq), the previous event's hash and its own hash; a record event
also carries the record's content hash after the change. Existing events are chained here in id
order, and each record's last event is sealed with the record as it stands at the upgrade.
audit_text keeps each long text of an event's changes once; it is append-only like the events.

Revision ID: 0012_audit_chain
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime
from webapp.services.chain import GENESIS, event_hash, record_hashes

revision = "0012_audit_chain"
down_revision = "0011_warning_reasons"
branch_labels = None
depends_on = None

SQLITE_GUARDS = {
    "audit_event_no_update": "BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
}
SQLITE_TRIGGERS = {
    "audit_text_no_update": "BEFORE UPDATE ON audit_text BEGIN SELECT RAISE(ABORT, 'audit_text is append-only'); END",
    "audit_text_no_delete": "BEFORE DELETE ON audit_text BEGIN SELECT RAISE(ABORT, 'audit_text is append-only'); END",
}
POSTGRES_TRIGGER = ("CREATE TRIGGER audit_text_append_only BEFORE UPDATE OR DELETE ON audit_text FOR EACH ROW "
                    "EXECUTE FUNCTION refuse_change('audit_text is append-only')")

# The event columns as of this revision (not the model: later revisions may add columns).
events = sa.table(
    "audit_event", sa.column("id", sa.Integer), sa.column("at", UTCDateTime), sa.column("user_id", sa.Integer),
    sa.column("entity", sa.String), sa.column("entity_id", sa.Integer), sa.column("action", sa.String),
    sa.column("changes", sa.JSON), sa.column("note", sa.String), sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String), sa.column("record_sha256", sa.String),
)


def upgrade():
    op.add_column("audit_event", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("audit_event", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("hash", sa.String(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("record_sha256", sa.String(length=64), nullable=True))
    op.create_index("uq_audit_event_seq", "audit_event", ["seq"], unique=True)
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_text",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        for name in SQLITE_GUARDS:  # the backfill below is the one UPDATE the trail ever gets
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute(POSTGRES_TRIGGER)
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    seq, head = _backfill(bind)
    if sqlite:
        for name, body in SQLITE_GUARDS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    bind.execute(sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                 {"seq": seq, "hash": head})


def _backfill(bind) -> tuple[int, str]:
    last_event = dict(bind.execute(
        sa.select(events.c.entity_id, sa.func.max(events.c.id)).where(events.c.entity == "record")
        .group_by(events.c.entity_id)).all())
    sealed = {last_event[record_id]: digest for record_id, digest in record_hashes(bind, last_event)}
    seq, head, last_id = 0, GENESIS, 0
    while True:
        rows = bind.execute(sa.select(events).where(events.c.id > last_id).order_by(events.c.id).limit(2000)).all()
        if not rows:
            return seq, head
        updates = []
        for row in rows:
            seq += 1
            record_sha256 = sealed.get(row.id)
            digest = event_hash(seq=seq, prev_hash=head, at=row.at, user_id=row.user_id, entity=row.entity,
                                entity_id=row.entity_id, action=row.action, changes=row.changes, note=row.note,
                                record_sha256=record_sha256)
            updates.append({"b_id": row.id, "seq": seq, "prev_hash": head, "hash": digest,
                            "record_sha256": record_sha256})
            head = digest
        bind.execute(events.update().where(events.c.id == sa.bindparam("b_id"))
                     .values(seq=sa.bindparam("seq"), prev_hash=sa.bindparam("prev_hash"),
                             hash=sa.bindparam("hash"), record_sha256=sa.bindparam("record_sha256")), updates)
        last_id = rows[-1].id


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_text_append_only ON audit_text")
    op.drop_table("audit_text")
    op.drop_table("audit_chain_head")
    op.drop_index("uq_audit_event_seq", table_name="audit_event")
    for column in ("record_sha256", "hash", "prev_hash", "seq"):  # plain DROP COLUMN keeps 0002's triggers
        op.drop_column("audit_event", column)
