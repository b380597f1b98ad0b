"""PostgreSQL: the app's role cannot empty, alter or rewrite the trail (issue 15), yet runs the app.

The suite's TEST_DATABASE_URL is the schema owner (migrations, fixtures); the app role's URL is
TEST_APP_DATABASE_URL, or the same URL with the user guidance_app (scripts/pg-test-server.sh
creates that role).
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.conftest import make_app
from tests.webapp.records_data import VALID_CLOSE, user, valid_record
from webapp.extensions import db
from webapp.services import records as svc

pytestmark = pytest.mark.postgres_only  # database roles are PostgreSQL's (SQLite: file permissions)

APP_ROLE = "guidance_app"


@pytest.fixture
def app_role_url(app, runner):
    with app.app_context():
        owner_url = db.engine.url
        with db.engine.begin() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).first():
                conn.exec_driver_sql(f"CREATE ROLE {APP_ROLE} LOGIN")
    result = runner.invoke(args=["db-roles", APP_ROLE])
    assert result.exit_code == 0, result.output
    return os.environ.get("TEST_APP_DATABASE_URL") or owner_url.set(username=APP_ROLE, password=None).render_as_string(
        hide_password=False)


@pytest.mark.parametrize("statement, refusal", [
    ("TRUNCATE audit_event", "permission denied"),
    ("TRUNCATE guidance_record CASCADE", "permission denied"),
    ("ALTER TABLE audit_event DISABLE TRIGGER USER", "must be owner"),
    ("DROP TRIGGER audit_event_append_only ON audit_event", "must be owner"),
    ("UPDATE audit_event SET note = 'x'", "permission denied"),
    ("DELETE FROM audit_event", "permission denied"),
    ("UPDATE audit_text SET body = 'x'", "permission denied"),
    ("DELETE FROM guidance_record", "permission denied"),
    ("UPDATE review_decision SET comment = 'x'", "permission denied"),
    ("UPDATE document_version SET sha256 = 'x'", "permission denied"),
])
def test_pg_roles_app_role_is_refused(app_role_url, statement, refusal):
    engine = create_engine(app_role_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
            conn.exec_driver_sql(statement)
        assert refusal in str(refused.value.orig)
        assert refused.value.orig.sqlstate == "42501"  # insufficient_privilege
    finally:
        engine.dispose()


def test_pg_roles_app_role_runs_the_whole_workflow_and_verify_passes(app_role_url, tmp_path):
    from tests.webapp.test_archive_package import image_bytes
    from webapp.services import attachments

    app = make_app(app_role_url, tmp_path / "instance-app-role")
    with app.app_context():
        assert make_url(str(db.engine.url)).username == APP_ROLE
        staff, reviewer = user("staff"), user("reviewer")
        direct = svc.create_draft(staff, valid_record(subject="直接备案"))
        svc.submit_record(staff, direct.id)
        attachments.add_attachment(staff, direct.id, image_bytes(), "现场.jpg", "site_photo")
        reviewed = svc.create_draft(staff, valid_record(subject="审查", content="必须在一个月内完成复垦。"))
        added = attachments.add_attachment(staff, reviewed.id, image_bytes(), "草稿.jpg", "site_photo")
        attachments.remove_attachment(staff, reviewed.id, added.attachment.id)
        svc.submit_record(staff, reviewed.id)
        svc.return_record(reviewer, reviewed.id, "请修改措辞")
        svc.update_draft(staff, reviewed.id, {"content": "建议在一个月内完成复垦。"}, None, submit=True)
        svc.close_record(staff, direct.id, VALID_CLOSE)
        svc.void_record(reviewer, reviewed.id, "重复登记")
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["verify"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
