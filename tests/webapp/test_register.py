"""台账: filters against a plain-Python filter, keyset pages, permissions and masking in the page,
the API and every export, bad input, the good-practice mark, and the 总结 figures."""
from __future__ import annotations

import csv
import io
import random
import re
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules import vocabulary as vocab
from rules.model import SHANGHAI
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.webapp.records_data import VALID_CLOSE, user, valid_record
from tests.webapp.test_api_support import api, tokens  # noqa: F401 — fixtures
from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord, Unit
from webapp.services import queries, statistics
from webapp.services import records as svc
from webapp.services.register_filter import RecordFilter

UNITS = ("自然资源开发利用科", "执法监督科")
CODES = ("ZD-TD-03", "ZD-TD-01", "ZD-CH-01")
NAMES = ("淄博甲建材有限公司", "周村乙农业合作社", "王某", "淄博丙矿业有限公司")
OFFICERS = ("张明", "李华", "赵强")
PERSON_ID = "11010519491231002X"
STATUSES = tuple(vocab.STATUS)


def _insert(count: int, seed: int = 7) -> list[dict]:
    """Records written straight into the table (fast, every state), and what was written."""
    rng = random.Random(seed)
    units = dict(db.session.execute(select(Unit.name, Unit.id)).all())
    creator = user("staff")
    rows, seq = [], {}
    for i in range(count):
        status = rng.choice(STATUSES)
        guided = datetime(rng.choice((2024, 2025, 2026)), rng.randint(1, 12), rng.randint(1, 28),
                          rng.randint(0, 23), tzinfo=SHANGHAI)
        unit = rng.choice(UNITS)
        number = year = n = None
        if status in ("filed", "closed", "voided"):
            year = guided.year
            seq[year] = n = seq.get(year, 0) + 1
            number = f"指导书〔{year}〕{n}号"
        name = rng.choice(NAMES)
        person = name == "王某"
        row = dict(
            status=status, number=number, number_year=year, number_seq=n, owner_unit_id=units[unit],
            created_by_id=creator.id, guided_at=guided, method=rng.choice(tuple(vocab.METHOD)),
            stage=rng.choice(tuple(vocab.STAGE)), form="written", catalog_code=rng.choice(CODES),
            unit=unit, officers=rng.sample(OFFICERS, 2), target_name=name,
            target_kind="person" if person else "organization",
            target_id_number=PERSON_ID if person else f"91370300MA3C{i:06d}",
            subject=f"事项{i}", legal_basis=[], good_practice=status in ("filed", "closed") and i % 5 == 0,
            result="adopted" if status == "closed" else "pending")
        db.session.add(GuidanceRecord(**row))
        rows.append({**row, "unit_name": unit})
    db.session.commit()
    ids = db.session.scalars(select(GuidanceRecord.id).order_by(GuidanceRecord.id)).all()
    for row, record_id in zip(rows, ids):
        row["id"] = record_id
    return rows


FIELDS = {"ZD-TD-03": None, "ZD-TD-01": None, "ZD-CH-01": None}


def _expected(rows, flt: RecordFilter, who) -> set[int]:
    """The same filter in plain Python, with the same visibility rule."""
    out = set()
    for r in rows:
        visible = (r["status"] in ("filed", "closed", "voided") or who.role in ("reviewer", "admin")
                   or (who.role == "staff" and r["owner_unit_id"] == who.unit_id))
        local = r["guided_at"].astimezone(SHANGHAI)
        q = flt.q
        checks = [
            visible,
            flt.year is None or local.year == flt.year,
            flt.unit is None or r["unit_name"] == flt.unit,
            not flt.methods or r["method"] in flt.methods,
            not flt.stages or r["stage"] in flt.stages,
            not flt.statuses or r["status"] in flt.statuses,
            flt.catalog is None or r["catalog_code"] == flt.catalog,
            flt.field is None or FIELDS[r["catalog_code"]] == flt.field,
            flt.officer is None or flt.officer in r["officers"],
            q is None or any(q in (v or "") for v in (r["target_name"], r["subject"], r["number"]))
            or q.upper() in r["target_id_number"],
            flt.date_from is None or local.date() >= flt.date_from,
            flt.date_to is None or local.date() <= flt.date_to,
            not flt.good or r["good_practice"],
        ]
        if all(checks):
            out.add(r["id"])
    return out


