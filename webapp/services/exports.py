"""The register handed over: page rows, xlsx, CSV and the 登记簿 PDF of any filter.

Every export reads the same query as the page (queries.register_rows), masks what the user may
not read (presenting.masked_target_id) and is an audit event (who, which filter, how many rows).
"""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timezone

from rules import vocabulary as vocab
from rules.model import SHANGHAI

from webapp.db_setup import write_transaction
from webapp.extensions import settings
from webapp.pdf import RegisterRow, register_pdf as render_register_pdf
from webapp.reports.tabular import Column, iter_csv, write_xlsx
from webapp.services import policy, queries
from webapp.services.audit import record_event
from webapp.services.documents import document_fonts
from webapp.services.numbering import gap_notes
from webapp.services.presenting import masked_target_id
from webapp.services.register_filter import RecordFilter

FILTER_CHOICES = {"method": vocab.METHOD, "stage": vocab.STAGE, "status": vocab.STATUS}
L = vocab.FIELD_LABELS
COLUMNS = (
    Column("number", vocab.RECORD_LABELS["number"], width=22),
    Column("guided_at", L["guided_at"], kind="datetime", width=17),
    Column("subject", L["subject"], width=30),
    Column("target", L["target.name"], width=28),
    Column("id_number", L["target.id_number"], width=22),
    Column("method", L["method"], width=10),
    Column("stage", L["stage"], width=8),
    Column("form", L["form"], width=8),
    Column("catalog_code", L["catalog_code"], width=12),
    Column("catalog_name", "目录事项名称", width=30),
    Column("unit", L["unit"], width=20),
    Column("officers", L["officers"], width=16),
    Column("result", L["result"], width=10),
    Column("status", vocab.RECORD_LABELS["status"], width=8),
    Column("good", "典型经验", width=8),
    Column("filed_at", "备案时间", kind="datetime", width=17),
)


def _row(user, record, catalog_names: dict[str, str]) -> dict:
    return {
        "id": record.id,
        "number": record.number or "",
        "guided_at": record.guided_at,
        "subject": record.subject or "",
        "target": record.target_name or "",
        "id_number": masked_target_id(user, record) or "",
        "method": vocab.METHOD.get(record.method, record.method or ""),
        "stage": vocab.STAGE.get(record.stage, record.stage or ""),
        "form": vocab.FORM.get(record.form, record.form or ""),
        "catalog_code": record.catalog_code or "",
        "catalog_name": catalog_names.get(record.catalog_code or "", ""),
        "unit": record.unit or "",
        "officers": "、".join(record.officers or []),
        "result": vocab.RESULT.get(record.result, record.result or ""),
        "status": vocab.STATUS.get(record.status, record.status),
        "status_key": record.status,
        "good": "是" if record.good_practice else "",
        "filed_at": record.filed_at,
    }


def register_rows(user, records) -> list[dict]:
    """Page rows (dicts, masked) for records already fetched."""
    names = queries.catalog_names()
    return [_row(user, r, names) for r in records]


def _iter_rows(user, flt: RecordFilter):
    names = queries.catalog_names()
    for record in queries.register_rows(user, flt):
        yield _row(user, record, names)


def _title_lines(flt: RecordFilter, user) -> list[str]:
    today = datetime.now(SHANGHAI)
    return [f"{settings['BUREAU_NAME']}行政指导基础台账",
            f"筛选条件：{flt.words()}",
            f"制表：{user.display_name}（{user.unit.name}）　制表日期：{today.year}年{today.month}月{today.day}日"]


def record_export(user, flt: RecordFilter, fmt: str, rows: int) -> None:
    with write_transaction():
        record_event(entity="register", entity_id=0, action="export", user_id=user.id,
                     changes={"format": {"before": None, "after": fmt},
                              "filter": {"before": None, "after": flt.params()},
                              "rows": {"before": None, "after": rows}},
                     note=f"导出{fmt.upper()}：{flt.words()}，{rows} 条")


def register_xlsx(user, flt: RecordFilter) -> tuple[bytes, int]:
    """(the workbook's bytes, rows written); rows stream from the database, the sheet is
    written in constant memory, only the compressed file is held (~5 MB per 100,000 rows)."""
    out = io.BytesIO()
    count = write_xlsx(out, sheet="台账", title_lines=_title_lines(flt, user), columns=COLUMNS,
                       rows=_iter_rows(user, flt))
    record_export(user, flt, "xlsx", count)
    return out.getvalue(), count


def register_csv(user, flt: RecordFilter):
    """A generator of CSV bytes (UTF-8 BOM first); the export is audited with its count up front."""
    record_export(user, flt, "csv", queries.register_count(user, flt))
    return iter_csv(COLUMNS, _iter_rows(user, flt), title_lines=_title_lines(flt, user))


def register_pdf(user, flt: RecordFilter) -> bytes:
    """The 登记簿 of any filter: numbered records only, in number order."""
    statuses = tuple(s for s in flt.statuses if s in policy.PUBLIC_STATUSES) or tuple(sorted(policy.PUBLIC_STATUSES))
    flt = replace(flt, statuses=statuses, sort="number")
    records = list(queries.register_rows(user, flt))
    pdf = register_document(records, flt)  # drawn before the audit commit expires the records
    record_export(user, flt, "pdf", len(records))
    return pdf


def register_document(records, flt: RecordFilter) -> bytes:
    """The 登记簿 PDF of records already chosen (no user, no audit: the year archive uses it too)."""
    rows = [RegisterRow(seq=i, guided_at=r.guided_at, subject=r.subject or "", result=_result_label(r),
                        officers=list(r.officers or []), number=r.number, target=r.target_name or "")
            for i, r in enumerate(records, start=1)]
    stamp = max((r.updated_at for r in records), default=datetime(2000, 1, 1, tzinfo=timezone.utc))
    return render_register_pdf(rows, title="行政指导事项登记簿",
                               subtitle=f"{settings['BUREAU_NAME']}　{flt.words()}",
                               generated_at=stamp, font=document_fonts(), notes=gap_notes(flt.year))


def _result_label(record) -> str:
    text = vocab.RESULT.get(record.result or "pending", record.result or "")
    return f"{text}（{vocab.STATUS['voided']}）" if record.status == "voided" else text


def file_names(flt: RecordFilter, ext: str) -> tuple[str, str]:
    """(Chinese file name, ASCII fallback that says what the file is) for an export."""
    base, ascii_base = ("行政指导事项登记簿", "register") if ext == "pdf" else ("行政指导台账", "register-list")
    year = f"-{flt.year}" if flt.year else ""
    unit = f"-{flt.unit}" if flt.unit else ""
    ascii_unit = f"-unit-{flt.unit_id}" if flt.unit_id else ""
    return f"{base}{year}{unit}.{ext}", f"{ascii_base}{year}{ascii_unit}.{ext}"
