"""the register at a million records: text search, counts kept by triggers, filter indexes

- `q` (party name, credit code / ID number, subject, document number): on SQLite an FTS5
  trigram index (external content, kept in step by INSERT/UPDATE triggers; 0002 forbids DELETE),
  on PostgreSQL pg_trgm GIN indexes that serve the LIKE conditions directly.
- register_tally: records per unit, state, guidance year, method, stage and good-practice mark,
  kept by triggers, so the register's "共 N 条" sums a few thousand rows instead of counting a
  million.
- B-tree indexes for the filtered pages and the statistics (chosen from the measured plans in
  bench/register_bench.py).

Every structure is built over the rows already there. Plain DDL, no batch copy: a table rebuild
on SQLite would drop 0002's triggers.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SEARCHED = ("target_name", "subject", "number", "target_id_number")
# The tally's key, and the record columns whose change moves a record to another tally row.
TALLY_KEY = ("owner_unit_id", "status", "year", "method", "stage", "good_practice")
TRACKED = ("owner_unit_id", "status", "guided_at", "method", "stage", "good_practice")
# B-tree indexes the measured plans need: unit, state and catalog item each walk their index in
# number order; a time range (year, dates) and the statistics read a covering index over
# guided_at (every filtered and counted column in it) and sort the period's rows.
INDEXES = {
    "ix_record_unit_number": ("owner_unit_id", "number_year", "number_seq"),
    "ix_record_status_number": ("status", "number_year", "number_seq"),
    # replaces 0001's ix_guidance_record_catalog_code (its prefix); counts a 领域 from the index alone
    "ix_record_catalog_number": ("catalog_code", "number_year", "number_seq", "status", "owner_unit_id"),
    # replaces 0001's ix_guidance_record_guided_at (its prefix)
    "ix_record_guided_cover": ("guided_at", "number_year", "number_seq", "owner_unit_id", "method", "status",
                               "stage", "catalog_code", "result", "good_practice", "id"),
    # one unit's period (the officers' usual view) without reading the whole bureau's period
    "ix_record_unit_guided_cover": ("owner_unit_id", "guided_at", "method", "status", "number_year", "number_seq",
                                    "id"),
}
REPLACED = {"ix_guidance_record_catalog_code": "catalog_code", "ix_guidance_record_guided_at": "guided_at"}


def _key_values(row: str, year) -> str:
    return (f"{row}owner_unit_id, {row}status, {year(row)}, COALESCE({row}method, ''), "
            f"COALESCE({row}stage, ''), {row}good_practice")


def _sqlite_year(row: str) -> str:
    """The guidance year in Asia/Shanghai (UTC+8, no daylight saving) of a stored UTC moment; 0 if none."""
    return f"COALESCE(CAST(strftime('%Y', {row}guided_at, '+8 hours') AS INTEGER), 0)"


def _postgres_year(row: str) -> str:
    return f"COALESCE(EXTRACT(YEAR FROM {row}guided_at AT TIME ZONE 'Asia/Shanghai')::integer, 0)"


def _sqlite_search() -> None:
    cols = ", ".join(SEARCHED)
    new = ", ".join(f"new.{c}" for c in SEARCHED)
    old = ", ".join(f"old.{c}" for c in SEARCHED)
    op.execute(f"CREATE VIRTUAL TABLE guidance_record_search USING fts5({cols}, content='guidance_record', "
               "content_rowid='id', tokenize='trigram')")
    op.execute(f"CREATE TRIGGER guidance_record_search_insert AFTER INSERT ON guidance_record BEGIN "
               f"INSERT INTO guidance_record_search (rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER guidance_record_search_update AFTER UPDATE OF {cols} ON guidance_record BEGIN "
               f"INSERT INTO guidance_record_search (guidance_record_search, rowid, {cols}) "
               f"VALUES ('delete', old.id, {old}); "
               f"INSERT INTO guidance_record_search (rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute("INSERT INTO guidance_record_search (guidance_record_search) VALUES ('rebuild')")


def _sqlite_tally() -> None:
    key = ", ".join(TALLY_KEY)

    def add(row: str, delta: int) -> str:
        return (f"INSERT INTO register_tally ({key}, n) VALUES ({_key_values(row + '.', _sqlite_year)}, {delta}) "
                f"ON CONFLICT ({key}) DO UPDATE SET n = n + excluded.n;")

    op.execute(f"CREATE TRIGGER register_tally_insert AFTER INSERT ON guidance_record BEGIN {add('new', 1)} END")
    op.execute(f"CREATE TRIGGER register_tally_update AFTER UPDATE OF {', '.join(TRACKED)} ON guidance_record "
               f"BEGIN {add('old', -1)} {add('new', 1)} END")


POSTGRES_TALLY = """
CREATE FUNCTION register_tally_add(unit integer, state varchar, yr integer, how varchar, phase varchar,
                                   good boolean, delta integer)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO register_tally AS t ({key}, n) VALUES (unit, state, yr, how, phase, good, delta)
  ON CONFLICT ({key}) DO UPDATE SET n = t.n + excluded.n
$$;
CREATE FUNCTION register_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM register_tally_add({new}, 1);
  ELSIF ({old}) = ({new}) THEN
    NULL;
  -- Both rows in key order, so two transactions moving records between the same two rows
  -- lock them in the same order and cannot deadlock.
  ELSIF ({old}) < ({new}) THEN
    PERFORM register_tally_add({old}, -1);
    PERFORM register_tally_add({new}, 1);
  ELSE
    PERFORM register_tally_add({new}, 1);
    PERFORM register_tally_add({old}, -1);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER register_tally AFTER INSERT OR UPDATE OF {tracked}
  ON guidance_record FOR EACH ROW EXECUTE FUNCTION register_tally_count();
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "register_tally",
        sa.Column("owner_unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("good_practice", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*TALLY_KEY),
    )
    values = _key_values("", _postgres_year if postgres else _sqlite_year)
    op.execute(f"INSERT INTO register_tally ({', '.join(TALLY_KEY)}, n) "
               f"SELECT {values}, count(*) FROM guidance_record GROUP BY {values}")
    if postgres:
        op.execute(POSTGRES_TALLY.format(key=", ".join(TALLY_KEY), tracked=", ".join(TRACKED),
                                         new=_key_values("NEW.", _postgres_year),
                                         old=_key_values("OLD.", _postgres_year)))
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name in SEARCHED:
            op.execute(f"CREATE INDEX ix_record_{name}_trgm ON guidance_record USING gin ({name} gin_trgm_ops)")
    else:
        _sqlite_tally()
        _sqlite_search()
    for name, columns in INDEXES.items():
        op.create_index(name, "guidance_record", list(columns))
    for name in REPLACED:
        op.drop_index(name, table_name="guidance_record")


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, column in REPLACED.items():
        op.create_index(name, "guidance_record", [column])
    for name in INDEXES:
        op.drop_index(name, table_name="guidance_record")
    if postgres:
        for name in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_record_{name}_trgm")
        op.execute("DROP TRIGGER IF EXISTS register_tally ON guidance_record")
        op.execute("DROP FUNCTION IF EXISTS register_tally_count()")
        op.execute("DROP FUNCTION IF EXISTS register_tally_add(integer, varchar, integer, varchar, varchar, boolean, "
                   "integer)")
    else:
        for name in ("guidance_record_search_insert", "guidance_record_search_update",
                     "register_tally_insert", "register_tally_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS guidance_record_search")
    op.drop_table("register_tally")
