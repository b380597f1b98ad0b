"""Command line: flask --app webapp init-db | seed-demo | users … | check | backup | restore | archive | verify | worker | db-roles."""
from __future__ import annotations

import getpass
import os
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
    app.cli.add_command(restore)
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
    click.echo("正式使用时，第一个管理员用 flask --app webapp users create 用户名 --role admin --unit 单位 创建；"
               "其余用户由管理员在“用户管理”（/admin/users）中创建。")


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
    """Write a consistent copy of the database to PATH (SQLite file or pg_dump archive), and PATH.json
    beside it (its SHA-256, schema version and the audit chain's head)."""
    from webapp.restore import chain_head, libpq_command, migration_heads, write_sidecar

    url = db.engine.url
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"目标文件已存在：{target}（不会覆盖）")
    head = chain_head()  # before the copy: the copy holds at least this chain
    if url.get_backend_name() == "sqlite":
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # a copy of everything: owner-only
        source = sqlite3.connect(url.database)
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        source.close()
        dest.close()
    else:
        argv, env = libpq_command("pg_dump", url, "--format=custom", f"--file={target}")
        result = subprocess.run(argv, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise click.ClickException(f"pg_dump 失败：{result.stderr.strip()}")
        os.chmod(target, 0o600)
    sidecar = write_sidecar(target, engine=url.get_backend_name(), migrations=sorted(migration_heads(current_app)),
                            head=head)
    from webapp.health import record_backup

    record_backup(current_app.instance_path, target)  # /healthz reports the backup's age
    click.echo(f"已备份到 {target}（说明文件 {sidecar.name}" + (f"，审计链头 {head[0]}，共 {head[1]} 条）" if head else "）"))


@click.command("restore")
@with_appcontext
@click.argument("backup_path", metavar="BACKUP", type=click.Path(exists=True, dir_okay=False))
@click.option("--last-issued", type=click.IntRange(min=1), default=None,
              help="已知发出的最大文号（如纸质登记簿上的），编号从它和号码日志中较大者之后继续")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="--last-issued 所属年度（默认今年）")
@click.option("--into", "into_url", default=None,
              help="PostgreSQL：恢复到这个新建的空数据库（postgresql://用户@主机/新库名）")
def restore(backup_path: str, last_issued: int | None, year: int | None, into_url: str | None):
    """Restore BACKUP (server stopped): check it, keep the current database aside, never reissue a number."""
    from datetime import datetime

    from rules.model import SHANGHAI

    from webapp.instance_lock import InstanceBusy, exclusive_lock
    from webapp.restore import RestoreRefused, continue_after_restore, restore_postgres, restore_sqlite

    year = year or datetime.now(SHANGHAI).year
    backup_file = Path(backup_path)
    journal = Path(current_app.config["NUMBER_JOURNAL"])
    if not journal.is_file() and last_issued is None:
        raise click.ClickException(f"未恢复：号码日志 {journal} 不存在，无法知道备份之后发出过哪些文号。"
                                   "请找回该文件（或设置 NUMBER_JOURNAL），或用 --last-issued 给出已发出的最大文号")
    engine = db.engine.url.get_backend_name()
    say = lambda message: click.echo(f"… {message}", err=True)  # noqa: E731
    try:
        with exclusive_lock(current_app.instance_path):
            if engine == "sqlite":
                if into_url:
                    raise RestoreRefused("--into 只用于 PostgreSQL；SQLite 备份恢复到当前数据库文件的位置")
                result = restore_sqlite(current_app, backup_file, progress=say)
                target_app = current_app
            else:
                if not into_url:
                    raise RestoreRefused("PostgreSQL：请用 --into 指定新建的空数据库（见 README“Backup, restore, verify”）")
                result, target_app = restore_postgres(current_app, backup_file, into_url, progress=say)
            skipped = continue_after_restore(target_app, last_issued=last_issued, year=year)
    except InstanceBusy as exc:
        raise click.ClickException(str(exc)) from None
    except RestoreRefused as exc:
        raise click.ClickException(f"未恢复：{exc.message}") from None
    for moved in result.aside:
        click.echo(f"原数据库文件已保留为 {moved}")
    for gap in skipped:
        click.echo(f"{gap.year} 年第 {gap.first}–{gap.last} 号已跳过（备份之后已发出），下一个文号为第 {gap.last + 1} 号；"
                   "已记入审计并显示在登记簿的号段说明中")
    if not skipped:
        click.echo("号码日志中没有比备份更大的文号：编号照常继续")
    click.echo(f"已恢复到 {result.database}")
    if engine != "sqlite":
        click.echo("下一步：把 DATABASE_URL 改为上面的新数据库，再启动服务（见 README“Backup, restore, verify”）")


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
    from webapp.instance_lock import InstanceBusy, hold_serving_lock, release_serving_lock
    import webapp.services.impact  # noqa: F401 — registers the impact job
    from webapp.services.jobs import work

    try:
        hold_serving_lock(current_app.instance_path)  # `flask restore` waits for the worker to stop
    except InstanceBusy as exc:
        raise click.ClickException(str(exc)) from None

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
        release_serving_lock()
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
