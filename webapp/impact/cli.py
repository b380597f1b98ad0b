"""flask --app webapp rules impact --catalog DRAFT.json [--params DRAFT.toml] [--years 2025-2026]."""
from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from rules.model import SHANGHAI
from rules.vocabulary import OUTCOME

from webapp.services import DomainError

rules_cli = AppGroup("rules", help="规则与目录草稿的影响分析 / rule-set tools")


@rules_cli.command("impact")
@click.option("--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="目录清单草稿（catalog.json 格式）；省略则用现行目录")
@click.option("--params", "params_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="规则参数草稿（TOML：每条规则一个表，如 [\"reasonable.burden\"] min_records = 2）")
@click.option("--years", default=None, help="指导年度范围，如 2025-2026（默认：去年到今年）")
@click.option("--workers", type=int, default=None, help="进程数（默认：全部 CPU 核）")
def impact_command(catalog_path: str | None, params_path: str | None, years: str | None, workers: int | None):
    """Print which records would get another outcome under the draft (changes nothing)."""
    from webapp.services import impact

    if catalog_path is None and params_path is None:
        raise click.UsageError("请至少给出 --catalog 或 --params 之一。")
    try:
        items = json.loads(Path(catalog_path).read_text(encoding="utf-8")) if catalog_path else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"目录清单草稿不是有效的 JSON：{exc}") from None
    try:
        params = tomllib.loads(Path(params_path).read_text(encoding="utf-8")) if params_path else None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"规则参数草稿不是有效的 TOML：{exc}") from None
    if years is None:
        this = datetime.now(SHANGHAI).year
        years = f"{this - 1}-{this}"
    try:
        result = impact.compute(items, params, impact.read_years(years), workers=workers)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    for line in impact.summary_lines(result):
        click.echo(line)
    for change in result.changes[:50]:
        rules_changed = " ".join([f"+{r}" for r in change["added"]] + [f"-{r}" for r in change["removed"]])
        click.echo(f"  记录 {change['id']} {change['number'] or ''} {change['unit']}："
                   f"{OUTCOME[change['before']]}→{OUTCOME[change['after']]} {rules_changed}")
    if result.changed > 50:
        click.echo(f"  ……共 {result.changed:,} 条")
