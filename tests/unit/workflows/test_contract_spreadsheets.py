"""Reading bulk-send spreadsheets (workflows.contract_spreadsheets.parse_spreadsheet): CSV in UTF-8 with
and without BOM and in GB18030, XLSX; files refused as a whole with a clear message (pointer
/file); lines read with their own problems (pointers /rows/<line>/clauses/<clause>/<field>)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import pytest
from openpyxl import Workbook

from tests.contract_support import WORKER_RESIDENT_ID
from workflows.contract_spreadsheets import (
    COLUMNS,
    MAX_ROWS,
    ParsedSheet,
    parse_spreadsheet,
    sample_csv,
    sample_table,
    sample_xlsx,
)
from workflows.errors import FileRejectedError, FileTooLargeError

HEADER = [
    "居民身份证号码",
    "工作岗位",
    "期限类型",
    "起始日期",
    "终止日期",
    "试用期（月）",
    "月工资（元）",
    "工时制度",
]
LINE = [WORKER_RESIDENT_ID, "保洁员", "固定期限", "2027-01-01", "2029-12-31", "2", "6000", "标准工时制"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    return "".join(delimiter.join(r) + "\r\n" for r in rows).encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(content: bytes, **kw: Any) -> str:
    with pytest.raises(FileRejectedError) as caught:
        parse_spreadsheet(content, **kw)
    [problem] = caught.value.problems
    assert problem.pointer == "/file"
    return problem.message


def expected_clauses() -> dict[str, Any]:
    return {
        "worker": {"resident_id": WORKER_RESIDENT_ID},
        "job": {"position": "保洁员"},
        "term": {
            "kind": "fixed",
            "start_date": "2027-01-01",
            "end_date": "2029-12-31",
            "probation_months": 2,
        },
        "pay": {"monthly_amount": "6000.00"},
        "working_time": {"system": "standard"},
    }


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("gb18030", b"", "gb18030")],
)
def test_a_csv_is_read_in_utf8_with_or_without_bom_and_in_gb18030(
    encoding: str, prefix: bytes, expected: str
) -> None:
    sheet = parse_spreadsheet(prefix + csv_bytes([HEADER, LINE], encoding))
    assert (sheet.kind, sheet.encoding) == ("csv", expected)
    [row] = sheet.rows
    assert row.line == 2 and row.problems == () and row.resident_id == WORKER_RESIDENT_ID
    assert row.clauses == expected_clauses()
    assert row.values["job.position"] == "保洁员"


def test_a_tab_separated_utf16_export_is_read_too() -> None:
    sheet = parse_spreadsheet(b"\xff\xfe" + csv_bytes([HEADER, LINE], "utf-16-le", "\t"))
    assert sheet.rows[0].clauses == expected_clauses()


def test_an_xlsx_is_read_by_its_content_with_date_and_number_cells() -> None:
    line: list[Any] = [
        WORKER_RESIDENT_ID,
        "保洁员",
        "fixed",
        datetime(2027, 1, 1),
        "2029/12/31",
        2,
        6000,
        "standard",
    ]
    sheet = parse_spreadsheet(xlsx_bytes([HEADER, line]))
    assert sheet.kind == "xlsx" and sheet.encoding is None
    assert sheet.rows[0].clauses == expected_clauses() and sheet.rows[0].problems == ()


def test_english_aliases_and_header_variants_name_the_same_columns() -> None:
    header = [
        "resident_id",
        "position",
        "Term_Kind",
        "start_date",
        "end_date",
        "试用期(月)",
        "月工资 ",
        "工时制度*",
    ]
    sheet = parse_spreadsheet(csv_bytes([header, LINE]))
    assert sheet.rows[0].clauses == expected_clauses()


def test_blank_lines_are_skipped_and_lines_keep_their_sheet_numbers() -> None:
    sheet = parse_spreadsheet(csv_bytes([HEADER, LINE, [""] * len(HEADER), LINE]))
    assert [r.line for r in sheet.rows] == [2, 4]


def test_each_unreadable_value_is_a_problem_of_its_line_pointing_at_the_clause_field() -> None:
    bad = ["110101199003071234", "保洁员", "长期", "明年", "2029-12-31", "两个月", "-5", "弹性"]
    sheet = parse_spreadsheet(csv_bytes([HEADER, LINE, bad]))
    good, wrong = sheet.rows
    assert good.problems == ()
    assert {p.pointer for p in wrong.problems} == {
        "/rows/3/clauses/worker/resident_id",
        "/rows/3/clauses/term/kind",
        "/rows/3/clauses/term/start_date",
        "/rows/3/clauses/term/probation_months",
        "/rows/3/clauses/pay/monthly_amount",
        "/rows/3/clauses/working_time/system",
    }
    messages = {p.pointer: p.message for p in wrong.problems}
    assert messages["/rows/3/clauses/pay/monthly_amount"].startswith("月工资（元）：")
    assert "固定期限" in messages["/rows/3/clauses/term/kind"]


def test_a_line_without_resident_id_or_phone_is_a_problem() -> None:
    sheet = parse_spreadsheet(csv_bytes([["居民身份证号码", "注册手机号码", "工作岗位"], ["", "", "保洁员"]]))
    assert [p.pointer for p in sheet.rows[0].problems] == ["/rows/2/clauses/worker/resident_id"]


def test_a_phone_finds_the_worker_and_a_bad_phone_is_a_problem() -> None:
    sheet = parse_spreadsheet(
        csv_bytes([["注册手机号码", "工作岗位"], ["+86 138-0013-8000", "保洁员"], ["12345", "x"]])
    )
    assert sheet.rows[0].phone == "13800138000" and "worker" not in sheet.rows[0].clauses
    assert [p.pointer for p in sheet.rows[1].problems] == ["/rows/3/worker/phone"]


def test_a_resident_id_turned_into_a_number_by_excel_is_refused_with_advice() -> None:
    sheet = parse_spreadsheet(xlsx_bytes([["居民身份证号码", "工作岗位"], [1.10101199003071e17, "保洁员"]]))
    [problem] = sheet.rows[0].problems
    assert problem.pointer == "/rows/2/clauses/worker/resident_id" and "文本格式" in problem.message


def test_unknown_columns_are_refused_naming_them() -> None:
    message = refused(csv_bytes([[*HEADER, "奖金", "备注"], [*LINE, "1", "x"]]))
    assert "「奖金」" in message and "「备注」" in message


def test_a_repeated_column_is_refused() -> None:
    assert "列名重复" in refused(
        csv_bytes([["居民身份证号码", "岗位", "工作岗位"], [WORKER_RESIDENT_ID, "a", "b"]])
    )


def test_a_sheet_without_a_worker_identity_column_is_refused() -> None:
    assert "居民身份证号码" in refused(csv_bytes([["工作岗位"], ["保洁员"]]))


def test_a_value_in_a_column_without_a_name_is_refused() -> None:
    assert "第 2 行第 2 列" in refused(csv_bytes([["居民身份证号码", ""], [WORKER_RESIDENT_ID, "x"]]))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "空"),
        (b"  \r\n", "空"),
        (csv_bytes([HEADER]), "没有数据行"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "不是 CSV 或 XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"a,b\x00\x01\x02,c\n", "二进制"),
        (b"\x81\x30\xff\xfe\x80\x80", "编码"),
    ],
)
def test_bad_files_are_refused_as_a_whole(content: bytes, says: str) -> None:
    assert says in refused(content)


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "XLSX" in refused(out.getvalue())
    assert "XLSX" in refused(b"PK\x03\x04 truncated")


def test_a_file_over_the_size_limit_is_refused() -> None:
    with pytest.raises(FileTooLargeError) as caught:
        parse_spreadsheet(csv_bytes([HEADER, LINE]), max_bytes=10)
    assert caught.value.limit == 10 and caught.value.problems[0].pointer == "/file"


def test_more_lines_than_allowed_are_refused() -> None:
    assert "最多 3 行" in refused(csv_bytes([HEADER] + [LINE] * 4), max_rows=3)
    assert len(parse_spreadsheet(csv_bytes([HEADER] + [LINE] * 3), max_rows=3).rows) == 3
    assert MAX_ROWS == 5000


def test_the_samples_carry_every_column_and_read_back_without_problems() -> None:
    header, example = sample_table()
    assert header == [c.header for c in COLUMNS] and len(example) == len(header)
    from_csv: ParsedSheet = parse_spreadsheet(sample_csv())
    from_xlsx = parse_spreadsheet(sample_xlsx())
    assert sample_csv().startswith(b"\xef\xbb\xbf")
    assert from_csv.rows[0].problems == () and from_xlsx.rows[0].problems == ()
    assert from_csv.rows[0].clauses == from_xlsx.rows[0].clauses
    assert from_csv.rows[0].clauses["pay"]["payday"] == 10
