"""Register export benchmark: our xlsx and CSV writers against a bare XlsxWriter loop.

    .venv/bin/python bench/export_bench.py [--rows 100000] [--repeat 3] [--no-openpyxl]

Each run is its own subprocess, so its peak RSS (ru_maxrss) and CPU time are its own; ratios use
CPU seconds (medians of --repeat interleaved runs), wall time is shown beside. Prints, for --rows
realistic register rows (15 columns, Chinese text, credit codes, dates):
  - write_xlsx time against a bare constant_memory loop writing the same rows (target ≤ 1.2×);
  - write_xlsx peak RSS (target ≤ 150 MB);
  - iter_csv time against the write_xlsx time (target ≤ 1×);
  - openpyxl write_only on the same rows, for the record of why XlsxWriter was chosen.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webapp.pdf.formatting import SHANGHAI  # noqa: E402
from webapp.reports import Column, iter_csv, write_xlsx  # noqa: E402

COLUMNS = [
    Column("number", "文号", width=20),
    Column("guided_at", "指导时间", "datetime", 17),
    Column("unit", "实施单位", width=18),
    Column("officers", "指导人员", width=14),
    Column("target", "指导对象", width=28),
    Column("target_code", "统一社会信用代码/身份证号", width=22),
    Column("contact_phone", "联系电话", width=14),
    Column("method", "指导方式", width=10),
    Column("stage", "实施环节", width=8),
    Column("status", "状态", width=8),
    Column("subject", "指导事项", width=36),
    Column("catalog", "目录事项", width=36),
    Column("field", "领域", width=8),
    Column("result", "指导结果", width=10),
    Column("filed_on", "备案日期", "date", 12),
]
UNITS = ["自然资源开发利用科", "国土空间规划科", "耕地保护监督科", "执法监察大队", "不动产登记中心", "王村自然资源所"]
SUBJECTS = ["临时用地期满未复垦归还", "耕地保护政策宣讲及永久基本农田占用风险提示",
            "矿山地质环境恢复治理", "不动产登记材料补正指导"]
METHODS = ["政策指引", "意见建议", "提示提醒", "劝导警示", "表扬鼓励", "案件回访"]
TITLE = ["周村区自然资源局 行政指导台账", "筛选条件：2016—2026年，全部单位", "制表日期：2026年11月27日"]


def rows(count: int):
    """Rows as the query layer hands them over: aware datetimes, dates, plain strings."""
    base = datetime(2016, 1, 4, 9, tzinfo=SHANGHAI)
    for i in range(count):
        guided = base + timedelta(minutes=53 * i)
        yield {
            "number": f"指导书〔{guided.year}〕{i + 1}号",
            "guided_at": guided,
            "unit": UNITS[i % 6],
            "officers": "张明、李华",
            "target": f"淄博某建材有限公司第{i % 997}分公司",
            "target_code": f"91370306MA3C{i % 1000000:06d}",
            "contact_phone": f"0533-61{i % 100000:05d}",
            "method": METHODS[i % 6],
            "stage": "事中",
            "status": "已备案",
            "subject": SUBJECTS[i % 4],
            "catalog": "ZD-TD-03 临时用地使用及期满复垦归还提示",
            "field": "土地",
            "result": "已采纳",
            "filed_on": (guided + timedelta(days=1)).date(),
        }


def bare_xlsx(path: str, count: int) -> None:
    """The floor: the same library, the same rows, no neutralising, no title, no checks."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("台账")
    dt_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    d_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    keys = [column.key for column in COLUMNS]
    for r, record in enumerate(rows(count)):
        for c, key in enumerate(keys):
            value = record[key]
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value.astimezone(SHANGHAI).replace(tzinfo=None), dt_format)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, value, d_format)
            else:
                sheet.write_string(r, c, value)
    workbook.close()


def openpyxl_xlsx(path: str, count: int) -> None:
    """openpyxl write_only, text cells forced to text (a leading = would otherwise be a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    keys = [column.key for column in COLUMNS]
    for record in rows(count):
        cells = []
        for key in keys:
            value = record[key]
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value.astimezone(SHANGHAI).replace(tzinfo=None))
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = "yyyy-mm-dd"
            else:
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(path)


def ours_xlsx(path: str, count: int) -> None:
    with open(path, "wb") as out:
        written = write_xlsx(out, sheet="台账", title_lines=TITLE, columns=COLUMNS, rows=rows(count))
    assert written == count, written


def ours_csv(path: str, count: int) -> None:
    with open(path, "wb") as out:
        for chunk in iter_csv(COLUMNS, rows(count), title_lines=TITLE):
            out.write(chunk)


CASES = {"bare": bare_xlsx, "xlsx": ours_xlsx, "csv": ours_csv, "openpyxl": openpyxl_xlsx}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(case: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out")
        start, cpu_start = time.perf_counter(), _cpu()
        CASES[case](path, count)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu_start
        size = os.path.getsize(path)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": rss_mb, "bytes": size}))


def run(case: str, count: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", case, "--rows", str(count)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-openpyxl", action="store_true")
    parser.add_argument("--child", choices=sorted(CASES))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return

    results: dict[str, list[dict]] = {"bare": [], "xlsx": [], "csv": []}
    for _ in range(args.repeat):  # interleaved, so a busy spell on a shared machine hits all three
        for case in results:
            results[case].append(run(case, args.rows))
    # CPU seconds decide the ratios: on a shared machine wall time mostly measures the neighbours.
    cpu = {case: statistics.median(r["cpu"] for r in runs) for case, runs in results.items()}
    wall = {case: statistics.median(r["seconds"] for r in runs) for case, runs in results.items()}
    peak = max(r["rss_mb"] for r in results["xlsx"])

    n = f"{args.rows:,}"
    ratio = cpu["xlsx"] / cpu["bare"]
    print(f"xlsx {n} 行：write_xlsx CPU {cpu['xlsx']:.2f} s（墙钟 {wall['xlsx']:.2f} s），"
          f"裸 XlsxWriter 循环 CPU {cpu['bare']:.2f} s（墙钟 {wall['bare']:.2f} s），"
          f"比值 {ratio:.2f}（目标 ≤ 1.2）{'达标' if ratio <= 1.2 else '未达标'}")
    print(f"xlsx 峰值内存 {peak:.0f} MB（目标 ≤ 150 MB）{'达标' if peak <= 150 else '未达标'}；"
          f"文件 {results['xlsx'][0]['bytes'] / 1e6:.1f} MB")
    csv_ratio = cpu["csv"] / cpu["xlsx"]
    print(f"CSV {n} 行：CPU {cpu['csv']:.2f} s（墙钟 {wall['csv']:.2f} s），为 xlsx 的 {csv_ratio:.2f} 倍"
          f"（目标 ≤ 1）{'达标' if csv_ratio <= 1 else '未达标'}")
    if not args.no_openpyxl:
        other = run("openpyxl", args.rows)
        print(f"对照 openpyxl write_only：CPU {other['cpu']:.2f} s，峰值 {other['rss_mb']:.0f} MB"
              f"（裸 XlsxWriter CPU {cpu['bare']:.2f} s，峰值 "
              f"{max(r['rss_mb'] for r in results['bare']):.0f} MB）")


if __name__ == "__main__":
    main()
