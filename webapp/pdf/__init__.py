"""Document rendering (SPEC §6): pure functions from plain data to deterministic PDF bytes."""

from .documents import (
    DocumentRecord,
    RegisterRow,
    catalog_pdf,
    guidance_document_html,
    guidance_document_pdf,
    opinion_letter_html,
    opinion_letter_pdf,
    register_html,
    register_pdf,
)
from .filenames import content_disposition
from .fonts import DEFAULT_FONT_PATH, FontConfig, FontError, find_font
from .formatting import cn_date
from .render import html_to_pdf, sha256_hex

__all__ = [
    "DEFAULT_FONT_PATH",
    "DocumentRecord",
    "FontConfig",
    "FontError",
    "RegisterRow",
    "catalog_pdf",
    "cn_date",
    "content_disposition",
    "find_font",
    "guidance_document_html",
    "guidance_document_pdf",
    "opinion_letter_html",
    "opinion_letter_pdf",
    "register_html",
    "register_pdf",
    "html_to_pdf",
    "sha256_hex",
]
