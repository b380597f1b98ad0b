"""Change impact (issue 12, point 2): the run against a direct rules.evaluate of every record,
filed records untouched, the rule-params overlay with versions, the job with progress, the CLI."""
from __future__ import annotations

import inspect
import json
import random
from datetime import date, datetime, timedelta

import pytest
import rules
from rules import checks_input, checks_principles
from rules.model import SHANGHAI
from rules.overlay import apply_overlay, overlay_problems
from sqlalchemy import select

from bench.rules_bench import make_record
from tests.webapp.records_data import user
from webapp.extensions import db
from webapp.models import GuidanceRecord, ImpactRun, Job, RulesetVersion
from webapp.services import Conflict, DomainError, impact, jobs, rule_params
from webapp.services.impact_engine import CATALOG_CHECKS
from webapp.services.records import _column_values
from webapp.services.rules_bridge import DatabaseHistory, rules_catalog, stored_reading

# A realistic draft: one item loses a method, one is retired, one changes its unit; and params.
DRAFT_PARAMS = {"voluntary.coercive-wording": {"words": [*rules.RULESET.by_id["voluntary.coercive-wording"]
                                                          .params["words"], "尽快"]},
                "reasonable.burden": {"min_records": 1},
                "effective.late-entry": {"days": 3}}
STATUSES = ("draft", "pending_review", "filed", "filed", "closed", "closed", "voided")
TARGETS = [(f"淄博测试{n}号有限公司", None) for n in range(12)]


def _draft_items() -> list[dict]:
    items = [json.loads(json.dumps(item.model_dump(mode="json"))) for item in rules_catalog().items]
    items[0]["methods"] = sorted(items[0]["methods"])[:1]
    items[1]["active"] = False
    items[2]["responsible_unit"] = "执法监督科"
    items[3]["legal_basis"] = []
    for item in items[4:12]:  # a loosening too: 劝导警示 allowed where it was not
        item["methods"] = sorted({*item["methods"], "admonition"})
    return items


def _store_varied(count: int, seed: int = 7) -> list[int]:
    """`count` varied records (errors, warnings, shared targets for the history rules), any status."""
    rng = random.Random(seed)
    staff = user("staff")
    catalog = list(rules_catalog().items)
    ids = []
    while len(ids) < count:
        raw = make_record(rng, catalog)
        if rng.random() < 0.5:
            name, _ = rng.choice(TARGETS)
            raw["target"] = {**raw["target"], "name": name, "id_number": None}
        reading = rules.read_record(raw)
        if reading.structural:
            continue
        status = rng.choice(STATUSES)
        record = GuidanceRecord(status=status, version=1, owner_unit_id=staff.unit_id, created_by_id=staff.id,
                                officers=[], legal_basis=[])
        record.apply_interchange(_column_values(reading))
        if status != "draft" and record.guided_at is not None:
            record.submitted_at = record.guided_at + timedelta(hours=rng.choice([2, 30, 24 * 9, 24 * 40]))
        db.session.add(record)
        db.session.flush()
        ids.append(record.id)
    db.session.commit()
    return ids


def _direct(catalog, ruleset, record: GuidanceRecord, now: datetime) -> str:
    return rules.evaluate(stored_reading(record), catalog=catalog, history=DatabaseHistory(record.id),
                          now=record.submitted_at or now, ruleset=ruleset).outcome


def _loosening_items() -> list[dict]:
    items = [json.loads(json.dumps(item.model_dump(mode="json"))) for item in rules_catalog().items]
    for item in items:
        item["methods"] = sorted({*item["methods"], "admonition"})
    return items


LOOSENING_PARAMS = {"effective.late-entry": {"days": 3650}, "reasonable.follow-up-too-soon": {"days": 0},
                    "reasonable.burden": {"min_records": 50}}
