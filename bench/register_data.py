"""A million realistic guidance records for bench/register_bench.py (bench only, not a user CLI).

Ten years of records across the bureau's units: every method, stage and status, numbers gapless
per filing year, organisations with valid credit codes and persons with valid ID numbers, a few
officers per unit, legal review decisions with returns, closes with results, voids and 典型经验.
Rows are generated in id order (ids follow the guidance time) from a fixed seed, so SQLite and
PostgreSQL get the same data; they go in with one executemany (SQLite) or COPY (PostgreSQL).
"""
from __future__ import annotations

import json
import random
from array import array
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import rules
from rules import vocabulary as vocab
from rules.idcodes import resident_id_check_char, uscc_check_char
from rules.model import SHANGHAI
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp.extensions import db
from webapp.models import CatalogItem, GuidanceRecord, NumberCounter, ReviewDecision, Unit, User

SEED = 20261127
YEARS = 10
PREFIX = "指导书"
PASSWORD = "bench-only-password"
# How much of the work each unit does (the offices that guide most carry most records).
UNIT_WEIGHTS = {
    "办公室": 1, "政策法规科": 1, "国土空间规划科": 8, "耕地保护监督科": 10, "自然资源开发利用科": 9,
    "自然资源调查监测与确权登记科": 4, "矿产资源管理科": 6, "地质环境与地质灾害防治科": 5,
    "国土空间生态修复科": 4, "测绘地理信息科": 3, "林业发展科": 6, "执法监督科": 9, "不动产登记中心": 7,
    "土地储备中心": 3, "自然资源执法监察大队": 8,
}
FIELD_OFFICE_WEIGHT = 2
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强文辉海燕春梅晓东红玉德林鹏飞宇航子涵思远佳怡浩然欣怡俊杰雅琪"
PLACES = ["周村", "王村", "北郊", "南郊", "萌水", "大街", "城北", "丝绸路", "青年路", "永安街", "淄川", "张店"]
BRAND = "鑫瑞丰华泰盛昌隆兴达宏远恒通金源聚福祥和安康永顺德嘉宝利信诚海天龙腾博创新锦程"
INDUSTRIES = ["建材", "矿业", "物流", "农业科技", "房地产开发", "石材", "陶瓷", "食品", "纺织", "机械制造",
              "砂石料", "养殖", "苗木", "化工", "商贸", "建筑工程", "新能源", "环保科技"]
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "专业合作社", "经营部", "有限责任公司"]
VILLAGES = ["东村", "西村", "南庄", "北庄", "李家村", "前进村", "新华村", "河东村", "山头村", "马家庄"]
ORGS, PERSONS = 60_000, 20_000
RETURN_COMMENTS = ["指导意见用语过于强硬，请修改为建议性表述", "法律依据条款不准确，请核对", "请补充告知自愿性的记录"]
VOID_REASONS = ["文书编号错误，已重新登记", "指导对象名称有误", "重复登记"]


def _org_parts(n: int) -> tuple[str, str, str, str]:
    """(place, trade name, form, credit code) of the n-th organisation."""
    rng = random.Random(n * 7919 + 1)
    place, trade = rng.choice(PLACES), rng.choice(BRAND) + rng.choice(BRAND) + rng.choice(INDUSTRIES)
    form = rng.choice(SUFFIXES)
    body = f"91370306MA{_code(rng, 7)}"
    return place, trade, form, body + uscc_check_char(body)


def _org(n: int) -> tuple[str, str]:
    place, trade, form, code = _org_parts(n)
    return f"淄博{place}{trade}{form}", code


def party_search_term(n: int) -> str:
    """What an officer types to find the n-th organisation: its trade name (瑞丰建材)."""
    return _org_parts(n)[1]


def _code(rng: random.Random, width: int) -> str:
    return "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(width))


def _person(n: int) -> tuple[str, str]:
    rng = random.Random(n * 104_729 + 3)
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = f"370306{born:%Y%m%d}{rng.randrange(1000):03d}"
    return name, body + resident_id_check_char(body)


def _officers(unit_index: int) -> list[str]:
    rng = random.Random(unit_index * 31 + 5)
    return [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) for _ in range(6)]


