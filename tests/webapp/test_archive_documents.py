"""Documents are kept as issued (issue 11): rendered once per state, served byte for byte."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from tests.webapp.records_data import VALID_CLOSE, user, valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, DocumentVersion, GuidanceRecord
from webapp.services import documents
from webapp.services import records as svc
from webapp.services.files import file_store


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def filed_record(app, **overrides) -> int:
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record(**overrides))
        svc.submit_record(user("staff"), record.id)
        return record.id


def versions(app, record_id: int) -> dict[tuple[str, str], DocumentVersion]:
    with app.app_context():
        return {(v.kind, v.state): v for v in db.session.scalars(
            select(DocumentVersion).where(DocumentVersion.record_id == record_id))}


def test_documents_after_close_filed_version_downloads_with_the_hash_recorded_at_filing(app, client, auth):
    record_id = filed_record(app)
    with app.app_context():
        filed_hash = db.session.get(GuidanceRecord, record_id).document_sha256
    assert filed_hash
    auth.login("staff")
    assert sha(client.get(f"/records/{record_id}/document.pdf").data) == filed_hash
    with app.app_context():
        svc.close_record(user("staff"), record_id, VALID_CLOSE)
    stored = versions(app, record_id)
    assert set(stored) == {("guidance", "filed"), ("opinion", "filed"), ("guidance", "closed")}
    filed, closed = stored[("guidance", "filed")], stored[("guidance", "closed")]
    assert filed.sha256 == filed_hash != closed.sha256
    old = client.get(f"/records/{record_id}/versions/{filed.id}.pdf")
    assert old.status_code == 200 and sha(old.data) == filed_hash
    assert old.headers["Cache-Control"] == "no-store" and old.headers["X-Content-Type-Options"] == "nosniff"
    new = client.get(f"/records/{record_id}/versions/{closed.id}.pdf")
    assert sha(new.data) == closed.sha256
    # The record's own download now serves the closed version, byte for byte, every time.
    assert sha(client.get(f"/records/{record_id}/document.pdf").data) == closed.sha256
    assert sha(client.get(f"/records/{record_id}/document.pdf").data) == closed.sha256
    # The 意见书 of a closed record is the one issued at filing.
    assert sha(client.get(f"/records/{record_id}/opinion.pdf").data) == stored[("opinion", "filed")].sha256
    with app.app_context():
        assert db.session.get(GuidanceRecord, record_id).document_sha256 == filed_hash  # still the filed one


def test_documents_each_stored_version_is_an_audit_event_with_its_hash(app):
    record_id = filed_record(app)
    with app.app_context():
        svc.void_record(user("reviewer"), record_id, "重复登记")
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == record_id,
                                                             AuditEvent.action == "document")
                                    .order_by(AuditEvent.id)).all()
    stored = versions(app, record_id)
    assert set(stored) == {("guidance", "filed"), ("opinion", "filed"), ("guidance", "voided"), ("opinion", "voided")}
    assert [e.changes["sha256"]["after"] for e in events] == [v.sha256 for v in
                                                              sorted(stored.values(), key=lambda v: v.id)]
    assert "备案版行政指导文书" in events[0].note and events[0].changes["document_sha256"]["after"] == events[0].changes["sha256"]["after"]
    assert "作废版行政指导意见书" in events[-1].note


def test_documents_voided_version_carries_the_voided_mark(app, client, auth):
    from tests.webapp.test_documents_views import pdf_text

    record_id = filed_record(app)
    with app.app_context():
        svc.void_record(user("reviewer"), record_id, "重复登记")
    auth.login("viewer")
    text = "".join(pdf_text(client.get(f"/records/{record_id}/document.pdf").data))
    assert "本文书已作废" in text


def test_documents_drafts_and_pending_records_render_live_and_store_nothing(app, client, auth):
    with app.app_context():
        draft = svc.create_draft(user("staff"), valid_record())
        pending = svc.create_draft(user("staff"), valid_record(content="必须整改。"))
        svc.submit_record(user("staff"), pending.id)
        ids = draft.id, pending.id
    auth.login("staff")
    for record_id in ids:
        assert client.get(f"/records/{record_id}/document.pdf").status_code == 200
        assert versions(app, record_id) == {}


def test_documents_a_render_failure_leaves_the_record_unfiled(app, monkeypatch):
    def broken(doc, kind):
        raise RuntimeError("font vanished")

    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        record_id = record.id
    monkeypatch.setattr(documents, "_render_document", broken)
    with app.app_context(), pytest.raises(RuntimeError):
        svc.submit_record(user("staff"), record_id)
    with app.app_context():  # filing is one fact: no number, no filed status, no document half-done
        record = db.session.get(GuidanceRecord, record_id)
        assert (record.status, record.number, record.document_sha256) == ("draft", None, None)
    assert versions(app, record_id) == {}


def test_documents_a_filing_without_its_documents_is_completed_on_the_next_touch(app, client, auth, monkeypatch):
    # a record filed by the earlier two-step code whose document step never ran (crash, restore)
    monkeypatch.setattr(svc, "store_issued_versions", lambda record, user_id, prerendered=None: [])
    record_id = filed_record(app)
    monkeypatch.undo()
    with app.app_context():
        record = db.session.get(GuidanceRecord, record_id)
        assert record.status == "filed" and record.document_sha256 is None
    assert versions(app, record_id) == {}
    auth.login("staff")
    response = client.get(f"/records/{record_id}/document.pdf")  # the touch that completes it
    stored = versions(app, record_id)
    assert set(stored) == {("guidance", "filed"), ("opinion", "filed")}
    assert sha(response.data) == stored[("guidance", "filed")].sha256
    with app.app_context():
        assert documents.store_document_versions(record_id, None) == []  # nothing left to do
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == record_id,
                                                             AuditEvent.action == "document")).all()
        assert len(events) == 2
        assert db.session.get(GuidanceRecord, record_id).document_sha256 == stored[("guidance", "filed")].sha256


def test_documents_version_rows_cannot_be_changed(app):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    record_id = filed_record(app)
    with app.app_context():
        for statement in ("UPDATE document_version SET sha256 = 'x'", "DELETE FROM document_version"):
            with pytest.raises(DatabaseError, match="immutable"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
    assert len(versions(app, record_id)) == 2


def test_documents_record_page_lists_versions_and_never_serves_a_changed_file(app, client, auth):
    record_id = filed_record(app)
    with app.app_context():
        svc.close_record(user("staff"), record_id, VALID_CLOSE)
    stored = versions(app, record_id)
    auth.login("staff")
    page = client.get(f"/records/{record_id}").get_data(as_text=True)
    for title in ("备案版行政指导文书", "办结版行政指导文书", "备案版行政指导意见书"):
        assert title in page
    for version in stored.values():
        assert version.sha256 in page and f"/versions/{version.id}.pdf" in page
    closed = stored[("guidance", "closed")]
    with app.app_context():
        path = file_store().path(closed.sha256)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01  # one byte changed on disk
    path.write_bytes(bytes(data))
    page = client.get(f"/records/{record_id}").get_data(as_text=True)
    assert "文件已变更" in page and f"/versions/{closed.id}.pdf" not in page
    for url in (f"/records/{record_id}/versions/{closed.id}.pdf", f"/records/{record_id}/document.pdf"):
        refused = client.get(url)
        assert refused.status_code == 409 and "文件已变更" in refused.get_data(as_text=True)
        assert refused.mimetype == "text/html"
    path.unlink()
    page = client.get(f"/records/{record_id}").get_data(as_text=True)
    assert "文件缺失" in page
    assert "文件缺失" in client.get(f"/records/{record_id}/document.pdf").get_data(as_text=True)
    # The filed version is untouched and still served.
    assert sha(client.get(f"/records/{record_id}/versions/{stored[('guidance', 'filed')].id}.pdf").data) == \
        stored[("guidance", "filed")].sha256


def test_documents_version_of_another_record_is_404(app, client, auth):
    first, second = filed_record(app), filed_record(app, subject="第二条")
    version = versions(app, first)[("guidance", "filed")]
    auth.login("staff")
    assert client.get(f"/records/{second}/versions/{version.id}.pdf").status_code == 404
    assert client.get(f"/records/{first}/versions/999999.pdf").status_code == 404