MILDER = {("review", "clean"), ("blocked", "review"), ("blocked", "clean")}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("scenario", ["stricter", "milder"])
def test_impact_changes_equal_a_direct_evaluate_of_each_record(app, workers, scenario):
    with app.app_context():
        _store_varied(300)
        items, params = (_draft_items(), DRAFT_PARAMS) if scenario == "stricter" else \
            (_loosening_items(), LOOSENING_PARAMS)
        result = impact.compute(items, params, (2025, 2026), workers=workers)
        current_catalog, current_rules = rules_catalog(), rule_params.current_ruleset()
        draft_catalog, draft_rules = rules.Catalog(items), apply_overlay(rules.RULESET, params)
        now = datetime.now(SHANGHAI)
        expected = {}
        counted = 0
        for record in db.session.scalars(select(GuidanceRecord).order_by(GuidanceRecord.id)):
            if record.status == "voided" or record.guided_at is None \
                    or record.guided_at.astimezone(SHANGHAI).year not in (2025, 2026):
                continue
            counted += 1
            old = _direct(current_catalog, current_rules, record, now)
            new = _direct(draft_catalog, draft_rules, record, now)
            if old != new:
                expected[record.id] = (old, new)
    assert result.checked == counted > 150
    got = {c["id"]: (c["before"], c["after"]) for c in result.changes}
    assert got == expected and result.changed == len(expected) > 10
    kinds = set(expected.values())
    assert kinds <= MILDER if scenario == "milder" else (len(kinds) >= 2 and not kinds & MILDER)
    transitions = {}
    for old, new in expected.values():
        transitions[f"{old}→{new}"] = transitions.get(f"{old}→{new}", 0) + 1
    assert result.transitions == transitions
    assert sum(result.by_unit.values()) == result.changed
    assert set(result.by_rule) <= set(rules.RULESET.by_id) and result.by_principle
    json.dumps(result.to_dict())  # stored on the job as JSON


def test_impact_fast_reading_equals_stored_reading(app):
    from webapp.services.impact_engine import READ_COLUMNS, StoredRow, fast_reading

    with app.app_context():
        _store_varied(120, seed=17)
        records = db.session.scalars(select(GuidanceRecord)).all()
        assert any(r.case_info for r in records) and any(r.admonition_conditions for r in records)
        for record in records:
            fast = fast_reading(StoredRow(*(getattr(record, c) for c in READ_COLUMNS))).record
            slow = stored_reading(record).record
            assert fast == slow and fast.model_dump() == slow.model_dump()
            assert fast.model_fields_set == slow.model_fields_set


def test_impact_catalog_only_draft_reads_only_records_of_changed_items(app):
    with app.app_context():
        _store_varied(120, seed=3)
        items = _draft_items()
        base = {i.code: i for i in rules_catalog().items}
        changed = {i["code"] for i in items if rules.CatalogItem.model_validate(i) != base[i["code"]]}
        result = impact.compute(items, None, (2025, 2026), workers=1)
        in_scope = db.session.scalar(select(db.func.count()).select_from(GuidanceRecord).where(
            GuidanceRecord.catalog_code.in_(changed), GuidanceRecord.status != "voided"))
    assert set(result.changed_codes) == changed and len(changed) >= 4 and result.changed_rules == []
    assert result.checked == in_scope
    assert all(c["added"] or c["removed"] for c in result.changes)


def test_impact_nothing_changed_reads_nothing(app):
    with app.app_context():
        _store_varied(20, seed=5)
        result = impact.compute(None, None, (2025, 2026))
    assert (result.checked, result.changed, result.changes) == (0, 0, [])


def test_impact_run_changes_no_record(app):
    with app.app_context():
        _store_varied(80, seed=11)
        columns = [GuidanceRecord.id, GuidanceRecord.status, GuidanceRecord.version, GuidanceRecord.last_report,
                   GuidanceRecord.ruleset_version, GuidanceRecord.updated_at]
        before = db.session.execute(select(*columns).order_by(GuidanceRecord.id)).all()
        result = impact.compute(_draft_items(), DRAFT_PARAMS, (2025, 2026), workers=2)
        db.session.expire_all()
        after = db.session.execute(select(*columns).order_by(GuidanceRecord.id)).all()
    assert result.changed > 0 and result.filed_changed > 0
    assert before == after