def seed_people() -> dict[str, int]:
    """Units, catalog, the demo users and one officer account per unit; {unit name: staff id}."""
    from webapp.services.seed import DEMO_USERS, seed_catalog, seed_units

    seed_units()
    db.session.flush()
    seed_catalog()
    unit_ids = dict(db.session.execute(select(Unit.name, Unit.id)).all())
    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    for username, display, role, unit in DEMO_USERS:
        db.session.add(User(username=username, display_name=display, role=role,
                            unit_id=unit_ids[unit], password_hash=password))
    for i, (unit, unit_id) in enumerate(sorted(unit_ids.items())):
        db.session.add(User(username=f"officer{i:02d}", display_name=_officers(i)[0], role="staff",
                            unit_id=unit_id, password_hash=password))
    db.session.commit()
    staff = {}
    for user in db.session.scalars(select(User).where(User.role == "staff").order_by(User.id.desc())):
        staff[user.unit.name] = user.id  # the demo account wins where a unit has one
    return staff


def _timeline(rng: random.Random, guided: datetime, now: datetime) -> dict:
    """Status and workflow moments of one record (drawn first, so the numbering pass needs only this)."""
    age = (now - guided).days
    roll = rng.random()
    if age < 30:
        status = "draft" if roll < 0.15 else "pending_review" if roll < 0.22 else "filed" if roll < 0.95 else "closed"
    else:
        status = ("draft" if roll < 0.015 else "pending_review" if roll < 0.018 else "filed" if roll < 0.30
                  else "closed" if roll < 0.975 else "voided")
    created = guided + timedelta(minutes=rng.randint(10, 180))
    t = {"status": status, "created_at": created, "updated_at": created, "submitted_at": None, "filed_at": None,
         "decisions": []}
    if status == "draft":
        return t
    submitted = created + timedelta(hours=rng.uniform(0.5, 48))
    t.update(submitted_at=submitted, updated_at=submitted)
    if status == "pending_review":
        return t
    decided = submitted
    if rng.random() < 0.22:  # sent to legal review, a quarter of them returned once first
        if rng.random() < 0.25:
            back = submitted + timedelta(days=rng.uniform(0.5, 5))
            t["decisions"].append({"decision": "return", "comment": rng.choice(RETURN_COMMENTS),
                                   "submitted_at": submitted, "at": back})
            submitted = back + timedelta(hours=rng.uniform(2, 72))
            t["submitted_at"] = submitted
        decided = submitted + timedelta(days=rng.uniform(0.2, 6))
        t["decisions"].append({"decision": "approve", "comment": "同意", "submitted_at": submitted, "at": decided})
    t.update(filed_at=decided, updated_at=decided)
    return t


