"""The four §6 documents: plain data in, PDF bytes out (no Flask, no models)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .fonts import FontConfig
from .formatting import LABELS, cn_date, label, paragraphs, to_datetime
from .render import html_to_pdf, render_html

DRAFT_STATUSES = frozenset({"draft", "pending_review"})
REGISTER_FOOTER = "第{page}页　共{pages}页"
REGISTER_CHUNK_ROWS = 40  # one long xhtml2pdf table is superlinear in its rows; short ones are not


@dataclass
class DocumentRecord:
    bureau: str
    number: str | None
    status: str
    record: Mapping[str, Any]
    filed_at: datetime | None
    updated_at: datetime
    labels: Mapping[str, Mapping[str, str]] | None = None
    number_prefix: str = "指导书"

    @property
    def is_draft(self) -> bool:
        return self.status in DRAFT_STATUSES or not self.number

    @property
    def is_voided(self) -> bool:
        return self.status == "voided"


@dataclass
class RegisterRow:
    seq: int
    guided_at: datetime
    subject: str
    result: str
    officers: list[str] = field(default_factory=list)
    number: str | None = None


def _labels(doc: DocumentRecord) -> dict[str, dict[str, str]]:
    merged = {kind: dict(values) for kind, values in LABELS.items()}
    for kind, values in (doc.labels or {}).items():
        merged.setdefault(kind, {}).update(values)
    return merged


def _document_context(doc: DocumentRecord, font: FontConfig) -> dict[str, Any]:
    record = dict(doc.record)
    labels = _labels(doc)
    target = dict(record.get("target") or {})
    officers = [name for name in (record.get("officers") or []) if name and str(name).strip()]
    guided_at = to_datetime(record.get("guided_at"))
    return {
        "font": font,
        "doc": doc,
        "r": record,
        "target": target,
        "officers": "、".join(officers),
        "guided_at": guided_at,
        "guided_date": cn_date(guided_at),
        "number": None if doc.is_draft else doc.number,
        "draft": doc.is_draft,
        "voided": doc.is_voided,
        "method": label(labels, "method", record.get("method")),
        "stage": label(labels, "stage", record.get("stage")),
        "form": label(labels, "form", record.get("form")),
        "result": label(labels, "result", record.get("result")),
        "status_label": label(labels, "status", doc.status),
        "content": paragraphs(record.get("content")),
        "problem": paragraphs(record.get("problem")),
        "opinion": paragraphs(record.get("opinion")),
        "effect": paragraphs(record.get("effect")),
        "legal_basis": [
            f"《{b.get('law', '')}》{''.join(b.get('articles') or [])}"
            for b in (record.get("legal_basis") or [])
        ],
    }


def guidance_document_html(doc: DocumentRecord, font: FontConfig) -> str:
    return render_html("guidance_document.html", title="行政指导文书", **_document_context(doc, font))


def opinion_letter_html(doc: DocumentRecord, font: FontConfig) -> str:
    return render_html("opinion_letter.html", title="行政指导意见书", **_document_context(doc, font))


def guidance_document_pdf(doc: DocumentRecord, font: FontConfig) -> bytes:
    """行政指导文书 (seed 附件1)."""
    return html_to_pdf(guidance_document_html(doc, font), font=font, timestamp=doc.updated_at)


def opinion_letter_pdf(doc: DocumentRecord, font: FontConfig) -> bytes:
    """行政指导意见书 (seed 附件2)."""
    return html_to_pdf(opinion_letter_html(doc, font), font=font, timestamp=doc.updated_at)


def register_html(rows: Sequence[RegisterRow], *, title: str, subtitle: str,
                  generated_at: datetime, font: FontConfig) -> str:
    prepared = [
        {
            "seq": row.seq,
            "date": cn_date(row.guided_at),
            "subject": row.subject,
            "result": row.result,
            "officers": "、".join(row.officers),
            "number": row.number or "",
        }
        for row in rows
    ]
    chunks = [prepared[i:i + REGISTER_CHUNK_ROWS] for i in range(0, len(prepared), REGISTER_CHUNK_ROWS)]
    return render_html(
        "register.html", font=font, title=title, subtitle=subtitle,
        generated=cn_date(generated_at), chunks=chunks,
    )


def register_pdf(rows: Sequence[RegisterRow], *, title: str, subtitle: str,
                 generated_at: datetime, font: FontConfig) -> bytes:
    """行政指导事项登记簿: landscape A4, column headings and 第N页 共M页 on every page."""
    html = register_html(rows, title=title, subtitle=subtitle, generated_at=generated_at, font=font)
    return html_to_pdf(html, font=font, timestamp=generated_at, page_footer=REGISTER_FOOTER)


def catalog_pdf(items: Sequence[Mapping[str, Any]], *, bureau: str,
                generated_at: datetime, font: FontConfig) -> bytes:
    """自然资源行政指导目录清单 (catalog.json shape)."""
    prepared = [
        {
            "code": item.get("code", ""),
            "name": item.get("name", ""),
            "field": item.get("field", ""),
            "methods": "、".join(item.get("methods") or []),
            "stages": "、".join(item.get("stages") or []),
            "unit": item.get("responsible_unit", ""),
            "basis": [
                f"《{b.get('law', '')}》{'、'.join(b.get('articles') or [])}"
                for b in (item.get("legal_basis") or [])
            ],
            "scope": item.get("target_scope") or "",
        }
        for item in items
    ]
    html = render_html(
        "catalog.html", font=font, title="自然资源行政指导目录清单", bureau=bureau,
        generated=cn_date(generated_at), items=prepared,
    )
    return html_to_pdf(html, font=font, timestamp=generated_at)
