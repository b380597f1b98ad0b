"""The register (台账) at a million records, on SQLite and on PostgreSQL (issue 10, "Scale").

Run: python bench/register_bench.py [--records 1000000] [--engines sqlite,postgresql]
     [--keep DIR [--reuse]]  (keep the SQLite database in DIR; --reuse measures it again unbuilt)

Per engine: migrates a fresh database to 0003 with the real migrations, bulk-loads --records
realistic records (bench/register_data.py), upgrades to head (the register indexes and the text
search are built over the loaded table, as on a live database; SQLite is left without ANALYZE
statistics, as deployments run it), then prints, with ratios against baselines measured in the
same run, and with each page's query plan:
  - p95 server time (Flask test client, 40 requests) of the register's first page, a
    three-filter page, a `q` party search and a keyset page ~2,000 pages deep; target ≤ 50 ms
    each; ratio = p95 ÷ p95 of a bare Flask route returning a constant page;
  - /stats for one year: target ≤ 1 s;
  - xlsx of ~100,000 rows through exports.register_xlsx in a subprocess (CPU time and peak RSS,
    target ≤ 150 MB) against a bare XlsxWriter constant_memory loop writing the same rows read with
    one plain SELECT (target ≤ 1.2×), and the CSV of the same rows (target ≤ the xlsx time);
  - SQLite only: /register throughput under gunicorn (4 workers) against a constant page on the
    same gunicorn (target ≥ 0.5), 4 client threads, two interleaved 5 s rounds each.
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
        db.session.commit()  # the migration writes on its own connection; no read transaction may span it
        started = time.perf_counter()
        upgrade()
        print(f"  迁移到最新版本（建索引与全文检索）：{time.perf_counter() - started:.0f} s")
        # SQLite stays without statistics, as a deployment that never runs ANALYZE; PostgreSQL's
        # autovacuum would vacuum and analyze the loaded table by itself, done here at once.
        if db.engine.dialect.name == "postgresql":
            started = time.perf_counter()
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            print(f"  VACUUM ANALYZE（autovacuum 的工作，此处立即完成）：{time.perf_counter() - started:.0f} s")
        db.session.remove()
        db.engine.dispose()


CONSTANT_PAGE = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>基准</title></head>"
                 "<body><p>固定页面：不读数据库，不渲染模板。</p></body></html>")
USERNAME = "staff"  # an officer: sees every unit's filed records and the drafts of their own unit
REQUESTS = 40
DEEP_PAGES = 2_000
GUNICORN_SECONDS = 5  # per round; two rounds per route, interleaved
XLSX_ROWS_TARGET = 100_000


def bench_app(url: str, instance: Path):
    """The real application plus the baseline: a bare route returning a constant page."""
    app = build_app(url, instance)
    app.add_url_rule("/bench/constant", "bench_constant", lambda: CONSTANT_PAGE)
    return app


def gunicorn_app():
    """gunicorn entry point (`register_bench:gunicorn_app()`): the bench app on BENCH_DATABASE_URL."""
    return bench_app(os.environ["BENCH_DATABASE_URL"], Path(os.environ["BENCH_INSTANCE"]))


def bench_user():
    from webapp.models import User

    return db.session.scalar(select(User).where(User.username == USERNAME))


def login(client, username: str = USERNAME) -> None:
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


def scenarios() -> dict[str, str]:
    """The register URLs measured: first page, three filters, a party search, a deep keyset page."""
    import register_data
    from webapp.services import queries
    from webapp.services.register_filter import RecordFilter, encode_cursor

    # Setting up the bench only: the row 2,000 pages down (less on small runs), found by OFFSET once.
    numbered = queries.register_query(bench_user(), RecordFilter(), columns=[
        GuidanceRecord.number_year, GuidanceRecord.number_seq, GuidanceRecord.id]).where(
        GuidanceRecord.number_year.is_not(None))
    pages = min(DEEP_PAGES, db.session.scalar(select(func.count()).select_from(numbered.subquery())) // 100)
    deep = db.session.execute(numbered.order_by(
        GuidanceRecord.number_year.desc(), GuidanceRecord.number_seq.desc(), GuidanceRecord.id.desc())
        .offset(pages * 50 - 1).limit(1)).one()
    term = register_data.party_search_term(100)
    return {
        "首页（无筛选）": "/register",
        "三项筛选（年度+单位+方式）": f"/register?year={NOW.year - 1}&unit=耕地保护监督科&method=reminder",
        f"当事人检索 q={term}": f"/register?q={term}",
        f"{pages:,} 页之后（游标）": "/register?after=" + encode_cursor("-number", tuple(deep)),
    }


def plan(url: str) -> str:
    """How the engine reads the page's first query for `url`: the plan's scans and their indexes."""
    from urllib.parse import parse_qsl, urlsplit

    from werkzeug.datastructures import MultiDict

    from webapp.services import queries
    from webapp.services.register_filter import decode_cursor, parse_filter

    args = MultiDict(parse_qsl(urlsplit(url).query))
    flt, _ = parse_filter(args, units=queries.unit_ids())
    after = decode_cursor(flt.sort, args["after"]) if "after" in args else None
    query = queries._segments(bench_user(), flt, after, columns=[GuidanceRecord.id])[0].limit(51)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        steps = [row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
        return "；".join(re.sub(r" \(.*\)$", "", step) for step in steps)
    nodes, found = [db.session.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar()[0]["Plan"]], []
    while nodes:
        node = nodes.pop(0)
        found.append(node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else "")
                     + (f" {node['Relation Name']}" if "Relation Name" in node and "Index Name" not in node else ""))
        nodes += node.get("Plans", [])
    return " → ".join(found)


def measure_pages(app, results: dict) -> None:
    with app.app_context():
        urls = scenarios()
        plans = {label: plan(url) for label, url in urls.items()}
        db.session.remove()
    client = app.test_client()
    login(client)
    base = percentile(timed(client, "/bench/constant"), 95)
    print(f"  基线：固定页面 p95 {base * 1000:.2f} ms（同一进程、同一测试客户端）")
    for label, url in urls.items():
        seconds = timed(client, url, expect="共 ")
        p95 = percentile(seconds, 95) * 1000
        results[label] = p95 <= 50
        print(f"  {label:<24} p95 {p95:6.1f} ms  中位 {statistics.median(seconds) * 1000:6.1f} ms  "
              f"为基线的 {p95 / (base * 1000):5.1f} 倍  目标 ≤ 50 ms：{'达标' if p95 <= 50 else '未达标'}")
        print(f"      计划：{plans[label]}")


def measure_stats(app, results: dict) -> None:
    client = app.test_client()
    login(client)
    year = NOW.year - 1
    seconds = timed(client, f"/stats?year={year}", n=5, expect="行政指导工作统计")
    base = statistics.median(timed(client, "/bench/constant"))
    worst = max(seconds)
    results["/stats"] = worst <= 1
    print(f"  /stats?year={year}：中位 {statistics.median(seconds):.2f} s，最慢 {worst:.2f} s（5 次，"
          f"为固定页面的 {statistics.median(seconds) / base:,.0f} 倍）  目标 ≤ 1 s：{'达标' if worst <= 1 else '未达标'}")


# --- exports: each in its own process, for its own peak memory and CPU time ---------------------------


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_xlsx(path: str, flt) -> int:
    """The floor: the same rows read with one plain SELECT, written by a bare constant_memory loop."""
    import xlsxwriter

    from webapp.services import queries

    names = queries.catalog_names()
    R = GuidanceRecord
    columns = [R.number, R.guided_at, R.subject, R.target_name, R.target_id_number, R.method, R.stage, R.form,
               R.catalog_code, R.unit, R.officers, R.result, R.status, R.good_practice, R.filed_at]
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("台账")
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    count = 0
    for segment in queries._segments(bench_user(), flt, None, columns=columns):
        for row in db.session.execute(segment.execution_options(yield_per=1000)):
            count += 1
            values = list(row)
            values.insert(9, names.get(row.catalog_code, ""))
            for c, value in enumerate(values):
                if isinstance(value, datetime):
                    sheet.write_datetime(count, c, value.astimezone(SHANGHAI).replace(tzinfo=None), stamp)
                elif isinstance(value, list):
                    sheet.write_string(count, c, "、".join(value))
                elif value is not None:
                    sheet.write_string(count, c, str(value))
    workbook.close()
    return count


def child(case: str, url: str, instance: str, year: int) -> None:
    from webapp.services import exports
    from webapp.services.register_filter import RecordFilter

    app = build_app(url, Path(instance))
    flt = RecordFilter(year=year)
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out")
        start_mb = _peak_rss_mb()
        start, cpu_start = time.perf_counter(), _cpu()
        if case == "bare":
            rows = bare_xlsx(path, flt)
        elif case == "xlsx":
            data, rows = exports.register_xlsx(bench_user(), flt)
            Path(path).write_bytes(data)
        else:
            with open(path, "wb") as out:
                for chunk in exports.register_csv(bench_user(), flt):
                    out.write(chunk)
            rows = None
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu_start
        size = os.path.getsize(path)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": _peak_rss_mb(), "start_mb": start_mb,
                      "bytes": size, "rows": rows}))


def _peak_rss_mb() -> float:
    """This process's peak RSS since exec (VmHWM; ru_maxrss would also count the parent's before exec)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def run_child(case: str, url: str, instance: Path, year: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", case, "--url", url, "--instance", str(instance),
                           "--year", str(year)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_exports(url: str, instance: Path, results: dict) -> None:
    """xlsx and CSV of one past year (≈100,000 records) against the bare loop, CPU seconds."""
    year = NOW.year - 1
    bare, xlsx, csv = (run_child(case, url, instance, year) for case in ("bare", "xlsx", "csv"))
    ratio = xlsx["cpu"] / bare["cpu"]
    results["xlsx 时间"], results["xlsx 内存"] = ratio <= 1.2, xlsx["rss_mb"] <= 150
    results["CSV 时间"] = csv["cpu"] <= xlsx["cpu"]
    print(f"  xlsx（{year} 年度 {xlsx['rows']:,} 行）：CPU {xlsx['cpu']:.1f} s（墙钟 {xlsx['seconds']:.1f} s），"
          f"裸 XlsxWriter 循环 CPU {bare['cpu']:.1f} s（{bare['rows']:,} 行），比值 {ratio:.2f}"
          f"（目标 ≤ 1.2）{'达标' if ratio <= 1.2 else '未达标'}")
    print(f"  xlsx 进程峰值内存 {xlsx['rss_mb']:.0f} MB（应用载入后 {xlsx['start_mb']:.0f} MB；目标 ≤ 150 MB）"
          f"{'达标' if xlsx['rss_mb'] <= 150 else '未达标'}；文件 {xlsx['bytes'] / 1e6:.1f} MB；"
          f"裸循环峰值 {bare['rss_mb']:.0f} MB")
    print(f"  CSV（同样的行）：CPU {csv['cpu']:.1f} s（墙钟 {csv['seconds']:.1f} s），为 xlsx 的 "
          f"{csv['cpu'] / xlsx['cpu']:.2f} 倍（目标 ≤ 1）{'达标' if csv['cpu'] <= xlsx['cpu'] else '未达标'}")


# --- throughput under gunicorn ------------------------------------------------------------------------


def _request(port: int, method: str, path: str, cookies: dict, body: str | None = None):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    for header, value in answer.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    conn.close()
    return answer.status, data


def _hammer(port: int, path: str, cookies: dict, seconds: float, threads: int = 4, cap: int = 5_000) -> float:
    """Requests per second from `threads` clients for `seconds` (at most `cap` requests in all)."""
    import threading

    done, errors, lock = [0], [], threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        while time.perf_counter() < deadline:
            with lock:
                if done[0] >= cap:
                    return
            status, _ = _request(port, "GET", path, dict(cookies))
            with lock:
                done[0] += 1
                if status != 200:
                    errors.append(status)

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors[:5]
    return done[0] / (time.perf_counter() - started)


def measure_gunicorn(url: str, instance: Path, results: dict) -> None:
    import socket
    from urllib.parse import urlencode

    from register_data import PASSWORD

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_INSTANCE": str(instance),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "4", "--worker-class", "sync",
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120",
                               "register_bench:gunicorn_app()"], env=env, cwd=ROOT / "bench")
    try:
        cookies: dict = {}
        for _ in range(600):
            try:
                status, page = _request(port, "GET", "/login", cookies)
                break
            except OSError:
                time.sleep(0.1)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.decode()).group(1)
        status, _ = _request(port, "POST", "/login", cookies, urlencode(
            {"username": USERNAME, "password": PASSWORD, "csrf_token": token}))
        assert status == 302, status
        for path in ("/bench/constant", "/register"):
            _hammer(port, path, cookies, 1.0)  # warm-up: every worker imports, connects, fills caches
        rates = {"/bench/constant": [], "/register": []}
        for _ in range(2):  # interleaved, so a busy spell on the shared machine hits both
            for path in rates:
                rates[path].append(_hammer(port, path, cookies, GUNICORN_SECONDS))
    finally:
        server.terminate()
        server.wait(timeout=60)
    constant, register = (statistics.mean(rates[p]) for p in rates)
    ratio = register / constant
    results["gunicorn 吞吐"] = ratio >= 0.5
    print(f"  gunicorn 4 个 sync 工作进程，4 个客户端线程：/register {register:.0f} 次/秒，固定页面 "
          f"{constant:.0f} 次/秒，比值 {ratio:.2f}（目标 ≥ 0.5）{'达标' if ratio >= 0.5 else '未达标'}")


