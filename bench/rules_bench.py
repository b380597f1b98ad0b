"""Rules engine throughput: evaluate() on 20,000 varied records vs. pydantic parsing alone.

Run: python bench/rules_bench.py [N]. Prints records/s and evaluate time ÷ parse-only time,
both measured in this process on the same records.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta

from rules import ListHistory, evaluate, load_catalog
from rules.idcodes import resident_id_check_char, uscc_check_char
from rules.model import SHANGHAI, GuidanceRecord

SEED = 20261127
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)
NAMES = [f"淄博{w}{n}号有限公司" for w in ("建材", "置业", "矿业", "陶瓷", "物流", "纺织")
         for n in range(40)] + [f"{s}某{n}" for s in "王李张赵孙周" for n in range(20)]


def _org_id(rng: random.Random) -> str:
    body = "9137030" + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(10))
    return body + uscc_check_char(body)


def _person_id(rng: random.Random) -> str:
    body = f"370306{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def make_record(rng: random.Random, catalog_items) -> dict:
    item = rng.choice(catalog_items)
    method = rng.choice(sorted(item.methods)) if rng.random() < 0.9 else "admonition"
    guided = NOW - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 600))
    kind = rng.choice(["organization", "person"])
    target_id = _org_id(rng) if kind == "organization" else _person_id(rng)
    if rng.random() < 0.05:
        target_id = target_id[:-1] + ("0" if target_id[-1] != "0" else "1")  # wrong check char
    record = {
        "catalog_code": item.code, "method": method,
        "stage": rng.choice(sorted(item.stages)), "form": rng.choice(["written", "oral", "书面"]),
        "initiated_by": rng.choice(["ex_officio", "application"]),
        "applied_at": (guided - timedelta(days=rng.randint(0, 12))).isoformat(),
        "unit": item.responsible_unit.replace("镇（街道）", "王村镇"),
        "officers": rng.sample(["张明", "李华", "赵强", "孙丽"], rng.choice([1, 2, 2, 3])),
        "guided_at": guided.isoformat() if rng.random() < 0.7 else guided.strftime("%Y-%m-%dT%H:%M:%S"),
        "place": "周村区某镇现场",
        "target": {"name": rng.choice(NAMES), "kind": kind, "id_number": target_id,
                   "contact": "联系人", "phone": rng.choice(["13905330000", "0533-6180000", "123"])},
        "subject": "临时用地期满未复垦归还", "content": rng.choice([
            "建议按复垦方案恢复种植条件后归还。", "责令限期改正，否则依法处罚。",
            "提示做好汛期地质灾害隐患排查。"]),
        "problem": "临时用地期满尚未复垦。", "opinion": "建议一个月内完成复垦并申请验收。",
        "legal_basis": [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}],
        "informed_of_voluntariness": rng.random() < 0.95, "written_requested": rng.random() < 0.1,
        "oral_confirmation": rng.choice([None, "confirmed"]),
        "contact_person": "李华", "contact_phone": "0533-6180000",
        "admonition_conditions": {"minor": True, "no_intent": rng.random() < 0.9,
                                  "corrected": True, "no_harm": True},
        "case": None, "project": {"name": "某项目", "kind": "construction"} if method == "policy_guidance" else None,
        "follow_up_due": (guided + timedelta(days=rng.randint(1, 40))).date().isoformat(),
        "result": "pending", "effect": None,
    }
    if method == "case_revisit":
        record["case"] = {"decision_number": "周自然资罚决〔2026〕5号", "kind": "major_penalty",
                          "closed_on": (guided - timedelta(days=30)).date().isoformat()}
    if rng.random() < 0.03:
        record["status"] = "filed"  # unknown key
    if rng.random() < 0.03:
        record["method"] = "罚款"  # bad enum
    return record


def main(n: int = 20_000) -> None:
    rng = random.Random(SEED)
    catalog = load_catalog()
    items = list(catalog.items)
    history_records = [dict(make_record(rng, items), status=rng.choice(["filed", "closed", "draft"]))
                       for _ in range(400)]
    history = ListHistory(history_records)
    records = [make_record(rng, items) for _ in range(n)]

    def parse_only():
        for r in records:
            try:
                GuidanceRecord.model_validate(r)
            except Exception:  # noqa: BLE001
                pass

    def evaluate_all():
        return [evaluate(r, catalog=catalog, history=history, now=NOW) for r in records]

    parse_only(), evaluate_all()  # warm up
    best_parse = best_eval = float("inf")
    for _ in range(3):
        t = time.perf_counter(); parse_only(); best_parse = min(best_parse, time.perf_counter() - t)
        t = time.perf_counter(); reports = evaluate_all(); best_eval = min(best_eval, time.perf_counter() - t)
    outcomes = {o: sum(r.outcome == o for r in reports) for o in ("clean", "review", "blocked")}
    print(f"records: {n}  outcomes: {outcomes}")
    print(f"parse only (GuidanceRecord.model_validate): {n / best_parse:,.0f} records/s")
    print(f"evaluate (parse + {len(__import__('rules').RULESET)} rules + history): {n / best_eval:,.0f} records/s")
    print(f"ratio evaluate / parse-only: {best_eval / best_parse:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
