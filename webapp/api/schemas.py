"""Request and response bodies of the JSON API v1: the one source of the OpenAPI document.

The §3 record itself is the validator's own model (`rules.model.GuidanceRecord`); the API
parses nothing a second time: records go to the services raw, which check them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, create_model

from rules import model as record_model
from webapp.services.records import MAX_COMMENT
from rules.vocabulary import (
    ATTACHMENT_LABELS, DOCUMENT_KINDS, DOCUMENT_STATES, FIELD_LABELS, OUTCOME, PRINCIPLES, RECORD_STATES, SEVERITY,
)

Status = Literal[tuple(RECORD_STATES)]  # "discarded" only in a discard's own answer
Record = record_model.GuidanceRecord


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Finding(BaseModel):
    rule: str = Field(description="规则编号（稳定，不复用）")
    principle: Literal[tuple(PRINCIPLES)]
    severity: Literal[tuple(SEVERITY)]
    field: str = Field(description="字段路径，如 target.id_number；空串指整条记录")
    message: str


class Report(BaseModel):
    """The rules' verdict (SPEC §4)."""

    outcome: Literal[tuple(OUTCOME)]
    phase: Literal["submit", "close"]
    ruleset: str = Field(description="规则集版本（内容哈希）")
    findings: list[Finding]


class Error(BaseModel):
    """Every error answer: a message in Chinese and, for 422, every finding."""

    error: str
    findings: list[Finding] = Field(default_factory=list)


class Change(BaseModel):
    before: Any = None
    after: Any = None


class AuditEntry(BaseModel):
    at: datetime
    by: str | None = Field(description="操作人用户名")
    action: str = Field(description="create, update, submit, file, approve, return, close, void …")
    changes: dict[str, Change] = Field(description="字段 → 修改前后；嵌套字段以点号连接")
    note: str | None = Field(default=None, description="退回意见、作废理由等")


class RecordCreated(BaseModel):
    id: int
    status: Literal["draft"]
    version: int
    report: Report = Field(description="提交规则的预检结果（未保存任何内容）")


class AttachmentCreated(BaseModel):
    """An attachment as stored (201), or the one already holding the same bytes (200)."""

    id: int
    sha256: str = Field(description="文件内容的 SHA-256（十六进制）")
    size: int = Field(description="字节数")
    media_type: Literal["application/pdf", "image/jpeg", "image/png", "application/ofd"] = Field(
        description="按文件内容识别的类型")
    label: Literal[tuple(ATTACHMENT_LABELS)] = Field(description="附件类别：" + "、".join(
        f"{k} {v}" for k, v in ATTACHMENT_LABELS.items()))
    name: str = Field(description="上传时的文件名（仅用于显示）")


class AttachmentItem(AttachmentCreated):
    pages: int | None = Field(description="PDF 的页数；其他类型为 null")
    url: str = Field(description="下载地址（需登录或令牌）")


class DocumentItem(BaseModel):
    """A document stored as issued: 备案版 (filed), 办结版 (closed), 作废版 (voided)."""

    kind: Literal[tuple(DOCUMENT_KINDS)] = Field(description="guidance 行政指导文书，opinion 行政指导意见书")
    state: Literal[tuple(DOCUMENT_STATES)] = Field(description="filed 备案版，closed 办结版，voided 作废版")
    sha256: str
    url: str = Field(description="下载地址：与 sha256 逐字节一致的 PDF")


class RecordDetail(BaseModel):
    """A record as GET answers it; state changes answer the same (submit: report = its report)."""

    id: int
    status: Status
    number: str | None = Field(description="文号，备案后才有，如 指导书〔2026〕1号")
    version: int = Field(description="乐观锁版本号：修改和各项操作时回传，过期则 409")
    record: Record
    report: Report | None = Field(description="草稿：当前内容的提交预检；其他状态：最近一次提交或备案时的结果")
    audit: list[AuditEntry]
    attachments: list[AttachmentItem] = Field(description="附件（按上传顺序）")
    documents: list[DocumentItem] = Field(description="原样保存的文书版本（备案、办结、作废时各一次）")


class RecordSummary(BaseModel):
    id: int
    status: Status
    number: str | None
    subject: str | None
    target: str | None = Field(description=FIELD_LABELS["target.name"])
    guided_at: datetime | None


class RecordPage(BaseModel):
    items: list[RecordSummary]
    next: str | None = Field(description="下一页游标，作为 after= 传回；没有更多时为 null")


def _whole(value: Any) -> Any:
    """2.0 is the integer 2 in JSON (and in the description's "integer"); 2.5 and "2" are not."""
    return int(value) if type(value) is float and value.is_integer() and abs(value) < 2**53 else value


# A JSON integer: also written as 2.0; never a boolean or a string.
WholeInt = Annotated[StrictInt, BeforeValidator(_whole)]
VersionField = Field(default=None, description="记录当前版本号；给出且已过期时 409")


class SubmitBody(_Body):
    version: WholeInt | None = VersionField


# Comments and reasons: the services refuse a blank one where it is required, and more than MAX_COMMENT.
Required = Field(min_length=1, max_length=MAX_COMMENT, pattern=r"\S")


class ApproveBody(_Body):
    comment: StrictStr = Field(default="", max_length=MAX_COMMENT, description="审查意见（可选）")
    version: WholeInt | None = VersionField


class ReturnBody(_Body):
    comment: Annotated[StrictStr, Required] = Field(description="退回意见（必填，说明需要修改的内容）")
    version: WholeInt | None = VersionField


class VoidBody(_Body):
    reason: Annotated[StrictStr, Required] = Field(description="作废理由（必填）")
    version: WholeInt | None = VersionField


class CloseBody(_Body):
    """Only the version is read here; result and effect go to the close rules as given."""

    result: record_model.Result | None = None
    effect: str | None = None
    version: WholeInt | None = VersionField


# PATCH: the version plus any subset of §3 top-level keys, each replacing the stored value whole.
RecordPatch = create_model(
    "RecordPatch",
    __base__=Record,
    __doc__="version 必填；其余为 §3 顶层字段的任意子集，每个字段整体替换原值。",
    version=(WholeInt, Field(description="记录当前版本号（必填）")),
)


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow")

    openapi: str


__all__ = [
    "ApproveBody", "AttachmentCreated", "AttachmentItem", "AuditEntry", "DocumentItem", "Change", "CloseBody", "Error", "Finding", "OpenApiDocument",
    "Record", "RecordCreated", "RecordDetail", "RecordPage", "RecordPatch", "RecordSummary",
    "Report", "ReturnBody", "Status", "SubmitBody", "VoidBody",
]
