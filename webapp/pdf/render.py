"""HTML → PDF with xhtml2pdf: confined resource access and byte-identical output."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rules import vocabulary
from jinja2 import Environment, FileSystemLoader, ChainableUndefined

from .fonts import DocumentFonts, FontConfig
from .formatting import cn_date, cn_datetime
from .linebreak import keep_together, kinsoku_wrapping

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = PROJECT_ROOT / "templates" / "pdf"
STATIC_DIR = PROJECT_ROOT / "static"

# reportlab's invariant mode stamps this instant; we swap in the record's own time.
_INVARIANT_STAMP = b"D:20000101000000+00'00'"
_ID_RE = re.compile(rb"/ID\s*\[<([0-9a-fA-F]{32})><([0-9a-fA-F]{32})>\]")
_REFUSED = "about:blank"  # a scheme the resource policy refuses outright
_INLINE_SVG = "data:image/svg+xml;base64,"  # our charts (webapp.reports), carried in the HTML

_render_lock = threading.Lock()
_env: Environment | None = None


def template_env() -> Environment:
    global _env
    if _env is None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=True,
            undefined=ChainableUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["cn_date"] = cn_date
        env.filters["cn_datetime"] = cn_datetime
        env.filters["keep"] = keep_together
        env.globals["vocab"] = vocabulary  # every label a document prints comes from the vocabulary
        _env = env
    return _env


def render_html(template: str, **context) -> str:
    """`fonts` (DocumentFonts) names the faces; a caller with one `font` gets it for every role."""
    context.setdefault("draft", False)
    context.setdefault("voided", False)
    if "fonts" not in context and "font" in context:
        context["fonts"] = DocumentFonts.of(context["font"])
    return template_env().get_template(template).render(**context)


@dataclass(frozen=True)
class PageNumbers:
    """GB/T 9704-2012 7.5: "— 1 —" in 4号 (14 pt) 宋体, its top 7 mm below the text block;
    odd pages right and even pages left, one character (of the number's size) in.

    The margins are the page's @page margins in mm, so the number lines up with the text block."""

    left_mm: float = 28
    right_mm: float = 26
    bottom_mm: float = 35
    size: float = 14
    below_mm: float = 7

    def text(self, page: int) -> str:
        return f"— {page} —"


GB_PAGE_NUMBERS = PageNumbers()


def sha256_hex(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def _allowed_roots(font: FontConfig | DocumentFonts) -> tuple[Path, ...]:
    return (STATIC_DIR.resolve(), *DocumentFonts.of(font).folders)


def make_link_callback(font: FontConfig | DocumentFonts):
    """Map a link to a file under static/ or the font folder; refuse everything else."""
    roots = _allowed_roots(font)

    def link_callback(uri: str, rel: str | None = None) -> str:
        if uri.startswith(_INLINE_SVG):
            return uri  # nothing to fetch; the policy still caps its size
        parts = urlsplit(uri)
        if parts.scheme not in ("", "file") or parts.netloc:
            return _REFUSED
        raw = unquote(parts.path)
        if raw.startswith("/static/"):
            candidate = STATIC_DIR / raw.removeprefix("/static/")
        else:
            candidate = Path(raw)
        try:
            resolved = candidate.resolve()
        except OSError:
            return _REFUSED
        if any(resolved.is_relative_to(root) for root in roots) and resolved.is_file():
            return str(resolved)
        return _REFUSED

    return link_callback


def _policy(font: FontConfig | DocumentFonts):
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    static, *fonts = _allowed_roots(font)
    return ResourceAccessPolicy.server(
        base_dir=static,
        extra_roots=tuple(fonts),
        allow_remote=False,
        max_render_seconds=600,  # a 5,000-row register is long but legitimate
        max_document_bytes=64 * 1024 * 1024,
    )


def _page_number_canvas(font: FontConfig, numbers: PageNumbers):
    """A canvas that draws the page number as each page is finished (no second layout pass)."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import getAscent
    from xhtml2pdf.builders.printmarks import MarkedCanvas

    # The top of the number (its ascent) sits `below_mm` under the text block.
    baseline = (numbers.bottom_mm - numbers.below_mm) * mm - getAscent(font.face_name, numbers.size)

    class PageNumberCanvas(MarkedCanvas):
        def showPage(self):
            page = self.getPageNumber()
            self.saveState()
            self.setFont(font.face_name, numbers.size)
            self.setFillGray(0)
            if page % 2:
                right = self._pagesize[0] - numbers.right_mm * mm - numbers.size
                self.drawRightString(right, baseline, numbers.text(page))
            else:
                self.drawString(numbers.left_mm * mm + numbers.size, baseline, numbers.text(page))
            self.restoreState()
            super().showPage()

    return PageNumberCanvas


@contextmanager
def _canvas_maker(maker) -> Iterator[None]:
    from xhtml2pdf.xhtml2pdf_reportlab import PmlBaseDoc

    if maker is None:
        yield
        return
    original = PmlBaseDoc.__dict__["_makeCanvas"]

    def _makeCanvas(self, filename=None, canvasmaker=None):
        return original(self, filename=filename, canvasmaker=maker)

    PmlBaseDoc._makeCanvas = _makeCanvas
    try:
        yield
    finally:
        PmlBaseDoc._makeCanvas = original


@contextmanager
def _reportlab_settings(font: FontConfig) -> Iterator[None]:
    """For this render only (other reportlab users keep theirs): fixed timestamps, no
    comments, and our font as the canvas's initial one, so no unembedded Helvetica is listed."""
    from reportlab import rl_config
    from reportlab.platypus.tables import CellStyle

    with _render_lock:
        previous = rl_config.invariant, rl_config.canvas_basefontname, CellStyle.fontname
        rl_config.invariant = 1
        rl_config.canvas_basefontname = CellStyle.fontname = font.face_name
        try:
            yield
        finally:
            rl_config.invariant, rl_config.canvas_basefontname, CellStyle.fontname = previous


def _pdf_date(moment: datetime) -> bytes:
    if moment.tzinfo is None:
        from .formatting import SHANGHAI

        moment = moment.replace(tzinfo=SHANGHAI)
    utc = moment.astimezone(timezone.utc)
    return f"D:{utc:%Y%m%d%H%M%S}+00'00'".encode()


def _stamp(pdf: bytes, moment: datetime) -> bytes:
    """Same-length substitutions, so the cross-reference offsets stay valid."""
    stamp = _pdf_date(moment)
    assert len(stamp) == len(_INVARIANT_STAMP)
    pdf = pdf.replace(_INVARIANT_STAMP, stamp)
    match = _ID_RE.search(pdf)
    if match:
        blank = pdf[: match.start()] + pdf[match.end():]
        doc_id = hashlib.md5(blank, usedforsecurity=False).hexdigest().upper().encode()
        pdf = pdf[: match.start(1)] + doc_id + pdf[match.end(1): match.start(2)] + doc_id + pdf[match.end(2):]
    return pdf


def html_to_pdf(html: str, *, font: FontConfig | DocumentFonts, timestamp: datetime,
                page_numbers: PageNumbers | None = GB_PAGE_NUMBERS) -> bytes:
    """Render with Chinese line breaking (linebreak.py) and `page_numbers` on every page.

    `font` is the document's fonts (or one font for all roles); the body face draws the numbers."""
    from xhtml2pdf import pisa

    fonts = DocumentFonts.of(font)
    maker = _page_number_canvas(fonts.body, page_numbers) if page_numbers else None
    out = io.BytesIO()
    with _reportlab_settings(fonts.body), _canvas_maker(maker), kinsoku_wrapping():
        status = pisa.CreatePDF(
            html,
            dest=out,
            encoding="utf-8",
            link_callback=make_link_callback(fonts),
            resource_policy=_policy(fonts),
        )
    if status.err:
        raise RuntimeError(f"xhtml2pdf reported {status.err} error(s) rendering the document")
    return _stamp(out.getvalue(), timestamp)
