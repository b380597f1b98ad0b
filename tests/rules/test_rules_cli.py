"""`python -m rules` run for real in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import rules
from rules import RULESET, load_catalog

from .rules_testdata import SPEC_EXAMPLE, record

PROJECT_ROOT = Path(rules.__file__).resolve().parents[1]
NOW = "2026-11-27T09:00:00+08:00"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rules", *args], capture_output=True,
                          cwd=PROJECT_ROOT, timeout=60)


def write(path: Path, data) -> str:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_check_one_record(tmp_path):
    done = run("check", write(tmp_path / "r.json", SPEC_EXAMPLE), "--now", NOW)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.decode("utf-8"))
    assert report == {"outcome": "clean", "phase": "submit", "ruleset": RULESET.version,
                      "findings": []}


def test_check_list_of_records_exit_0_whatever_the_outcome(tmp_path):
    records = [SPEC_EXAMPLE, record({"admonition_conditions.no_intent": False}), "nonsense"]
    done = run("check", write(tmp_path / "r.json", records), "--now", NOW)
    assert done.returncode == 0
    reports = json.loads(done.stdout)
    assert [r["outcome"] for r in reports] == ["clean", "blocked", "blocked"]
    finding = reports[1]["findings"][0]
    assert finding["rule"] == "lawful.admonition-conditions"
    assert finding["field"] == "admonition_conditions.no_intent"
    assert "不得以行政指导代替行政执法" in done.stdout.decode("utf-8")  # UTF-8, not \\u escapes


def test_check_with_catalog_having_unpublished_item(tmp_path):
    items = [i.model_dump(mode="json") for i in load_catalog().items]
    for item in items:
        item["methods"] = sorted(item["methods"])
        item["stages"] = sorted(item["stages"])
        if item["code"] == "ZD-TD-03":
            item["published"] = False
    done = run("check", write(tmp_path / "r.json", SPEC_EXAMPLE), "--now", NOW,
               "--catalog", write(tmp_path / "c.json", items))
    report = json.loads(done.stdout)
    assert done.returncode == 0
    assert [f["rule"] for f in report["findings"]] == ["fair_open.item-published"]


def test_check_with_history_gives_repeat_admonition_warning(tmp_path):
    earlier = dict(SPEC_EXAMPLE, guided_at="2026-05-01T10:00:00")
    voided = dict(SPEC_EXAMPLE, guided_at="2026-06-01T10:00:00", status="voided")
    done = run("check", write(tmp_path / "r.json", SPEC_EXAMPLE), "--now", NOW,
               "--history", write(tmp_path / "h.json", [earlier, voided]))
    report = json.loads(done.stdout)
    assert report["outcome"] == "review"
    assert [f["rule"] for f in report["findings"]] == ["lawful.repeat-admonition"]


def test_check_phase_close(tmp_path):
    done = run("check", write(tmp_path / "r.json", {"result": "pending", "effect": "良好"}),
               "--phase", "close")
    report = json.loads(done.stdout)
    assert report["phase"] == "close" and report["outcome"] == "blocked"
    assert [f["field"] for f in report["findings"]] == ["result", "effect"]


def test_check_now_decides_future_guidance(tmp_path):
    path = write(tmp_path / "r.json", SPEC_EXAMPLE)
    early = json.loads(run("check", path, "--now", "2026-11-20T09:00:00").stdout)
    assert [f["rule"] for f in early["findings"]] == ["lawful.guided-at-range"]


@pytest.mark.parametrize("content, extra", [
    (None, []),
    ("{not json", []),
    ("{}", ["--now", "yesterday"]),
    ("{}", ["--catalog", "/nonexistent/catalog.json"]),
    ("{}", ["--catalog", "CATALOG_NOT_A_LIST"]),
])
def test_unreadable_input_exits_2_with_one_line_message(tmp_path, content, extra):
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    if "CATALOG_NOT_A_LIST" in extra:
        extra = ["--catalog", write(tmp_path / "c.json", {"code": "x"})]
    done = run("check", str(path), *extra)
    assert done.returncode == 2
    assert done.stdout == b""
    message = done.stderr.decode("utf-8").strip()
    assert len(message.splitlines()) == 1 and "错误" in message and "error" in message


def test_list_table_and_json():
    table = run("list")
    assert table.returncode == 0
    text = table.stdout.decode("utf-8")
    for rule in RULESET.rules:
        assert rule.id in text and rule.source in text
    data = json.loads(run("list", "--json").stdout)
    assert data["version"] == RULESET.version
    assert [r["id"] for r in data["rules"]] == [r.id for r in RULESET.rules]
    assert set(data["rules"][0]) >= {"id", "principle", "severity", "phase", "message", "source"}
