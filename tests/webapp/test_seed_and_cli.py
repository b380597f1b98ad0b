"""seed-demo, users create, users token, check, backup."""
import re

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditEvent, CatalogItem, Unit, User
from webapp.services.accounts import hash_token, user_for_token


def _read(path) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _counts():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Unit, CatalogItem, User)}


def test_seed_demo_loads_everything_once(app, runner):
    with app.app_context():
        db.session.execute(User.__table__.delete())
        db.session.commit()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    creds = app.instance_path + "/demo-credentials.txt"
    text = _read(creds)
    with app.app_context():
        counts = _counts()
        assert counts == {"Unit": 24, "CatalogItem": 39, "User": 6}
        roles = set(db.session.scalars(select(User.role)))
        assert roles == {"staff", "reviewer", "admin", "viewer"}
        legal = db.session.scalar(select(Unit).where(Unit.is_legal_review))
        assert legal.name == "政策法规科"
    passwords = re.findall(r"^reviewer\t(\S+)\t", text, re.M)
    assert len(passwords) == 1 and passwords[0] in first.output  # printed once and stored
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "用户 +0" in second.output
    with app.app_context():
        assert _counts() == counts
    assert _read(creds) == text  # no new passwords


def test_seed_demo_passwords_work(app, runner, client):
    with app.app_context():
        db.session.execute(User.__table__.delete())
        db.session.commit()
    runner.invoke(args=["seed-demo"])
    line = _read(app.instance_path + "/demo-credentials.txt").splitlines()[1]
    username, password = line.split("\t")[:2]
    from tests.conftest import AuthActions

    assert AuthActions(client).login(username, password).status_code == 302


def test_cli_users_create_reads_password_from_stdin(app, runner):
    result = runner.invoke(args=["users", "create", "wang", "--role", "reviewer", "--unit", "政策法规科",
                                 "--display-name", "王审"], input="a-long-password\n")
    assert result.exit_code == 0, result.output
    assert "a-long-password" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "wang"))
        assert user.role == "reviewer" and user.unit.name == "政策法规科" and user.display_name == "王审"
        assert user.check_password("a-long-password")
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == user.id,
                                                          AuditEvent.entity == "user")).action == "create"


def test_cli_users_create_errors_are_one_line(runner):
    result = runner.invoke(args=["users", "create", "x", "--role", "staff", "--unit", "火星科"], input="long-enough\n")
    assert result.exit_code != 0
    assert "单位不存在" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["users", "create", "x", "--role", "boss", "--unit", "办公室"], input="long-enough\n")
    assert result.exit_code == 2


def test_cli_users_token_prints_token_last_and_stores_hash(app, runner):
    result = runner.invoke(args=["users", "token", "staff"])
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("gd_") and len(token) > 30
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "staff"))
        assert user.api_token_hash == hash_token(token) and token not in user.api_token_hash
        assert user_for_token(token).username == "staff"
    again = runner.invoke(args=["users", "token", "staff"]).stdout.strip().splitlines()[-1]
    with app.app_context():
        assert user_for_token(token) is None  # the old token stops working
        assert user_for_token(again).username == "staff"
    runner.invoke(args=["users", "token", "staff", "--revoke"])
    with app.app_context():
        assert user_for_token(again) is None


def test_cli_users_token_unknown_user(runner):
    result = runner.invoke(args=["users", "token", "ghost"])
    assert result.exit_code == 1 and "用户不存在" in result.output


def test_cli_check_passes_on_migrated_database(runner):
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output


def test_cli_check_reports_missing_font_in_one_line(app, runner):
    app.config["PDF_FONTS"]["heading"] = "/nonexistent/font.ttf"
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert 'PDF_FONTS["heading"]' in result.output


def test_cli_unreachable_database_is_one_clear_line(tmp_path):
    from tests.conftest import make_app

    bad = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path / "i")
    result = bad.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert "无法连接数据库" in result.output and "DATABASE_URL" in result.output
    assert "Traceback" not in result.output


def test_cli_backup_writes_a_consistent_copy_and_never_overwrites(app, runner, tmp_path):
    target = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        import sqlite3

        copy = sqlite3.connect(target)
        assert copy.execute("SELECT count(*) FROM catalog_item").fetchone()[0] == 39
        assert copy.execute("SELECT count(*) FROM user_account").fetchone()[0] == 6
        copy.close()
    else:
        assert target.read_bytes()[:5] == b"PGDMP"  # pg_dump custom format
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 1 and "不会覆盖" in again.output
