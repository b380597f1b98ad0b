"""PDF rendering benchmark: xhtml2pdf (what we ship) against WeasyPrint on the same HTML.

    .venv/bin/python bench/pdf_bench.py [--large 5000] [--repeat 5]

Prints median seconds, the register's per-row time at 500 and at --large rows (target: ratio
≤ 1.2, i.e. linear), xhtml2pdf's speed relative to WeasyPrint (target ≥ 1.5×), and what our
Chinese line breaking (webapp/pdf/linebreak.py) costs against xhtml2pdf's own CJK wrapping.
WeasyPrint is a bench-only dependency (pip install weasyprint; Debian libpango-1.0-0
libpangoft2-1.0-0 libharfbuzz-subset0); without it only the xhtml2pdf numbers are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.config import DEFAULTS  # noqa: E402
from webapp.pdf import (  # noqa: E402
    DocumentRecord, RegisterRow, find_fonts, html_to_pdf, opinion_letter_html, register_html,
)
from webapp.pdf import render  # noqa: E402
from webapp.pdf.formatting import SHANGHAI  # noqa: E402
from webapp.pdf.linebreak import JOINER  # noqa: E402

STAMP = datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
RECORD = {
    "method": "admonition", "form": "written", "stage": "during", "unit": "自然资源开发利用科",
    "officers": ["张明", "李华"], "guided_at": "2026-11-20T10:00:00+08:00",
    "place": "周村区王村镇某村临时用地现场",
    "target": {"name": "淄博某建材有限公司", "kind": "organization"},
    "subject": "临时用地期满未复垦归还",
    "problem": "你单位临时用地使用期满后，未在规定期限内完成土地复垦并归还土地，现场仍有建筑材料堆放。",
    "opinion": "一、建议你单位在30日内清理临时用地上的砂石料和临时设施。\n"
               "二、建议按照经批准的土地复垦方案恢复土地种植条件，复垦完成后向我局申请验收。\n"
               "三、复垦期间注意做好扬尘防治和安全防护。",
    "contact_person": "李华", "contact_phone": "0533-6180000",
}
SUBJECTS = ["临时用地期满未复垦归还", "耕地保护政策宣讲及永久基本农田占用风险提示",
            "矿山地质环境恢复治理", "不动产登记材料补正指导"]
TARGETS = ["淄博某建材有限公司", "王某某", "周村区某某村股份经济合作社"]


def rows(count: int) -> list[RegisterRow]:
    base = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
    return [RegisterRow(seq=i + 1, guided_at=base + timedelta(hours=i), subject=SUBJECTS[i % 4],
                        result="已采纳", officers=["张明", "李华"], number=f"指导书〔2026〕{i + 1}号",
                        target=TARGETS[i % 3])
            for i in range(count)]


def median_time(render, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the letter (register: fewer)")
    args = parser.parse_args()

    font = find_fonts()
    letter = opinion_letter_html(DocumentRecord(
        "周村区自然资源局", "指导书〔2026〕12号", "filed", RECORD, STAMP, STAMP,
        voluntariness_text=DEFAULTS["OPINION_VOLUNTARINESS_TEXT"],
        objection_text=DEFAULTS["OPINION_OBJECTION_TEXT"]), font)
    common = dict(title="行政指导事项登记簿", subtitle="2026年度", generated_at=STAMP, font=font)
    small = register_html(rows(500), **common)
    large = register_html(rows(args.large), **common)

    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        weasyprint = None
        print(f"WeasyPrint 不可用（{exc}）：只给出 xhtml2pdf 的数字。pip install weasyprint 后可对比。")

    def x(html):
        return lambda: html_to_pdf(html, font=font, timestamp=STAMP)

    def w(html):
        return lambda: weasyprint.HTML(string=html.replace(JOINER, "")).write_pdf(io.BytesIO())

    def plain(html):
        """xhtml2pdf's own CJK wrapping (no kinsoku, no kept runs): the cost of ours."""
        def run():
            with contextlib.ExitStack() as stack:
                stack.callback(setattr, render, "kinsoku_wrapping", render.kinsoku_wrapping)
                render.kinsoku_wrapping = contextlib.nullcontext
                html_to_pdf(html.replace(JOINER, ""), font=font, timestamp=STAMP)
        return run

    x(letter)()  # warm-up: font registration, imports
    cases = [("opinion letter", letter, args.repeat), ("register 500 rows", small, 3),
             (f"register {args.large} rows", large, 1)]
    results: dict[str, dict[str, float]] = {}
    for name, html, repeat in cases:
        results[name] = {"xhtml2pdf": median_time(x(html), repeat)}
        if weasyprint is not None:
            if name == "opinion letter":
                w(html)()
            results[name]["weasyprint"] = median_time(w(html), repeat)
        line = f"{name:<22} xhtml2pdf {results[name]['xhtml2pdf']:8.3f} s (median of {repeat})"
        if "weasyprint" in results[name]:
            line += f"   WeasyPrint {results[name]['weasyprint']:8.3f} s"
        print(line, flush=True)

    per_small = results["register 500 rows"]["xhtml2pdf"] / 500
    per_large = results[f"register {args.large} rows"]["xhtml2pdf"] / args.large
    ratio = per_large / per_small
    print(f"per row: 500 rows {per_small * 1000:.2f} ms, {args.large} rows {per_large * 1000:.2f} ms, "
          f"ratio {ratio:.2f} (target ≤ 1.2: {'OK' if ratio <= 1.2 else 'MISSED'})")
    for name, html, repeat in cases[:2]:
        ours, theirs = results[name]["xhtml2pdf"], median_time(plain(html), repeat)
        print(f"Chinese line breaking, {name}: {ours:.3f} s against {theirs:.3f} s with "
              f"xhtml2pdf's own CJK wrap ({ours / theirs:.2f}×)")
    if weasyprint is not None:
        for name in results:
            speed = results[name]["weasyprint"] / results[name]["xhtml2pdf"]
            print(f"xhtml2pdf speed vs WeasyPrint, {name}: {speed:.2f}× "
                  f"(target ≥ 1.5: {'OK' if speed >= 1.5 else 'MISSED'})")


if __name__ == "__main__":
    main()