def test_impact_shortcut_catalog_checks_are_all_that_read_the_item():
    """The run re-evaluates only catalog checks for changed items: no other check may read the item."""
    readers = {name for name, spec in rules.registry.CHECKS.items()
               if "ctx.item" in inspect.getsource(spec.fn) or "ctx.catalog" in inspect.getsource(spec.fn)}
    assert readers and readers <= CATALOG_CHECKS
    assert checks_input and checks_principles  # both check modules are loaded


@pytest.mark.parametrize("years", ["2026-2025", "1999", "abc", "2025-2026-2027"])
def test_impact_bad_years_are_refused(app, years):
    with app.app_context(), pytest.raises(DomainError):
        impact.compute(None, None, years)


def test_impact_fingerprint_is_stable_and_distinguishes_drafts():
    a = impact.fingerprint(None, {"reasonable.burden": {"days": 10, "min_records": 2}})
    b = impact.fingerprint(None, {"reasonable.burden": {"min_records": 2, "days": 10}})
    assert a == b != impact.fingerprint(None, {"reasonable.burden": {"days": 11}}) != impact.fingerprint([], None)


# --- the rule-params overlay ---------------------------------------------------------------------


def test_overlay_problems_follow_the_types_of_the_base_params():
    problems = overlay_problems(rules.RULESET, {
        "reasonable.burden": {"days": "三十", "min_records": -1, "colour": 1},
        "voluntary.coercive-wording": {"words": []}, "no.such-rule": {"x": 1}})
    assert problems == {"reasonable.burden.days": "应为整数", "reasonable.burden.min_records": "不能为负数",
                        "reasonable.burden.colour": "该规则没有这个参数",
                        "voluntary.coercive-wording.words": "应为至少一项的列表", "no.such-rule": "没有这条规则"}
    assert overlay_problems(rules.RULESET, {"reasonable.burden": {"days": 10}}) == {}


def test_overlay_changes_what_the_engine_finds():
    record = {**__import__("tests.webapp.records_data", fromlist=["x"]).valid_record(),
              "content": "请尽快完成复垦。"}
    base = rules.evaluate(record, now=datetime(2026, 11, 21, 9, tzinfo=SHANGHAI))
    words = DRAFT_PARAMS["voluntary.coercive-wording"]
    tuned = rules.evaluate(record, now=datetime(2026, 11, 21, 9, tzinfo=SHANGHAI),
                           ruleset=apply_overlay(rules.RULESET, {"voluntary.coercive-wording": words}))
    assert base.outcome == "clean" and tuned.outcome == "review"
    assert tuned.ruleset.startswith(rules.RULESET.version + "+")


def _finish_jobs(app) -> None:
    with app.app_context():
        jobs.work(poll_seconds=0, stop=lambda: False, once=True)


def test_params_publish_needs_a_looked_at_impact_run_then_versions(app):
    with app.app_context():
        admin = user("admin")
        draft = rule_params.save_draft(admin, {"reasonable.burden": {"min_records": 2}}, expected_version=0)
        with pytest.raises(Conflict, match="影响分析"):
            rule_params.publish(admin, published_on=date(2026, 12, 1))
        job = impact.start(admin, items=None, params=draft.params, years=(2025, 2026), label="参数草稿")
        job_id = job.id
    _finish_jobs(app)
    with app.app_context():
        admin = user("admin")
        with pytest.raises(Conflict):  # finished, but nobody has opened the report yet
            rule_params.publish(admin, published_on=date(2026, 12, 1))
        job, run = impact.run_for(user("reviewer"), job_id)
        assert job.status == "done" and run.result is not None and run.looked_at is not None
        version = rule_params.publish(admin, published_on=date(2026, 12, 1))
        assert (version.number, version.impact_job_id, version.params) == \
            (1, job_id, {"reasonable.burden": {"min_records": 2}})
        assert rule_params.current_ruleset().by_id["reasonable.burden"].params["min_records"] == 2
        assert rule_params.current_ruleset().version == version.ruleset
        # a stale save of the draft is refused, never overwritten
        with pytest.raises(Conflict, match="已被"):
            rule_params.save_draft(admin, {}, expected_version=0)
        rule_params.save_draft(admin, {}, expected_version=1)
        job2 = impact.start(admin, items=None, params={}, years=(2026, 2026), label="恢复默认")
        job2_id = job2.id
    _finish_jobs(app)
    with app.app_context():
        impact.run_for(user("admin"), job2_id)
        second = rule_params.publish(user("admin"), published_on=date(2026, 12, 2))
        assert second.number == 2 and rule_params.current_ruleset() is rules.RULESET
        assert [v.number for v in rule_params.versions()] == [2, 1]


