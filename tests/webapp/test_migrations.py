"""The migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.extensions import db
from webapp.models.record import outside_models


def test_migrations_match_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_name": lambda name, type_, parents: not outside_models(name)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_init_db_command_upgrades_to_head(runner, app):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "数据库已升级到最新版本" in result.output
    from alembic.script import ScriptDirectory

    with app.app_context(), db.engine.connect() as conn:
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head


def test_migrations_database_refuses_rewriting_history(app):
    """Even raw SQL cannot change an audit event or delete a record (triggers from migration 0002)."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from tests.webapp.records_data import user, valid_record
    from webapp.services.records import create_draft

    with app.app_context():
        record = create_draft(user("staff"), valid_record())
        for statement in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event",
                          f"DELETE FROM guidance_record WHERE id = {record.id}"):
            with pytest.raises(DatabaseError, match="append-only|never deleted"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT action FROM audit_event")).scalars().all() == ["create"]
