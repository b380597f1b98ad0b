"""The public guidance catalog (公开原则: 行政指导的事项应当公开) — no login needed — and, in
editor.py, the draft that 政策法规科 edits and publishes as a new version."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Flask, request
from flask_login import current_user

from webapp.htmx import render_page_or_partial
from webapp.http import form_int, pdf_response
from webapp.services import DomainError, catalog_versions, documents, policy, queries

bp = Blueprint("catalog", __name__)


def init_app(app: Flask) -> None:
    from webapp.catalog import cli, editor  # noqa: F401 — registers the routes and commands

    app.register_blueprint(bp)


def _get(item, key):
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key)


def _matches(item, query: str) -> bool:
    haystack = " ".join([_get(item, "code"), _get(item, "name"), _get(item, "field"), _get(item, "responsible_unit"),
                         *_get(item, "methods"), *_get(item, "stages"),
                         *(b["law"] for b in _get(item, "legal_basis")), _get(item, "target_scope") or ""])
    return all(word in haystack for word in query.split())


def _catalog_page(edition, items):
    query = request.args.get("q", "").strip()[:100]
    items = [i for i in items if not query or _matches(i, query)]
    current = catalog_versions.current_version()
    return render_page_or_partial("catalog/index.html", "catalog/_items.html", items=items, q=query,
                                  edition=edition, current=current, can_edit=policy.can(current_user, "manage_catalog"),
                                  earlier=[v for v in catalog_versions.versions() if v is not current])


@bp.get("/catalog")
def public():
    # catalog_item holds the current version: the same items as its snapshot, as every query reads them
    return _catalog_page(catalog_versions.current_version(), queries.published_catalog())


@bp.get("/catalog/versions/<int:number>")
def version(number: int):
    edition = catalog_versions.version(number)
    return _catalog_page(edition, catalog_versions.public_items(edition))


@bp.get("/catalog.pdf")
def catalog_pdf():
    raw = request.args.get("version")
    number = form_int(raw) if raw else None
    if raw and not number:
        raise DomainError("目录清单版本号应为正整数")  # 400
    edition = catalog_versions.version(number) if number else catalog_versions.current_version()
    published = edition.published_on if edition else documents.catalog_date()
    suffix = f"-第{edition.number}版" if edition else ""
    return pdf_response(documents.catalog_document(number),
                        f"自然资源行政指导目录清单-{published:%Y-%m-%d}{suffix}.pdf",
                        f"catalog-{published:%Y-%m-%d}{'-v%d' % edition.number if edition else ''}.pdf")


@bp.app_template_filter("catalog_value")
def catalog_value(value) -> str:
    """An item field as the diff shows it: legal bases as 《法》条款, lists joined, flags as 是/否."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(f"《{v.get('law', '')}》{'、'.join(v.get('articles') or [])}" if isinstance(v, Mapping)
                        else str(v) for v in value) if any(isinstance(v, Mapping) for v in value) else "、".join(map(str, value))
    if isinstance(value, Mapping):
        return f"{value.get('code', '')} {value.get('name', '')}"
    return str(value)