# --- the run ----------------------------------------------------------------------------------------


def run_engine(name: str, url: str, instance: Path, args) -> dict:
    print(f"== {name}：{args.records:,} 条记录 ==", flush=True)
    results: dict = {}
    if not args.reuse:
        build(url, instance, args.records)
    app = bench_app(url, instance)
    measure_pages(app, results)
    measure_stats(app, results)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    measure_exports(url, instance, results)
    if name == "SQLite":
        measure_gunicorn(url, instance, results)
    return results


def postgres_server():
    """A throwaway PostgreSQL server (scripts/pg-test-server.sh), or None with the reason printed."""
    data = Path(tempfile.gettempdir()) / f"register-bench-pg-{os.getpid()}"  # the postgres user must reach it
    done = subprocess.run([str(ROOT / "scripts" / "pg-test-server.sh"), "start", str(data), str(PG_PORT)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"== PostgreSQL：跳过（无法启动测试服务器：{done.stderr.strip().splitlines()[-1:]}）")
        return None
    return done.stdout.strip(), data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--keep", metavar="DIR", help="build the SQLite database in DIR and keep it")
    parser.add_argument("--reuse", action="store_true", help="measure the SQLite database kept in --keep DIR")
    parser.add_argument("--child", choices=("bare", "xlsx", "csv"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--year", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.instance, args.year)
        return 0
    started = time.perf_counter()
    summary = {}
    with tempfile.TemporaryDirectory(prefix="register-bench-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if "sqlite" in args.engines:
            summary["SQLite"] = run_engine("SQLite", "sqlite:///" + str(work / "bench.sqlite"), work / "instance",
                                           args)
        if "postgresql" in args.engines:
            server = postgres_server()
            if server is not None:
                url, data = server
                try:
                    summary["PostgreSQL"] = run_engine("PostgreSQL", url, Path(tmp) / "instance-pg",
                                                       argparse.Namespace(**{**vars(args), "reuse": False}))
                finally:
                    subprocess.run([str(ROOT / "scripts" / "pg-test-server.sh"), "stop", str(data)], check=False)
    print("== 小结 ==")
    for engine, results in summary.items():
        missed = [name for name, ok in results.items() if not ok]
        print(f"  {engine}：{len(results) - len(missed)}/{len(results)} 项达标" + (f"；未达标：{'、'.join(missed)}"
                                                                              if missed else ""))
    print(f"  基准总用时 {(time.perf_counter() - started) / 60:.1f} 分钟")
    return 0  # a report, not a gate: `make bench` runs every bench


if __name__ == "__main__":
    sys.exit(main())
