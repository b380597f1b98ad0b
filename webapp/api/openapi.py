"""GET /api/v1/openapi.json: OpenAPI 3.1, generated from the pydantic models the API uses."""
from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from flask import jsonify
from pydantic.json_schema import models_json_schema

from webapp.api import bp, catalog
from webapp.api import schemas as s
from webapp.api.bodies import MAX_ID
from webapp.api.records import MAX_PAGE
from webapp.api.users import USER_INPUTS, USER_OUTPUTS, user_paths
from webapp.models.record import STATUSES
from webapp.services import queries
from webapp.services.register_filter import MAX_TEXT, SORT_LABELS, YEAR_RANGE
from rules import vocabulary as vocab
from rules.model import SHANGHAI
from rules.limits import LIST_LIMITS, TEXT_LIMITS

REF = "#/components/schemas/{model}"
ERRORS = {
    400: "请求格式有误：JSON 无效、缺少 version、参数无效等",
    401: "没有或无效的 Bearer 令牌",
    403: "您的角色或单位无权执行此操作",
    404: "记录不存在，或您无权查看",
    409: "版本已过期（他人已修改），或记录当前状态不允许此操作（如审查草稿）",
    413: "请求体过大：JSON 请求体最多 256 KB，记录最多 64K 字符；附件见 ATTACHMENT_MAX_BYTES（默认 20 MB）",
    422: "记录有必须修改的问题：findings 列出每一项",
    503: "数据库正忙，操作未生效：按 Retry-After 头（秒）稍后重试",
}
RETRY_AFTER = {"Retry-After": {"description": "建议等待的秒数", "schema": {"type": "integer", "minimum": 1}}}
# SPEC §3's example record: what the examples phase of a contract test sends first.
EXAMPLE_RECORD = {
    "catalog_code": "ZD-TD-03", "method": "admonition", "stage": "during", "form": "written",
    "initiated_by": "ex_officio", "applied_at": None, "unit": "自然资源开发利用科", "officers": ["张明", "李华"],
    "guided_at": "2026-11-20T10:00:00+08:00", "place": "周村区王村镇某村临时用地现场",
    "target": {"name": "淄博某建材有限公司", "kind": "organization", "id_number": "914403001922038216",
               "contact": "王经理", "phone": "13905330000"},
    "subject": "临时用地期满未复垦归还", "content": "现场检查发现临时用地期满未复垦，告知复垦义务。",
    "problem": "临时用地使用期满后未在规定期限内完成土地复垦并归还土地。",
    "opinion": "建议在30日内完成复垦，复垦完成后申请验收。",
    "legal_basis": [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}],
    "informed_of_voluntariness": True, "written_requested": False, "oral_confirmation": None,
    "contact_person": "李华", "contact_phone": "0533-6180000",
    "admonition_conditions": {"minor": True, "no_intent": True, "corrected": True, "no_harm": True},
    "case": None, "project": None, "follow_up_due": "2026-12-20", "result": "pending", "effect": None,
}
OUTPUT = "serialization"
_DAY_OR_NULL = {"type": ["string", "null"], "format": "date"}
_ALERTS_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["kind", "record_id", "due", "level"],
    "properties": {
        "kind": {"type": "string", "enum": list(vocab.ALERT_KINDS), "description": "提醒类别"},
        "record_id": {"type": "integer", "description": "记录编号"},
        "due": {**_DAY_OR_NULL, "description": "回访期限（仅 follow_up）"},
        "level": {"type": "string", "enum": ["red", "amber", "info"]},
        "since": {**_DAY_OR_NULL, "description": "退回、提交、抽取或作出抽查结论的日期"},
        "age_working_days": {"type": ["integer", "null"], "description": "已等待审查的工作日数"},
        "note": {"type": ["string", "null"], "description": "审查意见或抽查说明"},
        "subject": {"type": ["string", "null"], "description": vocab.FIELD_LABELS["subject"]}}}}
INPUT = "validation"


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(tuple(sorted(queries.unit_ids()))))


