"""The two list documents — 行政指导事项登记簿 and 目录清单: plain data in, PDF bytes out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rules import vocabulary as vocab

from .fonts import DocumentFonts, FontConfig
from .formatting import basis_texts, cn_date
from .linebreak import keep_each, keep_together
from .render import PageNumbers, html_to_pdf, render_html

REGISTER_CHUNK_ROWS = 40  # one long xhtml2pdf table is superlinear in its rows; short ones are not
REGISTER_WIDTHS = [5, 11, 17, 26, 9, 14, 18]  # 序号 时间 指导对象 指导事项 指导结果 指导人员 文号 (%)
CATALOG_WIDTHS = [5, 8, 15, 10, 8, 14, 12, 28]  # 序号 编号 名称 方式 环节 适用对象 责任单位 依据 (%)
# Landscape tables: the number 7 mm under the table block, in the size of their headings.
REGISTER_PAGE_NUMBERS = PageNumbers(left_mm=20, right_mm=20, bottom_mm=20, size=12)
CATALOG_PAGE_NUMBERS = PageNumbers(left_mm=20, right_mm=20, bottom_mm=22, size=12)


@dataclass
class RegisterRow:
    """One line of the 登记簿; `target` is the 指导对象's name."""

    seq: int
    guided_at: datetime
    subject: str
    result: str
    officers: list[str] = field(default_factory=list)
    number: str | None = None
    target: str = ""


def register_html(rows: Sequence[RegisterRow], *, title: str, subtitle: str,
                  generated_at: datetime, font: FontConfig | DocumentFonts, notes: Sequence[str] = ()) -> str:
    prepared = [
        {
            "seq": row.seq,
            "date": keep_together(cn_date(row.guided_at)),
            "target": row.target,
            "subject": row.subject,
            "result": keep_together(row.result),
            "officers": keep_each(row.officers),
            "number": keep_together(row.number or ""),
        }
        for row in rows
    ]
    chunks = [prepared[i:i + REGISTER_CHUNK_ROWS] for i in range(0, len(prepared), REGISTER_CHUNK_ROWS)]
    return render_html(
        "register.html", fonts=DocumentFonts.of(font), title=title, subtitle=subtitle,
        generated=cn_date(generated_at), chunks=chunks, L=vocab.FIELD_LABELS, widths=REGISTER_WIDTHS,
        notes=list(notes),
    )


def register_pdf(rows: Sequence[RegisterRow], *, title: str, subtitle: str,
                 generated_at: datetime, font: FontConfig | DocumentFonts, notes: Sequence[str] = ()) -> bytes:
    """行政指导事项登记簿: landscape A4, column headings and "— N —" on every page; 号段说明 (notes) after the rows."""
    html = register_html(rows, title=title, subtitle=subtitle, generated_at=generated_at, font=font, notes=notes)
    return html_to_pdf(html, font=font, timestamp=generated_at, page_numbers=REGISTER_PAGE_NUMBERS)


def catalog_groups(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Items grouped by 领域 (groups in order of first appearance), numbered 1…N throughout."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        groups.setdefault(item.get("field") or vocab.PROJECT_KIND["other"], []).append(item)
    seq, result = 0, []
    for name, members in groups.items():
        prepared = []
        for item in members:
            seq += 1
            prepared.append({
                "seq": seq,
                "code": item.get("code", ""),
                "name": item.get("name", ""),
                "methods": keep_each(item.get("methods") or []),
                "stages": keep_each(item.get("stages") or []),
                "unit": keep_together(item.get("responsible_unit", "")),
                "basis": basis_texts(item.get("legal_basis")),
                "scope": item.get("target_scope") or "",
            })
        result.append({"field": name, "members": prepared})
    return result


def catalog_html(items: Sequence[Mapping[str, Any]], *, bureau: str,
                 published_on: date | datetime, font: FontConfig | DocumentFonts, edition: str | None = None) -> str:
    return render_html(
        "catalog.html", fonts=DocumentFonts.of(font), title="自然资源行政指导目录清单", bureau=bureau,
        published=cn_date(published_on), groups=catalog_groups(items), L=vocab.FIELD_LABELS,
        widths=CATALOG_WIDTHS, edition=edition,
    )


def catalog_pdf(items: Sequence[Mapping[str, Any]], *, bureau: str,
                published_on: date | datetime, font: FontConfig | DocumentFonts, edition: str | None = None) -> bytes:
    """自然资源行政指导目录清单 (catalog.json shape), dated with the catalog's 公布日期 (and its version)."""
    html = catalog_html(items, bureau=bureau, published_on=published_on, font=font, edition=edition)
    stamp = published_on if isinstance(published_on, datetime) else datetime.combine(published_on, datetime.min.time())
    return html_to_pdf(html, font=font, timestamp=stamp, page_numbers=CATALOG_PAGE_NUMBERS)


RULES_PAGE_NUMBERS = PageNumbers(left_mm=28, right_mm=26, bottom_mm=20, size=12)


def rules_handout_pdf(groups: Sequence[Any], *, title: str, edition: str, bureau: str,
                      generated_at: datetime, font: FontConfig | DocumentFonts) -> bytes:
    """行政指导记录检查规则 — the training handout: each rule one sentence, grouped by principle."""
    html = render_html("rules.html", fonts=DocumentFonts.of(font), title=title, edition=edition,
                       bureau=bureau, generated=cn_date(generated_at), groups=groups)
    return html_to_pdf(html, font=font, timestamp=generated_at, page_numbers=RULES_PAGE_NUMBERS)
