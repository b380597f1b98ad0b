"""Reading request bodies and query parameters: anything malformed is a 400, never a 500."""
from __future__ import annotations

import json
from typing import Any

from flask import request
from pydantic import BaseModel, ValidationError

from rules.limits import FORBIDDEN_MESSAGE, MAX_DEPTH, depth_exceeds, forbidden_text
from webapp.services import DomainError

from webapp.services.policy import MAX_ID  # noqa: E402 — re-exported for the API modules


class BadRequest(DomainError):
    status = 400


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body(*, required: bool) -> Any:
    """The parsed JSON body; an empty body is {} when the call has no required fields."""
    data = request.get_data(cache=True)
    if not data.strip():
        if required:
            raise BadRequest("请求体为空：请发送 JSON（Content-Type: application/json）。")
        return {}
    try:
        body = json.loads(data, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("请求体不是有效的 JSON，请检查格式（UTF-8 编码）。") from None
    if depth_exceeds(body):
        raise BadRequest(f"请求体嵌套过深：对象和列表最多嵌套 {MAX_DEPTH} 层。")
    if forbidden_text(body):
        raise BadRequest("请求体" + FORBIDDEN_MESSAGE)
    return body


def json_object(*, required: bool) -> dict[str, Any]:
    body = json_body(required=required)
    if not isinstance(body, dict):
        raise BadRequest("请求体应为 JSON 对象（{…}）。")
    return body


def parse_body(model: type[BaseModel], *, required: bool) -> BaseModel:
    body = json_object(required=required)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadRequest("请求体字段有误：" + describe(exc)) from None


def take_version(body: dict[str, Any], *, required: bool) -> int | None:
    """Remove and return `version` (an integer); missing when required → 400."""
    if "version" not in body:
        if required:
            raise BadRequest("请提供 version（记录当前版本号），以免覆盖他人的修改。")
        return None
    version = body.pop("version")
    if version is None and not required:
        return None
    if type(version) is float and version.is_integer() and abs(version) < 2**53:
        version = int(version)  # JSON's 2.0 is the integer 2
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadRequest("version 应为整数（记录当前版本号）。")
    return version


def describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "请求体"
        kind = error["type"]
        if kind == "extra_forbidden":
            parts.append(f"{where}：不接受此字段")
        elif kind == "missing":
            parts.append(f"{where}：必填")
        elif kind.startswith("int"):
            parts.append(f"{where}：应为整数")
        elif kind.startswith("string"):
            parts.append(f"{where}：应为文字")
        else:
            parts.append(f"{where}：取值无效")
    return "；".join(parts)


def int_arg(name: str, *, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 12:
        raise BadRequest(f"参数 {name} 应为整数。")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"参数 {name} 应在 {low} 至 {high} 之间。")
    return value
