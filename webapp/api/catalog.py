"""API v1 目录清单: GET /catalog (public, ?version=), GET/PUT /catalog/draft and
POST /catalog/draft/publish (reviewer and admin), the same services as /catalog/draft."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from webapp.api import bp, error_json
from webapp.api.bodies import MAX_ID, int_arg, parse_body
from webapp.services import NotFound, policy
from webapp.services import catalog_versions as cv


class CatalogBasis(BaseModel):
    law: str = Field(description="法律、法规或规章名称（不带书名号）")
    articles: list[str] = Field(description="条款，如 第三十条、第十二条第二款")


class CatalogItemOut(BaseModel):
    """One item in catalog.json's shape (methods and stages as Chinese labels)."""

    model_config = ConfigDict(extra="allow")
    code: str
    name: str
    field: str = Field(description="领域")
    responsible_unit: str
    methods: list[str]
    stages: list[str]
    legal_basis: list[CatalogBasis]
    target_scope: str = ""
    published: bool = True
    active: bool = Field(True, description="false：已停用（事项从不删除）")


class CatalogVersionOut(BaseModel):
    version: int = Field(description="版本号（第N版）")
    published_on: date = Field(description="公布日期")
    doc_number: str | None = Field(description="文号（未填为 null）")
    published_at: datetime
    impact_job_id: int | None = Field(description="发布前查看的变更影响分析任务")
    items: list[CatalogItemOut] = Field(description="公开的事项（已停用、不公开的除外）")


class CatalogDraftOut(BaseModel):
    revision: int = Field(description="草稿修改次数：PUT 和发布时原样送回，过期则 409")
    based_on: int | None = Field(description="草稿所基于的现行版本号")
    items: list[CatalogItemOut] = Field(description="草稿的全部事项，含已停用的")
    changes: dict[str, Any] = Field(description="与现行版本相比：added 新增编码、changed 逐字段变化、retired 停用编码")


class CatalogDraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: StrictInt = Field(description="GET 草稿得到的 revision")
    items: list[Any] = Field(description="草稿的全部事项（catalog.json 格式）；缺少的原有事项视为停用")


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: StrictInt
    published_on: date = Field(description="公布日期，如 2026-11-30")
    doc_number: str | None = Field(None, max_length=cv.MAX_DOC_NUMBER, description="文号（可不填）")
    confirm: StrictBool = Field(False, description="停用的事项仍被未备案记录使用时，须为 true 才发布")
    note: str | None = Field(None, max_length=2000)


def version_json(edition) -> dict:
    data = CatalogVersionOut(version=edition.number, published_on=edition.published_on,
                             doc_number=edition.doc_number, published_at=edition.published_at,
                             impact_job_id=edition.impact_job_id, items=cv.public_items(edition))
    return data.model_dump(mode="json", exclude_none=False)


def _draft_json() -> dict:
    found = cv.draft()
    return CatalogDraftOut(revision=found.revision, based_on=cv.current_number(), items=found.items,
                           changes=cv.draft_diff().to_json()).model_dump(mode="json")


def _stale(exc: cv.StaleDraft):
    response, status = error_json(409, exc.message)
    body = response.get_json()
    body.update(revision=exc.revision, changes=[{"at": e.at.isoformat(), "by": e.user.display_name if e.user else None,
                                                 "action": e.action, "changes": e.changes} for e in exc.events])
    return jsonify(body), 409


@bp.get("/catalog")
def catalog():
    number = int_arg("version", low=1, high=MAX_ID)
    edition = cv.version(number) if number is not None else cv.current_version()
    if edition is None:
        raise NotFound("尚未发布目录清单")
    return jsonify(version_json(edition))


@bp.get("/catalog/draft")
def catalog_draft():
    policy.require(current_user, "manage_catalog")
    return jsonify(_draft_json())


