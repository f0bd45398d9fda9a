"""Working-day calendar of mainland China: the State Council holiday schedule with make-up workdays.

The schedule comes from the `chinesecalendar` package (import name `chinese_calendar`), which
covers the years the State Council had published when that package version was released.  A
year it does not cover is never guessed: it must be entered in an override table (for example
`workflows/holidays_extra.json`, or the file named by ``LABORCASE_HOLIDAYS_FILE``) once the
State Council's notice is out, and until then every question about that year raises
`CalendarNotAvailableError` naming it.  An override entry for a covered year wins over the
package for the dates it lists (to apply a correction without waiting for a release).

A working day is Monday–Friday unless it is a statutory holiday, plus any make-up workday
(调休上班日) even on a Saturday or Sunday.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

from workflows.errors import FieldProblem, LaborcaseError, ValidationError

CHINA_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_OVERRIDES_FILE = Path(__file__).resolve().parent / "holidays_extra.json"
OVERRIDES_ENV = "LABORCASE_HOLIDAYS_FILE"

# A bound on day-by-day searches: no real schedule has more than a few weeks of rest in a row.
_MAX_SEARCH_DAYS = 366


class CalendarNotAvailableError(LaborcaseError):
    """The holiday schedule of a year is unknown: neither the package nor the override table has it."""

    code = "calendar_not_available"

    def __init__(self, year: int):
        super().__init__(
            f"{year}年节假日安排不可用：chinesecalendar 未收录该年，且未在节假日补充表中配置"
            f"（no holiday schedule for year {year}; add it to the override table）"
        )
        self.year = year


class CalendarConfigError(ValidationError):
    """The override table is malformed (wrong year, bad date, a date both holiday and workday)."""

    code = "calendar_config"


@dataclass(frozen=True)
class YearSchedule:
    """One year's State Council schedule: statutory holidays (incl. bridged days) and make-up workdays."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    source: str = ""

    def __post_init__(self) -> None:
        problems = [
            FieldProblem(f"/years/{self.year}/{kind}", f"{d.isoformat()} 不属于 {self.year} 年")
            for kind, days in (("holidays", self.holidays), ("workdays", self.workdays))
            for d in sorted(days)
            if d.year != self.year
        ]
        problems += [
            FieldProblem(f"/years/{self.year}", f"{d.isoformat()} 同时被列为节假日和调休上班日")
            for d in sorted(self.holidays & self.workdays)
        ]
        if problems:
            raise CalendarConfigError(f"节假日补充表 {self.year} 年有误", problems)

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


def _parse_dates(raw: Any, pointer: str) -> frozenset[date]:
    if not isinstance(raw, list):
        raise CalendarConfigError("节假日补充表格式有误", [FieldProblem(pointer, "应为日期列表")])
    out = set()
    for i, item in enumerate(raw):
        try:
            out.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            raise CalendarConfigError(
                "节假日补充表格式有误", [FieldProblem(f"{pointer}/{i}", f"不是 YYYY-MM-DD 日期：{item!r}")]
            ) from None
    return frozenset(out)


def schedules_from_mapping(data: Mapping[str, Any]) -> dict[int, YearSchedule]:
    """Parse ``{"years": {"2027": {"holidays": [...], "workdays": [...], "source": "..."}}}``."""
    years = data.get("years", {})
    if not isinstance(years, Mapping):
        raise CalendarConfigError("节假日补充表格式有误", [FieldProblem("/years", "应为以年份为键的对象")])
    out: dict[int, YearSchedule] = {}
    for key, entry in years.items():
        pointer = f"/years/{key}"
        if not str(key).isdigit() or not isinstance(entry, Mapping):
            raise CalendarConfigError(
                "节假日补充表格式有误", [FieldProblem(pointer, "键应为年份，值应为对象")]
            )
        year = int(key)
        out[year] = YearSchedule(
            year=year,
            holidays=_parse_dates(entry.get("holidays", []), f"{pointer}/holidays"),
            workdays=_parse_dates(entry.get("workdays", []), f"{pointer}/workdays"),
            source=str(entry.get("source", "")),
        )
    return out


#: Fixed-date statutory holidays (《全国年节及纪念日放假办法》第二条, 2024 revision): New Year's Day,
#: Labour Day (2 days) and National Day (3 days).  The lunar holidays and 清明 are not fixed dates.
FIXED_STATUTORY_HOLIDAYS: tuple[tuple[int, int], ...] = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


