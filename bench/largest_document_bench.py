"""The largest valid record's 文书 and 意见书 against a typical record's (issue 15: < 2 s each).

    .venv/bin/python bench/largest_document_bench.py [--repeat 3]

"Largest valid" is every field at its limit in rules/limits.py (the input.length rule refuses
anything larger, so no stored record can be bigger), written two ways: long paragraphs, and as
many paragraphs as the limit allows (LINE_LIMITS: the slow case for layout). Prints the
median seconds of each, the ratio to the typical record's document measured in the same run,
and whether the 2 s goal holds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rules  # noqa: E402
from rules.limits import LINE_LIMITS, LIST_LIMITS, TEXT_LIMITS  # noqa: E402
from webapp.config import DEFAULTS  # noqa: E402
from webapp.pdf import (  # noqa: E402
    DocumentRecord, find_fonts, guidance_document_html, html_to_pdf, opinion_letter_html,
)
from webapp.pdf.formatting import SHANGHAI  # noqa: E402

GOAL_SECONDS = 2.0
STAMP = datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
TYPICAL = {
    "catalog_code": "ZD-TD-03", "method": "admonition", "form": "written", "stage": "during",
    "initiated_by": "ex_officio", "unit": "自然资源开发利用科", "officers": ["张明", "李华"],
    "guided_at": "2026-11-20T10:00:00+08:00", "place": "周村区王村镇某村临时用地现场",
    "target": {"name": "淄博某建材有限公司", "kind": "organization", "id_number": "914403001922038216",
               "contact": "王经理", "phone": "13905330000"},
    "subject": "临时用地期满未复垦归还",
    "content": "现场检查发现临时用地期满未复垦，向当事人说明复垦义务及程序。",
    "problem": "你单位临时用地使用期满后，未在规定期限内完成土地复垦并归还土地，现场仍有建筑材料堆放。",
    "opinion": "一、建议你单位在30日内清理临时用地上的砂石料和临时设施。\n"
               "二、建议按照经批准的土地复垦方案恢复土地种植条件，复垦完成后向我局申请验收。",
    "legal_basis": [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}],
    "informed_of_voluntariness": True, "written_requested": False,
    "contact_person": "李华", "contact_phone": "0533-6180000",
    "admonition_conditions": {"minor": True, "no_intent": True, "corrected": True, "no_harm": True},
    "follow_up_due": "2026-12-20", "result": "pending",
}


def filled(path: str, lines: bool) -> str:
    """A text at its limit: one long paragraph, or as many paragraphs as allowed (LINE_LIMITS)."""
    limit = TEXT_LIMITS[path]
    count = LINE_LIMITS.get(path, 1) if lines else 1
    return "\n".join(["土地复垦与归还" * limit][0][:limit // count - 1] for _ in range(count))[:limit]


def largest(lines: bool) -> dict:
    record = {**TYPICAL, "target": dict(TYPICAL["target"])}
    for path, limit in TEXT_LIMITS.items():
        if path in ("officers", "legal_basis.law", "legal_basis.articles", "catalog_code",
                    "target.id_number", "target.phone", "contact_phone"):
            continue  # codes and phones keep a valid value; lists below
        top, _, sub = path.partition(".")
        if sub:
            record.setdefault(top, {})
            if record[top] is None:
                record[top] = {}
            record[top][sub] = filled(path, lines)
        else:
            record[top] = filled(path, lines)
    record["officers"] = [f"{i}" + "名" * (TEXT_LIMITS["officers"] - 2) for i in range(LIST_LIMITS["officers"])]
    record["legal_basis"] = [
        {"law": f"{i}" + "法" * (TEXT_LIMITS["legal_basis.law"] - 2),
         "articles": [f"第{j}条" + "款" * (TEXT_LIMITS["legal_basis.articles"] - 6)
                      for j in range(LIST_LIMITS["legal_basis.articles"])]}
        for i in range(LIST_LIMITS["legal_basis"])]
    refused = rules.read_record(record).structural
    assert not refused, [f.message for f in refused]  # the largest record the system can store
    return record


def median_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    font = find_fonts()

    def document(kind, record):
        doc = DocumentRecord("周村区自然资源局", "指导书〔2026〕12号", "filed", record, STAMP, STAMP,
                             voluntariness_text=DEFAULTS["OPINION_VOLUNTARINESS_TEXT"],
                             objection_text=DEFAULTS["OPINION_OBJECTION_TEXT"])
        html = (guidance_document_html if kind == "文书" else opinion_letter_html)(doc, font)
        return lambda: html_to_pdf(html, font=font, timestamp=STAMP)

    document("文书", TYPICAL)()  # warm-up: fonts, imports
    missed = False
    for kind in ("文书", "意见书"):
        typical = median_time(document(kind, TYPICAL), args.repeat)
        print(f"{kind} typical record            {typical:7.3f} s")
        for label, lines in (("long paragraphs", False), ("most paragraphs", True)):
            seconds = median_time(document(kind, largest(lines)), args.repeat)
            ok = seconds < GOAL_SECONDS
            missed |= not ok
            print(f"{kind} largest valid, {label:<20} {seconds:7.3f} s  ratio {seconds / typical:6.1f}× typical"
                  f"  (goal < {GOAL_SECONDS:.0f} s: {'OK' if ok else 'MISSED'})", flush=True)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
