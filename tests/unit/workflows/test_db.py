"""Database helpers: how JSON columns are written and read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from workflows.db import Database, json_dumps, json_loads
from workflows.models import AuditEvent


def test_json_columns_are_written_as_standard_json_with_chinese_text_kept() -> None:
    doc = {"名称": "仲裁委", "n": [1, 2.5, None, True], "nested": {"k": "v"}}
    text = json_dumps(doc)
    assert json.loads(text) == doc
    assert "仲裁委" in text  # UTF-8, not \\u escapes: fewer bytes per step


def test_json_writer_is_as_strict_as_the_standard_library() -> None:
    @dataclass
    class Thing:
        a: int

    for bad in ({"d": date(2026, 12, 6)}, {"t": Thing(1)}, {"s": {1, 2}}):
        with pytest.raises(TypeError):
            json_dumps(bad)
    # what json.dumps accepts, it accepts too: integer keys become strings, big integers stay exact
    assert json.loads(json_dumps({1: "a"})) == {"1": "a"}
    assert json.loads(json_dumps({"big": 2**70})) == {"big": 2**70}


@pytest.mark.parametrize(
    "text",
    [
        '{"名称": "仲裁委", "n": [1, 2.5, -0.0, null, true], "k": "\\u0000"}',
        '{"a": 1, "a": 2}',
        "[9223372036854775807, -9223372036854775808, 18446744073709551616]",
        "[1180591620717411303424, -9223372036854775809]",  # beyond 64 bits: orjson would give floats
        '{"card": "6222021234567890123", "n": 1}',  # 19 digits in a string: read by json.loads
        "[NaN, Infinity, 1e400]",  # orjson refuses these
        '["\\ud800"]',  # a lone surrogate escape
        "[0.30000000000000004, 5e-324, 1.7976931348623157e308, 1E2]",
    ],
)
def test_json_reader_returns_exactly_what_the_standard_library_returns(text: str) -> None:
    for given in (text, text.encode()):  # SQLite hands over text, psycopg bytes
        expected, got = json.loads(given), json_loads(given)
        assert repr(got) == repr(expected)  # same values and types: 2**70 stays an int, -0.0 a float
    assert type(json_loads("[2]")[0]) is int


def test_json_round_trips_through_both_backends(db: Database) -> None:
    after = {"名称": "仲裁", "big": 2**70, "list": [1, {"x": None}]}
    with db.transaction() as s:
        s.add(
            AuditEvent(
                chain="t",
                seq=1,
                actor_label="测试",
                at=datetime.now(UTC),
                action="a",
                entity="e",
                before=None,
                after=after,
                prev_hash="0" * 64,
                hash="1" * 64,
            )
        )
    with db.transaction() as s:
        assert s.execute(select(AuditEvent.after)).scalar_one() == after
