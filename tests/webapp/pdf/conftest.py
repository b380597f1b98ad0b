import copy
from datetime import datetime, timedelta

import pytest

from tests.rules.rules_testdata import BASE_RECORD
from webapp.pdf import DocumentRecord, RegisterRow, find_font
from webapp.pdf.formatting import SHANGHAI

UPDATED = datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)

RECORD = {
    **BASE_RECORD,
    "content": "经现场核查，临时用地已期满，现场仍堆放砂石料。\n指导人员宣讲了土地复垦的有关规定。",
    "problem": "你单位临时用地使用期满后，未在规定期限内完成土地复垦并归还土地。",
    "opinion": "一、建议在30日内清理临时用地上的砂石料。\n二、建议按照土地复垦方案恢复种植条件。",
    "effect": "企业已清理完毕现场砂石料，并委托复垦单位编制实施计划。",
}


@pytest.fixture(scope="session")
def font():
    return find_font()


@pytest.fixture
def make_doc():
    def make(status="filed", number="指导书〔2026〕12号", updated_at=UPDATED, **changes):
        record = copy.deepcopy(RECORD)
        record.update(changes)
        return DocumentRecord(bureau="周村区自然资源局", number=number, status=status,
                              record=record, filed_at=UPDATED, updated_at=updated_at)
    return make


@pytest.fixture
def updated_at():
    return UPDATED


@pytest.fixture
def register_rows():
    return make_register_rows


def make_register_rows(count):
    base = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
    subjects = ["临时用地期满未复垦归还", "耕地保护政策宣讲及永久基本农田占用风险提示", "矿山地质环境恢复治理"]
    return [
        RegisterRow(seq=i + 1, guided_at=base + timedelta(hours=7 * i), subject=subjects[i % 3],
                    result="已采纳", officers=["张明", "李华"],
                    number=None if i % 10 == 9 else f"指导书〔2026〕{i + 1}号")
        for i in range(count)
    ]