def _all_pages(who, flt: RecordFilter, limit: int = 7) -> list:
    seen, after = [], None
    while True:
        items, after = queries.register_page(who, flt, after=after, limit=limit)
        seen += items
        if after is None:
            return seen


@pytest.fixture
def dataset(app):
    with app.app_context():
        rows = _insert(120)
        for code in FIELDS:
            FIELDS[code] = queries.catalog_item(code).field
    return rows


filters = st.builds(
    RecordFilter,
    year=st.sampled_from([None, 2024, 2025, 2026]),
    unit=st.sampled_from([None, *UNITS]),
    methods=st.lists(st.sampled_from(tuple(vocab.METHOD)), max_size=2, unique=True).map(tuple),
    stages=st.lists(st.sampled_from(tuple(vocab.STAGE)), max_size=1).map(tuple),
    statuses=st.lists(st.sampled_from(STATUSES), max_size=3, unique=True).map(tuple),
    catalog=st.sampled_from([None, *CODES]),
    officer=st.sampled_from([None, *OFFICERS]),
    q=st.sampled_from([None, "淄博", "王某", "事项1", "〔2025〕", "ma3c000", "nothing"]),
    date_from=st.sampled_from([None, date(2025, 3, 1)]),
    date_to=st.sampled_from([None, date(2025, 9, 30)]),
    good=st.booleans(),
    sort=st.sampled_from(["-number", "number", "-guided_at", "guided_at", "-id"]),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters, role=st.sampled_from(["staff", "staff2", "reviewer", "viewer"]))
def test_register_filters_match_a_plain_python_filter(app, dataset, flt, role):
    with app.app_context():
        who = user(role)
        items = _all_pages(who, flt)
        got = [r.id for r in items]
        assert len(got) == len(set(got)), "a keyset page repeated a row"
        assert set(got) == _expected(dataset, flt, who)
        assert queries.register_count(who, flt) == len(got)
        key = {"number": lambda r: (r.number_year is None, r.number_year or 0, r.number_seq or 0),
               "guided_at": lambda r: (r.guided_at is None, r.guided_at)}.get(flt.sort.lstrip("-"))
        if key:
            keyed = [key(r) for r in items if getattr(r, "number_year" if "number" in flt.sort else "guided_at")]
            assert keyed == sorted(keyed, reverse=flt.sort.startswith("-"))


def test_register_field_filter(app, dataset):
    with app.app_context():
        field = FIELDS["ZD-CH-01"]
        found = _all_pages(user("reviewer"), RecordFilter(field=field))
        assert found and {r.catalog_code for r in found} <= {c for c, f in FIELDS.items() if f == field}


def _login(client, role):
    auth = AuthActions(client)
    assert auth.login(role).status_code == 302
    return auth


