"""How long a filing holds the write lock, with its documents stored in the same transaction.

Run: python bench/filing_bench.py [--iterations 20]

Throwaway SQLite database. Times the write transaction of submit_record (evaluate, number, status,
audit events sealed into the chain, 文书 + 意见书 stored) in three ways measured in this run:
  ahead    — the documents drawn before the lock for the likely number (what the code does),
  inside   — the documents drawn under the lock (the ahead guess disabled),
  baseline — no document step at all (the lock the earlier two-step filing held),
and prints the medians, the ratios to the baseline, and the whole submit's median.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

import rules.engine  # noqa: E402
from bench.submit_bench import build_app, migrate_and_seed  # noqa: E402
from tests.rules.rules_testdata import BASE_RECORD, NOW  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import User  # noqa: E402
from webapp.services import records as svc  # noqa: E402

LOCK_TIMES: list[float] = []
real_write_transaction = svc.write_transaction


@contextmanager
def timed_write_transaction():
    began = time.perf_counter()
    with real_write_transaction():
        yield
    LOCK_TIMES.append(time.perf_counter() - began)  # BEGIN IMMEDIATE … COMMIT


def record(n: int) -> dict:
    data = copy.deepcopy(BASE_RECORD)
    data["target"] = {**data["target"], "name": f"淄博计时第{n}号有限公司", "id_number": None}
    return {**data, "result": "pending", "effect": None}


def filings(app, count: int, start: int) -> tuple[float, float]:
    """Median lock time and median whole submit of `count` filings."""
    whole = []
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff"))
        for n in range(start, start + count):
            draft = svc.create_draft(staff, record(n))
            LOCK_TIMES.clear()
            began = time.perf_counter()
            svc.write_transaction = timed_write_transaction
            try:
                result = svc.submit_record(staff, draft.id)
            finally:
                svc.write_transaction = real_write_transaction
            whole.append(time.perf_counter() - began)
            assert result.record.status == "filed", result.report.to_dict()
            lock = LOCK_TIMES[-1]
            whole[-1] = (lock, whole[-1])
        db.session.remove()
    return statistics.median(w[0] for w in whole), statistics.median(w[1] for w in whole)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()
    rules.engine.clock = lambda: NOW  # the records are written for the test data's day
    n = args.iterations
    with tempfile.TemporaryDirectory() as temp:
        app = build_app(f"sqlite:///{temp}/bench.sqlite", Path(temp) / "instance")
        with app.app_context():
            migrate_and_seed(postgres=False)
        filings(app, 3, 0)  # warm: fonts loaded, templates compiled
        ahead = filings(app, n, 100)
        real_prerendered, real_store = svc._prerendered, svc.store_issued_versions
        svc._prerendered = lambda *args: None
        try:
            inside = filings(app, n, 1000)
            svc.store_issued_versions = lambda record, user_id, prerendered=None: []
            baseline = filings(app, n, 2000)
        finally:
            svc._prerendered, svc.store_issued_versions = real_prerendered, real_store
    for name, (lock, whole) in (("ahead", ahead), ("inside", inside), ("baseline", baseline)):
        print(f"{name:9} lock held median {lock * 1000:7.1f} ms ({lock / baseline[0]:.2f}× baseline); "
              f"whole submit {whole * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
