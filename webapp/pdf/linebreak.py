"""Chinese line breaking for every document: where a line may end, and the wrapper that obeys it.

xhtml2pdf's CJK wrapping (`-pdf-word-wrap: CJK`) breaks between any two characters and lets one
closing mark hang past the edge; it honours no joiner (measured with 0.2.28: NBSP, U+2060 and
U+200B are measured, drawn and broken like letters, and without CJK wrapping a cell does not
wrap at all). So the rules live here:
`break_opportunities` decides, and `kinsoku_wrapping` makes xhtml2pdf's CJK paragraphs use it.
A term that must not be split (a label, a name, a date) is prepared before layout with
`keep_together`, which puts U+2060 WORD JOINER between its characters; the wrapper honours the
joiners and drops them, so they are never drawn.

Rules (GB/T 15834 and the W3C's Chinese layout requirements, clreq):
- no line starts with a closing mark (，。、；：？！）》」』】〕 …) nor ends with an opening one;
- a run of digits/Latin letters, a number with its unit (1200平方米, 3.5公顷), an article
  reference (第六十二条) and a year-and-number (〔2026〕12号) stay on one line unless the run
  alone is wider than the line;
- nothing overhangs: the character that does not fit goes to the next line with its neighbours.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

CLOSING = frozenset(
    "，。、；：？！）》」』】〕〉］｝”’·～．"  # full-width stops, closing brackets and quotes
    ",.;:?!)]}"  # their ASCII forms
)
OPENING = frozenset("（《「『【〔〈［｛“‘([{")
UNSPLIT_PAIRS = frozenset("—…")  # 破折号 —— and 省略号 …… are one mark drawn as two characters
BREAKABLE_SPACE = frozenset(" \u3000\t\n\r")  # NBSP is deliberately not here
OBJECT = "\ufffc"  # stands for an inline object (an image, a page number) in the joined text
JOINER = "\u2060"  # WORD JOINER: no break here

_ALNUM = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
_UNITS = (
    "平方千米|平方公里|平方米|立方米|公顷|千米|公里|厘米|毫米|米|亩|万元|亿元|元|万吨|吨|千克|公斤|克|"
    "个月|年度|年|月|日|天|小时|时|分钟|分|秒|周岁|岁|倍|宗地|宗|件|处|栋|幢|层|户|人|名|个|次|项|条|款|"
    "号|页|份|块|万|亿|%|％|‰|℃"
)
_CN_NUMERAL = "〇零一二三四五六七八九十百千万两"
PROTECTED = re.compile(
    rf"〔[0-9０-９]{{4}}〕[0-9０-９]+号"  # 〔2026〕12号
    rf"|第[{_CN_NUMERAL}0-9０-９]+[条款项章节目编号批次]"  # 第六十二条, 第3款
    rf"|[{_ALNUM}]+(?:[.,:/\-_@#&+·'][{_ALNUM}]+)*(?:{_UNITS})?"  # 0533-6180000, 3.5公顷, ZD-TD-03
)
_FUZZ = 1e-6


def keep_together(text: object) -> str:
    """A term that moves to the next line whole rather than split: WORD JOINERs between its
    characters, except where punctuation already separates its phrases ("待反馈 | （已作废）",
    "事前、| 事中"), so a term longer than its cell still breaks at a sensible place."""
    text = str(text or "").replace(JOINER, "")
    out = text[:1]
    for before, here in zip(text, text[1:]):
        if not (here in OPENING or here in CLOSING or before in CLOSING
                or before in BREAKABLE_SPACE or here in BREAKABLE_SPACE):
            out += JOINER
        out += here
    return out


def keep_each(items: Iterable[object], separator: str = "、") -> str:
    """Items that each stay whole, joined where a line may break (after the separator)."""
    return separator.join(keep_together(item) for item in items if item)


def break_opportunities(text: str, glued: Iterable[int] = ()) -> list[bool]:
    """`result[i]` is true when a line may start at `text[i]` (never at 0); `glued` forbids more."""
    n = len(text)
    allowed = [False] + [True] * (n - 1) if n else []
    for i in glued:
        if 0 < i < n:
            allowed[i] = False
    for match in PROTECTED.finditer(text):
        for i in range(match.start() + 1, match.end()):
            allowed[i] = False
    for i in range(1, n):
        before, here = text[i - 1], text[i]
        if (here in CLOSING or before in OPENING or OBJECT in (before, here)
                or (here == before and here in UNSPLIT_PAIRS)):
            allowed[i] = False
    return allowed


def _kinsoku_ok(text: str, i: int) -> bool:
    """A break before `text[i]` that only the punctuation rules allow (used to cut an over-long run)."""
    return not (text[i] in CLOSING or text[i - 1] in OPENING)


def line_spans(text: str, widths: Sequence[float], max_widths: Sequence[float],
               forced: Iterable[int] = (), glued: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Greedy lines as (start, end) indices into `text`, breaking only where allowed.

    `max_widths[k]` is the width of line k (the last one repeats); a break is forced after each
    index in `forced` (a <br/>), none is made before an index in `glued`. Breakable spaces at a
    line's ends are left out of the span."""
    allowed = break_opportunities(text, glued)
    forced = frozenset(forced)
    n = len(text)
    spans: list[tuple[int, int]] = []
    start, used, last_ok, i = 0, 0.0, 0, 0

    def width_of(line: int) -> float:
        return max_widths[min(line, len(max_widths) - 1)]

    def close(end: int) -> None:
        s, e = start, end
        if spans:
            while s < e and text[s] in BREAKABLE_SPACE:
                s += 1
        while e > s and text[e - 1] in BREAKABLE_SPACE:
            e -= 1
        spans.append((s, e))

    limit = width_of(0)
    while i < n:
        if i > start and allowed[i]:
            last_ok = i
        used += widths[i]
        # (last_ok, i] holds no break: if [last_ok, i] is still too wide, that run alone is
        # wider than the line and is cut, still keeping the punctuation rules where it can.
        while used > limit + _FUZZ and i > start and text[i] not in BREAKABLE_SPACE:
            if last_ok > start:
                cut = last_ok
            else:
                cut = next((j for j in range(i, start, -1) if _kinsoku_ok(text, j)), i)
                run_end = next((j for j in range(cut + 1, n) if allowed[j]), n)
                if run_end - cut == 1 and cut - 2 > start and _kinsoku_ok(text, cut - 1):
                    cut -= 1  # no lone character of a cut run on the next line ("测绘地理信 | 息科")
            close(cut)
            start = last_ok = cut
            used = sum(widths[cut:i + 1])
            limit = width_of(len(spans))
        if i in forced:
            close(i + 1)
            start, last_ok, used = i + 1, i + 1, 0.0
            limit = width_of(len(spans))
        i += 1
    if start < n:
        close(n)
    return spans


