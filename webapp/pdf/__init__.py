"""Document rendering (SPEC §6): pure functions from plain data to deterministic PDF bytes."""

from .documents import (
    DocumentRecord,
    guidance_document_html,
    guidance_document_pdf,
    opinion_letter_html,
    opinion_letter_pdf,
    signature_columns,
)
from .filenames import content_disposition, record_ascii_name
from .fonts import (
    DEFAULT_FONT_PATH, DEFAULT_FONTS, DocumentFonts, FontConfig, FontError, find_font, find_fonts,
    font_paths,
)
from .formatting import cn_date
from .linebreak import break_opportunities, keep_each, keep_together
from .lists import (
    RegisterRow, catalog_groups, catalog_html, catalog_pdf, register_html, register_pdf, rules_handout_pdf,
)
from .render import GB_PAGE_NUMBERS, PageNumbers, html_to_pdf, render_html, sha256_hex

__all__ = [
    "DEFAULT_FONT_PATH",
    "DEFAULT_FONTS",
    "DocumentFonts",
    "DocumentRecord",
    "FontConfig",
    "FontError",
    "GB_PAGE_NUMBERS",
    "PageNumbers",
    "RegisterRow",
    "break_opportunities",
    "catalog_groups",
    "catalog_html",
    "catalog_pdf",
    "cn_date",
    "content_disposition",
    "find_font",
    "find_fonts",
    "font_paths",
    "guidance_document_html",
    "guidance_document_pdf",
    "html_to_pdf",
    "keep_each",
    "keep_together",
    "opinion_letter_html",
    "opinion_letter_pdf",
    "record_ascii_name",
    "register_html",
    "register_pdf",
    "rules_handout_pdf",
    "render_html",
    "sha256_hex",
    "signature_columns",
]
