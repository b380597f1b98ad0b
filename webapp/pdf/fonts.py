"""The CJK font every document is drawn with: found, checked, registered once per process."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/arphic/uming.ttc"
FONT_SETTING = "PDF_FONT_PATH"

_registered: dict[tuple[str, int, int], str] = {}
_register_lock = threading.Lock()


class FontError(RuntimeError):
    """No usable CJK TrueType font: PDFs would show boxes, so we refuse to render."""


@dataclass(frozen=True)
class FontConfig:
    """A registered font: `family` is the CSS font-family the templates use."""

    path: str
    subfont_index: int
    family: str
    face_name: str

    @property
    def folder(self) -> Path:
        return Path(self.path).resolve().parent


def _fail(path: str, why: str) -> FontError:
    return FontError(
        f"未找到 PDF 中文字体（{path}）：{why}。"
        f"请安装 fonts-arphic-uming 或设置 {FONT_SETTING} 为一个 TrueType 字体文件（.ttf/.ttc）的路径"
    )


def find_font(path: str | None = None, subfont_index: int = 0) -> FontConfig:
    """Check and register the font at `path` (else $PDF_FONT_PATH, else AR PL UMing)."""
    path = path or os.environ.get(FONT_SETTING) or DEFAULT_FONT_PATH
    file = Path(path)
    if not file.is_file():
        raise _fail(path, "文件不存在")
    if file.suffix.lower() in {".otf", ".woff", ".woff2", ".pfb", ".afm"}:
        raise _fail(path, "不支持 OpenType/CFF 字体，只支持 TrueType 轮廓的 .ttf/.ttc")
    resolved = str(file.resolve())
    key = (resolved, subfont_index, file.stat().st_mtime_ns)
    with _register_lock:
        name = _registered.get(key)
        if name is None:
            name = _register(resolved, subfont_index)
            _registered[key] = name
    return FontConfig(path=resolved, subfont_index=subfont_index, family=name.lower(), face_name=name)


def _register(path: str, subfont_index: int) -> str:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont
    from xhtml2pdf import default

    digest = hashlib.sha1(f"{path}#{subfont_index}".encode()).hexdigest()[:8]
    name = f"GRDoc{digest}"
    try:
        font = TTFont(name, path, subfontIndex=subfont_index)
    except TTFError as exc:
        why = str(exc)
        if "postscript" in why.lower() or "cff" in why.lower():
            why = "CFF（PostScript 轮廓）字体无法嵌入，只支持 TrueType 轮廓"
        raise _fail(path, why) from exc
    except (OSError, ValueError, IndexError) as exc:
        raise _fail(path, f"无法读取字体：{exc}") from exc
    if font.face.charToGlyph.get(ord("国")) in (None, 0):
        raise _fail(path, "字体不含中文字形")
    pdfmetrics.registerFont(font)
    # A single-weight CJK face: bold and italic draw with the same glyphs.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
    # xhtml2pdf copies this map into every document's font list; the key is what CSS names.
    default.DEFAULT_FONT[name.lower()] = name
    return name