@cache
def document(units: tuple[str, ...] = ()) -> dict[str, Any]:
    """The description; `units` (the bureau's unit names) become the enum of every `unit` parameter."""
    pairs = [(m, OUTPUT) for m in (s.Report, s.Error, s.RecordCreated, s.RecordDetail, s.RecordPage,
                                   s.AttachmentCreated, *USER_OUTPUTS)]
    pairs += [(m, INPUT) for m in (s.Record, s.RecordPatch, s.SubmitBody, s.ApproveBody, s.ReturnBody,
                                   s.CloseBody, s.VoidBody, *USER_INPUTS)]
    refs, defs = models_json_schema(pairs, ref_template=REF)
    BODY_EXAMPLES = {s.Record: EXAMPLE_RECORD, s.RecordPatch: {"version": 1, "subject": "临时用地期满未复垦归还"},
                     s.SubmitBody: {"version": 1}, s.ApproveBody: {"comment": "同意备案。"},
                     s.ReturnBody: {"comment": "请补充法律依据的条款。"}, s.VoidBody: {"reason": "重复登记。"},
                     s.CloseBody: {"result": "adopted", "effect": "当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。"}}
    _state_bounds(defs.get("$defs", {}))
    _accept_blank(defs.get("$defs", {}))

    def out(model):
        return refs[(model, OUTPUT)]

    def body(model, required=True):
        media = {"schema": refs[(model, INPUT)]}
        if model in BODY_EXAMPLES:
            media["examples"] = {"typical": {"summary": "典型请求", "value": BODY_EXAMPLES[model]}}
        return {"required": required, "content": {"application/json": media}}

    def answers(code: int, model, *errors: int, description: str = "成功") -> dict:
        result = {str(code): {"description": description, "content": {"application/json": {"schema": out(model)}}}}
        for status in (400, 401, *errors):
            result[str(status)] = {"description": ERRORS[status],
                                   "content": {"application/json": {"schema": out(s.Error)}}}
            if status == 503:
                result[str(status)]["headers"] = RETRY_AFTER
        return dict(sorted(result.items()))

    record_id = {"name": "record_id", "in": "path", "required": True, "description": "记录编号",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}

    def action(op_id: str, summary: str, model, required: bool, *errors: int) -> dict:
        return {"post": {"operationId": op_id, "summary": summary, "parameters": [record_id],
                         "requestBody": body(model, required),
                         "responses": answers(200, s.RecordDetail, 403, 404, 409, 413, 503, *errors,
                                              description="操作后的记录（同 GET）")}}

    paths = {
        "/api/v1/openapi.json": {"get": {
            "operationId": "openapi", "summary": "本文档（无需登录）", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1 文档",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/api/v1/validate": {"post": {
            "operationId": "validate", "summary": "按 §4 规则校验一条记录，不保存任何内容",
            "parameters": [{"name": "phase", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["submit", "close"], "default": "submit"}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "examples": {"typical": {"summary": "SPEC §3 的示例记录", "value": EXAMPLE_RECORD}},
                "schema": {
                "type": "object", "description": "§3 记录（见 GuidanceRecord）。任何 JSON 对象都会得到报告："
                "未知字段、类型错误、超长等问题作为 input.* 发现列出（200）；不是对象则 422"}}}},
            "responses": answers(200, s.Report, 413, 422, description="规则报告（任何结论都是 200）")}},
        "/api/v1/records": {
            "get": {"operationId": "list_records",
                    "summary": "记录列表（按编号倒序，游标分页）：只列出调用者可查看的记录",
                    "parameters": _list_parameters(units),
                    "responses": answers(200, s.RecordPage)},
            "post": {"operationId": "create_record", "summary": "新建草稿（§3 记录）",
                     "requestBody": body(s.Record),
                     "responses": _created_links(answers(201, s.RecordCreated, 403, 413, 422, 503,
                                                         description="已保存为草稿"))}},
        "/api/v1/stats": {"get": {
            "operationId": "stats", "summary": "总结统计：某年度（及单位）的各项数字（§7）",
            "parameters": [
                {"name": "year", "in": "query", "required": False, "description": "年度（默认今年，最晚明年）",
                 "schema": {"type": "integer", "minimum": YEAR_RANGE[0], "maximum": _next_year()}},
                {"name": "unit", "in": "query", "required": False, "description": "单位名称（不填为全局）",
                 "schema": _unit_schema(units)}],
            "responses": {"200": {"description": "统计数字；按指导方式的件数以 §2 键为键",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          **{str(code): {"description": ERRORS[code],
                                         "content": {"application/json": {"schema": out(s.Error)}}}
                             for code in (400, 401, 403)}}}},
        "/api/v1/alerts": {"get": {
            "operationId": "alerts", "summary": "调用者的待办提醒（同首页）：回访到期、被退回、等待审查、抽查",
            "responses": {"200": {"description": "提醒列表；level 为 red（已逾期或等待超过 5 个工作日）、"
                                                 "amber（7 日内到期或等待超过 3 个工作日）、info",
                                  "content": {"application/json": {"schema": _ALERTS_SCHEMA}}},
                          **{str(code): {"description": ERRORS[code],
                                         "content": {"application/json": {"schema": out(s.Error)}}}
                             for code in (400, 401)}}}},
        "/api/v1/records/{record_id}": {
            "get": {"operationId": "get_record", "summary": "一条记录：§3 内容、状态、文号、报告、操作记录",
                    "parameters": [record_id], "responses": answers(200, s.RecordDetail, 404)},
            "patch": {"operationId": "update_record",
                      "summary": "修改草稿：version 加 §3 顶层字段的任意子集，每个字段整体替换",
                      "parameters": [record_id], "requestBody": body(s.RecordPatch),
                      "responses": answers(200, s.RecordDetail, 403, 404, 409, 413, 422, 503)}},
        "/api/v1/records/{record_id}/submit": action(
            "submit_record", "提交：无问题即备案，有提示送审查；有错误 422", s.SubmitBody, False, 422),
        "/api/v1/records/{record_id}/approve": action(
            "approve_record", "审查通过并备案（审核员，不得审查本人创建的记录）", s.ApproveBody, False, 422),
        "/api/v1/records/{record_id}/return": action(
            "return_record", "退回经办人修改（审核员，须填写意见）", s.ReturnBody, True),
        "/api/v1/records/{record_id}/close": action(
            "close_record", "办结：填写指导结果和效益效果（办结规则不通过则 422）", s.CloseBody, True, 422),
        "/api/v1/records/{record_id}/void": action(
            "void_record", "作废已备案或已办结的记录（审核员或管理员，须填写理由；文号保留）",
            s.VoidBody, True),
        "/api/v1/records/{record_id}/withdraw": action(
            "withdraw_record", "撤回：提交人在审查前把待审查记录收回为草稿", s.SubmitBody, False),
        "/api/v1/records/{record_id}/discard": action(
            "discard_record", "放弃草稿：未编号的草稿退出所有列表和统计（保留审计记录，管理员可恢复）",
            s.SubmitBody, False),
        **user_paths(refs, body, answers),
        "/api/v1/records/{record_id}/attachments": {"post": _attachment_upload(record_id, out, answers)},
        **_pdf_paths(record_id, units),
    }
    catalog_paths, catalog_defs = catalog.openapi_paths(REF, ERRORS, out(s.Error))
    paths.update(catalog_paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "行政指导管理系统 JSON API", "version": "1",
                 "description": "令牌由 `flask --app webapp users token 用户名` 签发，放在 "
                                "`Authorization: Bearer …` 头中。使用浏览器登录会话（Cookie）调用时，"
                                "修改类请求须带 X-CSRFToken 头。错误一律为 `{\"error\", \"findings\"}`。"
                                "任何文字（JSON、查询参数、表单）含 NUL 空字符或不成对的代理字符（\\ud800–\\udfff）一律 400；"
                                "JSON 请求体最多 256 KB、嵌套最多 8 层，记录最多 64K 字符（413/400）。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": {**defs.get("$defs", {}), **catalog_defs},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "users token 签发的 API 令牌"},
                                           "session": {"type": "apiKey", "in": "cookie", "name": "session",
                                                       "description": "浏览器登录会话；修改类请求另须 X-CSRFToken 头"}}},
    }