def test_register_page_filters_pages_and_links(app, client, dataset):
    _login(client, "reviewer")
    page = client.get("/register?year=2025&unit=执法监督科&method=admonition&method=advice")
    body = page.get_data(as_text=True)
    with app.app_context():
        expected = _expected(dataset, RecordFilter(year=2025, unit="执法监督科",
                                                   methods=("admonition", "advice")), user("reviewer"))
    assert page.status_code == 200 and "<html" in body
    assert f"共 {len(expected)} 条记录" in body
    for record_id in list(expected)[:5]:
        assert f'/records/{record_id}"' in body or len(expected) > 50
    partial = client.get("/register?year=2025", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    assert "register.xlsx?year=2025" in partial.get_data(as_text=True)


def test_register_page_follows_next_links_to_the_end(app, client, dataset):
    _login(client, "reviewer")
    url, seen = "/register?sort=number", []
    while url:
        body = client.get(url).get_data(as_text=True)
        seen += re.findall(r'href="/records/(\d+)"', body)
        nxt = re.search(r'<a href="([^"]+)"[^>]*rel="next"', body)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(seen) == len(set(seen)) == len(dataset)


@pytest.mark.parametrize("query,param,words", [
    ("year=abc", "year", "年度应为"), ("method=flying", "method", "不是有效的选项"),
    ("from=2026-05-01&to=2026-01-01", "to", "截止日期不能早于"), ("q=" + "长" * 10000, "q", "最多"),
    ("unit=不存在科", "unit", "没有名为"), ("from=2026-02-30", "from", "日期不存在"),
    ("year=0001", "year", "年度应为"), ("year=9999", "year", "年度应为"), ("sort=evil", "sort", "排序方式"),
])
def test_register_bad_filters_say_so_beside_the_field(client, api, query, param, words):  # noqa: F811
    _login(client, "staff")
    response = client.get(f"/register?{query}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and words in body
    assert f'id="filter-{param}-error"' in body or param == "q" and 'id="filter-q-error"' in body
    answer = api("staff").get(f"/api/v1/records?{query}")
    assert answer.status_code == 400 and param in answer.get_json()["error"]
    export = client.get(f"/register.csv?{query}")
    assert export.status_code == 400


def test_register_nul_and_nothing_found(client):
    _login(client, "staff")
    refused = client.get("/register?q=a%00b")  # NUL is refused before any view (webapp/input_guard.py)
    assert refused.status_code == 400 and "不允许的字符" in refused.get_data(as_text=True)
    body = client.get("/register?q=没有这样的记录").get_data(as_text=True)
    assert "共 0 条记录" in body and "没有符合条件的记录" in body


def test_register_visibility_and_masking_everywhere(app, client, dataset, api):  # noqa: F811
    with app.app_context():
        staff2_unit = user("staff2").unit_id
    hidden = {r["id"] for r in dataset if r["status"] in ("draft", "pending_review")
              and r["owner_unit_id"] != staff2_unit}
    _login(client, "staff2")
    page = client.get("/register?sort=-id").get_data(as_text=True)
    assert not any(f'href="/records/{i}"' in page for i in hidden)
    listed = set()
    url = "/api/v1/records?limit=200"
    while url:
        body = api("staff2").get(url).get_json()
        listed |= {item["id"] for item in body["items"]}
        url = f"/api/v1/records?limit=200&after={body['next']}" if body["next"] else None
    assert listed and not listed & hidden
    viewer = app.test_client()
    _login(viewer, "viewer")
    masked = PERSON_ID[:6] + "********" + PERSON_ID[-4:]
    for path in ("/register?q=王某", "/register.csv?q=王某"):
        text = viewer.get(path).get_data(as_text=True)
        assert PERSON_ID not in text and masked in text, path
    sheet = openpyxl.load_workbook(io.BytesIO(viewer.get("/register.xlsx?q=王某").data)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert masked in cells and PERSON_ID not in cells
    reviewer = app.test_client()
    _login(reviewer, "reviewer")
    assert PERSON_ID in reviewer.get("/register.csv?q=王某").get_data(as_text=True)


def test_register_xlsx_rows_equal_the_page_rows(app, client, dataset):
    _login(client, "reviewer")
    query = "year=2025&sort=number"
    page = client.get(f"/register?{query}").get_data(as_text=True)
    page_numbers = [n for n in re.findall(r"<td>(指导书〔\d+〕\d+号|—)</td>", page)]
    response = client.get(f"/register.xlsx?{query}")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "文号")
    numbers = [row[0] or "—" for row in rows[header_at + 1:]]
    assert numbers[:len(page_numbers)] == page_numbers
    with app.app_context():
        assert len(numbers) == len(_expected(dataset, RecordFilter(year=2025), user("reviewer")))
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()[-1]
    assert event.changes["rows"]["after"] == len(numbers) and event.changes["format"]["after"] == "xlsx"
    assert sheet.freeze_panes is not None
    guided = sheet.cell(row=header_at + 2, column=2).value
    assert isinstance(guided, datetime)


def test_register_csv_bom_quoting_and_formula_injection(app, client):
    hostile = "=cmd|' /C calc'!A0"
    with app.app_context():
        svc.create_draft(user("staff"), valid_record(subject=hostile, target={
            "name": '甲,"乙"\n丙', "kind": "organization", "id_number": None, "contact": None,
            "phone": "13905330000"}))
    _login(client, "staff")
    data = client.get("/register.csv").data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert "'" + hostile in cells and hostile not in cells
    assert '甲,"乙"\n丙' in cells
    empty = client.get("/register.csv?q=没有这样的记录").data.decode("utf-8-sig")
    assert "文号" in empty
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/register.xlsx").data)).active
    texts = [c for row in sheet.iter_rows() for c in row if c.value == hostile]
    assert texts and texts[0].data_type == "s"  # text, never a formula
    zero = openpyxl.load_workbook(io.BytesIO(client.get("/register.xlsx?q=没有这样的记录").data)).active
    assert any(row and row[0] == "文号" for row in zero.iter_rows(values_only=True))


def test_register_pdf_of_a_filter(app, client, dataset):
    from tests.webapp.test_documents_views import pdf_text

    _login(client, "viewer")
    response = client.get("/register.pdf?year=2025&unit=执法监督科")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = "".join(pdf_text(response.data)).replace(" ", "")
    assert "执法监督科" in text and "2025年度" in text


def test_good_practice_mark_and_unmark_with_audit(app, client):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        svc.submit_record(user("staff"), record.id)
        record_id = record.id
    auth = _login(client, "reviewer")
    refused = client.post(f"/records/{record_id}/good-practice", data={"csrf_token": auth.csrf_token()})
    assert refused.status_code == 400 and "理由" in refused.get_data(as_text=True)
    ok = client.post(f"/records/{record_id}/good-practice",
                     data={"csrf_token": auth.csrf_token(), "good_reason": "先指导后整改，效果好"})
    assert ok.status_code == 302
    assert f'/records/{record_id}"' in client.get("/register?good=1").get_data(as_text=True)
    again = client.post(f"/records/{record_id}/good-practice",
                        data={"csrf_token": auth.csrf_token(), "good_reason": "再来"})
    assert again.status_code == 302  # already marked: said so on the record page
    client.post(f"/records/{record_id}/good-practice",
                data={"csrf_token": auth.csrf_token(), "good_reason": "材料不全", "mark": "0"})
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_id == record_id, AuditEvent.action.like("good_practice%"))).all()
        assert actions == ["good_practice", "good_practice_removed"]
        assert db.session.get(GuidanceRecord, record_id).good_practice is False
    staff = app.test_client()
    auth2 = _login(staff, "staff")
    assert staff.post(f"/records/{record_id}/good-practice",
                      data={"csrf_token": auth2.csrf_token(), "good_reason": "自荐"}).status_code == 403