class Generator:
    """Records 1…count in id order; ids follow the guidance time, numbers the filing order."""

    def __init__(self, count: int, staff: dict[str, int], reviewer_id: int, *, now: datetime, seed: int = SEED):
        self.count, self.staff, self.reviewer_id, self.now, self.seed = count, staff, reviewer_id, now, seed
        self.units = list(staff)
        self.weights = [UNIT_WEIGHTS.get(u, FIELD_OFFICE_WEIGHT) for u in self.units]
        self.pools = {u: _officers(i) for i, u in enumerate(self.units)}
        self.unit_ids = dict(db.session.execute(select(Unit.name, Unit.id)).all())
        self.items = [{"code": c.code, "name": c.name, "law": c.legal_basis[0]["law"],
                       "methods": [vocab.key_for_label(vocab.METHOD, m) for m in c.methods],
                       "stages": [vocab.key_for_label(vocab.STAGE, s) for s in c.stages],
                       "basis_json": json.dumps(c.legal_basis)}
                      for c in db.session.scalars(select(CatalogItem).order_by(CatalogItem.code))]
        self.targets: dict[tuple[str, int], tuple[str, str, str]] = {}
        self.report = json.dumps({"outcome": "clean", "phase": "submit", "ruleset": rules.RULESET.version,
                                  "findings": []})
        self.start = datetime(now.year - YEARS + 1, 1, 1, tzinfo=SHANGHAI).astimezone(timezone.utc)
        span = ((now - timedelta(hours=1)).astimezone(timezone.utc) - self.start).total_seconds()
        rng = random.Random(seed)
        self.moments = array("d", sorted(rng.random() * span for _ in range(count)))
        self.seq = array("i", bytes(4 * count))
        self.last_seq = self._number()

    def _rng(self, i: int) -> random.Random:
        return random.Random(self.seed * 10_000_019 + i)

    def _guided(self, i: int) -> datetime:
        return self.start + timedelta(seconds=self.moments[i])

    def _number(self) -> dict[int, int]:
        """Gapless numbers per filing year in filing order (a first pass over the timelines)."""
        filed = array("d", bytes(8 * self.count))
        numbered = []
        for i in range(self.count):
            t = _timeline(self._rng(i), self._guided(i), self.now)
            if t["filed_at"] is not None:
                filed[i] = t["filed_at"].timestamp()
                numbered.append(i)
        numbered.sort(key=filed.__getitem__)
        last: dict[int, int] = {}
        for i in numbered:
            year = datetime.fromtimestamp(filed[i], SHANGHAI).year
            self.seq[i] = last[year] = last.get(year, 0) + 1
        return last

    def rows(self) -> Iterator[tuple[dict, list[dict]]]:
        for i in range(self.count):
            yield self._record(i)

    def _record(self, i: int) -> tuple[dict, list[dict]]:
        rng = self._rng(i)
        guided = self._guided(i)
        t = _timeline(rng, guided, self.now)
        status = t["status"]
        unit = rng.choices(self.units, self.weights)[0]
        item = rng.choice(self.items)
        method = rng.choice(item["methods"])
        person = rng.random() < 0.22
        kind = ("person", min(int(PERSONS * rng.random() ** 2), PERSONS - 1)) if person else \
            ("organization", min(int(ORGS * rng.random() ** 2), ORGS - 1))
        if kind not in self.targets:
            name, id_number = _person(kind[1]) if person else _org(kind[1])
            self.targets[kind] = (name, id_number, rules.target_key(name))
        name, id_number, name_key = self.targets[kind]
        place = f"周村区{rng.choice(PLACES)}{rng.choice(VILLAGES)}"
        officers = rng.sample(self.pools[unit], 2)
        staff = self.staff[unit]
        row = {
            "id": i + 1, "status": status, "number": None, "number_year": None, "number_seq": None,
            "version": 1, "owner_unit_id": self.unit_ids[unit], "created_by_id": staff, "updated_by_id": staff,
            "created_at": t["created_at"], "updated_at": t["updated_at"], "catalog_code": item["code"],
            "method": method, "stage": rng.choice(item["stages"]), "form": "written" if rng.random() < 0.7 else "oral",
            "initiated_by": "ex_officio" if rng.random() < 0.85 else "application", "applied_at": None,
            "unit": unit, "officers": json.dumps(officers), "guided_at": guided, "place": place,
            "target_name": name, "target_name_key": name_key, "target_kind": kind[0],
            "target_id_number": id_number, "target_contact": None if person else rng.choice(SURNAMES) + "经理",
            "target_phone": f"139{rng.randrange(10**8):08d}",
            "subject": item["name"] if rng.random() < 0.6 else f"{item['name']}（{place}）",
            "content": f"向{name}宣讲{item['law']}相关规定，说明“{item['name']}”的要求、办理流程和可能承担的"
                       "法律后果，听取当事人陈述并解答疑问。",
            "problem": f"经现场核查，{name}在{place}涉及“{item['name']}”相关事项，存在需要提示的情形。",
            "opinion": "建议当事人对照有关规定自查自纠，在三十日内完成整改，如有困难可与我局联系，我局将提供政策咨询。",
            "legal_basis": item["basis_json"], "informed_of_voluntariness": True, "written_requested": False,
            "oral_confirmation": None, "contact_person": officers[1],
            "contact_phone": f"0533-61{rng.randrange(10**5):05d}",
            "admonition_conditions": ADMONITION if method == "admonition" else None,
            "case_info": None, "project": None,
            "follow_up_due": (guided + timedelta(days=30)).astimezone(SHANGHAI).date(),
            "result": "pending", "effect": None, "submitted_at": t["submitted_at"], "filed_at": t["filed_at"],
            "closed_at": None, "voided_at": None, "void_reason": None, "ruleset_version": rules.RULESET.version,
            "last_report": None if status == "draft" else self.report, "filed_report": None,
            "document_sha256": None, "draft_report": self.report if status == "draft" else None,
            "good_practice": False, "good_practice_reason": None, "good_practice_at": None,
        }
        if status != "draft":
            row["version"] = 2
        if row["initiated_by"] == "application":
            row["applied_at"] = guided - timedelta(days=rng.randint(1, 10))
        if t["filed_at"] is not None:
            year = t["filed_at"].astimezone(SHANGHAI).year
            row.update(number=f"{PREFIX}〔{year}〕{self.seq[i]}号", number_year=year, number_seq=self.seq[i],
                       filed_report=self.report, version=3, document_sha256=f"{rng.getrandbits(256):064x}")
            if status == "closed":
                closed = t["filed_at"] + timedelta(days=rng.uniform(5, 60))
                result = rng.choices(("adopted", "partially_adopted", "not_adopted"), (75, 15, 10))[0]
                row.update(closed_at=closed, result=result, version=4, updated_at=closed,
                           effect="当事人已按指导意见完成整改，经回访核查符合要求。" if result == "adopted"
                           else "当事人部分采纳指导意见，其余事项继续跟踪。")
            elif status == "voided":
                voided = t["filed_at"] + timedelta(days=rng.uniform(1, 30))
                row.update(voided_at=voided, updated_at=voided, void_reason=rng.choice(VOID_REASONS), version=4)
            if status in ("filed", "closed") and rng.random() < 0.004:
                row.update(good_practice=True, good_practice_reason="先指导后规范，当事人主动整改，效果良好",
                           good_practice_at=row["updated_at"] + timedelta(days=1))
        for d in t["decisions"]:
            d.update(record_id=i + 1, reviewer_id=self.reviewer_id, report=self.report)
        return row, t["decisions"]


