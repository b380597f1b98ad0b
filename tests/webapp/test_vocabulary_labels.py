"""Every label a user reads is defined once, in rules/vocabulary.py (or a rule's message)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import rules
from rules import vocabulary as v

from tests.webapp.records_data import valid_record
from webapp.records.forms import post_data

ROOT = Path(__file__).resolve().parents[2]
VOCABULARIES = (v.FIELD_LABELS, v.METHOD, v.STAGE, v.FORM, v.INITIATED_BY, v.TARGET_KIND, v.RESULT,
                v.CASE_KIND, v.PROJECT_KIND, v.ORAL_CONFIRMATION, v.STATUS, v.SEVERITY, v.OUTCOME,
                v.PRINCIPLES, v.ACTIONS, v.AUDIT_ACTIONS, v.DECISIONS, v.PRINCIPLE_STATES, v.RECORD_LABELS,
                v.DOCUMENT_STATES, v.ATTACHMENT_LABELS, v.FILE_PROBLEMS, v.JOB_STATUS, v.FILE_FIELDS,
                v.CONFIRMATIONS, v.RECORD_STATES)
LABELS = {text for vocabulary in VOCABULARIES for text in vocabulary.values()}
# Option texts that are not values: the empty choice.
BLANK_CHOICES = {"请选择", "未填写"}


class Labels(HTMLParser):
    """Texts of <label>, <dt> and <option> elements."""

    def __init__(self):
        super().__init__()
        self.found: dict[str, list[str]] = {"label": [], "dt": [], "option": []}
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag == "datalist":
            self._in_datalist = True
        if tag == "option" and getattr(self, "_in_datalist", False):
            return  # suggestions (catalog items, names) are data, not choices
        if tag in self.found:
            self._open.append([tag, ""])
        elif tag == "span" and ("class", "required") in attrs and self._open:
            self._open[-1].append("skip")

    def handle_endtag(self, tag):
        if tag == "datalist":
            self._in_datalist = False
        if self._open and self._open[-1][0] == tag:
            name, text, *_ = self._open.pop()
            self.found[name].append(text.strip())

    def handle_data(self, data):
        if self._open:
            if len(self._open[-1]) > 2:  # inside the required-marker span
                self._open[-1].pop()
                return
            self._open[-1][1] += data


def _labels_of(html: str) -> dict[str, list[str]]:
    parser = Labels()
    parser.feed(html)
    return parser.found


def _known(text: str) -> bool:
    text = re.sub(r"（第\d+项）$", "", text)
    return text in LABELS


def test_labels_form_inputs_and_choices_come_from_the_vocabulary(client, auth):
    auth.login("staff")
    found = _labels_of(client.get("/records/new").get_data(as_text=True))
    field_labels = [t for t in found["label"] if t]
    assert len(field_labels) > 30
    assert [t for t in field_labels if not _known(t)] == []
    options = [t for t in found["option"] if t and t not in BLANK_CHOICES]
    assert options and [t for t in options if t not in LABELS] == []


def test_labels_record_page_terms_come_from_the_vocabulary(app, client, auth):
    auth.login("staff")
    response = client.post("/records/new", data=post_data(valid_record(), csrf_token=auth.csrf_token(),
                                                          action="submit"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    terms = [t for t in _labels_of(page)["dt"] if t]
    assert len(terms) > 20
    assert [t for t in terms if not _known(t)] == []


def test_labels_findings_name_their_field_as_the_form_does():
    report = rules.evaluate({"method": "admonition", "form": "written", "initiated_by": "application",
                             "admonition_conditions": {"minor": False},
                             "target": {"kind": "person", "id_number": "123", "phone": "12"}})
    templated = {r.id for r in rules.RULESET.rules if "{label}" in r.message}
    checked = 0
    for finding in report.findings:
        if finding.rule in templated and finding.field:
            assert v.field_label(finding.field) in finding.message, finding
            checked += 1
    assert checked >= 10


def _literals(path: Path) -> list[str]:
    text = path.read_text()
    if path.suffix == ".py":
        return [a or b for a, b in re.findall(r'"([^"\n]*)"|\'([^\'\n]*)\'', text)]
    pieces = re.split(r"<[^>]*>|\{[%{#].*?[%}#]\}", text)
    return [p.strip() for p in pieces] + re.findall(r'"([^"\n]*)"', text)


def test_labels_no_label_text_is_defined_twice():
    """No template or module outside rules/vocabulary.py spells out a vocabulary label."""
    offences = []
    files = sorted((ROOT / "webapp").rglob("*.py")) + sorted((ROOT / "templates").rglob("*.html"))
    for path in files:
        for literal in _literals(path):
            if len(literal) >= 2 and literal in LABELS:
                offences.append(f"{path.relative_to(ROOT)}: {literal}")
    assert offences == []
