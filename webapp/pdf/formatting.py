"""Chinese document conventions: dates without zero padding, enum labels, paragraphs."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from rules import vocabulary as vocab

try:
    from zoneinfo import ZoneInfo

    SHANGHAI = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - no tz database: China has had no DST since 1991
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

# Enum labels as the validator defines them (SPEC §2); one source for forms, pages and documents.
LABELS: dict[str, dict[str, str]] = dict(vocab.VOCABULARIES)


def to_datetime(value: Any) -> datetime | date | None:
    """A datetime (in Shanghai time), a date, or None; ISO strings are parsed (SPEC §3)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=SHANGHAI)
        return value.astimezone(SHANGHAI)
    return value


def cn_date(value: Any) -> str:
    """2026年11月20日 — Arabic numerals, no zero padding (GB/T 9704-2012)."""
    moment = to_datetime(value)
    if moment is None:
        return ""
    return f"{moment.year}年{moment.month}月{moment.day}日"


def cn_datetime(value: Any) -> str:
    moment = to_datetime(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return cn_date(moment)
    return f"{cn_date(moment)} {moment.hour}时{moment.minute:02d}分"


def label(labels: dict[str, dict[str, str]], kind: str, key: Any) -> str:
    if key is None:
        return ""
    return labels.get(kind, {}).get(str(key), str(key))


def basis_texts(basis: Any) -> list[str]:
    """《法律名称》第一条、第二条 for each entry of a legal_basis list ({law, articles[]})."""
    texts = []
    for entry in basis or []:
        law = str(entry.get("law") or "").strip().removeprefix("《").removesuffix("》")
        articles = "、".join(str(a).strip() for a in entry.get("articles") or [] if str(a).strip())
        if law or articles:
            texts.append((f"《{law}》" if law else "") + articles)
    return texts


def paragraphs(text: Any) -> list[str]:
    """Non-empty lines of a free-text field, each printed as its own paragraph."""
    if not text:
        return []
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def file_size(size: Any) -> str:
    """A file's size as an officer reads it: 980 字节, 12.5 KB, 3.2 MB."""
    if size is None:
        return ""
    size = int(size)
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def attachment_lines(attachments: Any) -> list[str]:
    """附件清单: 1. 现场照片：name（3 页 | 1.2 MB）, labels as the vocabulary names them."""
    lines = []
    for number, item in enumerate(attachments or [], start=1):
        label_text = vocab.ATTACHMENT_LABELS.get(item.get("label"), item.get("label") or "")
        extent = f"{item['pages']} 页" if item.get("pages") else file_size(item.get("size"))
        lines.append(f"{number}. {label_text}：{item.get('name') or ''}（{extent}）")
    return lines
