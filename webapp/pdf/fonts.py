"""The CJK fonts documents are drawn with (one per GB/T 9704 role): found, checked, registered once."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

UMING = "/usr/share/fonts/truetype/arphic/uming.ttc"
WQY_ZENHEI = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
DEFAULT_FONT_PATH = UMING
# Free TrueType stand-ins for 小标宋 (title), 黑体 (first-level headings) and 仿宋 (body).
DEFAULT_FONTS = {"title": UMING, "heading": WQY_ZENHEI, "body": UMING}
FONT_ROLES = {"title": "标题", "heading": "一级标题", "body": "正文"}
FONT_PACKAGES = {UMING: "fonts-arphic-uming", WQY_ZENHEI: "fonts-wqy-zenhei"}
FONT_SETTING = "PDF_FONTS"

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


@dataclass(frozen=True)
class DocumentFonts:
    """The three faces of a document; templates name them fonts.title/.heading/.body."""

    title: FontConfig
    heading: FontConfig
    body: FontConfig

    @classmethod
    def of(cls, font: FontConfig | DocumentFonts) -> DocumentFonts:
        """One font for every role (a caller that has only one) or the fonts as given."""
        return font if isinstance(font, DocumentFonts) else cls(font, font, font)

    @property
    def folders(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(f.folder for f in (self.title, self.heading, self.body)))


def _fail(path: str, why: str, role: str = "body") -> FontError:
    install = FONT_PACKAGES.get(path, "")
    return FontError(
        f"未找到 PDF 中文字体（{FONT_ROLES.get(role, role)}：{path}）：{why}。"
        + (f"请安装 {install}，或" if install else "请")
        + f"在 {FONT_SETTING}[\"{role}\"] 中设置一个 TrueType 字体文件（.ttf/.ttc）的路径"
    )


def font_paths(setting: Mapping[str, str] | None = None) -> dict[str, str]:
    """The configured paths (PDF_FONTS, any subset of title/heading/body) over the defaults."""
    setting = dict(setting or {})
    unknown = sorted(set(setting) - set(DEFAULT_FONTS))
    if unknown:
        raise FontError(f"{FONT_SETTING} 只能设置 title、heading、body，不认识：{'、'.join(unknown)}")
    return {role: str(setting.get(role) or default) for role, default in DEFAULT_FONTS.items()}


def find_fonts(setting: Mapping[str, str] | None = None) -> DocumentFonts:
    """Check and register the title, heading and body fonts (PDF_FONTS over the defaults)."""
    paths = font_paths(setting)
    return DocumentFonts(**{role: find_font(path, role=role) for role, path in paths.items()})


def find_font(path: str | None = None, subfont_index: int = 0, *, role: str = "body") -> FontConfig:
    """Check and register the font at `path` (default: AR PL UMing)."""
    path = path or DEFAULT_FONT_PATH
    file = Path(path)
    if not file.is_file():
        raise _fail(path, "文件不存在", role)
    if file.suffix.lower() in {".otf", ".woff", ".woff2", ".pfb", ".afm"}:
        raise _fail(path, "不支持 OpenType/CFF 字体，只支持 TrueType 轮廓的 .ttf/.ttc", role)
    resolved = str(file.resolve())
    key = (resolved, subfont_index, file.stat().st_mtime_ns)
    with _register_lock:
        name = _registered.get(key)
        if name is None:
            name = _register(resolved, subfont_index, role)
            _registered[key] = name
    return FontConfig(path=resolved, subfont_index=subfont_index, family=name.lower(), face_name=name)


def _register(path: str, subfont_index: int, role: str) -> str:
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
        raise _fail(path, why, role) from exc
    except (OSError, ValueError, IndexError) as exc:
        raise _fail(path, f"无法读取字体：{exc}", role) from exc
    if font.face.charToGlyph.get(ord("国")) in (None, 0):
        raise _fail(path, "字体不含中文字形", role)
    pdfmetrics.registerFont(font)
    # A single-weight CJK face: bold and italic draw with the same glyphs.
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
    # xhtml2pdf copies this map into every document's font list; the key is what CSS names.
    default.DEFAULT_FONT[name.lower()] = name
    return name
