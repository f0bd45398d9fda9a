"""Working-day calendar: State Council schedule with make-up workdays, override table, unknown years."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from workflows import calendar as cal_module
from workflows.calendar import (
    DEFAULT_OVERRIDES_FILE,
    CalendarConfigError,
    CalendarNotAvailableError,
    WorkingCalendar,
    YearSchedule,
    china_today,
    load_calendar,
)

CAL = WorkingCalendar()
D = date.fromisoformat


@pytest.mark.parametrize("day", ["2025-10-01", "2025-10-03", "2025-10-06", "2025-10-08"])
def test_national_day_2025_holidays_are_rest_days(day: str) -> None:
    assert CAL.is_working_day(D(day)) is False
    assert CAL.is_rest_day(D(day)) is True


@pytest.mark.parametrize("day", ["2025-09-28", "2025-10-11", "2025-01-26", "2025-02-08", "2026-01-04"])
def test_make_up_workdays_on_a_weekend_are_working_days(day: str) -> None:
    assert D(day).weekday() >= 5
    assert CAL.is_working_day(D(day)) is True


def test_ordinary_weekend_is_rest_and_weekday_is_working() -> None:
    assert CAL.is_working_day(D("2025-06-21")) is False  # Saturday
    assert CAL.is_working_day(D("2025-06-22")) is False  # Sunday
    assert CAL.is_working_day(D("2025-06-23")) is True  # Monday


def test_roll_forward_out_of_national_day_lands_on_first_working_day() -> None:
    assert CAL.roll_to_working_day(D("2025-10-01")) == D("2025-10-09")
    assert CAL.roll_to_working_day(D("2025-10-09")) == D("2025-10-09")


def test_roll_forward_stops_on_a_make_up_workday() -> None:
    # 2026-01-01..03 are New Year's Day holidays, Sunday 2026-01-04 is a make-up workday
    assert CAL.roll_to_working_day(D("2026-01-01")) == D("2026-01-04")


def test_roll_back_moves_to_the_last_working_day_before() -> None:
    assert CAL.roll_back_to_working_day(D("2025-10-05")) == D("2025-09-30")
    assert CAL.previous_working_day(D("2025-10-13")) == D("2025-10-11")


def test_add_working_days_counts_make_up_workday_and_skips_holiday() -> None:
    # Fri 2025-09-26 + 5: Sun 28 (make-up), Mon 29, Tue 30, Thu Oct 9, Fri Oct 10
    assert CAL.add_working_days(D("2025-09-26"), 5) == D("2025-10-10")


def test_add_working_days_backwards_and_zero() -> None:
    assert CAL.add_working_days(D("2025-10-17"), -5) == D("2025-10-11")
    assert CAL.add_working_days(D("2025-10-04"), 0) == D("2025-10-04")


def test_working_days_between_is_half_open_and_signed() -> None:
    assert CAL.working_days_between(D("2025-09-26"), D("2025-10-10")) == 5
    assert CAL.working_days_between(D("2025-10-10"), D("2025-09-26")) == -5
    assert CAL.working_days_between(D("2025-10-01"), D("2025-10-08")) == 0


def test_year_outside_the_package_raises_naming_the_year() -> None:
    with pytest.raises(CalendarNotAvailableError) as err:
        CAL.is_working_day(D("2099-03-02"))
    assert err.value.year == 2099
    assert "2099" in err.value.message
    assert CAL.covers(2099) is False
    assert CAL.covers(2025) is True


def test_year_before_the_package_is_not_guessed_either() -> None:
    with pytest.raises(CalendarNotAvailableError):
        CAL.add_working_days(D("2003-06-02"), 1)


def test_override_table_supplies_an_uncovered_year() -> None:
    # 2099-01-03 is a Saturday, 2099-01-01 a Thursday
    cal = WorkingCalendar.from_mapping(
        {"years": {"2099": {"holidays": ["2099-01-01", "2099-01-02"], "workdays": ["2099-01-03"]}}}
    )
    assert cal.covers(2099)
    assert cal.is_working_day(D("2099-01-01")) is False
    assert cal.is_working_day(D("2099-01-03")) is True
    assert cal.is_working_day(D("2099-01-04")) is False  # ordinary Sunday
    assert cal.is_working_day(D("2099-01-05")) is True
    assert cal.roll_to_working_day(D("2099-01-01")) == D("2099-01-03")
    with pytest.raises(CalendarNotAvailableError):
        cal.is_working_day(D("2098-12-31"))


def test_override_wins_over_the_package_for_listed_dates_only() -> None:
    cal = WorkingCalendar([YearSchedule(2025, holidays=frozenset({D("2025-06-23")}))])
    assert cal.is_working_day(D("2025-06-23")) is False
    assert cal.is_working_day(D("2025-10-01")) is False  # still from the package
    assert cal.is_working_day(D("2025-09-28")) is True


@pytest.mark.parametrize(
    "data",
    [
        {"years": {"2099": {"holidays": ["2098-12-31"]}}},
        {"years": {"2099": {"holidays": ["2099-01-01"], "workdays": ["2099-01-01"]}}},
        {"years": {"2099": {"holidays": ["1/1/2099"]}}},
        {"years": {"2099": {"holidays": "2099-01-01"}}},
        {"years": {"next": {}}},
        {"years": ["2099"]},
    ],
)
def test_malformed_override_table_is_rejected(data: dict) -> None:
    with pytest.raises(CalendarConfigError) as err:
        WorkingCalendar.from_mapping(data)
    assert err.value.problems


def test_override_file_missing_means_no_overrides_and_bad_json_is_rejected(tmp_path: Path) -> None:
    assert WorkingCalendar.from_json_file(tmp_path / "none.json").overrides == {}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CalendarConfigError):
        WorkingCalendar.from_json_file(bad)


def test_bundled_override_file_parses() -> None:
    data = json.loads(DEFAULT_OVERRIDES_FILE.read_text(encoding="utf-8"))
    assert isinstance(WorkingCalendar.from_mapping(data), WorkingCalendar)


def test_configured_override_file_is_used_by_the_module_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps({"years": {"2099": {"holidays": ["2099-01-01"]}}}), encoding="utf-8")
    monkeypatch.setenv(cal_module.OVERRIDES_ENV, str(path))
    assert load_calendar().covers(2099)
    assert cal_module.is_working_day(D("2099-01-01")) is False
    assert cal_module.next_working_day(D("2099-01-01")) == D("2099-01-02")
    assert cal_module.add_working_days(D("2099-01-01"), 1) == D("2099-01-02")
    assert cal_module.roll_to_working_day(D("2099-01-01")) == D("2099-01-02")
    assert cal_module.working_days_between(D("2099-01-01"), D("2099-01-02")) == 1


def test_china_today_uses_shanghai_time() -> None:
    assert china_today(datetime(2025, 9, 30, 17, 0, tzinfo=UTC)) == D("2025-10-01")
    assert china_today(datetime(2025, 9, 30, 15, 59, tzinfo=UTC)) == D("2025-09-30")
    assert china_today(datetime(2025, 9, 30, 16, 0)) == D("2025-10-01")  # naive = UTC


def test_next_unpublished_year_is_answered_provisionally_with_fixed_date_holidays() -> None:
    """全国年节及纪念日放假办法 art.2: 1 Jan, 1–2 May and 1–3 Oct are holidays whatever the notice says."""
    from workflows.calendar import _package_covers

    last = max(y for y in range(2024, 2040) if _package_covers(y))
    nxt = last + 1
    cal = WorkingCalendar(provisional_next_year=True)
    assert cal.is_provisional(nxt) and not cal.covers(nxt)
    assert cal.is_working_day(date(nxt, 1, 1)) is False
    assert cal.is_working_day(date(nxt, 10, 2)) is False
    first_monday = next(date(nxt, 3, d) for d in range(1, 8) if date(nxt, 3, d).weekday() == 0)
    assert cal.is_working_day(first_monday) is True
    with pytest.raises(CalendarNotAvailableError):
        cal.is_working_day(date(nxt + 1, 3, 1))
    assert not WorkingCalendar().is_provisional(nxt)


def test_a_published_override_replaces_the_provisional_year() -> None:
    from workflows.calendar import _package_covers

    nxt = max(y for y in range(2024, 2040) if _package_covers(y)) + 1
    cal = WorkingCalendar(
        [YearSchedule(nxt, holidays=frozenset({date(nxt, 2, 3)}))], provisional_next_year=True
    )
    assert not cal.is_provisional(nxt)
    assert cal.is_working_day(date(nxt, 2, 3)) is False