_patch_lock = threading.RLock()


class _JoinerIsNotMissing(logging.Filter):
    """xhtml2pdf warns that no font draws U+2060; it is never drawn (the wrapper drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "U+2060" not in record.getMessage()


@contextmanager
def kinsoku_wrapping() -> Iterator[None]:
    """For one render: xhtml2pdf's CJK paragraphs break where `break_opportunities` allows."""
    from xhtml2pdf import reportlab_paragraph as rp

    original = rp.Paragraph.__dict__["breakLinesCJK"]

    def breakLinesCJK(self, width):
        if not self.frags:
            return original(self, width)
        if getattr(self, "_splitpara", 0) and getattr(getattr(self, "blPara", None), "kind", 0) == 1:
            return self.blPara  # the first half of a paragraph split across pages keeps its lines
        max_widths = list(width) if isinstance(width, (list, tuple)) else [width]
        rp._handleBulletWidth(self.bulletText, self.style, max_widths, rtl=self.dir == "rtl")
        auto_leading = getattr(self, "autoLeading", getattr(self.style, "autoLeading", ""))
        return _split_frags(rp, self.frags, max_widths, auto_leading not in {"", "off"},
                            self.encoding)

    original_split = rp.Paragraph.__dict__["_get_split_blParaFunc"]

    def _get_split_blParaFunc(self):
        if getattr(self.style, "wordWrap", None) == "CJK" and self.blPara.kind == 1:
            return _split_cjk_lines
        return original_split(self)

    quiet = _JoinerIsNotMissing()
    logger = logging.getLogger("xhtml2pdf.context")
    with _patch_lock:
        rp.Paragraph.breakLinesCJK = breakLinesCJK
        rp.Paragraph._get_split_blParaFunc = _get_split_blParaFunc
        logger.addFilter(quiet)
        try:
            yield
        finally:
            logger.removeFilter(quiet)
            rp.Paragraph._get_split_blParaFunc = original_split
            rp.Paragraph.breakLinesCJK = original


def _split_cjk_lines(blPara, start: int, stop: int) -> list:
    """The frags of lines start…stop of a paragraph cut between pages, as copies.

    xhtml2pdf's own version appends a space to each line's last word, in place: Western text
    needs it to rejoin its words, Chinese does not, and the lines already laid out would then
    end in a space past the right edge."""
    return [word.clone() for line in blPara.lines[start:stop] for word in line.words]


def _split_frags(rp, frags, max_widths: list[float], calc_bounds: bool, encoding: str):
    """xhtml2pdf's cjkFragSplit with our line spans: one cjkU per character or inline object."""
    units, glued = [], set()
    for frag in frags:
        text = frag.text
        if not isinstance(text, str):
            text = text.decode(encoding)
        if not text:
            units.append(rp.cjkU("", frag, encoding))
        for ch in text:
            if ch == JOINER:
                glued.add(len(units))
            else:
                units.append(rp.cjkU(ch, frag, encoding))
    if not units:
        units.append(rp.cjkU("", frags[0], encoding))
    joined = "".join(u if len(u) == 1 else OBJECT for u in units)
    forced = [i for i, u in enumerate(units) if hasattr(u.frag, "lineBreak")]
    spans = line_spans(joined, [u.width for u in units], max_widths, forced, glued)
    lines = []
    for number, (start, end) in enumerate(spans):
        limit = max_widths[min(number, len(max_widths) - 1)]
        piece = units[start:end] or [rp.cjkU("", units[min(start, len(units) - 1)].frag, encoding)]
        used = sum(u.width for u in units[start:end])
        lines.append(rp.makeCJKParaLine(piece, limit - used, calc_bounds))
    return rp.ParaLines(kind=1, lines=lines)
