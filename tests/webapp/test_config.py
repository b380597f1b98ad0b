"""Configuration layering: defaults → instance/config.py → FLASK_* environment."""
import pytest

from webapp import StartupError, create_app


def test_config_defaults_then_instance_file_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text(
        'BUREAU_NAME = "测试区自然资源局"\nPAGE_SIZE = 20\nDOCUMENT_NUMBER_PREFIX = "文件书"\n', encoding="utf-8")
    monkeypatch.setenv("FLASK_PAGE_SIZE", "30")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(instance_path=str(instance))
    assert app.config["BUREAU_NAME"] == "测试区自然资源局"  # from the instance file
    assert app.config["PAGE_SIZE"] == 30  # the environment wins over the file
    assert app.config["DOCUMENT_NUMBER_PREFIX"] == "文件书"
    assert app.config["SQLITE_BUSY_TIMEOUT_MS"] == 15000  # a default nobody overrode


def test_config_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(instance_path=str(tmp_path / "inst"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "inst" / "guidance.sqlite")


def test_config_database_url_selects_postgresql_with_psycopg(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bureau@db.example/guidance")
    app = create_app(instance_path=str(tmp_path / "inst"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://bureau@db.example/guidance"


def test_config_secret_key_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    inst = tmp_path / "inst"
    first = create_app(instance_path=str(inst)).config["SECRET_KEY"]
    second = create_app(instance_path=str(inst)).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (inst / "secret_key").read_text() == first
    assert oct((inst / "secret_key").stat().st_mode)[-3:] == "600"
    other = create_app(instance_path=str(tmp_path / "other")).config["SECRET_KEY"]
    assert other != first


def test_config_unwritable_instance_folder_is_one_clear_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StartupError) as excinfo:
        create_app(instance_path=str(blocker / "inst"))
    message = str(excinfo.value)
    assert "实例目录" in message and "\n" not in message


@pytest.mark.sqlite_only
def test_config_sqlite_connection_pragmas(app):
    from webapp.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_config_session_cookie_is_httponly_and_lax(client, auth):
    response = auth.login()
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_config_secure_cookie_when_configured_for_https(app, client, auth):
    app.config["SESSION_COOKIE_SECURE"] = True
    cookie = auth.login().headers.get("Set-Cookie")
    assert "Secure" in cookie and "HttpOnly" in cookie
