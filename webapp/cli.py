"""Command line: flask --app webapp init-db | seed-demo | users … | check | backup | archive | verify | worker | db-roles."""
from __future__ import annotations

import getpass
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from webapp.extensions import db
from webapp.models.user import ROLES
from webapp.services import DomainError

users_cli = AppGroup("users", help="管理用户 / manage users")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(check)
    app.cli.add_command(backup)
    app.cli.add_command(users_cli)
    app.cli.add_command(archive)
    app.cli.add_command(verify)
    app.cli.add_command(worker)
    app.cli.add_command(db_roles)


def _database_problem(exc: Exception) -> click.ClickException:
    url = db.engine.url.render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return click.ClickException(f"无法连接数据库 {url}（{detail}）：请检查 DATABASE_URL 与数据库服务")


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the schema to the newest migration."""
    from flask_migrate import upgrade

    try:
        with db.engine.connect():
            pass
        upgrade()
    except OperationalError as exc:
        raise _database_problem(exc) from None
    click.echo("数据库已升级到最新版本。")


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load units, the 39 catalog items and one demo user per role (idempotent)."""
    from webapp.services.seed import seed_demo as run_seed

    creds = Path(current_app.instance_path) / "demo-credentials.txt"
    try:
        result = run_seed(creds)
    except OperationalError as exc:
        raise _database_problem(exc) from None
    click.echo(f"单位 +{result['units']}，目录事项 +{result['catalog_items']}，用户 +{len(result['users'])}")
    for username, password, role, unit in result["users"]:
        click.echo(f"  {username} / {password}  （{ROLES[role]}，{unit}）")
    if result["users"]:
        click.echo(f"演示账号已保存到 {creds}")


@click.command("check")
@with_appcontext
def check():
    """Preflight: database reachable and migrated, PDF font usable."""
    from webapp.startup import preflight

    problems = preflight(current_app)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        sys.exit(1)
    click.echo("检查通过 / all checks passed")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path: str):
    """Write a consistent copy of the database to PATH (SQLite file or pg_dump archive)."""
    url = db.engine.url
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"目标文件已存在：{target}（不会覆盖）")
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        source.close()
        dest.close()
    else:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        result = subprocess.run(["pg_dump", "--format=custom", "--file", str(target), plain],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise click.ClickException(f"pg_dump 失败：{result.stderr.strip()}")
    from webapp.health import record_backup

    record_backup(current_app.instance_path, target)  # /healthz reports the backup's age
    click.echo(f"已备份到 {target}")


@users_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="staff | reviewer | admin | viewer")
@click.option("--unit", "unit_name", required=True, help="单位名称，如 政策法规科")
@click.option("--display-name", default=None, help="显示姓名")
def users_create(name: str, role: str, unit_name: str, display_name: str | None):
    """Create a user; the password is read from standard input, never from arguments."""
    if sys.stdin.isatty():
        password = getpass.getpass("密码: ")
        if getpass.getpass("再次输入密码: ") != password:
            raise click.ClickException("两次输入的密码不一致")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    from webapp.services.accounts import create_user

    try:
        user = create_user(username=name, password=password, role=role, unit_name=unit_name,
                           display_name=display_name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    except SQLAlchemyError as exc:
        raise _database_problem(exc) from None
    click.echo(f"已创建用户 {user.username}（{ROLES[role]}，{unit_name}）")


@users_cli.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="撤销该用户的 API 令牌")
def users_token(name: str, revoke: bool):
    """Print a new API token for NAME (shown once; only its hash is stored)."""
    from webapp.services.accounts import issue_api_token, revoke_api_token

    try:
        if revoke:
            revoke_api_token(name)
            click.echo(f"已撤销 {name} 的 API 令牌")
            return
        token = issue_api_token(name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{name} 的新 API 令牌（只显示这一次，旧令牌已失效）:", err=True)
    click.echo(token)


@click.command("archive")
@with_appcontext
@click.argument("year")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--unit", default=None, help="只归档该单位的记录（单位名称）")
@click.option("--by", "username", default=None, help="以该用户的名义归档（写入 bag-info 和审计记录）")
def archive(year: str, out: str, unit: str | None, username: str | None):
    """Write the year's BagIt archive package (zip) to OUT."""
    from webapp.services import queries
    from webapp.services.archive import build_archive, read_scope

    try:
        scope = read_scope(year, unit)
        user = queries.user_by_username(username) if username else None
        if username and user is None:
            raise click.ClickException(f"没有用户 {username}")
        summary = build_archive(scope, Path(out), user=user,
                                progress=lambda percent, message: click.echo(f"[{percent:3d}%] {message}", err=True))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"已生成 {summary.path}：{scope.words()}，记录 {summary.records} 条，文书 {summary.documents} 份，"
               f"附件 {summary.attachments} 个；SHA-256 {summary.sha256}")


@click.command("verify")
@with_appcontext
@click.option("--archive", "archive_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="校验一个档案包（zip）并与数据库核对")
@click.option("--since-head", "since_head", default=None, metavar="HASH[:COUNT]",
              help="核对此前记下的审计链头（备份、档案包中记录的）仍在审计链的原位置")
@click.option("--repair", is_flag=True, help="先补全缺少文书的已备案、办结、作废记录，再校验")
def verify(archive_path: str | None, since_head: str | None, repair: bool):
    """Check the audit chain, every record against its last audit event, the number sequences and every
    stored file (or an archive package); print the chain head; exit 1 on any break."""
    from webapp.services.verify import verify_all, verify_archive

    report = verify_archive(Path(archive_path)) if archive_path else verify_all(since_head=since_head, repair=repair)
    for line in report.notes:
        click.echo(f"说明：{line}")
    for line in report.problems:
        click.echo(f"不一致：{line}", err=True)
    names = {"events": "审计事件", "records": "记录", "documents": "文书", "attachments": "附件"}
    counted = "，".join(f"{names[k]} {n}" for k, n in sorted(report.checked.items()))
    if report.head is not None:
        click.echo(f"审计链头：{report.head[0]}:{report.head[1]}（哈希:事件数）")
    if report.problems:
        click.echo(f"校验未通过：{len(report.problems)} 处不一致（已检查 {counted or '0'}）", err=True)
        sys.exit(1)
    click.echo(f"校验通过：{counted or '没有需要检查的内容'}，全部一致")


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="处理完队列中的任务后退出")
def worker(once: bool):
    """Run background jobs (the year archive from the page) until stopped (Ctrl-C / SIGTERM)."""
    import signal

    import webapp.services.archive  # noqa: F401 — registers the archive job
    from webapp.services.jobs import work

    stopping = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))  # finish the job in hand, then stop
    click.echo("后台任务程序已启动（Ctrl-C 退出）", err=True)
    try:
        done = work(poll_seconds=float(current_app.config["WORKER_POLL_SECONDS"]), stop=lambda: bool(stopping),
                    once=once)
    except KeyboardInterrupt:
        done = None
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("后台任务程序已退出" + (f"（完成 {done} 个任务）" if done is not None else ""), err=True)


@click.command("db-roles")
@with_appcontext
@click.argument("app_role")
def db_roles(app_role: str):
    """PostgreSQL: grant APP_ROLE only what the app needs (run as the schema owner after init-db)."""
    from webapp.services.db_roles import grant_app_role

    try:
        with db.engine.begin() as conn:
            statements = grant_app_role(conn, app_role)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    except SQLAlchemyError as exc:
        raise _database_problem(exc) from None
    click.echo(f"已为角色 {app_role} 设置权限（{len(statements)} 条语句）：不能清空、改表结构，不能删除记录与审计，不能改写审计")
