"""Download names for the documents: Chinese, per RFC 6266 / RFC 5987."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote


def content_disposition(filename: str) -> str:
    """`attachment; filename="ascii.pdf"; filename*=UTF-8''…` — old clients read the first."""
    filename = filename.replace("\r", "").replace("\n", "").replace("/", "_").replace("\\", "_")
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem).strip("-.") or "document"
    ascii_ext = re.sub(r"[^A-Za-z0-9]+", "", ext)
    fallback = f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
