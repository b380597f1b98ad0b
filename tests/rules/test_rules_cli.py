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
    assert finding["field"] == "admonition_conditions"  # one finding names the missing conditions
    assert "尚未确认：无主观故意）" in finding["message"]
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


def _spec(**changes):
    result = json.loads(json.dumps(SPEC_EXAMPLE))
    result.update(changes)
    return result


_OTHER = {"name": "周村某置业有限公司", "kind": "organization", "id_number": "91440300708461136T",
          "contact": "赵经理", "phone": "13905331111"}


def test_check_normalises_records_and_history(tmp_path):
    """SPEC §4 Details (2026-11-30) through the CLI: one normalisation for records and history."""
    abc = {"name": "ＡＢＣ建材（淄博）有限公司", "kind": "organization", "phone": "13905332222"}
    ceramics = {"name": "淄博某陶瓷有限公司", "kind": "organization", "phone": "13905333333"}
    history = [
        _spec(guided_at="2026-05-01T10:00:00", status="已备案"),
        _spec(guided_at="2026-05-01T10:00:00", target=abc),  # no status: counts as filed
        _spec(guided_at="2026-05-01T10:00:00", target=ceramics, status="已作废"),
    ]
    cases = [
        (_spec(), ["lawful.repeat-admonition"]),  # 已备案 counts
        (_spec(target=dict(abc, name=" abc建材 (淄博) 有限公司")), ["lawful.repeat-admonition"]),
        (_spec(target=ceramics), []),  # 已作废 does not
        (_spec(target=_OTHER, catalog_code=" zd-td-03 "), []),  # the known item
        (_spec(target=_OTHER, officers=["张明", "张明"]), ["lawful.single-officer"]),
        (_spec(target=_OTHER, initiated_by="application", applied_at=""),
         ["convenient.applied-at-missing"]),
        (_spec(target=_OTHER, initiated_by="依申请", applied_at="2026-11-20T11:00:00+08:00"),
         ["convenient.applied-after-guided"]),
    ]
    done = run("check", write(tmp_path / "r.json", [r for r, _ in cases]), "--now", NOW,
               "--history", write(tmp_path / "h.json", history))
    assert done.returncode == 0, done.stderr
    reports = json.loads(done.stdout)
    assert [[f["rule"] for f in r["findings"]] for r in reports] == [rules for _, rules in cases]
    applied = reports[-1]["findings"][0]
    assert applied["severity"] == "error" and applied["field"] == "applied_at"
    assert "申请时间" in applied["message"]


def test_check_close_phase_ignores_submit_time_formats(tmp_path):
    raw = _spec(result="adopted", effect="当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。",
                contact_phone="6180000", target=dict(_OTHER, id_number="914403007084611", phone="1"))
    submit = json.loads(run("check", write(tmp_path / "r.json", raw), "--now", NOW).stdout)
    close = json.loads(run("check", str(tmp_path / "r.json"), "--now", NOW, "--phase", "close").stdout)
    assert {"input.phone", "input.org-id-format"} <= {f["rule"] for f in submit["findings"]}
    assert close["outcome"] == "clean" and close["findings"] == []
