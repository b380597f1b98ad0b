"""`python -m rules check|list` — the stable CLI of SPEC §4."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from .catalog import Catalog, load_catalog
from .engine import RULESET, evaluate
from .history import ListHistory
from .model import SHANGHAI
from .vocabulary import PHASE, PRINCIPLES, SEVERITY


class InputError(Exception):
    """Unreadable input: exit status 2 with a one-line Chinese + English message."""


def _read_json(path: str, what_zh: str, what_en: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"无法读取{what_zh} {path} (cannot read {what_en}): {exc}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{what_zh} {path} 不是有效的 JSON ({what_en} is not valid JSON): {exc}") from exc


def _catalog(path: str | None) -> Catalog:
    if path is None:
        return load_catalog()
    data = _read_json(path, "目录文件", "catalog file")
    try:
        if not isinstance(data, list):
            raise ValueError("not a JSON list")
        return Catalog(data)
    except Exception as exc:  # noqa: BLE001 — any malformed item makes the catalog unreadable
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"目录文件 {path} 格式不正确 (malformed catalog): {first_line}") from exc


def _history(path: str | None) -> ListHistory | None:
    if path is None:
        return None
    data = _read_json(path, "历史记录文件", "history file")
    if not isinstance(data, list):
        raise InputError(f"历史记录文件 {path} 应为记录列表 (history must be a JSON list)")
    return ListHistory([e for e in data if isinstance(e, dict)])


def _now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--now 不是有效的 ISO 8601 时间 (invalid --now): {text}") from exc
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def _write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.flush()


def check(args: argparse.Namespace) -> int:
    data = _read_json(args.file, "记录文件", "record file")
    catalog = _catalog(args.catalog)
    history = _history(args.history)
    now = _now(args.now) or datetime.now(SHANGHAI)
    records = data if isinstance(data, list) else [data]
    reports = [evaluate(r, phase=args.phase, catalog=catalog, history=history, now=now).to_dict()
               for r in records]
    _write(json.dumps(reports if isinstance(data, list) else reports[0],
                      ensure_ascii=False, indent=2))
    return 0


def _pad(text: str, width: int) -> str:
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - shown)


def list_rules(args: argparse.Namespace) -> int:
    rules = [r.model_dump() for r in RULESET.rules]
    if args.json:
        _write(json.dumps({"version": RULESET.version, "rules": rules}, ensure_ascii=False, indent=2))
        return 0
    lines = [f"行政指导校验规则 ruleset {RULESET.version}（共 {len(rules)} 条）", ""]
    header = _pad("编号 id", 36) + _pad("原则 principle", 18) + _pad("级别 severity", 16) + "环节 phase"
    lines += [header, "-" * 80]
    for r in rules:
        principle = f"{r['principle']} {PRINCIPLES[r['principle']]}"
        severity = f"{r['severity']} {SEVERITY[r['severity']]}"
        lines.append(_pad(r["id"], 36) + _pad(principle, 18) + _pad(severity, 16)
                     + f"{r['phase']} {PHASE[r['phase']]}")
        lines.append(f"    提示：{r['message']}")
        lines.append(f"    依据：{r['source']}")
    _write("\n".join(lines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rules", description="行政指导记录校验 (guidance record validator)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="校验记录 check records (JSON)")
    p_check.add_argument("file", metavar="FILE.json")
    p_check.add_argument("--catalog", metavar="CATALOG.json")
    p_check.add_argument("--history", metavar="HISTORY.json")
    p_check.add_argument("--phase", choices=("submit", "close"), default="submit")
    p_check.add_argument("--now", metavar="ISO8601")
    p_check.set_defaults(run=check)
    p_list = sub.add_parser("list", help="列出规则 list the rule set")
    p_list.add_argument("--json", action="store_true")
    p_list.set_defaults(run=list_rules)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as exc:
        print(f"错误 error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