# Where each §3 path's schema lives among the generated components.
_OWNERS = {"target": "Target", "case": "Case", "project": "Project", "legal_basis": "LegalBasis"}


def _state_bounds(schemas: dict) -> None:
    """The limits of rules.limits in the record schemas: maxLength per text, maxItems per list."""
    for model in ("GuidanceRecord", "RecordPatch"):
        for path, limit in TEXT_LIMITS.items():
            top, _, sub = path.partition(".")
            owner, name = (_OWNERS[top], sub) if sub else (model, top)
            _bound(schemas[owner]["properties"][name], "maxLength", limit)
        for path, limit in LIST_LIMITS.items():
            top, _, sub = path.partition(".")
            owner, name = (_OWNERS[top], sub) if sub else (model, top)
            _bound(schemas[owner]["properties"][name], "maxItems", limit)


# What the record's fields also accept: blank text is a missing value (SPEC §4 normalisation).
BLANK = {"type": "string", "pattern": "^\\s*$", "description": "空白：视为未填写"}
_NESTED = ("Target", "Case", "Project", "LegalBasis", "AdmonitionConditions")


def _accept_blank(schemas: dict) -> None:
    for model in ("GuidanceRecord", "RecordPatch", *_NESTED):
        for name, prop in schemas[model]["properties"].items():
            choices = prop.get("anyOf")
            if choices is None or (model == "LegalBasis" and name == "articles"):
                continue
            if not any(c.get("type") == "string" and "enum" not in c and "format" not in c for c in choices):
                choices.insert(-1, dict(BLANK))


