"""/healthz for monitoring: database reachable and at the newest migration, PDF font present, last
backup recent enough. No login; 200 when all hold, 503 (with the failing checks) otherwise."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db

bp = Blueprint("health", __name__)
BACKUP_RECORD = "last-backup.json"  # in the instance folder, written by `flask backup`


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def record_backup(instance_path: str, target: Path, *, at: datetime | None = None) -> None:
    """Note when and where the last backup was written (replaced atomically)."""
    at = at or datetime.now(timezone.utc)
    entry = {"at": at.isoformat(timespec="seconds"), "file": target.name, "bytes": target.stat().st_size}
    record = Path(instance_path) / BACKUP_RECORD
    partial = record.with_suffix(".tmp")
    partial.write_text(json.dumps(entry), encoding="utf-8")
    os.replace(partial, record)


def last_backup(instance_path: str) -> dict | None:
    try:
        entry = json.loads((Path(instance_path) / BACKUP_RECORD).read_text(encoding="utf-8"))
        entry["at"] = datetime.fromisoformat(entry["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return entry


def _migration_heads() -> set[str]:
    heads = current_app.extensions.get("guidance.migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        config = current_app.extensions["migrate"].migrate.get_config()
        heads = current_app.extensions["guidance.migration_heads"] = set(
            ScriptDirectory.from_config(config).get_heads())
    return heads


def check_database() -> tuple[dict, dict]:
    heads = _migration_heads()
    try:
        with db.engine.connect() as conn:
            current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError as exc:
        current_app.logger.warning("healthz: database check failed: %s", str(getattr(exc, "orig", exc)).strip())
        return ({"ok": False, "detail": "无法连接数据库或数据库未初始化"},
                {"ok": False, "detail": "无法读取迁移版本", "head": sorted(heads)})
    migrations = {"ok": current == heads, "current": sorted(current), "head": sorted(heads)}
    if not migrations["ok"]:
        migrations["detail"] = "数据库不是最新版本：请运行 flask --app webapp init-db"
    return {"ok": True}, migrations


def check_font() -> dict:
    from webapp.startup import check_font as font_problem

    problem = font_problem(current_app)
    return {"ok": True} if problem is None else {"ok": False, "detail": problem}


def check_backup(now: datetime | None = None) -> dict:
    max_hours = current_app.config["BACKUP_MAX_AGE_HOURS"]
    entry = last_backup(current_app.instance_path)
    if entry is None:
        return {"ok": not max_hours, "last": None, "detail": "尚无备份记录（flask --app webapp backup）"}
    age = ((now or datetime.now(timezone.utc)) - entry["at"]).total_seconds() / 3600
    result = {"ok": not max_hours or age <= max_hours, "last": entry["at"].isoformat(),
              "age_hours": round(age, 1), "max_age_hours": max_hours}
    if not result["ok"]:
        result["detail"] = f"最近一次备份已超过 {max_hours} 小时"
    return result


@bp.get("/healthz")
def healthz():
    database, migrations = check_database()
    checks = {"database": database, "migrations": migrations, "font": check_font(), "backup": check_backup()}
    ok = all(check["ok"] for check in checks.values())
    return jsonify({"status": "ok" if ok else "fail", "checks": checks}), 200 if ok else 503