def test_params_submit_uses_the_published_overlay(app):
    """A record submitted after a publication is checked with the new params and names that version."""
    from tests.webapp.records_data import valid_record
    from webapp.services.records import create_draft

    with app.app_context():
        admin = user("admin")
        rule_params.save_draft(admin, DRAFT_PARAMS and {"voluntary.coercive-wording":
                                                        DRAFT_PARAMS["voluntary.coercive-wording"]},
                               expected_version=0)
        job_id = impact.start(admin, items=None, params=rule_params.draft().params, years=(2026, 2026),
                              label="用语").id
    _finish_jobs(app)
    with app.app_context():
        before = create_draft(user("staff"), valid_record(content="请尽快复垦。"), submit=True)
        impact.run_for(user("admin"), job_id)
        version = rule_params.publish(user("admin"), published_on=date(2026, 12, 1))
        after = create_draft(user("staff"), valid_record(content="请尽快复垦。"), submit=True)
        assert before.status == "filed" and before.ruleset_version == rules.RULESET.version
        assert after.status == "pending_review" and after.ruleset_version == version.ruleset


def test_impact_job_reports_progress_and_stores_its_result(app):
    with app.app_context():
        _store_varied(60, seed=13)
        job_id = impact.start(user("reviewer"), items=_draft_items(), params=None, years=(2025, 2026),
                              label="目录草稿").id
        assert db.session.get(Job, job_id).status == "queued"
        seen = []
        original = jobs.report_progress
        jobs.report_progress = lambda jid, percent, message: (seen.append((percent, message)),
                                                               original(jid, percent, message))
        try:
            jobs.work(poll_seconds=0, stop=lambda: False, once=True)
        finally:
            jobs.report_progress = original
        job = db.session.get(Job, job_id, populate_existing=True)
        run = db.session.get(ImpactRun, job_id, populate_existing=True)
    assert job.status == "done" and job.progress == 100 and job.message == "影响分析已完成"
    assert seen and seen[-1][0] == 100 and "已检查" in seen[-1][1]
    assert run.result["checked"] > 0 and run.looked_at is None


def test_impact_start_refuses_bad_drafts_and_staff(app):
    from webapp.services import NotAllowed

    with app.app_context():
        with pytest.raises(NotAllowed):
            impact.start(user("staff"), items=None, params=None, years=(2026, 2026), label="x")
        with pytest.raises(DomainError, match="规则参数"):
            impact.start(user("admin"), items=None, params={"reasonable.burden": {"days": "x"}},
                         years=(2026, 2026), label="x")
        with pytest.raises(DomainError, match="目录清单"):
            impact.start(user("admin"), items=[{"name": "无编码"}], params=None, years=(2026, 2026), label="x")
        assert db.session.scalar(select(db.func.count()).select_from(Job)) == 0
        assert db.session.scalar(select(db.func.count()).select_from(RulesetVersion)) == 0


# --- pages -------------------------------------------------------------------------------------------


