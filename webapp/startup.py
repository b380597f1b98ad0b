"""Preflight checks with one clear line per problem (used by `flask check` and wsgi.py)."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

from webapp.extensions import db


def preflight(app: Flask) -> list[str]:
    problems: list[str] = []
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                damage = integrity_problems(conn, quick=True)
            if damage:
                problems.append(damage_message(url, damage[0]))
            elif not inspect(db.engine).has_table("alembic_version"):
                problems.append(f"数据库 {url} 尚未初始化：请运行 flask --app webapp init-db")
        except DatabaseError as exc:
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            if "malformed" in detail or "not a database" in detail:  # SQLite's words for a damaged file
                problems.append(damage_message(url, detail))
            else:
                problems.append(f"无法连接数据库 {url}（{detail}）：请检查 DATABASE_URL 与数据库服务")
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            problems.append(f"无法连接数据库 {url}（{detail}）：请检查 DATABASE_URL 与数据库服务")
    font_problem = check_font(app)
    if font_problem:
        problems.append(font_problem)
    files_problem = check_files_folder(app)
    if files_problem:
        problems.append(files_problem)
    return problems


def damage_message(url: str, detail: str) -> str:
    return (f"数据库 {url} 已损坏（{detail}）：请勿启动；按 README“Backup, restore, verify”"
            "用 flask --app webapp restore 恢复最近的备份")


def integrity_problems(conn, *, quick: bool) -> list[str]:
    """SQLite's own page-level check ("ok" or the damage found); PostgreSQL checks its pages itself."""
    if conn.dialect.name != "sqlite":
        return []
    pragma = "quick_check" if quick else "integrity_check"
    lines = [row[0] for row in conn.exec_driver_sql(f"PRAGMA {pragma}(20)")]
    return [] if lines == ["ok"] else lines


def check_files_folder(app: Flask) -> str | None:
    """Stored documents and attachments need a writable FILES_FOLDER (possibly a shared mount)."""
    import os

    folder = app.config["FILES_FOLDER"]
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        return f"无法创建文件目录 {folder}（{exc.strerror}）：请创建该目录（或挂载共享目录）并授予写权限"
    if not os.access(folder, os.W_OK):
        return f"文件目录 {folder} 不可写：请授予运行用户写权限（FILES_FOLDER）"
    return None


def check_font(app: Flask) -> str | None:
    from webapp.pdf import FontError, find_fonts

    try:
        find_fonts(app.config["PDF_FONTS"])
    except FontError as exc:
        return str(exc)
    return None
