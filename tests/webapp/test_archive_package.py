"""The year archive (BagIt, zipped), `verify`, and the background job behind the archive page."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import datetime

import bagit
import pytest
from sqlalchemy import select

from tests.webapp.archive_data import image_bytes, pdf_bytes
from tests.webapp.records_data import VALID_CLOSE, user, valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, DocumentVersion, Job
from webapp.models.record import SHANGHAI
from webapp.services import attachments, jobs
from webapp.services import records as svc
from webapp.services.files import file_store

YEAR = 2026  # valid_record() is guided on 2026-11-20


@pytest.fixture
def year_records(app):
    """Three records of the year (filed, closed with attachments, voided) and a draft."""
    with app.app_context():
        staff = user("staff")
        ids = []
        for subject in ("备案的", "办结的", "作废的", "草稿"):
            record = svc.create_draft(staff, valid_record(subject=subject))
            ids.append(record.id)
        attachments.add_attachment(staff, ids[1], image_bytes(), "现场.jpg", "site_photo")
        for record_id in ids[:3]:
            svc.submit_record(staff, record_id)
        attachments.add_attachment(staff, ids[1], pdf_bytes(pages=1), "回证.pdf", "service_receipt")
        svc.close_record(staff, ids[1], VALID_CLOSE)
        svc.void_record(user("reviewer"), ids[2], "重复登记")
    return ids


def run_cli(runner, *args):
    return runner.invoke(args=list(args))


def test_archive_cli_writes_a_valid_bag_byte_identical_on_a_second_run(app, runner, year_records, tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    result = run_cli(runner, "archive", str(YEAR), str(first))
    assert result.exit_code == 0, result.output
    assert "记录 3 条，文书 9 份，附件 2 个" in result.output
    assert run_cli(runner, "archive", str(YEAR), str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()  # same database state, same bytes

    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {archive.infolist()[0].date_time}
        archive.extractall(tmp_path / "out")
    bag_dir = tmp_path / "out" / f"guidance-archive-{YEAR}"
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # manifests and Payload-Oxum
    assert "sha256" in bag.algorithms
    validated = subprocess.run([sys.executable, "-m", "bagit", "--validate", str(bag_dir)],
                               capture_output=True, text=True)
    assert validated.returncode == 0, validated.stderr
    info = bag.info
    assert info["Archive-Year"] == str(YEAR) and info["Archive-Unit"] == "全部单位"
    assert (info["Record-Count"], info["Document-Count"], info["Attachment-Count"]) == ("3", "9", "2")
    assert info["Created-By"] and info["Created-At"].startswith(str(datetime.now(SHANGHAI).year))
    data = bag_dir / "data"
    for top in ("register.pdf", "catalog.pdf", "index.xlsx"):
        assert (data / top).is_file()
    folders = sorted(p.name for p in (data / "records").iterdir())
    assert len(folders) == 3
    closed = json.loads(next((data / "records").glob("*/record.json")).read_text(encoding="utf-8"))
    records = {json.loads(p.read_text(encoding="utf-8"))["record"]["subject"]: (p.parent, json.loads(p.read_text()))
               for p in (data / "records").glob("*/record.json")}
    assert set(records) == {"备案的", "办结的", "作废的"}  # the draft stays out
    folder, closed = records["办结的"]
    assert closed["status"] == "closed" and closed["number"] and closed["record"]["result"] == "adopted"
    assert [d["state"] for d in closed["documents"]] == ["filed", "filed", "closed"]
    assert [a["name"] for a in closed["attachments"]] == ["现场.jpg", "回证.pdf"]
    actions = [e["action"] for e in closed["audit"]]
    assert actions[:3] == ["create", "attachment", "submit"] and "close" in actions and "archive" not in actions
    for entry in closed["documents"] + closed["attachments"]:
        assert hashlib.sha256((data / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    voided = records["作废的"][1]
    assert voided["workflow"]["void_reason"] == "重复登记"

    from openpyxl import load_workbook

    book = load_workbook(data / "index.xlsx", read_only=True)  # read-only keeps the file open: close it
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    paths = {row[6] for row in rows if row[6] and str(row[6]).startswith("data/")}
    assert len(paths) == 9 + 2 + 3  # every document, attachment and record.json


def test_archive_is_an_audit_event_per_record(app, runner, year_records, tmp_path):
    assert run_cli(runner, "archive", str(YEAR), str(tmp_path / "a.zip"), "--by", "reviewer").exit_code == 0
    digest = hashlib.sha256((tmp_path / "a.zip").read_bytes()).hexdigest()
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "archive")).all()
        assert sorted(e.entity_id for e in events) == sorted(year_records[:3])
        assert all(digest in e.note and e.user.username == "reviewer" for e in events)


def test_archive_of_one_unit_and_bad_arguments(app, runner, year_records, tmp_path):
    result = run_cli(runner, "archive", str(YEAR), str(tmp_path / "u.zip"), "--unit", "政策法规科")
    assert result.exit_code == 0 and "记录 0 条" in result.output
    assert "没有名为" in run_cli(runner, "archive", str(YEAR), str(tmp_path / "x.zip"), "--unit", "不存在科").output
    assert "归档年度" in run_cli(runner, "archive", "20x6", str(tmp_path / "x.zip")).output
    assert not (tmp_path / "x.zip").exists()


def test_verify_passes_on_a_clean_database_and_fails_after_one_byte_changes(app, runner, year_records):
    result = run_cli(runner, "verify")
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output and "文书 9" in result.output and "附件 2" in result.output
    with app.app_context():
        version = db.session.scalar(select(DocumentVersion).order_by(DocumentVersion.id))
        path = file_store().path(version.sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))
    failed = run_cli(runner, "verify")
    assert failed.exit_code == 1 and "文件已变更" in failed.output and "1 处不一致" in failed.output
    path.unlink()
    missing = run_cli(runner, "verify")
    assert missing.exit_code == 1 and "文件缺失" in missing.output


def test_verify_finds_a_file_without_its_audit_event(app, runner, year_records):
    from sqlalchemy import text

    with app.app_context():
        item = db.session.scalar(select(DocumentVersion).order_by(DocumentVersion.id))
        stored = file_store().put(b"%PDF-1.4 forged")
        # Past the immutability trigger (a forger's raw SQL): the row now names bytes no event names.
        with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER document_version_no_update")
                conn.execute(text("UPDATE document_version SET sha256 = :s WHERE id = :i"), {"s": stored.sha256, "i": item.id})
                conn.exec_driver_sql("CREATE TRIGGER document_version_no_update BEFORE UPDATE ON document_version "
                                     "BEGIN SELECT RAISE(ABORT, 'document versions are immutable'); END")
            else:
                conn.exec_driver_sql("ALTER TABLE document_version DISABLE TRIGGER document_version_immutable")
                conn.execute(text("UPDATE document_version SET sha256 = :s WHERE id = :i"), {"s": stored.sha256, "i": item.id})
                conn.exec_driver_sql("ALTER TABLE document_version ENABLE TRIGGER document_version_immutable")
    result = run_cli(runner, "verify")
    assert result.exit_code == 1 and "审计记录中没有" in result.output


def test_verify_archive_passes_then_fails_after_one_file_inside_is_altered(app, runner, year_records, tmp_path):
    package = tmp_path / "a.zip"
    assert run_cli(runner, "archive", str(YEAR), str(package)).exit_code == 0
    result = run_cli(runner, "verify", "--archive", str(package))
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output and "记录 3" in result.output

    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(altered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("documents/guidance-filed.pdf") and b"altered" not in data:
                data = data.replace(b"/Producer", b"/Pr0ducer", 1)
                data += b"altered"
            target.writestr(info, data)
    failed = run_cli(runner, "verify", "--archive", str(altered))
    assert failed.exit_code == 1 and "BagIt 校验不通过" in failed.output


def test_verify_archive_catches_a_forged_file_with_rewritten_manifests(app, runner, year_records, tmp_path):
    package = tmp_path / "a.zip"
    assert run_cli(runner, "archive", str(YEAR), str(package)).exit_code == 0
    with zipfile.ZipFile(package) as archive:
        archive.extractall(tmp_path / "x")
    bag_dir = tmp_path / "x" / f"guidance-archive-{YEAR}"
    victim = next(bag_dir.glob("data/records/*/documents/guidance-filed.pdf"))
    victim.write_bytes(victim.read_bytes() + b"forged")
    record_json = victim.parent.parent / "record.json"
    data = json.loads(record_json.read_text(encoding="utf-8"))
    for entry in data["documents"]:
        if entry["file"].endswith("guidance-filed.pdf"):
            entry["sha256"] = hashlib.sha256(victim.read_bytes()).hexdigest()
    record_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    bag = bagit.Bag(str(bag_dir))
    bag.save(manifests=True)  # a forger who also rewrites every manifest
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        for path in sorted(bag_dir.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tmp_path / "x").as_posix())
    result = run_cli(runner, "verify", "--archive", str(forged))
    assert result.exit_code == 1 and "与数据库中保存的文书不一致" in result.output


def test_verify_archive_refuses_an_unreadable_package(runner, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = run_cli(runner, "verify", "--archive", str(junk))
    assert result.exit_code == 1 and "无法读取档案包" in result.output


# --- the archive page and its background job ---------------------------------------------------

def test_archive_page_runs_a_job_with_progress_and_offers_the_download(app, client, auth, year_records, runner,
                                                                       tmp_path):
    auth.login("reviewer")
    page = client.get("/archive")
    assert page.status_code == 200 and "生成档案包" in page.get_data(as_text=True)
    refused = client.post("/archive", data={"csrf_token": auth.csrf_token(), "year": "abc"})
    assert refused.status_code == 422 and "归档年度应为" in refused.get_data(as_text=True)
    started = client.post("/archive", data={"csrf_token": auth.csrf_token(), "year": str(YEAR), "unit": ""})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    waiting = client.get(job_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in waiting and 'hx-trigger="every 1s"' in waiting and "排队中" in waiting
    assert client.get(job_url + "/download").status_code == 409

    with app.app_context():
        assert jobs.run_once() is True  # the worker's loop, in-process
        assert jobs.run_once() is False
        job = db.session.scalar(select(Job))
        assert job.status == "done" and job.progress == 100 and job.result_path.startswith("archives/")
    done = client.get(job_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" not in done and "下载档案包" in done
    download = client.get(job_url + "/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "guidance-archive-2026.zip" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    # The page's package is the same bag as the command line's for the same state.
    assert run_cli(runner, "archive", str(YEAR), str(tmp_path / "cli.zip"), "--by", "reviewer").exit_code == 0
    assert (tmp_path / "cli.zip").read_bytes() == download.data
    download.close()  # the zip is streamed from its file


def test_archive_job_failure_is_reported_on_the_page(app, client, auth, year_records):
    with app.app_context():
        version = db.session.scalar(select(DocumentVersion))
        file_store().path(version.sha256).unlink()
    auth.login("admin")
    started = client.post("/archive", data={"csrf_token": auth.csrf_token(), "year": str(YEAR)})
    with app.app_context():
        assert jobs.run_once() is True
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "失败" in page and "文件缺失" in page
    assert client.get(started.headers["Location"] + "/download").status_code == 409


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_archive_page_is_for_reviewers_and_admins(client, auth, role):
    auth.login(role)
    assert client.get("/archive").status_code == 403


def test_worker_command_runs_queued_jobs_and_a_job_is_claimed_once(app, runner, year_records):
    with app.app_context():
        reviewer = user("reviewer")
        first = jobs.enqueue_job(reviewer, "archive", {"year": YEAR, "unit": None}).id
        claimed = jobs.claim_job()
        assert claimed.id == first and claimed.status == "running"
        assert jobs.claim_job() is None  # nobody else takes a running job
        second = jobs.enqueue_job(reviewer, "archive", {"year": YEAR, "unit": "政策法规科"}).id
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "完成 1 个任务" in result.output
    with app.app_context():
        done = db.session.get(Job, second)
        assert done.status == "done" and "archives/" in done.result_path
        assert db.session.get(Job, first).status == "running"  # the first claimer still owns it


def test_a_job_whose_worker_died_is_reported_failed(app):
    from datetime import timedelta

    from webapp.models.types import utcnow

    with app.app_context():
        job = jobs.enqueue_job(user("reviewer"), "archive", {"year": YEAR, "unit": None})
        claimed = jobs.claim_job()
        claimed.started_at = utcnow() - timedelta(hours=3)
        db.session.commit()
        assert jobs.claim_job() is None
        stale = db.session.get(Job, job.id, populate_existing=True)
        assert stale.status == "failed" and "中断" in stale.error
