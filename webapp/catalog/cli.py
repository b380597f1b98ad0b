"""flask --app webapp catalog export FILE | catalog import FILE [--dry-run] (into the draft)."""
from __future__ import annotations

from pathlib import Path

import click
from rules import vocabulary as vocab
from sqlalchemy.exc import SQLAlchemyError

from webapp.catalog import bp
from webapp.services import DomainError, queries
from webapp.services import catalog_versions as cv

bp.cli.help = "目录清单：导出、导入（导入写入草稿，发布后生效）"


def _format(path: Path, fmt: str | None) -> str:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in cv.FORMATS:
        raise click.UsageError("文件应为 .xlsx 或 .json（或用 --format 指定）")
    return fmt


@bp.cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(cv.FORMATS), help="默认按文件扩展名")
@click.option("--version", "number", type=int, help="导出已发布的第 N 版（默认导出草稿）")
def export_command(file: Path, fmt: str | None, number: int | None):
    """Write the draft (or published version N) as the xlsx sheet or catalog.json's JSON."""
    fmt = _format(file, fmt)
    try:
        items = list(cv.version(number).items) if number is not None else None
        file.write_bytes(cv.export(fmt, items))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    count = len(items) if items is not None else len(cv.draft_items())
    click.echo(f"已导出 {count} 项到 {file}（{'第%d版' % number if number else '目录草稿'}）。")


@bp.cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并列出将发生的变化，不作修改")
@click.option("--format", "fmt", type=click.Choice(cv.FORMATS), help="默认按文件扩展名")
@click.option("--user", "username", default="admin", show_default=True, help="记入审计的用户（审核员或管理员）")
def import_command(file: Path, dry_run: bool, fmt: str | None, username: str):
    """Import FILE into the draft catalog, all or nothing (publish it on /catalog/draft)."""
    fmt = _format(file, fmt)
    try:
        report = cv.import_dry_run(file, fmt)
        _print(report)
        if report.invalid:
            raise click.ClickException(f"有 {len(report.invalid)} 处问题，未作任何修改。")
        if dry_run:
            click.echo("（试运行：草稿未作修改）")
            return
        user = queries.user_by_username(username)
        if user is None or user.role not in ("reviewer", "admin"):
            raise click.ClickException(f"用户 {username} 不存在或不是审核员、管理员（--user）")
        cv.import_apply(user, file, fmt, cv.draft().revision)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    except SQLAlchemyError as exc:
        raise click.ClickException(f"数据库错误：{exc.__class__.__name__}") from None
    click.echo(f"已导入目录草稿（{len(report.items)} 项）：草稿发布后才生效，请在 /catalog/draft 发布。")


def _print(report: cv.ImportReport) -> None:
    click.echo(f"新增 {len(report.added)} 项：{'、'.join(report.added) or '无'}")
    click.echo(f"修改 {len(report.changed)} 项：")
    for code, fields in report.changed.items():
        for key, change in fields.items():
            click.echo(f"  {code} {vocab.CATALOG_FIELDS.get(key, key)}：{change['before']!r} → {change['after']!r}")
    click.echo(f"停用 {len(report.retired)} 项：{'、'.join(report.retired) or '无'}")
    for row, reason in report.invalid:
        click.echo(f"问题 {'第 %d %s' % (row, report.row_word) if row else '整个文件'}：{reason}", err=True)
