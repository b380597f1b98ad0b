"""台账 `q` on both engines: the trigram indexes (SQLite FTS5, PostgreSQL pg_trgm) find exactly the
records a plain substring test finds, and they follow every change a service makes."""
from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules.idcodes import uscc_check_char
from rules.model import SHANGHAI
from sqlalchemy import select

from tests.webapp.records_data import VALID_CLOSE, org_target, user, valid_record
from webapp.extensions import db
from webapp.models import GuidanceRecord, Unit
from webapp.services import queries
from webapp.services import records as svc
from webapp.services.register_filter import RecordFilter

# Chinese, upper-case Latin, digits, a letter pair only the trigram index folds (Ａ, ａ), and what
# LIKE and FTS5 queries treat specially.
ALPHABET = "淄博甲乙丙建材公司〔〕号ABX0129Ａａ %_\"'\\-*"
VALUES = st.text(ALPHABET, min_size=0, max_size=12)


def _insert(names, subjects, ids, numbers) -> list[dict]:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == "自然资源开发利用科"))
    creator = user("staff")
    rows, taken = [], set()
    for i, (name, subject, id_number, number) in enumerate(zip(names, subjects, ids, numbers)):
        number = "" if number in taken else number  # document numbers are unique
        taken.add(number)
        row = dict(status="filed" if number else "draft", number=number or None,
                   number_year=2025 if number else None, number_seq=i + 1 if number else None,
                   owner_unit_id=unit_id, created_by_id=creator.id, target_name=name or None,
                   subject=subject or None, target_id_number=id_number or None, method="reminder",
                   guided_at=datetime(2025, 3, 1, 9, tzinfo=SHANGHAI), officers=[], legal_basis=[])
        record = GuidanceRecord(**row)
        db.session.add(record)
        rows.append(row)
    db.session.commit()
    for row, record_id in zip(rows, db.session.scalars(select(GuidanceRecord.id).order_by(GuidanceRecord.id))):
        row["id"] = record_id
    return rows


def _found(q: str) -> list[int]:
    reviewer, flt, seen, after = user("reviewer"), RecordFilter(q=q), [], None
    while True:
        items, after = queries.register_page(reviewer, flt, after=after, limit=5)
        seen += [r.id for r in items]
        if after is None:
            assert queries.register_count(reviewer, flt) == len(seen)
            return seen


def _contains(row: dict, q: str) -> bool:
    return any(q in (row[k] or "") for k in ("target_name", "subject", "number")) \
        or q.upper() in (row["target_id_number"] or "")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), values=st.lists(st.tuples(VALUES, VALUES, VALUES, VALUES), min_size=1, max_size=8))
def test_register_search_finds_exactly_the_substring_matches(app, data, values):
    with app.app_context():
        rows = _insert(*zip(*values))
        try:
            stored = [v for row in rows for v in (row["target_name"], row["subject"], row["number"]) if v]
            picks = [data.draw(st.sampled_from(stored)) for _ in range(3)] if stored else []
            # substrings of stored text (1 to 6 characters, both sides of the trigram limit) and free text
            queries_ = [p[s:s + n] for p in picks
                        for s, n in [data.draw(st.tuples(st.integers(0, len(p)), st.integers(1, 6)))]]
            queries_ += data.draw(st.lists(VALUES, max_size=2))
            for q in {q.strip() for q in queries_ if q.strip()}:
                expected = [r["id"] for r in rows if _contains(r, q)]
                assert sorted(_found(q)) == sorted(expected), q
        finally:
            _forget(rows)


def _forget(rows) -> None:
    """Hypothesis runs many examples in one test: start each from an empty register again."""
    from tests.conftest import _empty_tables, seed_fixture_data

    db.session.rollback()
    _empty_tables()
    seed_fixture_data()


@pytest.mark.parametrize("q", ["建材有限", "MA3C", "〔2026〕", "淄博"])
def test_register_search_follows_edits_filing_and_closing(app, q):
    """A draft found by its old text is not found by it after an edit; its number is found once filed."""
    with app.app_context():
        staff = user("staff")
        record = svc.create_draft(staff, valid_record(target=org_target("周村旧名称商贸公司", None),
                                                      subject="旧事项"))
        assert _found("旧名称商贸") == [record.id] and _found("旧事项") == [record.id]
        code = "91370300MA3C00001" + uscc_check_char("91370300MA3C00001")
        svc.update_draft(staff, record.id, {"target": org_target("淄博新建材有限公司", code), "subject": "新事项"},
                         None)
        assert _found("旧名称商贸") == [] and _found("旧事项") == []
        svc.submit_record(staff, record.id)
        svc.close_record(staff, record.id, VALID_CLOSE)
        number = db.session.get(GuidanceRecord, record.id).number
        assert number.startswith("指导书〔2026〕")
        assert _found(q) == [record.id]
        assert _found(number) == [record.id]


def test_register_search_page_shows_matches_and_short_queries_work(app, client):
    from tests.conftest import AuthActions

    with app.app_context():
        staff = user("staff")
        for name in ("淄博瑞丰建材有限公司", "淄博安泰矿业有限公司", "王某"):
            svc.create_draft(staff, valid_record(target=org_target(name, None)))
    assert AuthActions(client).login("staff").status_code == 302
    body = client.get("/register?q=瑞丰建材").get_data(as_text=True)
    assert "共 1 条记录" in body and "淄博瑞丰建材有限公司" in body and "安泰" not in body
    assert "共 2 条记录" in client.get("/register?q=有限公司").get_data(as_text=True)
    assert "共 1 条记录" in client.get("/register?q=王").get_data(as_text=True)  # one character: LIKE alone
    assert "共 0 条记录" in client.get('/register?q="瑞丰"').get_data(as_text=True)


def test_register_search_keeps_substring_semantics_where_the_index_folds_case(app):
    """The trigram index folds ａ/Ａ; the register does not, on either engine (as before the index)."""
    with app.app_context():
        rows = _insert(["淄博ａ建材公司", "淄博Ａ建材公司"], ["", ""], ["", ""], ["", ""])
        assert _found("淄博Ａ建") == [rows[1]["id"]]
        assert _found("ａ建材") == [rows[0]["id"]]
