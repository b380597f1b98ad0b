"""GB 32100-2015 and GB 11643-1999 check characters: worked examples and properties."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import evaluate
from rules.idcodes import (
    USCC_CHARSET, resident_id_check_char, resident_id_valid, uscc_check_char,
    uscc_is_valid_format, uscc_valid,
)
from .rules_testdata import NOW, record

TODAY = date(2026, 11, 27)


def test_uscc_worked_examples():
    for code in ("914403001922038216", "91440300708461136T", "91330100716105852F"):
        assert uscc_valid(code)
    assert uscc_check_char("91440300192203821") == "6"


def test_uscc_early_pilot_code_is_warning_not_error():
    assert uscc_is_valid_format("91350100M0001TGQXM") and not uscc_valid("91350100M0001TGQXM")
    report = evaluate(record({"target.id_number": "91350100M0001TGQXM"}), now=NOW)
    assert [(f.rule, f.severity) for f in report.findings] == [("input.org-id-check-char", "warning")]
    assert report.outcome == "review"


def test_uscc_format_rejects_excluded_letters_and_length():
    assert not uscc_is_valid_format("91440300192203821I")
    assert not uscc_is_valid_format("9144030019220382")


def test_resident_id_worked_example_and_lowercase_x():
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_valid("11010519491231002X", TODAY)
    assert resident_id_valid("11010519491231002x", TODAY)


def test_resident_id_rejects_future_and_unreal_birth_dates():
    future = "11010520301231001"
    assert not resident_id_valid(future + resident_id_check_char(future), TODAY)
    unreal = "11010520230230001"
    assert not resident_id_valid(unreal + resident_id_check_char(unreal), TODAY)


uscc_bodies = st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17)


@settings(max_examples=200, deadline=None)
@given(body=uscc_bodies, position=st.integers(0, 17), replacement=st.sampled_from(USCC_CHARSET))
def test_uscc_generated_valid_and_single_change_detected(body, position, replacement):
    code = body + uscc_check_char(body)
    assert uscc_valid(code)
    changed = code[:position] + replacement + code[position + 1:]
    if changed != code:
        assert not uscc_valid(changed)


resident_ids = st.builds(
    lambda area, born, seq: area + born.strftime("%Y%m%d") + seq,
    st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(body=resident_ids, position=st.integers(0, 17), replacement=st.sampled_from("0123456789X"))
def test_resident_id_generated_valid_and_single_change_detected(body, position, replacement):
    number = body + resident_id_check_char(body)
    assert resident_id_valid(number, TODAY)
    changed = number[:position] + replacement + number[position + 1:]
    if changed != number:
        assert not resident_id_valid(changed, TODAY)


def test_non_ascii_digits_rejected():
    assert not resident_id_valid("100౭00200001010007", TODAY)
    assert not uscc_is_valid_format("91440300192203821６")
