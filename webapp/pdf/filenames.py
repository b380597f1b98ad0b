"""Download names for the documents: Chinese, per RFC 6266 / RFC 5987, with an ASCII fallback."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote


def _ascii(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem).strip("-.") or "document"
    ascii_ext = re.sub(r"[^A-Za-z0-9]+", "", ext)
    return f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem


def content_disposition(filename: str, ascii_name: str | None = None) -> str:
    """`attachment; filename="ascii.pdf"; filename*=UTF-8''…` — old clients read the first.

    `ascii_name` says what the file is to a client that cannot read the Chinese name
    ("guidance-2026-3.pdf"); without it the Chinese name is stripped to its ASCII letters."""
    filename = filename.replace("\r", "").replace("\n", "").replace("/", "_").replace("\\", "_")
    fallback = _ascii(ascii_name or filename)
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def record_ascii_name(kind: str, number_year: int | None, number_seq: int | None, record_id: int) -> str:
    """guidance-2026-3.pdf / opinion-2026-3.pdf; a draft without a number: guidance-draft-17.pdf."""
    if number_year and number_seq:
        return f"{kind}-{number_year}-{number_seq}.pdf"
    return f"{kind}-draft-{record_id}.pdf"
