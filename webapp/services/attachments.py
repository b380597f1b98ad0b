"""Attachments (附件): files staff add to a record, recognised by their bytes, stored once.

While a record is a draft its attachments can be removed; afterwards they can only be added
(补充材料). Every addition and removal is an audit event carrying the file's SHA-256.
"""
from __future__ import annotations

import io
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

from rules import vocabulary as vocab

from webapp.db_setup import write_transaction
from webapp.extensions import db, settings
from webapp.models import Attachment, GuidanceRecord, User
from webapp.services import Conflict, DomainError, NotFound, queries
from webapp.services.audit import record_event
from webapp.pdf.formatting import file_size
from webapp.services.documents import version_title
from webapp.services.files import file_store, sha256_of
from webapp.services.policy import RECORD_ACTIONS, can, require, visible_record

MEDIA_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "application/ofd": "ofd"}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_NAME = 200
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class UploadRefused(DomainError):
    """The file cannot be attached as it is; nothing was stored (422)."""

    status = 422


class TooLarge(DomainError):
    status = 413


def max_bytes() -> int:
    return int(settings["ATTACHMENT_MAX_BYTES"])


def limit_text() -> str:
    return file_size(max_bytes())


def too_large_message() -> str:
    return f"文件超过大小限制（最大 {limit_text()}）：请压缩或分成几个文件后再上传。"


def sniff_media_type(data: bytes) -> str | None:
    """What the bytes are (never what the name says): PDF, JPEG, PNG, or OFD (a ZIP with OFD.xml)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "OFD.xml" in archive.namelist():
                    return "application/ofd"
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
    return None


def clean_name(raw: str | None) -> str:
    """The uploader's file name, for display only: refused if it looks like a path or holds control characters."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        raise UploadRefused("文件没有名称：请选择一个文件后再上传。")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name):
        raise UploadRefused("文件名含有不可见的控制字符：请重命名文件后再上传。")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise UploadRefused("文件名不能包含路径（/ 或 \\ 或 ..）：请只上传文件本身。")
    if len(name) > MAX_NAME:
        raise UploadRefused(f"文件名过长（{len(name)} 个字符，最多 {MAX_NAME} 个）：请改短后再上传。")
    return name


def clean_label(raw: str | None) -> str:
    if not raw:
        return "other"
    key = vocab.key_for_label(vocab.ATTACHMENT_LABELS, raw.strip())
    if key is None:
        raise UploadRefused("附件类别应为：" + "、".join(vocab.ATTACHMENT_LABELS.values()))
    return key


