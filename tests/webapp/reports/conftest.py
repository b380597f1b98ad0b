from datetime import datetime

import pytest

from webapp.pdf import find_font
from webapp.pdf.formatting import SHANGHAI
from webapp.reports import GoodPractice, Stats

GENERATED = datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def font():
    return find_font()


def make_stats(**changes) -> Stats:
    """A year whose figures were counted by hand (see test_stats for the expected values)."""
    values = dict(
        year=2026, unit=None, generated_at=GENERATED, total=128,
        by_method={"policy_guidance": 30, "advice": 20, "reminder": 40, "admonition": 25,
                   "commendation": 3, "case_revisit": 10},
        by_stage={"before": 50, "during": 60, "after": 18},
        by_unit={"自然资源开发利用科": 40, "国土空间规划科": 30, "耕地保护监督科": 20, "执法监察大队": 18,
                 "不动产登记中心": 12, "王村自然资源所": 8},
        by_month={1: 7, 2: 14, 3: 21, 4: 5, 5: 12, 6: 19, 7: 3, 8: 10, 9: 17, 10: 1, 11: 8, 12: 11},
        by_field={"土地": 60, "规划": 30, "矿产": 20, "不动产登记": 10, "测绘": 8},
        closed_with_result=80, adopted=60, partially_adopted=10,
        submitted=120, sent_to_review=30, reviewed=28, returned=4,
        turnaround_median=1.5, turnaround_p90=4.25,
        good_practice=[GoodPractice(
            record_id=7, number="指导书〔2026〕12号", subject="临时用地期满未复垦归还",
            unit="自然资源开发利用科", reason="企业主动整改，效果显著，可在全区推广",
            marked_at=datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI))],
    )
    values.update(changes)
    return Stats(**values)


@pytest.fixture
def stats():
    return make_stats()