def test_params_page_full_and_invalid_post(client, auth):
    auth.login("admin")
    page = client.get("/rules/params").get_data(as_text=True)
    assert "<html" in page and "规则参数" in page and 'name="reasonable.burden.min_records"' in page
    assert 'name="voluntary.coercive-wording.fields"' not in page  # what a rule checks is not editable here
    response = client.post("/rules/params", data={"csrf_token": auth.csrf_token(), "draft_version": "0",
                                                  "reasonable.burden.min_records": "三",
                                                  "voluntary.coercive-wording.words": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#f-reasonable-burden-min_records"' in body and "请填写整数" in body
    assert 'id="f-voluntary-coercive-wording-words"' in body and "应为至少一项的列表" in body
    assert ">三<" not in body and 'value="三"' in body  # what the admin typed stays


def test_params_pages_draft_impact_publish(app, client, auth):
    auth.login("admin")
    token = auth.csrf_token()
    saved = client.post("/rules/params", data={"csrf_token": token, "draft_version": "0",
                                               "reasonable.burden.min_records": "2"})
    assert saved.status_code == 303
    refused = client.post("/rules/params/publish", data={"csrf_token": token, "published_on": "2026-12-01"})
    assert refused.status_code == 409 and "影响分析" in refused.get_data(as_text=True)
    started = client.post("/rules/params/impact", data={"csrf_token": token, "years": "2025-2026"})
    assert started.status_code == 303
    report_url = started.headers["Location"]
    running = client.get(report_url).get_data(as_text=True)
    assert "<progress" in running and 'hx-trigger="every 1s"' in running and "刷新查看进度" in running
    _finish_jobs(app)
    partial = client.get(report_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "hx-trigger" not in partial and "检查" in partial
    published = client.post("/rules/params/publish", data={"csrf_token": token, "published_on": "2026-12-01"})
    assert published.status_code == 303
    page = client.get("/rules/params").get_data(as_text=True)
    assert "第 1 版，2026年12月1日公布" in page


def test_params_bad_years_and_date_are_422(client, auth):
    auth.login("admin")
    token = auth.csrf_token()
    years = client.post("/rules/params/impact", data={"csrf_token": token, "years": "2030-2020"})
    assert years.status_code == 422 and 'href="#f-years"' in years.get_data(as_text=True)
    day = client.post("/rules/params/publish", data={"csrf_token": token, "published_on": "明天"})
    assert day.status_code == 422 and 'href="#f-published_on"' in day.get_data(as_text=True)


def test_impact_report_lists_changed_records_with_links(app, client, auth):
    with app.app_context():
        _store_varied(80, seed=19)
        job_id = impact.start(user("reviewer"), items=_draft_items(), params=DRAFT_PARAMS, years=(2025, 2026),
                              label="目录与参数草稿").id
    _finish_jobs(app)
    auth.login("reviewer")
    page = client.get(f"/impact/{job_id}").get_data(as_text=True)
    assert "按单位" in page and "按原则和规则" in page and "/records/" in page and "需法制审查" in page
    with app.app_context():
        assert impact.looked_at(impact.fingerprint(_draft_items(), DRAFT_PARAMS)).id == job_id


def test_impact_cli_prints_the_summary(app, runner, tmp_path):
    with app.app_context():
        _store_varied(80, seed=11)
        items = _draft_items()
        expected = impact.compute(items, DRAFT_PARAMS, (2025, 2026), workers=1)
    assert expected.changed > 0
    catalog = tmp_path / "draft.json"
    catalog.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    params = tmp_path / "draft.toml"
    words = json.dumps(DRAFT_PARAMS["voluntary.coercive-wording"]["words"], ensure_ascii=False)
    params.write_text(f'["voluntary.coercive-wording"]\nwords = {words}\n["reasonable.burden"]\nmin_records = 1\n'
                      '["effective.late-entry"]\ndays = 3\n', encoding="utf-8")
    result = runner.invoke(args=["rules", "impact", "--catalog", str(catalog), "--params", str(params),
                                 "--years", "2025-2026", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert f"共检查 {expected.checked:,} 条" in result.output
    assert f"结果将改变的记录：{expected.changed:,} 条" in result.output
    assert "按单位：自然资源开发利用科" in result.output
    bad = runner.invoke(args=["rules", "impact", "--params", str(catalog)])
    assert bad.exit_code != 0 and "TOML" in bad.output
    none = runner.invoke(args=["rules", "impact"])
    assert none.exit_code != 0 and "--catalog" in none.output
