"""Default retention per record type: how long an archived record stays unchangeable.

Pure policy (no storage client): callers pass the result as `retention=` to
`DocumentStore.put(Bucket.ARCHIVE, ...)`.  COMPLIANCE retention can be extended but never
shortened, so when the start of the period is not known yet (a labour contract still running)
keep the record under legal hold, and once it is known put the same bytes again with the
retention: an idempotent put extends retention (see the adapters).

Source marks as in design/law.md: [L] read in the official text, [P] quoted by secondary
sources, [M] not verified — a configurable default, never settled law.

Periods are counted like statutory periods (民法典 arts.201-202 [P]): the day of the event is
not counted, and the period ends with the corresponding day N years later (28 February when
there is no 29th).  The record stays locked to the end of that day, China Standard Time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from workflows.ports import Retention


class RecordType(StrEnum):
    """Kinds of archived record with a statutory (or configured) minimum keeping period."""

    LABOUR_CONTRACT = "labour_contract"  # paper-equivalent and electronic labour contracts
    ARBITRATION_FILE_AWARD = "arbitration_file_award"  # arbitration case file closed by an award
    ARBITRATION_FILE_OTHER = "arbitration_file_other"  # closed by 调解书, withdrawal or other means
    MEDIATION_AGREEMENT = "mediation_agreement"  # 调解协议书 of a mediation organisation
    INSPECTION_FILE = "inspection_file"  # labour-security inspection case file


@dataclass(frozen=True)
class RetentionRule:
    """At least `years` after `counted_from`, because of `source`."""

    record_type: RecordType
    years: int
    counted_from: str
    source: str
    mark: str  # [L] / [P] / [M]


DEFAULT_RULES: Mapping[RecordType, RetentionRule] = MappingProxyType(
    {
        RecordType.LABOUR_CONTRACT: RetentionRule(
            RecordType.LABOUR_CONTRACT,
            2,
            "the day the contract is rescinded or terminated (解除或者终止)",
            "劳动合同法 art.50 para.3: 用人单位对已经解除或者终止的劳动合同的文本，至少保存二年备查; "
            "电子劳动合同订立指引 (2021): electronic contracts are kept as 劳动合同法 requires "
            "(design/law.md §8 item 8)",
            "[P]",
        ),
        RecordType.ARBITRATION_FILE_AWARD: RetentionRule(
            RecordType.ARBITRATION_FILE_AWARD,
            10,
            "the day the case is closed (结案)",
            "劳动人事争议仲裁办案规则 (人社部令33, 2017) art.24: 仲裁裁决结案的案卷，保存期不少于十年",
            "[P]",
        ),
        RecordType.ARBITRATION_FILE_OTHER: RetentionRule(
            RecordType.ARBITRATION_FILE_OTHER,
            5,
            "the day the case is closed (结案)",
            "劳动人事争议仲裁办案规则 (人社部令33, 2017) art.24: "
            "仲裁调解和其他方式结案的案卷，保存期不少于五年",
            "[P]",
        ),
        RecordType.MEDIATION_AGREEMENT: RetentionRule(
            RecordType.MEDIATION_AGREEMENT,
            5,
            "the day the mediation ends",
            "no rule found for mediation organisations; aligned with 办案规则 art.24 for files closed "
            "by mediation",
            "[M]",
        ),
        RecordType.INSPECTION_FILE: RetentionRule(
            RecordType.INSPECTION_FILE,
            30,
            "the day the case is closed (结案)",
            "no inspection-specific rule found; the longer fixed term (定期30年) of 机关文件材料归档范围和"
            "文书档案保管期限规定 (国家档案局令第8号, 2006) art.6",
            "[M]",
        ),
    }
)

CHINA = ZoneInfo("Asia/Shanghai")


def retention_for(
    record_type: RecordType,
    counted_from: date | datetime | None,
    *,
    rules: Mapping[RecordType, RetentionRule] = DEFAULT_RULES,
    tz: ZoneInfo = CHINA,
    now: datetime | None = None,
) -> Retention | None:
    """The retention an archived record of `record_type` needs, or None.

    None when the period has not started (`counted_from` unknown: use legal hold meanwhile) or
    has already ended (nothing obliges us to lock the record any more).
    """
    if counted_from is None:
        return None
    rule = rules[record_type]
    start = counted_from.astimezone(tz).date() if isinstance(counted_from, datetime) else counted_from
    last_day = _add_years(start, rule.years)
    until = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    if until <= (now or datetime.now(UTC)):
        return None
    return Retention(until=until)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)