ADMONITION = json.dumps({"minor": True, "no_intent": True, "corrected": True, "no_harm": True})


RECORD_COLUMNS = [c.name for c in GuidanceRecord.__table__.columns]  # a column the loader does not fill is NULL
DECISION_COLUMNS = ["record_id", "reviewer_id", "decision", "comment", "report", "submitted_at", "at"]
assert set(DECISION_COLUMNS) | {"id"} == {c.name for c in ReviewDecision.__table__.columns}


def _sqlite_value(value):
    if isinstance(value, datetime):  # SQLAlchemy's SQLite storage: naive UTC text
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def load(count: int, *, now: datetime, chunk: int = 20_000) -> int:
    """Bulk-insert `count` records (and their review decisions); returns decisions written."""
    staff = seed_people()
    reviewer_id = db.session.scalar(select(User.id).where(User.username == "reviewer"))
    raw = db.engine.raw_connection()
    postgres = db.engine.dialect.name == "postgresql"
    written = 0
    try:
        cursor = raw.cursor()
        records, decisions = [], []

        def flush():
            nonlocal written
            if postgres:
                for table, columns, rows in (("guidance_record", RECORD_COLUMNS, records),
                                             ("review_decision", DECISION_COLUMNS, decisions)):
                    if rows:
                        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                            copy.write("".join("\t".join(_copy_value(r.get(c)) for c in columns) + "\n"
                                               for r in rows))
            else:  # one transaction per chunk: a huge one makes SQLite's WAL index slow
                cursor.execute("BEGIN")
                cursor.executemany(
                    f"INSERT INTO guidance_record ({', '.join(RECORD_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(RECORD_COLUMNS))})",
                    [tuple(_sqlite_value(r.get(c)) for c in RECORD_COLUMNS) for r in records])
                cursor.executemany(
                    f"INSERT INTO review_decision ({', '.join(DECISION_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(DECISION_COLUMNS))})",
                    [tuple(_sqlite_value(d[c]) for c in DECISION_COLUMNS) for d in decisions])
                cursor.execute("COMMIT")
            written += len(decisions)
            records.clear()
            decisions.clear()

        generator = Generator(count, staff, reviewer_id, now=now)
        db.session.commit()  # end the session's read transaction before the raw connection writes
        if not postgres:
            cursor.execute("PRAGMA synchronous=OFF")
        for row, mine in generator.rows():
            records.append(row)
            decisions.extend(mine)
            if len(records) >= chunk:
                flush()
        flush()
        if postgres:
            cursor.execute("SELECT setval(pg_get_serial_sequence('guidance_record', 'id'), "
                           "(SELECT max(id) FROM guidance_record))")
        else:
            cursor.execute("PRAGMA synchronous=NORMAL")
        raw.commit()
    finally:
        raw.close()
    db.session.add_all(NumberCounter(year=y, last_seq=s) for y, s in generator.last_seq.items())
    db.session.commit()
    return written
