import copy
import io
from datetime import datetime, timedelta

import pdfplumber
import pytest

from tests.rules.rules_testdata import BASE_RECORD
from webapp.config import DEFAULTS
from webapp.pdf import DocumentRecord, RegisterRow, find_font, find_fonts
from webapp.pdf.formatting import SHANGHAI

UPDATED = datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)

RECORD = {
    **BASE_RECORD,
    "content": "经现场核查，临时用地已期满，现场仍堆放砂石料。\n指导人员宣讲了土地复垦的有关规定。",
    "problem": "你单位临时用地使用期满后，未在规定期限内完成土地复垦并归还土地。",
    "opinion": "一、建议在30日内清理临时用地上的砂石料。\n二、建议按照土地复垦方案恢复种植条件。",
    "effect": "企业已清理完毕现场砂石料，并委托复垦单位编制实施计划。",
}
CATALOG_ITEM = {
    "code": "ZD-TD-03", "name": "临时用地使用及期满复垦归还提示", "field": "土地",
    "responsible_unit": "自然资源开发利用科", "methods": ["提示提醒", "劝导警示"], "stages": ["事中", "事后"],
    "legal_basis": [{"law": "中华人民共和国土地管理法（2019年修正）", "articles": ["第五十七条"]}],
    "target_scope": "临时用地使用人",
}


@pytest.fixture(scope="session")
def fonts():
    return find_fonts()


@pytest.fixture(scope="session")
def font():
    return find_font()


def make_document_record(status="filed", number="指导书〔2026〕12号", updated_at=UPDATED, filed_at=UPDATED,
                         catalog_item=CATALOG_ITEM, **changes) -> DocumentRecord:
    record = copy.deepcopy(RECORD)
    record.update(changes)
    return DocumentRecord(bureau="周村区自然资源局", number=number, status=status,
                          record=record, filed_at=filed_at, updated_at=updated_at,
                          catalog_item=catalog_item,
                          voluntariness_text=DEFAULTS["OPINION_VOLUNTARINESS_TEXT"],
                          objection_text=DEFAULTS["OPINION_OBJECTION_TEXT"])


@pytest.fixture
def make_doc():
    return make_document_record


@pytest.fixture
def updated_at():
    return UPDATED


@pytest.fixture
def register_rows():
    return make_register_rows


def make_register_rows(count):
    base = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
    subjects = ["临时用地期满未复垦归还", "耕地保护政策宣讲及永久基本农田占用风险提示", "矿山地质环境恢复治理"]
    targets = ["淄博某建材有限公司", "王某某", "周村区某某村股份经济合作社"]
    return [
        RegisterRow(seq=i + 1, guided_at=base + timedelta(hours=7 * i), subject=subjects[i % 3],
                    result="已采纳", officers=["张明", "李华"], target=targets[i % 3],
                    number=None if i % 10 == 9 else f"指导书〔2026〕{i + 1}号")
        for i in range(count)
    ]


def page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def cell_lines(pdf: bytes, gap: float = 4.0) -> list[str]:
    """Every line of text as printed: characters on one baseline, split where a gap (a cell
    border, padding) separates them — so each piece is one line of one cell or paragraph."""
    pieces = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            rows: dict[float, list[dict]] = {}
            for char in page.chars:
                rows.setdefault(round(char["bottom"], 1), []).append(char)
            for _, chars in sorted(rows.items()):
                chars.sort(key=lambda c: c["x0"])
                current = [chars[0]]
                for before, char in zip(chars, chars[1:]):
                    if char["x0"] - before["x1"] > gap:
                        pieces.append("".join(c["text"] for c in current))
                        current = []
                    current.append(char)
                pieces.append("".join(c["text"] for c in current))
    return [p.strip() for p in pieces if p.strip()]
