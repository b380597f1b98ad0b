"""The public guidance catalog (公开原则: 行政指导的事项应当公开) — no login needed."""
from __future__ import annotations

from flask import Blueprint, Flask, request

from webapp.htmx import render_page_or_partial
from webapp.http import pdf_response
from webapp.services import documents, queries

bp = Blueprint("catalog", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _matches(item, query: str) -> bool:
    haystack = " ".join([item.code, item.name, item.field, item.responsible_unit, *item.methods,
                         *item.stages, *(b["law"] for b in item.legal_basis), item.target_scope or ""])
    return all(word in haystack for word in query.split())


@bp.get("/catalog")
def public():
    query = request.args.get("q", "").strip()[:100]
    items = [i for i in queries.published_catalog() if not query or _matches(i, query)]
    return render_page_or_partial("catalog/index.html", "catalog/_items.html", items=items, q=query)


@bp.get("/catalog.pdf")
def catalog_pdf():
    published = documents.catalog_date()
    return pdf_response(documents.catalog_document(), f"自然资源行政指导目录清单-{published:%Y-%m-%d}.pdf",
                        f"catalog-{published:%Y-%m-%d}.pdf")
