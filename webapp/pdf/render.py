"""HTML → PDF with xhtml2pdf: confined resource access and byte-identical output."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, ChainableUndefined

from .fonts import FontConfig
from .formatting import cn_date, cn_datetime

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
        _env = env
    return _env


def render_html(template: str, **context) -> str:
    context.setdefault("draft", False)
    context.setdefault("voided", False)
    return template_env().get_template(template).render(**context)


def sha256_hex(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def _allowed_roots(font: FontConfig) -> tuple[Path, ...]:
    return (STATIC_DIR.resolve(), font.folder)


def make_link_callback(font: FontConfig):
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


def _policy(font: FontConfig):
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    static, fonts = _allowed_roots(font)
    return ResourceAccessPolicy.server(
        base_dir=static,
        extra_roots=(fonts,),
        allow_remote=False,
        max_render_seconds=600,  # a 5,000-row register is long but legitimate
        max_document_bytes=64 * 1024 * 1024,
    )


def _page_count_canvas(font: FontConfig, footer: str, size: float, bottom: float):
    """A canvas that holds its pages until the end, then stamps `footer` with the page count.

    xhtml2pdf's own <pdf:pagecount> lays the whole document out twice (multiBuild); this
    draws "共M页" in a single pass, the reportlab NumberedCanvas way."""
    from xhtml2pdf.builders.printmarks import MarkedCanvas

    class PageCountCanvas(MarkedCanvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict] = []

        def showPage(self):
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                self.saveState()
                self.setFont(font.face_name, size)
                self.setFillGray(0)
                self.drawCentredString(self._pagesize[0] / 2, bottom,
                                       footer.format(page=number, pages=total))
                self.restoreState()
                MarkedCanvas.showPage(self)
            MarkedCanvas.save(self)

    return PageCountCanvas


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


def html_to_pdf(html: str, *, font: FontConfig, timestamp: datetime,
                page_footer: str | None = None, footer_size: float = 10.5,
                footer_bottom_mm: float = 10) -> bytes:
    """Render; `page_footer` ("第{page}页 共{pages}页") is stamped at the bottom centre of every page."""
    from reportlab.lib.units import mm
    from xhtml2pdf import pisa

    maker = (_page_count_canvas(font, page_footer, footer_size, footer_bottom_mm * mm)
             if page_footer else None)
    out = io.BytesIO()
    with _reportlab_settings(font), _canvas_maker(maker):
        status = pisa.CreatePDF(
            html,
            dest=out,
            encoding="utf-8",
            link_callback=make_link_callback(font),
            resource_policy=_policy(font),
        )
    if status.err:
        raise RuntimeError(f"xhtml2pdf reported {status.err} error(s) rendering the document")
    return _stamp(out.getvalue(), timestamp)