def _pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return len(PdfReader(io.BytesIO(data), strict=False).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise UploadRefused("PDF 文件已损坏或无法读取：请重新扫描或导出后再上传。") from None


def _check_image(data: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise UploadRefused("图片文件已损坏或无法识别：请重新拍摄或导出后再上传。") from None


@dataclass
class Inspected:
    media_type: str
    pages: int | None


def inspect_upload(data: bytes) -> Inspected:
    """The checks every upload passes before anything is stored."""
    if len(data) > max_bytes():
        raise TooLarge(too_large_message())
    if not data:
        raise UploadRefused("文件是空的（0 字节）：请选择有内容的文件。")
    media_type = sniff_media_type(data)
    if media_type is None:
        raise UploadRefused("不支持的文件类型：只能上传 PDF、JPEG、PNG 图片或 OFD 版式文件"
                            "（按文件内容识别，改扩展名无效）。")
    pages = None
    if media_type == "application/pdf":
        pages = _pdf_pages(data)
    elif media_type in IMAGE_TYPES:
        _check_image(data)
    return Inspected(media_type, pages)


@dataclass
class Added:
    attachment: Attachment
    created: bool  # False: the record already had these bytes


def _allowed(user: User, action: str, record: GuidanceRecord) -> None:
    require(user, action, record)
    statuses = RECORD_ACTIONS[action].statuses
    if statuses is not None and record.status not in statuses:
        if action == "remove_attachment":
            raise Conflict("记录已提交，附件只能补充，不能删除。")
        raise Conflict(f"记录当前状态为“{record.status_label}”，不能添加附件。")


def add_attachment(user: User, record_id: int, data: bytes, name: str | None, label: str | None) -> Added:
    """Attach `data` to the record; the same bytes twice give the one attachment back."""
    _allowed(user, "attach", visible_record(user, record_id))
    name, label = clean_name(name), clean_label(label)
    inspected = inspect_upload(data)
    existing = queries.attachment_by_hash(record_id, sha256_of(data))
    if existing is not None:
        return Added(existing, False)
    stored = file_store().put(data)  # before the row: a row never points at a file not yet written
    with write_transaction():
        record = visible_record(user, record_id, lock=True)
        _allowed(user, "attach", record)
        existing = queries.attachment_by_hash(record_id, stored.sha256)
        if existing is not None:
            return Added(existing, False)
        item = Attachment(record_id=record_id, sha256=stored.sha256, size=stored.size,
                          media_type=inspected.media_type, label=label, name=name, pages=inspected.pages,
                          created_by_id=user.id)
        db.session.add(item)
        db.session.flush()
        supplement = record.status != "draft"
        record_event(entity="record", entity_id=record_id, action="attachment", user_id=user.id,
                     changes={"sha256": {"before": None, "after": stored.sha256}},
                     note=f"{'补充材料 · ' if supplement else ''}{vocab.ATTACHMENT_LABELS[label]} · {name}")
    return Added(item, True)


def remove_attachment(user: User, record_id: int, attachment_id: int) -> Attachment:
    """Only while the record is a draft; the bytes stay in the files folder (others may share them)."""
    with write_transaction():
        record = visible_record(user, record_id, lock=True)
        _allowed(user, "remove_attachment", record)
        item = queries.attachment(record_id, attachment_id)
        if item is None:
            raise NotFound("附件不存在或已删除")
        record_event(entity="record", entity_id=record_id, action="attachment_removed", user_id=user.id,
                     changes={"sha256": {"before": item.sha256, "after": None}},
                     note=f"{vocab.ATTACHMENT_LABELS.get(item.label, item.label)} · {item.name}")
        db.session.delete(item)
    return item


def attachment_of(user: User, record_id: int, attachment_id: int) -> Attachment:
    visible_record(user, record_id)
    item = queries.attachment(record_id, attachment_id)
    if item is None:
        raise NotFound("附件不存在或您无权查看")
    return item


def attachment_bytes(item: Attachment) -> bytes:
    return file_store().read(item.sha256, f"附件“{item.name}”")


def file_extension(item: Attachment) -> str:
    return MEDIA_TYPES.get(item.media_type, "bin")


def ascii_name(item: Attachment) -> str:
    """A download name for old browsers: what it is, never the uploader's name as a path."""
    return f"attachment-{item.record_id}-{item.id}.{file_extension(item)}"


# --- what the record page shows --------------------------------------------------------------

THUMBNAIL_SIZE = 240


def thumbnail(item: Attachment) -> bytes:
    """A small PNG of an image attachment, made from the checked bytes (cached beside the files)."""
    from PIL import Image, ImageOps

    if item.media_type not in IMAGE_TYPES:
        raise NotFound("只有图片附件有缩略图")
    store = file_store()
    cached = store.root / "thumbnails" / f"{item.sha256}-{THUMBNAIL_SIZE}.png"
    if store.state(item.sha256) == "ok" and cached.is_file():
        return cached.read_bytes()
    data = attachment_bytes(item)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image = ImageOps.exif_transpose(image)
                image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
                out = io.BytesIO()
                image.convert("RGB").save(out, format="PNG")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotFound("该图片无法生成缩略图，请下载原文件查看") from None
    store.put_derived(f"thumbnails/{item.sha256}-{THUMBNAIL_SIZE}.png", out.getvalue())
    return out.getvalue()


@dataclass
class FileLine:
    item: object  # Attachment | DocumentVersion
    state: str  # ok | missing | changed (files.OK, MISSING, CHANGED)
    title: str

    @property
    def problem(self) -> str | None:
        return vocab.FILE_PROBLEMS.get(self.state)

    @property
    def is_image(self) -> bool:
        return getattr(self.item, "media_type", None) in IMAGE_TYPES


@dataclass
class RecordFiles:
    versions: list[FileLine]
    attachments: list[FileLine]
    can_attach: bool
    can_remove: bool
    max_bytes: int


def record_files(user: User, record: GuidanceRecord) -> RecordFiles:
    """The record's stored documents and attachments with each file's state, for the record page."""
    store = file_store()
    versions = [FileLine(v, store.state(v.sha256), version_title(v)) for v in queries.document_versions(record.id)]
    attachments = [FileLine(a, store.state(a.sha256), a.name) for a in queries.record_attachments(record.id)]
    return RecordFiles(versions, attachments, can(user, "attach", record), can(user, "remove_attachment", record),
                       max_bytes())
