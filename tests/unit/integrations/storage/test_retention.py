"""Default retention per record type (issue 3 §5: contracts ≥ 2 years after they end)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from integrations.storage.retention import (
    CHINA,
    DEFAULT_RULES,
    RecordType,
    RetentionRule,
    retention_for,
)

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def until(record_type: RecordType, start: date | datetime) -> datetime:
    retention = retention_for(record_type, start, now=LONG_AGO)
    assert retention is not None
    return retention.until


def test_labour_contract_is_kept_two_years_after_it_ends() -> None:
    """劳动合同法 art.50 para.3: kept at least two years after rescission or termination."""
    assert until(RecordType.LABOUR_CONTRACT, date(2026, 3, 10)) == datetime(2028, 3, 11, tzinfo=CHINA)


def test_a_period_from_29_february_ends_on_28_february() -> None:
    """No corresponding day: the period ends on the last day of the month (民法典 art.202)."""
    assert until(RecordType.LABOUR_CONTRACT, date(2028, 2, 29)) == datetime(2030, 3, 1, tzinfo=CHINA)


def test_arbitration_files_closed_by_award_ten_years_otherwise_five() -> None:
    """办案规则 art.24: award files ≥ 10 years; mediation and other closings ≥ 5 years."""
    closed = date(2026, 6, 30)
    assert until(RecordType.ARBITRATION_FILE_AWARD, closed) == datetime(2036, 7, 1, tzinfo=CHINA)
    assert until(RecordType.ARBITRATION_FILE_OTHER, closed) == datetime(2031, 7, 1, tzinfo=CHINA)


def test_the_start_day_is_taken_in_china_standard_time() -> None:
    evening_utc = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # already 11 March in Beijing
    assert until(RecordType.LABOUR_CONTRACT, evening_utc) == datetime(2028, 3, 12, tzinfo=CHINA)


def test_no_retention_while_the_period_has_not_started_or_after_it_ended() -> None:
    assert retention_for(RecordType.LABOUR_CONTRACT, None) is None  # contract still running: legal hold
    ended_long_ago = retention_for(
        RecordType.LABOUR_CONTRACT, date(2020, 1, 1), now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert ended_long_ago is None


def test_every_record_type_has_a_rule_with_its_source() -> None:
    assert set(DEFAULT_RULES) == set(RecordType)
    for record_type, rule in DEFAULT_RULES.items():
        assert rule.record_type is record_type
        assert rule.years > 0
        assert rule.source and rule.counted_from
        assert rule.mark in ("[L]", "[P]", "[M]")


def test_rules_are_configurable() -> None:
    rules = {
        **DEFAULT_RULES,
        RecordType.INSPECTION_FILE: RetentionRule(RecordType.INSPECTION_FILE, 10, "x", "y", "[M]"),
    }
    got = retention_for(RecordType.INSPECTION_FILE, date(2026, 1, 1), rules=rules, now=LONG_AGO)
    assert got is not None and got.until == datetime(2036, 1, 2, tzinfo=CHINA)


def test_the_default_table_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        DEFAULT_RULES[RecordType.LABOUR_CONTRACT] = DEFAULT_RULES[RecordType.INSPECTION_FILE]  # type: ignore[index]


def test_retention_is_in_the_future_when_returned() -> None:
    got = retention_for(RecordType.LABOUR_CONTRACT, date.today())
    assert got is not None and got.until > datetime.now(UTC) + timedelta(days=365)