@bp.put("/catalog/draft")
def replace_catalog_draft():
    policy.require(current_user, "manage_catalog")
    body = parse_body(CatalogDraftBody, required=True)
    try:
        cv.replace_items(current_user, body.items, body.revision)
    except cv.StaleDraft as exc:
        return _stale(exc)
    except cv.ImportRefused as exc:
        response, status = error_json(422, exc.message)
        return jsonify({**response.get_json(), "invalid": exc.report.to_json()["invalid"]}), 422
    return jsonify(_draft_json())


@bp.post("/catalog/draft/publish")
def publish_catalog_draft():
    policy.require(current_user, "manage_catalog")
    body = parse_body(PublishBody, required=True)
    try:
        edition = cv.publish(current_user, body.published_on, body.doc_number, body.revision,
                             confirm=body.confirm, note=body.note)
    except cv.StaleDraft as exc:
        return _stale(exc)
    except cv.NeedsConfirmation as exc:
        response, _status = error_json(409, exc.message)
        records = [{"id": r.id, "subject": r.subject, "catalog_code": r.catalog_code, "status": r.status,
                    "unit": r.unit} for r in exc.records]
        return jsonify({**response.get_json(), "records": records}), 409
    return jsonify(version_json(edition)), 201


def openapi_paths(ref_template: str, errors: dict[int, str], error_ref: dict) -> tuple[dict, dict]:
    """The catalog calls for openapi.json: (paths, component schemas)."""
    from pydantic.json_schema import models_json_schema

    refs, defs = models_json_schema([(CatalogVersionOut, "serialization"), (CatalogDraftOut, "serialization"),
                                     (CatalogDraftBody, "validation"), (PublishBody, "validation")],
                                    ref_template=ref_template)

    def json_content(schema):
        return {"application/json": {"schema": schema}}

    def answers(code: int, model, description: str, *codes: int, extra: dict | None = None) -> dict:
        result = {str(code): {"description": description, "content": json_content(refs[(model, "serialization")])}}
        for status in (400, 401, *codes):
            result[str(status)] = {"description": (extra or {}).get(status, errors.get(status, "")),
                                   "content": json_content(error_ref)}
        return dict(sorted(result.items()))

    def body(model):
        return {"required": True, "content": json_content(refs[(model, "validation")])}

    stale = {409: "草稿已被他人修改（revision 过期）：revision 为当前值，changes 列出对方的修改；"
                  "或发布时停用的事项仍被未备案记录使用（records 列出），须 confirm: true"}
    paths = {
        "/api/v1/catalog": {"get": {
            "operationId": "catalog", "summary": "现行目录清单（公开，无需登录）；?version=N 为第N版",
            "security": [],
            "parameters": [{"name": "version", "in": "query", "required": False, "description": "版本号",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
            "responses": answers(200, CatalogVersionOut, "该版本及其公开的事项", 404,
                                 extra={404: "该版本不存在，或尚未发布目录清单"})}},
        "/api/v1/catalog/draft": {
            "get": {"operationId": "catalog_draft", "summary": "目录清单草稿（审核员、管理员）",
                    "responses": answers(200, CatalogDraftOut, "目录草稿", 403)},
            "put": {"operationId": "replace_catalog_draft",
                    "summary": "整体替换草稿（全部有效才保存，否则 422 列出每一处问题）",
                    "requestBody": body(CatalogDraftBody),
                    "responses": answers(200, CatalogDraftOut, "保存后的草稿", 403, 409, 422,
                                         extra={**stale, 422: "事项有问题：invalid 列出第几项及原因，草稿未修改"})}},
        "/api/v1/catalog/draft/publish": {"post": {
            "operationId": "publish_catalog_draft", "summary": "将草稿发布为新版本（公布日期、文号）",
            "requestBody": body(PublishBody),
            "responses": answers(201, CatalogVersionOut, "新发布的版本", 403, 409, 422,
                                 extra={**stale, 422: "公布日期早于现行版本等"})}},
    }
    return paths, defs.get("$defs", {})
