"""The draft 目录清单 (reviewer and admin): edit, retire, create, import with a dry run, export,
publish. Parse → service → render; every refusal re-shows the page with the user's input."""
from __future__ import annotations

import json
import re

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from rules import vocabulary as vocab
from webapp.catalog import bp
from webapp.http import file_response, form_int
from webapp.services import DomainError, NotFound, impact, policy
from webapp.services import catalog_versions as cv

IMPORT_ENDPOINTS = frozenset({"catalog.import_dry_run"})
MULTIPART_ROOM = 64 * 1024
_SPLIT = re.compile(r"[、，,；;\s]+")
BLANK_BASES = 2  # empty law rows under the filled ones, so a basis can be added without JavaScript
MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "json": "application/json"}


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values):
    if endpoint in IMPORT_ENDPOINTS:  # before the CSRF check reads the form
        request.max_content_length = cv.MAX_IMPORT_BYTES + MULTIPART_ROOM


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    return _draft_page(errors={"file": cv.too_large_message()}, status=413)


def _require():
    policy.require(current_user, "manage_catalog")


def _revision() -> int | None:
    return form_int(request.form.get("revision"))


def _draft_page(*, errors=None, status=200, values=None, in_use=None, report=None, payload=None, years=None):
    found = cv.draft()
    changes = cv.draft_diff()
    fp = impact.fingerprint(list(found.items), None)
    years = years or f"{cv.today().year - 1}-{cv.today().year}"  # never request.form: a 413 has none
    context = dict(draft=found, items=found.items, changes=changes, current=cv.current_version(),
                   impact_run=impact.latest_run(fp), impact_seen=impact.looked_at(fp), impact_years=years,
                   events=cv.draft_events(), errors=errors or {}, values=values or {}, in_use=in_use or [],
                   report=report, payload=payload, open_in_use=cv.open_records_using(changes.retired),
                   max_mb=cv.MAX_IMPORT_BYTES // (1024 * 1024), today=cv.today().isoformat())
    return render_template("catalog/draft.html", **context), status


@bp.get("/catalog/draft")
@login_required
def draft():
    _require()
    return _draft_page()


# --- one item -----------------------------------------------------------------------------------


def _item_fields() -> dict:
    form = request.form
    bases = []
    for law, articles in zip(form.getlist("basis_law"), form.getlist("basis_articles")):
        if law.strip() or articles.strip():
            bases.append({"law": law.strip(), "articles": [a for a in _SPLIT.split(articles) if a]})
    fields = {key: form.get(key, "") for key in ("name", "field", "responsible_unit", "target_scope", "notes",
                                                 "source", "provenance")}
    fields.update(methods=form.getlist("methods"), stages=form.getlist("stages"), legal_basis=bases,
                  published=form.get("published") == "yes", active=form.get("active") == "yes")
    if "code" in form:
        fields["code"] = form.get("code", "")
    return fields


def _item_page(item: dict, *, new: bool, errors=None, stale=None, status=200):
    bases = list(item.get("legal_basis") or []) + [{"law": "", "articles": []}] * BLANK_BASES
    return render_template("catalog/item.html", item=item, new=new, bases=bases, errors=errors or {},
                           stale=stale, revision=cv.draft().revision,
                           marker=None if new else cv.draft_diff().marker(item["code"]),
                           published_item=None if new else next(
                               (i for i in cv.published_items() if i["code"] == item["code"]), None)), status


@bp.get("/catalog/draft/items/new")
@login_required
def new_item():
    _require()
    return _item_page({"published": True, "active": True}, new=True)


@bp.post("/catalog/draft/items/new")
@login_required
def create_item():
    _require()
    fields = _item_fields()
    try:
        cv.create_item(current_user, fields, _revision())
    except cv.InvalidItem as exc:
        return _item_page(fields, new=True, errors=exc.errors, status=422)
    except cv.StaleDraft as exc:
        return _item_page(fields, new=True, stale=exc, status=409)
    return _saved(f"已在草稿中新增事项 {fields['code'].strip().upper()}。")


@bp.get("/catalog/draft/items/<code>")
@login_required
def item(code: str):
    _require()
    return _item_page(cv.find_item(code), new=False)


@bp.post("/catalog/draft/items/<code>")
@login_required
def save_item(code: str):
    _require()
    old = cv.find_item(code)
    fields = _item_fields()
    fields.pop("code", None)
    try:
        cv.save_item(current_user, old["code"], fields, _revision())
    except cv.InvalidItem as exc:
        return _item_page({**fields, "code": old["code"]}, new=False, errors=exc.errors, status=422)
    except cv.StaleDraft as exc:
        return _item_page({**fields, "code": old["code"]}, new=False, stale=exc, status=409)
    return _saved(f"已保存事项 {old['code']} 的修改（发布后生效）。")


@bp.post("/catalog/draft/items/<code>/retire")
@login_required
def retire_item(code: str):
    _require()
    old = cv.find_item(code)
    try:
        cv.retire_item(current_user, old["code"], _revision())
    except cv.StaleDraft as exc:
        return _item_page(old, new=False, stale=exc, status=409)
    except DomainError as exc:
        return _item_page(old, new=False, errors={"active": exc.message}, status=exc.status)
    return _saved(f"已在草稿中停用事项 {old['code']}（发布后生效；事项不会被删除）。")


def _saved(message: str):
    flash(message, "success")
    return redirect(url_for("catalog.draft"))


# --- import, export, publish ------------------------------------------------------------------


@bp.post("/catalog/draft/import")
@login_required
def import_dry_run():
    _require()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _draft_page(errors={"file": "请选择要导入的 .xlsx 或 .json 文件"}, status=422)
    fmt = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    try:
        report = cv.import_dry_run(upload.stream.read(cv.MAX_IMPORT_BYTES + 1), fmt)
    except DomainError as exc:
        return _draft_page(errors={"file": exc.message}, status=exc.status if exc.status != 400 else 422)
    payload = json.dumps(report.items, ensure_ascii=False) if not report.invalid else None
    return _draft_page(report=report, payload=payload, status=200)


@bp.post("/catalog/draft/import/apply")
@login_required
def import_apply():
    _require()
    try:
        items = json.loads(request.form.get("payload") or "")
    except ValueError:
        return _draft_page(errors={"file": "导入内容已失效，请重新上传文件"}, status=422)
    try:
        cv.replace_items(current_user, items if isinstance(items, list) else [None], _revision(), action="import")
    except cv.ImportRefused as exc:
        return _draft_page(report=exc.report, errors={"file": exc.message}, status=422)
    except cv.StaleDraft as exc:
        return _draft_page(errors={"file": exc.message}, status=409)
    return _saved(f"已导入 {len(items)} 项到目录草稿（发布后生效）。")


@bp.get("/catalog/draft/export.<fmt>")
@login_required
def export(fmt: str):
    _require()
    if fmt not in MIMETYPES:
        raise NotFound("导出格式应为 xlsx 或 json")
    return file_response(cv.export(fmt), f"行政指导目录清单草稿.{fmt}", MIMETYPES[fmt], f"catalog-draft.{fmt}")


@bp.post("/catalog/draft/impact")
@login_required
def run_impact():
    """变更影响: re-check the chosen years' records against the draft, as a background job."""
    _require()
    try:
        years = impact.read_years(request.form.get("years", ""))
        job = impact.start(current_user, items=cv.draft_items(), params=None, years=years, label="目录清单草稿")
    except DomainError as exc:
        return _draft_page(errors={"years": exc.message}, status=exc.status, years=request.form.get("years"))
    return redirect(url_for("impact.report", job_id=job.id), code=303)


@bp.post("/catalog/draft/publish")
@login_required
def publish():
    _require()
    values = {key: request.form.get(key, "") for key in ("published_on", "doc_number")}
    try:
        edition = cv.publish(current_user, values["published_on"], values["doc_number"], _revision(),
                             confirm=request.form.get("confirm") == "yes")
    except cv.NeedsConfirmation as exc:
        return _draft_page(errors={"confirm": exc.message}, values=values, in_use=exc.records, status=409)
    except cv.InvalidItem as exc:
        return _draft_page(errors=exc.errors, values=values, status=422)
    except DomainError as exc:
        return _draft_page(errors={"published_on": exc.message}, values=values, status=exc.status)
    return _saved(f"已发布目录清单{vocab.CATALOG_VERSION.format(number=edition.number)}，"
                  f"公布日期 {edition.published_on:%Y-%m-%d}。")