def provisional_schedule(year: int) -> YearSchedule:
    """A stand-in for a year whose State Council notice is not out yet: fixed-date holidays only.

    With fewer rest days than the real schedule will have, a period computed on it ends no
    later than it will once the notice is in (make-up workdays aside), so a provisional due
    date errs on the side of acting early.  Deadlines computed on it are marked provisional.
    """
    return YearSchedule(
        year,
        holidays=frozenset(date(year, m, d) for m, d in FIXED_STATUTORY_HOLIDAYS),
        source="provisional: fixed-date statutory holidays only (全国年节及纪念日放假办法 art.2)",
    )


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """Answers "is this a working day?" and moves dates by working days, per the official schedule.

    With `provisional_next_year`, the year after the last published one (whose notice usually
    comes out in November or December) is answered from `provisional_schedule` instead of
    raising, so periods running into January can still be computed; `is_provisional(year)`
    tells callers to flag such results.  Any other unknown year still raises.
    """

    def __init__(
        self,
        overrides: Mapping[int, YearSchedule] | Iterable[YearSchedule] = (),
        *,
        provisional_next_year: bool = False,
    ):
        items = overrides.values() if isinstance(overrides, Mapping) else overrides
        self.overrides: dict[int, YearSchedule] = {s.year: s for s in items}
        self.provisional: dict[int, YearSchedule] = {}
        if provisional_next_year:
            last = max(
                [y for y in range(date.today().year - 1, date.today().year + 3) if _package_covers(y)]
                + list(self.overrides),
                default=None,
            )
            if last is not None and not self.covers(last + 1):
                self.provisional[last + 1] = provisional_schedule(last + 1)

    def is_provisional(self, year: int) -> bool:
        """Whether dates in `year` come from the provisional stand-in, not a published schedule."""
        return year in self.provisional

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkingCalendar:
        return cls(schedules_from_mapping(data))

    @classmethod
    def from_json_file(cls, path: str | Path) -> WorkingCalendar:
        """Load an override table; a missing file means no overrides."""
        p = Path(path)
        if not p.exists():
            return cls()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CalendarConfigError(f"节假日补充表 {p} 不是有效的 JSON：{exc}") from exc
        if not isinstance(data, Mapping):
            raise CalendarConfigError(f"节假日补充表 {p} 应为 JSON 对象")
        return cls.from_mapping(data)

    # -- single days -------------------------------------------------------------------------

    def covers(self, year: int) -> bool:
        """Whether the schedule of `year` is known (package or override table)."""
        return year in self.overrides or _package_covers(year)

    def is_working_day(self, d: date) -> bool:
        schedule = self.overrides.get(d.year)
        if schedule is not None and (d in schedule.holidays or d in schedule.workdays):
            return schedule.is_working_day(d)
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            schedule = schedule or self.provisional.get(d.year)
            if schedule is not None:
                return schedule.is_working_day(d)
            raise CalendarNotAvailableError(d.year) from None

    def is_rest_day(self, d: date) -> bool:
        """A statutory holiday or an ordinary Saturday/Sunday that is not a make-up workday."""
        return not self.is_working_day(d)

    # -- moving dates ------------------------------------------------------------------------

    def _step_to_working_day(self, d: date, step: int) -> date:
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(d):
                return d
            d += timedelta(days=step)
        raise CalendarConfigError(f"{_MAX_SEARCH_DAYS} 天内没有工作日，节假日配置有误")  # pragma: no cover

    def roll_to_working_day(self, d: date) -> date:
        """`d` if it is a working day, else the first working day after it (民诉法 art.85)."""
        return self._step_to_working_day(d, 1)

    def roll_back_to_working_day(self, d: date) -> date:
        """`d` if it is a working day, else the last working day before it."""
        return self._step_to_working_day(d, -1)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self._step_to_working_day(d + timedelta(days=1), 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before `d`."""
        return self._step_to_working_day(d - timedelta(days=1), -1)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (before it when n < 0); `start` itself is never counted.

        With n == 0 the result is `start`, working day or not.
        """
        d = start
        for _ in range(abs(n)):
            d = self.next_working_day(d) if n > 0 else self.previous_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open span (start, end]; negative when end precedes start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=i))
        )


def china_today(now: datetime | None = None) -> date:
    """Today's date in China time; periods are counted in dates there, timestamps are kept in UTC."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA_TZ).date()


def load_calendar(path: str | Path | None = None) -> WorkingCalendar:
    """The calendar with the override table at `path`, else ``$LABORCASE_HOLIDAYS_FILE``, else the
    bundled `holidays_extra.json`.  Cached per file: call ``load_calendar_file.cache_clear()`` after
    editing the table in a running process.
    """
    return load_calendar_file(str(path or os.environ.get(OVERRIDES_ENV) or DEFAULT_OVERRIDES_FILE))


@lru_cache(maxsize=8)
def load_calendar_file(path: str) -> WorkingCalendar:
    table = WorkingCalendar.from_json_file(path)
    return WorkingCalendar(table.overrides, provisional_next_year=True)


def default_calendar() -> WorkingCalendar:
    return load_calendar()


# Module-level shortcuts on the configured default calendar.


def is_working_day(d: date, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or default_calendar()).is_working_day(d)


def roll_to_working_day(d: date, calendar: WorkingCalendar | None = None) -> date:
    return (calendar or default_calendar()).roll_to_working_day(d)


def next_working_day(d: date, calendar: WorkingCalendar | None = None) -> date:
    return (calendar or default_calendar()).next_working_day(d)


def add_working_days(start: date, n: int, calendar: WorkingCalendar | None = None) -> date:
    return (calendar or default_calendar()).add_working_days(start, n)


def working_days_between(start: date, end: date, calendar: WorkingCalendar | None = None) -> int:
    return (calendar or default_calendar()).working_days_between(start, end)
