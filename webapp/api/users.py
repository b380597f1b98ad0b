"""API v1 user administration (admin): list, create with a one-time password, change."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field, StrictBool, StrictStr

from webapp.api import bp
from webapp.api.bodies import BadRequest, json_object, parse_body
from webapp.api.present import answer
from webapp.api.schemas import _Body
from webapp.models.user import ROLES
from webapp.services import accounts, policy, throttle
from rules.vocabulary import USER_FIELDS

Role = Literal[tuple(ROLES)]


class UserItem(BaseModel):
    username: str = Field(description=USER_FIELDS["username"])
    display_name: str = Field(description=USER_FIELDS["display_name"])
    role: Role
    unit: str = Field(description="单位名称")
    active: bool = Field(description="false：已停用，会话和令牌立即失效")
    locked: bool = Field(description="登录失败过多，当前被锁定或延时")
    last_login_at: datetime | None
    mfa: bool = Field(description="已启用两步验证")
    api_token: bool = Field(description="持有有效的 API 令牌")
    must_change_password: bool = Field(description="下次登录须先修改初始密码")


class UserList(BaseModel):
    items: list[UserItem]


class UserCreated(UserItem):
    initial_password: str = Field(description="一次性初始密码：只在此次应答中出现，首次登录后须修改")


class UserCreateBody(_Body):
    username: StrictStr = Field(max_length=50)
    display_name: StrictStr | None = Field(default=None, max_length=50)
    role: Role
    unit: StrictStr = Field(description="单位名称，如 政策法规科", max_length=100)


class UserPatchBody(_Body):
    display_name: StrictStr | None = Field(default=None, max_length=50)
    role: Role | None = None
    unit: StrictStr | None = Field(default=None, max_length=100)
    active: StrictBool | None = None


USER_OUTPUTS = (UserList, UserItem, UserCreated)
USER_INPUTS = (UserCreateBody, UserPatchBody)


def _row(username: str) -> dict:
    limits = throttle.Limits.from_config(current_app.config)
    return next(r.as_dict() for r in accounts.user_rows(limits) if r.user.username == username)


@bp.get("/users")
def list_users():
    policy.require(current_user, "manage_users")
    limits = throttle.Limits.from_config(current_app.config)
    return answer(UserList, {"items": [r.as_dict() for r in accounts.user_rows(limits)]})


@bp.post("/users")
def create_user():
    policy.require(current_user, "manage_users")
    body = parse_body(UserCreateBody, required=True)
    user, password = accounts.admin_create_user(username=body.username, display_name=body.display_name,
                                                role=body.role, unit_name=body.unit, actor_id=current_user.id)
    return answer(UserCreated, {**_row(user.username), "initial_password": password}, 201)


@bp.patch("/users/<username>")
def update_user(username: str):
    policy.require(current_user, "manage_users")
    raw = json_object(required=True)
    body = parse_body(UserPatchBody, required=True)
    changes = {key: getattr(body, key) for key in raw if key in UserPatchBody.model_fields}
    if not changes:
        raise BadRequest("请至少提供 display_name、role、unit、active 中的一项。")
    if any(value is None for value in changes.values()):
        raise BadRequest("字段值不能为 null：不修改的字段请不要发送。")
    accounts.update_user(username, changes, actor_id=current_user.id)
    return answer(UserItem, _row(username))


def user_paths(refs, body, answers) -> dict:
    """The /api/v1/users paths of the OpenAPI document."""
    out = {"name": "username", "in": "path", "required": True, "description": USER_FIELDS["username"],
           "schema": {"type": "string", "maxLength": 50}}
    return {
        "/api/v1/users": {
            "get": {"operationId": "list_users", "summary": "用户列表（管理员）", "responses": answers(200, UserList, 403)},
            "post": {"operationId": "create_user",
                     "summary": "新建用户（管理员）：应答含一次性初始密码 initial_password，只出现这一次",
                     "requestBody": body(UserCreateBody), "responses": answers(201, UserCreated, 403)}},
        "/api/v1/users/{username}": {
            "patch": {"operationId": "update_user",
                      "summary": "修改用户（管理员）：display_name、role、unit、active 的任意子集；"
                                 "停用、改角色或单位立即结束其会话，停用后令牌立即失效",
                      "parameters": [out], "requestBody": body(UserPatchBody),
                      "responses": answers(200, UserItem, 403, 404)}},
    }