def _bound(prop: dict, key: str, limit: int) -> None:
    for choice in prop.get("anyOf", [prop]):
        if key == "maxItems" and choice.get("type") == "array":
            choice["maxItems"] = limit
        elif key == "maxLength" and choice.get("type") == "string":
            choice["maxLength"] = limit
        elif key == "maxLength" and choice.get("type") == "array":
            choice["items"]["maxLength"] = limit


def _next_year() -> int:
    return datetime.now(SHANGHAI).year + 1


def _unit_schema(units: tuple[str, ...]) -> dict:
    """A unit by its name (SPEC §8); blank is no filter. Without the names: any short text."""
    if not units:
        return {"type": "string", "maxLength": MAX_TEXT}
    return {"type": "string", "enum": [*units, ""]}


# Dates of the register filters: 2000–2100 (other years are a 400), ISO 8601; blank is no filter.
DAY = {"anyOf": [{"type": "string", "format": "date", "pattern": "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"},
                 {"type": "string", "maxLength": 0}]}


def _list_parameters(units: tuple[str, ...] = ()) -> list[dict]:
    """The register's filters (SPEC §7), shared by /register, its exports and this list."""
    def text(name: str, description: str) -> dict:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": {"type": "string", "maxLength": MAX_TEXT}}

    def keys(name: str, description: str, vocabulary: dict) -> dict:
        return {"name": name, "in": "query", "required": False, "description": description + "（可重复）",
                "style": "form", "explode": True,
                "schema": {"type": "array", "items": {"type": "string", "enum": list(vocabulary)}}}

    day = DAY
    return [
        keys("status", vocab.RECORD_LABELS["status"], STATUSES),
        keys("method", vocab.FIELD_LABELS["method"], vocab.METHOD),
        keys("stage", vocab.FIELD_LABELS["stage"], vocab.STAGE),
        {"name": "year", "in": "query", "required": False, "description": "指导时间（北京时间）所在年度",
         "schema": {"type": "integer", "minimum": YEAR_RANGE[0], "maximum": YEAR_RANGE[1]}},
        {"name": "unit", "in": "query", "required": False, "schema": _unit_schema(units),
         "description": "记录所属单位的名称（如 自然资源开发利用科）；不存在的单位 400"},
        text("catalog", "目录事项编码"),
        text("field", "目录事项所属领域"),
        text("officer", "指导人员姓名"),
        text("q", "当事人名称、统一社会信用代码/身份证号码、指导事项或文号中包含的文字"),
        {"name": "from", "in": "query", "required": False, "description": "指导日期起（含）", "schema": day},
        {"name": "to", "in": "query", "required": False, "description": "指导日期止（含）", "schema": day},
        {"name": "good", "in": "query", "required": False, "description": "1：只看典型经验",
         "schema": {"type": "string", "enum": ["0", "1"]}},
        {"name": "sort", "in": "query", "required": False, "description": "排序（默认 -id，最新登记在前）",
         "schema": {"type": "string", "enum": list(SORT_LABELS)}},
        {"name": "after", "in": "query", "required": False,
         "description": "分页游标：上一页的 next（排序方式须相同）；不是本服务为该排序签发的游标 400",
         "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{0,200}$"}},
        {"name": "limit", "in": "query", "required": False, "description": "每页条数",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50}},
    ]


