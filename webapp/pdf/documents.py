"""The record's documents — 行政指导文书 and 行政指导意见书: plain data in, PDF bytes out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rules import vocabulary as vocab

from .fonts import DocumentFonts, FontConfig
from .formatting import LABELS, attachment_lines, basis_texts, cn_date, label, paragraphs, to_datetime
from .linebreak import keep_each
from .render import html_to_pdf, render_html

DRAFT_STATUSES = frozenset({"draft", "pending_review"})
MM = 72 / 25.4
TEXT_WIDTH = 156 * MM  # GB/T 9704 版心 width, pt
BODY_SIZE = 16  # 三号
FORM_SIZE = 14  # the 文书's form is set in 四号
SEAL = 42 * MM  # a bureau's round seal
DATE_PLACEHOLDER = "　　年　　月　　日"


@dataclass
class DocumentRecord:
    """A record as its documents need it; `catalog_item` is its catalog entry (catalog.json shape).

    The two standard sentences of the 意见书 are the bureau's (config); empty leaves them out.
    `attachments` are the record's files for the 附件清单: {label (key), name, pages, size}."""

    bureau: str
    number: str | None
    status: str
    record: Mapping[str, Any]
    filed_at: datetime | None
    updated_at: datetime
    labels: Mapping[str, Mapping[str, str]] | None = None
    number_prefix: str = "指导书"
    catalog_item: Mapping[str, Any] | None = None
    voluntariness_text: str = ""
    objection_text: str = ""
    attachments: Sequence[Mapping[str, Any]] = ()

    @property
    def is_draft(self) -> bool:
        return self.status in DRAFT_STATUSES or not self.number

    @property
    def is_voided(self) -> bool:
        return self.status == "voided"


def _labels(doc: DocumentRecord) -> dict[str, dict[str, str]]:
    merged = {kind: dict(values) for kind, values in LABELS.items()}
    for kind, values in (doc.labels or {}).items():
        merged.setdefault(kind, {}).update(values)
    return merged


def _width(text: str, font: FontConfig, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font.face_name, size)


def signature_columns(bureau: str, date: str, font: FontConfig) -> dict[str, Any]:
    """Column widths (pt) that put 成文日期 右空四字 and the 署名 centred over it (7.3.5.1).

    The middle cell is wide enough for the seal; a 署名 too long for that moves left as a
    whole rather than running off the text block."""
    date_width = _width(date, font, BODY_SIZE)
    cell = max(date_width, _width(bureau, font, BODY_SIZE), SEAL) + BODY_SIZE
    centre = min(TEXT_WIDTH - 4 * BODY_SIZE - date_width / 2, TEXT_WIDTH - cell / 2)
    left = max(centre - cell / 2, 0)
    return {"left": round(left, 2), "cell": round(cell, 2),
            "right": round(TEXT_WIDTH - left - cell, 2), "date": date}


def _unit_line(bureau: str, font: FontConfig) -> dict[str, float]:
    """单位：the bureau's name in a box the seal covers (outlined on drafts)."""
    label_width = _width("单位：", font, FORM_SIZE) + 2 * MM  # its text and the cell padding
    name = max(_width(bureau, font, FORM_SIZE) + FORM_SIZE, SEAL)
    return {"label": round(label_width, 2), "name": round(name, 2),
            "rest": round(max(TEXT_WIDTH - label_width - name, 0), 2)}


def _pairs(record: Mapping[str, Any], key: str, labels) -> list[tuple[str, str]]:
    """案件回访's case or 政策指引's project as (label, value) lines."""
    value = dict(record.get(key) or {})
    if key == "case":
        return [(vocab.FIELD_LABELS["case.decision_number"], value.get("decision_number") or ""),
                (vocab.FIELD_LABELS["case.kind"], label(labels, "case_kind", value.get("kind"))),
                (vocab.FIELD_LABELS["case.closed_on"], cn_date(value.get("closed_on")))]
    return [(vocab.FIELD_LABELS["project.name"], value.get("name") or ""),
            (vocab.FIELD_LABELS["project.kind"], label(labels, "project_kind", value.get("kind")))]


def _document_context(doc: DocumentRecord, fonts: DocumentFonts) -> dict[str, Any]:
    record = dict(doc.record)
    labels = _labels(doc)
    catalog = dict(doc.catalog_item or {})
    guided_at = to_datetime(record.get("guided_at"))
    project = dict(record.get("project") or {})
    project_kind = label(labels, "project_kind", project.get("kind"))
    number = None if doc.is_draft else doc.number
    issued = cn_date(doc.filed_at) if number else ""
    return {
        "fonts": fonts,
        "doc": doc,
        "r": record,
        "L": vocab.FIELD_LABELS,
        "target": dict(record.get("target") or {}),
        "officers": keep_each(str(n).strip() for n in record.get("officers") or [] if n and str(n).strip()),
        "guided_date": cn_date(guided_at),
        "guided_time": (f"{guided_at.hour}时{guided_at.minute:02d}分"
                        if isinstance(guided_at, datetime) else ""),
        "number": number,
        "draft": doc.is_draft,
        "voided": doc.is_voided,
        "method": label(labels, "method", record.get("method")),
        "stage": label(labels, "stage", record.get("stage")),
        "form": label(labels, "form", record.get("form")),
        "result": label(labels, "result", record.get("result")),
        "oral": record.get("form") == "oral",
        "oral_confirmation": label(labels, "oral_confirmation", record.get("oral_confirmation")),
        "catalog_name": catalog.get("name") or "",
        "case": _pairs(record, "case", labels) if record.get("case") else [],
        "project": (f"{project.get('name') or ''}（{project_kind}）" if project_kind
                    else project.get("name") or ""),
        "content": paragraphs(record.get("content")),
        "problem": paragraphs(record.get("problem")),
        "opinion": paragraphs(record.get("opinion")),
        "effect": paragraphs(record.get("effect")),
        # The record's own basis, else its catalog item's (SPEC §3).
        "legal_basis": basis_texts(record.get("legal_basis") or catalog.get("legal_basis")),
        "voluntariness": paragraphs(doc.voluntariness_text),
        "objection": paragraphs(doc.objection_text),
        "attachments": attachment_lines(doc.attachments),
        # 成文日期 of a numbered 意见书 is the day it was numbered, never the guidance date.
        "signature": signature_columns(doc.bureau, issued or DATE_PLACEHOLDER, fonts.body),
        "unit_line": _unit_line(doc.bureau, fonts.body),
        "date_blank": DATE_PLACEHOLDER,
    }


def guidance_document_html(doc: DocumentRecord, font: FontConfig | DocumentFonts) -> str:
    fonts = DocumentFonts.of(font)
    return render_html("guidance_document.html", title="行政指导文书", **_document_context(doc, fonts))


def opinion_letter_html(doc: DocumentRecord, font: FontConfig | DocumentFonts) -> str:
    fonts = DocumentFonts.of(font)
    return render_html("opinion_letter.html", title="行政指导意见书", **_document_context(doc, fonts))


def guidance_document_pdf(doc: DocumentRecord, font: FontConfig | DocumentFonts) -> bytes:
    """行政指导文书 (seed 附件1)."""
    return html_to_pdf(guidance_document_html(doc, font), font=font, timestamp=doc.updated_at)


def opinion_letter_pdf(doc: DocumentRecord, font: FontConfig | DocumentFonts) -> bytes:
    """行政指导意见书 (seed 附件2)."""
    return html_to_pdf(opinion_letter_html(doc, font), font=font, timestamp=doc.updated_at)

