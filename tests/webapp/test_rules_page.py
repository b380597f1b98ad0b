"""/rules speaks to officers: sentences, severity in words, edition by date; search; a PDF handout."""
import io

import pdfplumber
import pytest

from rules import RULESET
from rules.explain import edition_words


@pytest.fixture
def staff(auth):
    auth.login("staff")
    return auth


def _main_text(body: str) -> str:
    """The page without its technical fold (where the hash is meant to stay)."""
    return body.split('<details class="tech">')[0]


def test_rules_page_shows_sentences_in_words_with_edition_not_hash(client, staff):
    body = client.get("/rules").get_data(as_text=True)
    main = _main_text(body)
    assert edition_words() in main
    assert RULESET.version not in main and RULESET.version in body  # hash only in 技术信息
    assert "{label}" not in body and "{words}" not in body and "SPEC" not in body
    assert "必须改正" in main and "需说明理由并经法制审核" in main and "办结时检查" in main
    assert "该指导对象365日内已因同一目录事项受过劝导警示" in main
    # the six principles in the work plan's order
    positions = [main.index(f'<h2 id="p-{key}">') for key in
                 ("voluntary", "lawful", "reasonable", "fair_open", "convenient", "effective")]
    assert positions == sorted(positions)


def test_rules_search_narrows_the_list_with_and_without_htmx(client, staff):
    full = client.get("/rules?q=回访").get_data(as_text=True)
    assert "找到" in full and 'id="rule-effective.follow-up-due"' in full
    assert 'id="rule-voluntary.informed"' not in full
    assert 'value="回访"' in full  # the search box keeps what was typed
    part = client.get("/rules?q=回访", headers={"HX-Request": "true", "HX-Target": "rules-results"})
    text = part.get_data(as_text=True)
    assert "<html" not in text and 'id="rule-effective.follow-up-due"' in text
    none = client.get("/rules?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in none and "找到 0 条规则" in none


def test_rules_handout_pdf_lists_every_rule_in_words(client, staff):
    response = client.get("/rules.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        text = "".join((page.extract_text() or "") for page in pdf.pages).replace("\n", "")
    assert "行政指导记录检查规则" in text and RULESET.edition in text
    assert "必须改正" in text and "SPEC" not in text and "{label}" not in text
    for rule in RULESET.rules:
        assert rule.id in text
    assert client.get("/rules.pdf").data == response.data  # the same handout every time


def test_rules_pages_need_login(client):
    assert client.get("/rules").status_code == 302
    assert client.get("/rules.pdf").status_code == 302


def test_findings_panel_names_the_rule_set_by_edition_not_hash(client, staff):
    from tests.webapp.records_data import valid_record
    from webapp.records.forms import post_data

    token = client.get("/records/new").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    panel = client.post("/records/validate", data={**post_data(valid_record()), "csrf_token": token},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert edition_words() in panel and RULESET.version not in panel
