"""Server time of create + submit (validate, save, file) with 100,000 records already filed.

Run: python bench/submit_bench.py [--records 100000] [--iterations 300] [--postgres URL]

Builds a throwaway SQLite database in a temp dir (or uses the given PostgreSQL database, whose
tables are DROPPED and rebuilt), migrates it, seeds units/catalog/users, bulk-inserts the filed
records (many distinct targets, guided_at spread over two years), then times N iterations of
create_draft + submit_record in-process (no HTTP). Prints median and p95 of
  (a) the full create + submit (clean → filed, number allocated, audit events written),
  (b) rules.evaluate alone on the same records (same catalog, no history), measured in this run,
and their ratio. Target: median (a) ≤ 30 ms.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

import rules  # noqa: E402
from rules.idcodes import uscc_check_char  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import GuidanceRecord, NumberCounter, Unit, User  # noqa: E402
from webapp.models.record import SHANGHAI  # noqa: E402

SEED = 20261127
TARGET_MS = 30.0
CHUNK = 5_000
TARGETS = 25_000  # distinct targets among the existing records (≈ 4 records each)
NOW = datetime.now(SHANGHAI)
TEMPLATE = {
    "catalog_code": "ZD-TD-03", "method": "reminder", "stage": "during", "form": "written",
    "initiated_by": "ex_officio", "applied_at": None, "unit": "自然资源开发利用科",
    "officers": ["张明", "李华"], "place": "周村区王村镇某村临时用地现场",
    "subject": "临时用地期满复垦归还提示",
    "content": "临时用地使用期满，建议尽快按复垦方案恢复种植条件后归还。",
    "problem": "临时用地于近期期满，尚未完成复垦。",
    "opinion": "建议在一个月内完成复垦并申请验收，如有困难可与我科联系。",
    "legal_basis": [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}],
    "informed_of_voluntariness": True, "written_requested": False, "oral_confirmation": None,
    "contact_person": "李华", "contact_phone": "0533-6180000",
    "admonition_conditions": {"minor": True, "no_intent": True, "corrected": True, "no_harm": True},
    "case": None, "project": None, "result": "pending", "effect": None,
}


def uscc(n: int) -> str:
    body = f"9137030{n:010d}"
    return body + uscc_check_char(body)


def target_name(n: int) -> str:
    return f"淄博第{n}号建材有限公司"


def build_app(url: str, instance: Path):
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url},
                      instance_path=str(instance))


def migrate_and_seed(postgres: bool) -> None:
    from flask_migrate import downgrade, upgrade

    from webapp.services.seed import DEMO_USERS, seed_catalog, seed_units

    if postgres:
        downgrade(revision="base")
    upgrade()
    seed_units()
    db.session.flush()
    seed_catalog()
    unit_ids = dict(db.session.execute(select(Unit.name, Unit.id)).all())
    password = generate_password_hash("bench-only", method="pbkdf2:sha256:1000")
    for username, display, role, unit in DEMO_USERS:
        db.session.add(User(username=username, display_name=display, role=role,
                            unit_id=unit_ids[unit], password_hash=password))
    db.session.commit()


def insert_existing(count: int, rng: random.Random) -> float:
    """Bulk-insert `count` filed records; returns seconds taken."""
    staff = db.session.scalar(select(User).where(User.username == "staff"))
    started = time.perf_counter()
    span = timedelta(days=730).total_seconds()
    guided = sorted(NOW - timedelta(days=2) - timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    seq_per_year: dict[int, int] = {}
    methods = ("reminder", "admonition")
    rows = []
    for i, at in enumerate(guided):
        at_utc = at.astimezone(timezone.utc)
        filed_at = at_utc + timedelta(hours=2)
        year = filed_at.astimezone(SHANGHAI).year
        seq = seq_per_year[year] = seq_per_year.get(year, 0) + 1
        t = rng.randrange(TARGETS)
        rows.append({
            **{k: TEMPLATE[k] for k in ("catalog_code", "stage", "form", "initiated_by", "unit", "officers",
                                         "place", "subject", "content", "problem", "opinion", "legal_basis",
                                         "informed_of_voluntariness", "written_requested",
                                         "contact_person", "contact_phone", "admonition_conditions",
                                         "result")},
            "method": methods[i % 2],
            "status": "filed" if i % 10 else "closed",
            "number": f"指导书〔{year}〕{seq}号", "number_year": year, "number_seq": seq,
            "version": 3, "owner_unit_id": staff.unit_id, "created_by_id": staff.id,
            "updated_by_id": staff.id, "created_at": at_utc, "updated_at": filed_at,
            "guided_at": at_utc, "follow_up_due": (at + timedelta(days=30)).date(),
            "target_name": target_name(t), "target_kind": "organization", "target_id_number": uscc(t),
            "target_contact": "王经理", "target_phone": "13905330000",
            "submitted_at": filed_at, "filed_at": filed_at, "ruleset_version": rules.RULESET.version,
        })
        if len(rows) == CHUNK:
            db.session.execute(insert(GuidanceRecord), rows)
            rows = []
    if rows:
        db.session.execute(insert(GuidanceRecord), rows)
    for year, last in seq_per_year.items():
        db.session.add(NumberCounter(year=year, last_seq=last))
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE guidance_record"))
    db.session.commit()
    return time.perf_counter() - started


def timed_records(n: int, rng: random.Random) -> list[dict]:
    """Half share a target with existing records (history queries find rows), half are new.

    Shared targets get a reminder (提示提醒) so the repeat-admonition rule does not apply; the
    burden rule (≥3 in 30 days) almost never fires with ≈4 records per target over two years.
    """
    records = []
    for i in range(n):
        guided = NOW - timedelta(days=1, minutes=rng.randint(0, 600))
        if i % 2:
            t = rng.randrange(TARGETS)
            target = {"name": target_name(t), "kind": "organization", "id_number": uscc(t),
                      "contact": "王经理", "phone": "13905330000"}
            method = "reminder"
        else:
            target = {"name": f"淄博新设第{i}号物流有限公司", "kind": "organization",
                      "id_number": uscc(TARGETS + i), "contact": "赵经理", "phone": "13905331111"}
            method = "admonition"
        records.append({**TEMPLATE, "method": method, "target": target,
                        "guided_at": guided.isoformat(),
                        "follow_up_due": (guided + timedelta(days=30)).date().isoformat()})
    return records


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(label: str, seconds: list[float]) -> tuple[float, float]:
    ms = [s * 1000 for s in seconds]
    med, p95 = statistics.median(ms), percentile(ms, 95)
    print(f"  {label:<50} median {med:7.2f} ms   p95 {p95:7.2f} ms")
    return med, p95


def run(url: str, instance: Path, existing: int, iterations: int) -> bool:
    from webapp.services import records as svc
    from webapp.services.rules_bridge import DatabaseHistory, evaluate_reading, rules_catalog

    postgres = url.startswith("postgresql")
    rng = random.Random(SEED)
    app = build_app(url, instance)
    with app.app_context():
        migrate_and_seed(postgres)
        seconds = insert_existing(existing, rng)
        total = db.session.scalar(select(func.count(GuidanceRecord.id)))
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(f"existing records: {total:,} (inserted in {seconds:.1f} s), "
              f"{TARGETS:,} distinct targets, guided_at over 730 days")
        explain = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
        plan = db.session.execute(text(
            f"{explain} SELECT id FROM guidance_record WHERE (target_name = :n OR "
            "target_id_number = :i) AND status IN ('pending_review','filed','closed') AND "
            "guided_at >= :a AND guided_at < :b"),
            {"n": target_name(1), "i": uscc(1), "a": (NOW - timedelta(days=365)).isoformat(),
             "b": NOW.isoformat()}).all()
        steps = [row[-1].strip() for row in plan]
        if postgres:  # the plan nodes only, not their conditions
            steps = [step.split("  (cost")[0] for step in steps if "Scan" in step or "BitmapOr" in step]
        print("history query plan: " + " | ".join(steps))

        staff = db.session.scalar(select(User).where(User.username == "staff"))
        records = timed_records(iterations, rng)
        catalog = rules_catalog()

        # Warm-up outside the measurement (imports, statement caches, catalog cache).
        for raw in timed_records(5, random.Random(1)):
            raw["target"]["name"] += "（预热）"
            raw["target"]["id_number"] = None
            svc.submit_record(staff, svc.create_draft(staff, raw).id)

        full, create, submit, outcomes, hashing = [], [], [], {}, []
        real_hash = getattr(svc, "store_document_versions", None)
        if real_hash is not None:  # the filed 行政指导文书 is rendered and hashed after the commit
            def timed_hash(*args, **kwargs):
                t = time.perf_counter()
                try:
                    return real_hash(*args, **kwargs)
                finally:
                    hashing.append(time.perf_counter() - t)

            svc.store_document_versions = timed_hash
        for raw in records:
            t0 = time.perf_counter()
            record = svc.create_draft(staff, raw)
            t1 = time.perf_counter()
            result = svc.submit_record(staff, record.id, record.version)
            t2 = time.perf_counter()
            full.append(t2 - t0)
            create.append(t1 - t0)
            submit.append(t2 - t1)
            outcomes[result.record.status] = outcomes.get(result.record.status, 0) + 1
        if real_hash is not None:
            svc.store_document_versions = real_hash

        evaluate_only, with_history, history_rows = [], [], []
        real_earlier = DatabaseHistory.earlier_records

        def counting_earlier(self, **kwargs):
            found = list(real_earlier(self, **kwargs))
            history_rows.append(len(found))
            return found

        for raw in records:
            t0 = time.perf_counter()
            rules.evaluate(raw, phase="submit", catalog=catalog)
            evaluate_only.append(time.perf_counter() - t0)
        DatabaseHistory.earlier_records = counting_earlier
        try:
            for raw in records:
                t0 = time.perf_counter()
                evaluate_reading(rules.read_record(raw))
                with_history.append(time.perf_counter() - t0)
                db.session.rollback()
        finally:
            DatabaseHistory.earlier_records = real_earlier

        print(f"iterations: {iterations}   outcomes: {outcomes}")
        med_full, p95_full = summary("(a) create_draft + submit_record (filed)", full)
        summary("    of which create_draft", create)
        summary("    of which submit_record", submit)
        med_core = None
        if hashing:
            summary("      of which document PDF + hash (after commit)", hashing)
            med_core, _ = summary("(a') (a) without the document PDF + hash", [f - h for f, h in zip(full, hashing)])
        med_eval, p95_eval = summary("(b) rules.evaluate alone (no history)", evaluate_only)
        summary("(c) evaluate_reading (DB catalog + DB history)", with_history)
        print(f"  history queries: {len(history_rows)}, returning {sum(history_rows)} earlier records "
              f"(max {max(history_rows, default=0)} in one query)")
        print(f"  ratio (a)/(b): median {med_full / med_eval:.1f}×   p95 {p95_full / p95_eval:.1f}×")
        ok = med_full <= TARGET_MS
        print(f"  target median ≤ {TARGET_MS:.0f} ms, (a) full create + submit: {'met' if ok else 'NOT MET'}")
        if med_core is not None:
            print(f"  target median ≤ {TARGET_MS:.0f} ms, (a') validate + save + file: "
                  f"{'met' if med_core <= TARGET_MS else 'NOT MET'}")
        db.session.remove()
        db.engine.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL database to use instead of SQLite (its tables are dropped!)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="submit-bench-") as tmp:
        tmp_path = Path(tmp)
        url = args.postgres or "sqlite:///" + str(tmp_path / "bench.sqlite")
        run(url, tmp_path / "instance", args.records, args.iterations)
    return 0  # a report, not a gate: `make bench` runs every bench


if __name__ == "__main__":
    sys.exit(main())
