"""/healthz: 200 with JSON when all holds; 503 naming the failing check otherwise. No login."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from tests.conftest import make_app
from webapp.extensions import db
from webapp.health import record_backup


def _backup(app, hours_ago):
    target = app.instance_path + "/backup.sqlite"
    with open(target, "wb") as fh:
        fh.write(b"copy")
    from pathlib import Path

    record_backup(app.instance_path, Path(target), at=datetime.now(timezone.utc) - timedelta(hours=hours_ago))


def test_healthz_all_good_is_200_json(app, client):
    app.config["BACKUP_MAX_AGE_HOURS"] = 26
    _backup(app, hours_ago=2)
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "font", "backup"}
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["backup"]["age_hours"] == 2.0
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_overdue_or_missing_backup_is_503(app, client):
    app.config["BACKUP_MAX_AGE_HOURS"] = 26
    missing = client.get("/healthz")
    assert missing.status_code == 503 and "尚无备份记录" in missing.get_json()["checks"]["backup"]["detail"]
    _backup(app, hours_ago=27)
    overdue = client.get("/healthz").get_json()
    assert overdue["status"] == "fail" and overdue["checks"]["backup"]["ok"] is False
    assert "超过 26 小时" in overdue["checks"]["backup"]["detail"]
    assert overdue["checks"]["database"]["ok"] is True  # only the failing check says so


def test_healthz_backup_command_records_its_time(app, client, runner, tmp_path):
    app.config["BACKUP_MAX_AGE_HOURS"] = 26
    result = runner.invoke(args=["backup", str(tmp_path / "copy.backup")])
    assert result.exit_code == 0, result.output
    backup = client.get("/healthz").get_json()["checks"]["backup"]
    assert backup["ok"] is True and backup["age_hours"] < 0.1


def test_healthz_database_unreachable_is_503_not_500(tmp_path):
    app = make_app("postgresql+psycopg://app@127.0.0.1:9/nowhere", tmp_path / "instance")
    response = app.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["checks"]["database"] == {"ok": False, "detail": "无法连接数据库或数据库未初始化"}
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no connection details for anonymous callers


def test_healthz_schema_behind_the_migrations_is_503(app, client):
    with app.app_context():
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
        try:
            body = client.get("/healthz").get_json()
        finally:
            db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            db.session.commit()
    assert body["checks"]["migrations"]["ok"] is False and body["checks"]["migrations"]["current"] == ["0001"]
    assert "init-db" in body["checks"]["migrations"]["detail"]


def test_healthz_missing_font_is_503(app, client):
    app.config["PDF_FONTS"] = {"body": "/nonexistent/font.ttc"}
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["font"]["ok"] is False