def _attachment_upload(record_id: dict, out, answers) -> dict:
    from rules.vocabulary import ATTACHMENT_LABELS

    responses = answers(201, s.AttachmentCreated, 403, 404, 409, 413, description="已保存")
    responses["200"] = {"description": "该记录已有内容相同的附件：返回已有的一份，不重复保存",
                        "content": {"application/json": {"schema": out(s.AttachmentCreated)}}}
    responses["422"] = {"description": "文件为空、类型不允许（按内容识别）、文件名无效或文件已损坏",
                        "content": {"application/json": {"schema": out(s.Error)}}}
    return {"operationId": "upload_attachment",
            "summary": "添加附件（PDF、JPEG、PNG、OFD）：草稿可删除，提交后只能补充；每次添加记入审计",
            "parameters": [record_id],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": "文件内容"},
                               "label": {"type": "string", "enum": list(ATTACHMENT_LABELS),
                                         "description": "附件类别（默认 other 其他）"}}}}}},
            "responses": dict(sorted(responses.items()))}


def _created_links(responses: dict) -> dict:
    """A created draft's id feeds every call on one record (schemathesis' stateful phase follows them)."""
    by_id = {"parameters": {"record_id": "$response.body#/id"}}
    responses["201"]["links"] = {op: {"operationId": op, **by_id} for op in (
        "get_record", "update_record", "submit_record", "approve_record", "return_record", "close_record",
        "void_record", "upload_attachment", "guidance_document_pdf", "opinion_letter_pdf")}
    return responses


# Bearer token or a browser session, as SPEC §8 says of every route, the PDF routes included.
BEARER_OR_SESSION = [{"bearer": []}, {"session": []}]


def _pdf_paths(record_id: dict, units: tuple[str, ...]) -> dict:
    pdf = {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}}
    error = {"application/json": {"schema": {"$ref": REF.format(model="Error")}},
             "text/html": {"schema": {"type": "string"}}}
    denied = {
        "302": {"description": "浏览器未登录：转到登录页"},
        "401": {"description": "API 客户端（带 Authorization 头，或 Accept 偏好 JSON）未登录或令牌无效：JSON 错误",
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                "content": {"application/json": error["application/json"]}},
        "404": {"description": "记录不存在或无权查看（API 客户端得到 JSON，浏览器得到网页）", "content": error}}

    def get(op_id: str, summary: str, parameters: list, security: list | None = None, *extra: int) -> dict:
        responses = {"200": {"description": "PDF", "content": pdf}, **denied}
        if 400 in extra:
            responses["400"] = {"description": "筛选条件无效（如 year 不在 2000–2100）", "content": error}
        operation = {"operationId": op_id, "summary": summary, "tags": ["documents"], "parameters": parameters,
                     "security": BEARER_OR_SESSION if security is None else security,
                     "responses": dict(sorted(responses.items()))}
        if security == []:  # public: no 401/403; a version that does not exist is 404
            operation["responses"] = {"200": responses["200"], **{
                code: responses[code] for code in ("400", "404") if code in responses}}
        return {"get": operation}

    return {
        "/records/{record_id}/document.pdf": get("guidance_document_pdf", "行政指导文书", [record_id]),
        "/records/{record_id}/opinion.pdf": get("opinion_letter_pdf", "行政指导意见书（意见建议、劝导警示）",
                                                [record_id]),
        "/register.pdf": get("register_pdf", "行政指导事项登记簿（台账的任意筛选条件）",
                             [p for p in _list_parameters(units) if p["name"] not in ("after", "limit", "sort")],
                             None, 400),
        "/catalog.pdf": get("catalog_pdf", "自然资源行政指导目录清单（公开，无需登录；?version=N 为第N版）",
                            [{"name": "version", "in": "query", "required": False, "description": "版本号",
                              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}], [], 400),
        "/records/{record_id}/versions/{version_id}.pdf": get(
            "document_version_pdf", "原样保存的文书版本（GET 记录的 documents[].url），与其 sha256 逐字节一致",
            [record_id, {**record_id, "name": "version_id", "description": "文书版本编号"}]),
        "/records/{record_id}/attachments/{attachment_id}": {"get": {
            "operationId": "attachment_file", "summary": "附件原文件（GET 记录的 attachments[].url）",
            "tags": ["documents"], "security": BEARER_OR_SESSION, "parameters": [record_id, {**record_id, "name": "attachment_id",
                                                              "description": "附件编号"}],
            "responses": {"200": {"description": "文件（Content-Disposition: attachment），类型为上传时按内容识别的类型",
                                  "content": {t: {"schema": {"type": "string"}} for t in (
                                      "application/pdf", "image/jpeg", "image/png", "application/ofd",
                                      "application/octet-stream")}},
                          **denied}}},
    }