def test_stats_figures_against_hand_computed_values(app, api):  # noqa: F811
    with app.app_context():
        staff, reviewer = user("staff"), user("reviewer")
        clean = svc.create_draft(staff, valid_record(subject="甲"))
        svc.submit_record(staff, clean.id)  # filed, no review
        svc.close_record(staff, clean.id, VALID_CLOSE)  # closed, adopted
        flagged = svc.create_draft(staff, valid_record(subject="乙", content="必须整改。"))
        svc.submit_record(staff, flagged.id)
        svc.return_record(reviewer, flagged.id, "请修改用语")
        svc.update_draft(staff, flagged.id, {"content": "建议整改。"}, None)
        svc.submit_record(staff, flagged.id)  # clean now: filed
        other = svc.create_draft(staff, valid_record(subject="丙", content="必须整改。", method="advice"))
        svc.submit_record(staff, other.id)
        svc.approve_record(reviewer, other.id, "同意")
        svc.mark_good_practice(reviewer, other.id, "值得推广")
        svc.create_draft(staff, valid_record(subject="草稿不计"))
        year = 2026
        stats = statistics.year_stats(year)
        assert stats.total == 3
        assert stats.by_method["admonition"] == 2 and stats.by_method["advice"] == 1
        assert stats.by_month[11] == 3 and sum(stats.by_month.values()) == 3
        assert stats.by_unit == {"自然资源开发利用科": 3}
        assert stats.closed_with_result == 1 and stats.adopted == 1 and stats.adoption_rate == 1.0
        assert stats.submitted == 3 and stats.sent_to_review == 2
        assert stats.reviewed == 2 and stats.returned == 1 and stats.return_rate == 0.5
        assert stats.turnaround_median is not None and stats.turnaround_median < 1
        assert [g.subject for g in stats.good_practice] == ["丙"]
        assert statistics.year_stats(year, "执法监督科").total == 0
    body = api("viewer").get("/api/v1/stats?year=2026").get_json()
    assert body["total"] == 3 and body["by_method"]["admonition"] == 2
    assert api("viewer").get("/api/v1/stats?year=abc").status_code == 400
    client = app.test_client()
    _login(client, "viewer")
    page = client.get("/stats?year=2026").get_data(as_text=True)
    assert "<svg" in page and "值得推广" in page and "2026年度行政指导工作统计" in page
    pdf = client.get("/stats.pdf?year=2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    sheet = client.get("/stats.xlsx?year=2026")
    assert sheet.status_code == 200 and openpyxl.load_workbook(io.BytesIO(sheet.data))
    assert client.get("/stats?year=abc").status_code == 200
    assert client.get("/stats.pdf?year=abc").status_code == 400
