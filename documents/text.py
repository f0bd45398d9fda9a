"""Chinese text conventions for formal documents: dates, numerals, money, line breaking.

Line breaking follows the Chinese typesetting rules (禁则, W3C clreq): closing punctuation
never starts a line, opening punctuation never ends one.  A line that would break against a
rule pushes its last character down with the punctuation (推出) and is then justified, so
every line but a paragraph's last fills the type area (GB/T 9704: 撑满版心).  Runs of Latin
letters and digits ("12,345.00", a URL, a case number's year) are not split, and the paired
marks —— and …… stay on one line (GB/T 15834).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

#: Characters that may not start a line (行首禁则).
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉］｝〗”’…·%‰℃,.;:?!)]}")
#: Characters that may not end a line (行尾禁则).
NO_LINE_END = frozenset("（《「『【〔〈［｛〖“‘￥$£#([{")

_DIGITS = "〇一二三四五六七八九"
_UNITS = ("", "十", "百", "千")


def chinese_year(year: int) -> str:
    """2026 → 二〇二六 (years are read digit by digit)."""
    return "".join(_DIGITS[int(d)] for d in str(year))


def chinese_number(n: int) -> str:
    """0 … 9999 in Chinese numerals as used for counting: 12 → 十二, 105 → 一百零五."""
    if not 0 <= n <= 9999:
        raise ValueError(f"{n} out of range")
    if n == 0:
        return "〇"
    digits = [int(d) for d in str(n)]
    out: list[str] = []
    zero = False
    for pos, d in enumerate(digits):
        unit = _UNITS[len(digits) - pos - 1]
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[d] + unit)
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text  # 十二, not 一十二


def chinese_date(day: date) -> str:
    """The date as written on a formal document: 2026-11-23 → 二〇二六年十一月二十三日."""
    return f"{chinese_year(day.year)}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


def arabic_date(day: date) -> str:
    """The date in running text: 2026年11月23日."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_time(t: time) -> str:
    """9:30 → 上午9时30分; 12:00 → 中午12时; 14:00 → 下午2时 (12-hour clock with 上午/下午, as on notices)."""
    hour = t.hour
    part = "上午" if hour < 12 else "中午" if hour == 12 else "下午"
    if hour > 12:
        hour -= 12
    return f"{part}{hour}时" + (f"{t.minute:02d}分" if t.minute else "")


def item_number(n: int) -> str:
    """Numbering of items in running text: 1 → 一、"""
    return f"{chinese_number(n)}、"


def money(amount: Decimal) -> str:
    """12345.6 → 12,345.60 (yuan, two decimals, thousands separated)."""
    q = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{q:,.2f}"


# -- line breaking ----------------------------------------------------------------------------

#: A Latin/digit run, a run of two or more — or …, or any one character.
_UNIT = re.compile(r"[\x21-\x7e]+|—{2,}|…{2,}|.", re.DOTALL)


def is_latin(ch: str) -> bool:
    return "\x21" <= ch <= "\x7e"


def split_units(text: str) -> list[str]:
    """The unbreakable pieces of a text: one CJK character, a Latin/digit run, a space, ——."""
    return _UNIT.findall(text)


class Unit(NamedTuple):
    """A piece that is never split, with its width at the paragraph's size (a tuple: a
    paragraph makes one per character)."""

    text: str
    width: float

    @property
    def space(self) -> bool:
        return self.text.isspace()


def _fix_break(units: Sequence[Unit], start: int, end: int) -> int:
    """Move the break `end` back until neither the next line's first unit nor this line's
    last one breaks a rule; give up (keep `end`) if that would empty the line."""
    n = len(units)
    b = end
    for _ in range(8):
        moved = False
        while b < n and units[b].text[0] in NO_LINE_START and b - 1 > start:
            b -= 1
            moved = True
        while units[b - 1].text[-1] in NO_LINE_END and b - 1 > start:
            b -= 1
            moved = True
        if not moved:
            return b
    return end


def break_lines(units: Sequence[Unit], widths: Sequence[float]) -> list[tuple[int, int]]:
    """Greedy line breaking with 禁则.  `widths[i]` is the room on line i (the last repeats).

    Returns (start, end) index pairs; spaces at either end of a line are left out.
    """
    lines: list[tuple[int, int]] = []
    n = len(units)
    width = [u.width for u in units]
    space = [u.text.isspace() for u in units]
    start = 0
    while start < n:
        while start < n and space[start]:
            start += 1
        if start >= n:
            break
        room = widths[min(len(lines), len(widths) - 1)] + 0.01
        used = 0.0
        i = start
        while i < n and (used + width[i] <= room or space[i]):
            used += width[i]
            i += 1
        if i >= n:
            end = n
        elif i == start:
            end = start + 1  # a unit wider than the line: it overflows rather than loops
        else:
            end = _fix_break(units, start, i)
        trimmed = end
        while trimmed > start and space[trimmed - 1]:
            trimmed -= 1
        lines.append((start, trimmed))
        start = end
    return lines


def wrap_text(text: str, per_line: int) -> list[str]:
    """Break `text` into lines of at most `per_line` CJK characters (Latin counts half):
    what `break_lines` does to a paragraph, without fonts, for checking the rules."""
    units = [Unit(u, sum(0.5 if is_latin(c) or c == " " else 1.0 for c in u)) for u in split_units(text)]
    return ["".join(u.text for u in units[a:b]) for a, b in break_lines(units, [float(per_line)])]
