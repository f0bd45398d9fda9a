"""Chinese text conventions: dates, numerals, money and line breaking (禁则)."""

from __future__ import annotations

import itertools
from datetime import date, time
from decimal import Decimal

import pytest

from documents.text import (
    NO_LINE_END,
    NO_LINE_START,
    arabic_date,
    chinese_date,
    chinese_number,
    chinese_time,
    money,
    split_units,
    wrap_text,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 23), "二〇二六年十一月二十三日"),
        (date(2026, 1, 1), "二〇二六年一月一日"),
        (date(2030, 10, 10), "二〇三〇年十月十日"),
        (date(2027, 12, 31), "二〇二七年十二月三十一日"),
    ],
)
def test_signature_date_is_written_in_chinese_numerals(day: date, expected: str) -> None:
    # GB/T 9704-2012 7.3.5.1: 成文日期用汉字将年、月、日标全，“零”写为“〇”
    assert chinese_date(day) == expected


@pytest.mark.parametrize(
    ("n", "expected"), [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (105, "一百零五")]
)
def test_counting_numbers(n: int, expected: str) -> None:
    assert chinese_number(n) == expected


def test_running_text_dates_times_and_money() -> None:
    assert arabic_date(date(2026, 9, 20)) == "2026年9月20日"
    assert chinese_time(time(9, 30)) == "上午9时30分"
    assert chinese_time(time(14, 0)) == "下午2时"
    assert money(Decimal("18600")) == "18,600.00"
    assert money(Decimal("0.005")) == "0.01"


def test_latin_runs_and_paired_marks_are_single_units() -> None:
    assert split_units("支付18,600.00元——合计……") == ["支", "付", "18,600.00", "元", "——", "合", "计", "……"]


def _no_rule_broken(lines: list[str]) -> None:
    for before, after in itertools.pairwise(lines):
        assert after[0] not in NO_LINE_START, f"line starts with {after[0]!r}: {after}"
        assert before[-1] not in NO_LINE_END, f"line ends with {before[-1]!r}: {before}"


def test_closing_punctuation_never_starts_a_line() -> None:
    # the 6th character is a full stop: a naive break at 5 would start line 2 with it
    lines = wrap_text("一二三四五。六七八九十，一二三四五；六七八", 5)
    _no_rule_broken(lines)
    assert lines[0] == "一二三四"  # 推出: 五 goes down with its full stop
    assert lines[1].startswith("五。")


def test_opening_punctuation_never_ends_a_line() -> None:
    lines = wrap_text("一二三四（五六七）八九十《一二》三四五", 5)
    _no_rule_broken(lines)
    assert "（" not in lines[0]


def test_every_line_but_the_last_is_full_or_pushed_by_one_character() -> None:
    text = "申请人于2023年4月10日入职被申请人处，月工资6,200元。被申请人未支付申请人工资，应予支付。" * 3
    lines = wrap_text(text, 28)
    _no_rule_broken(lines)
    assert "".join(lines) == text
    widths = [sum(0.5 if c.isascii() else 1.0 for c in line) for line in lines[:-1]]
    assert all(26 <= w <= 28 for w in widths), widths


def test_numbers_are_not_split_across_lines() -> None:
    text = "合计人民币12,345,678.90元整，" * 4
    lines = wrap_text(text, 10)
    assert "".join(lines) == text
    boundaries, at = set(), 0
    for line in lines[:-1]:
        at += len(line)
        boundaries.add(at)
    number = "12,345,678.90"
    start = text.find(number)
    while start >= 0:
        assert not any(start < b < start + len(number) for b in boundaries), lines
        start = text.find(number, start + 1)
