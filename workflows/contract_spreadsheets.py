"""Spreadsheets of labour contracts (CSV or XLSX): their columns, reading them, samples.

One contract a line: a header row (Chinese column names as in the sample, or English aliases)
naming clause fields of the model contract (`workflows.contract_clauses`) and the worker, by
resident ID and/or the phone of a real-name worker account.  `parse_spreadsheet` judges the file
by its bytes (XLSX or CSV in UTF-8, GB18030 or UTF-16), refuses it as a whole with a message naming
what is wrong (size, encoding, unknown or repeated columns, too many rows), and reads every line it
can into clauses, keeping per-line problems (pointers /rows/<line>/clauses/<clause>/<field>).
The bulk send (`workflows.contract_batches`) stores and sends what it reads.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from workflows.contract_clauses import PAY_PERIODS, TERM_KINDS, WORKING_TIME_SYSTEMS
from workflows.errors import FieldProblem, FileRejectedError, FileTooLargeError
from workflows.identity import is_valid_resident_id

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a zip bomb is refused before it is inflated
CSV_TYPE, XLSX_TYPE = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- the columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A spreadsheet column: the clause field it fills, its header, aliases, kind and an example."""

    clause: str
    name: str
    header: str
    aliases: tuple[str, ...] = ()
    kind: str = "text"  # text | date | int | money | choice | resident_id | phone
    choices: Mapping[str, str] = field(default_factory=dict)  # code -> label
    example: str = ""

    @property
    def key(self) -> str:
        return f"{self.clause}.{self.name}"

    @property
    def pointer(self) -> str:
        """Where a problem with this column's value points (below /rows/<line>)."""
        if self.key == "worker.phone":
            return "/worker/phone"  # finds the account; not a clause of the contract
        return f"/clauses/{self.clause}/{self.name}"


#: the same fields as the employer's "new contract" form (web/contracts_employer.py), art.17 order
COLUMNS: tuple[Column, ...] = (
    Column("worker", "name", "劳动者姓名", ("姓名", "worker_name", "name"), example="王小明"),
    Column(
        "worker",
        "resident_id",
        "居民身份证号码",
        ("身份证号码", "身份证号", "resident_id", "id_number"),
        "resident_id",
        example="110101199003071233",
    ),
    Column(
        "worker",
        "phone",
        "注册手机号码",
        ("手机号码", "手机号", "手机", "phone", "mobile"),
        "phone",
        example="",
    ),
    Column("worker", "address", "劳动者住址", ("住址", "worker_address"), example="北京市朝阳区某某路2号"),
    Column(
        "employer",
        "address",
        "用人单位住所",
        ("住所", "employer_address"),
        example="北京市海淀区中关村大街1号",
    ),
    Column(
        "employer",
        "legal_representative",
        "法定代表人或者主要负责人",
        ("法定代表人", "主要负责人", "legal_representative"),
        example="赵某某",
    ),
    Column("term", "kind", "期限类型", ("合同期限类型", "term_kind"), "choice", TERM_KINDS, "固定期限"),
    Column(
        "term",
        "start_date",
        "起始日期",
        ("合同起始日期", "开始日期", "start_date"),
        "date",
        example="2027-01-01",
    ),
    Column(
        "term", "end_date", "终止日期", ("合同终止日期", "结束日期", "end_date"), "date", example="2029-12-31"
    ),
    Column("term", "task_description", "工作任务", ("task_description",)),
    Column(
        "term",
        "probation_months",
        "试用期（月）",
        ("试用期", "试用期月数", "probation_months"),
        "int",
        example="2",
    ),
    Column("job", "position", "工作岗位", ("岗位", "position"), example="软件工程师"),
    Column("job", "duties", "工作内容", ("duties",), example="负责软件开发和测试。"),
    Column("job", "place", "工作地点", ("place", "workplace"), example="北京市海淀区"),
    Column("job", "region_code", "工作地行政区划代码", ("行政区划代码", "region_code"), example="110108"),
    Column(
        "working_time",
        "system",
        "工时制度",
        ("working_time_system", "working_time"),
        "choice",
        WORKING_TIME_SYSTEMS,
        "标准工时制",
    ),
    Column(
        "working_time",
        "rest",
        "休息休假",
        ("rest",),
        example="每周休息两日，依法享受法定节假日和带薪年休假。",
    ),
    Column("working_time", "approval", "特殊工时审批文号", ("审批文号", "approval")),
    Column(
        "pay",
        "monthly_amount",
        "月工资（元）",
        ("月工资", "monthly_amount", "monthly_pay"),
        "money",
        example="12000",
    ),
    Column(
        "pay",
        "probation_amount",
        "试用期月工资（元）",
        ("试用期月工资", "试用期工资", "probation_amount"),
        "money",
        example="10000",
    ),
    Column("pay", "pay_period", "工资支付周期", ("支付周期", "pay_period"), "choice", PAY_PERIODS, "按月"),
    Column("pay", "payday", "每月发薪日", ("发薪日", "payday"), "int", example="10"),
    Column("social_insurance", "description", "社会保险约定", ("社会保险", "social_insurance")),
    Column("protection", "labour_protection", "劳动保护", ("labour_protection",)),
    Column("protection", "working_conditions", "劳动条件", ("working_conditions",)),
    Column("protection", "occupational_hazards", "职业危害防护", ("occupational_hazards",)),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
IDENTITY_KEYS = ("worker.resident_id", "worker.phone")
#: filled by the system when the row leaves them empty: the employer's name, the worker's account
BOUND_FIELDS = {"employer.name", "employer.uscc", "worker.name", "worker.resident_id"}


def _normalise_header(text: str) -> str:
    """Full-width to half-width, no spaces or required-markers, lower case: （元） == (元)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s*]+", "", text).lower()


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in COLUMNS:
        for name in (c.header, c.key, *c.aliases):
            index[_normalise_header(name)] = c.key
    return index


HEADERS = _header_index()

# -- parsing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedRow:
    """One line of the sheet: its values as written, the clauses read from them, and problems."""

    line: int
    values: dict[str, str]  # column key -> the cell as text
    clauses: dict[str, Any]
    resident_id: str
    phone: str
    problems: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True)
class ParsedSheet:
    kind: str  # csv | xlsx
    encoding: str | None  # of a CSV
    columns: tuple[str, ...]  # column keys, in the file's order
    rows: tuple[ParsedRow, ...]


def file_error(message: str) -> FileRejectedError:
    return FileRejectedError(message, [FieldProblem("/file", message)])


def parse_spreadsheet(content: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> ParsedSheet:
    """Read an uploaded CSV or XLSX (judged from the bytes, not the name); FileRejectedError
    (pointer /file) for a file that cannot be taken as a whole, problems per row otherwise."""
    if len(content) > max_bytes:
        message = f"文件过大：上限 {max_bytes // (1024 * 1024)} MB"
        raise FileTooLargeError(message, [FieldProblem("/file", message)], limit=max_bytes)
    if not content.strip():
        raise file_error("文件是空的")
    if content.startswith(b"PK\x03\x04"):
        kind, encoding, records = "xlsx", None, _xlsx_records(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error("不支持旧版 Excel（.xls）文件：请另存为 .xlsx 或 CSV 后上传")
    else:
        text, encoding = _decode(content)
        kind, records = "csv", _csv_records(text)
    header: list[str] | None = None
    keys: list[str | None] = []
    rows: list[ParsedRow] = []
    for line, cells in records:
        if header is None:
            if all(is_blank(c) for c in cells):
                continue
            header = [_text(c) for c in cells]
            keys = _columns(header)
            continue
        if all(is_blank(c) for c in cells):
            continue
        if len(rows) >= max_rows:
            raise file_error(f"数据行过多：每个文件最多 {max_rows} 行，请分成几个文件上传")
        for i, cell in enumerate(cells):
            if not is_blank(cell) and (i >= len(keys) or keys[i] is None):
                raise file_error(f"第 {line} 行第 {i + 1} 列有内容，但该列没有列名")
        rows.append(_parse_row(line, {k: cells[i] for i, k in enumerate(keys) if k and i < len(cells)}))
    if header is None:
        raise file_error("文件是空的：第一行须为列名")
    if not rows:
        raise file_error("文件只有列名，没有数据行")
    return ParsedSheet(kind, encoding, tuple(k for k in keys if k), tuple(rows))


def _decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else GB18030."""
    if content.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise file_error("文件不是 CSV 或 XLSX 表格")
    attempts = (("utf-16",) if content.startswith((b"\xff\xfe", b"\xfe\xff")) else ()) + (
        ("utf-8-sig",) if content.startswith(b"\xef\xbb\xbf") else ("utf-8", "gb18030")
    )
    for encoding in attempts:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
            raise file_error("文件不是 CSV 或 XLSX 表格（含有二进制内容）")
        return text.lstrip("\ufeff"), encoding
    raise file_error("无法识别文件的文字编码：请另存为 UTF-8 或 GB18030（GBK）编码的 CSV")


def _csv_records(text: str) -> Iterator[tuple[int, list[Any]]]:
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            if len(cells) > MAX_COLUMNS:
                raise file_error(f"第 {number} 行列数过多（上限 {MAX_COLUMNS} 列）")
            yield number, cells
    except csv.Error as exc:
        raise file_error(f"CSV 格式有误：{exc}") from exc


def _xlsx_records(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise file_error("文件不是有效的 XLSX 表格") from exc
    if "xl/workbook.xml" not in names:
        raise file_error("文件不是 XLSX 表格（是其他压缩文件）")
    if inflated > XLSX_MAX_UNCOMPRESSED:
        raise file_error("XLSX 文件解压后过大")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise file_error("无法读取 XLSX 表格：文件已损坏或不是 Excel 工作簿") from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = list(values)
            while cells and is_blank(cells[-1]):
                cells.pop()
            if len(cells) > MAX_COLUMNS:
                raise file_error(f"第 {number} 行列数过多（上限 {MAX_COLUMNS} 列）")
            yield number, cells
    finally:
        book.close()


def _columns(header: list[str]) -> list[str | None]:
    """Column keys by position (None for an empty header cell); unknown or repeated names refused."""
    keys: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for name in header:
        if not name.strip():
            keys.append(None)
            continue
        key = HEADERS.get(_normalise_header(name))
        if key is None:
            unknown.append(name.strip())
        elif key in seen:
            repeated.append(f"{seen[key]} / {name.strip()}")
        else:
            seen[key] = name.strip()
        keys.append(key)
    if unknown:
        raise file_error(
            "不认识的列名：" + "、".join(f"「{n}」" for n in unknown) + "。请使用示例表格中的列名"
        )
    if repeated:
        raise file_error("列名重复：" + "、".join(repeated))
    if not any(k in seen for k in IDENTITY_KEYS):
        raise file_error("缺少劳动者身份列：须有「居民身份证号码」或「注册手机号码」列")
    return keys


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def _parse_date(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value).replace(" ", "")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _parse_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value)
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(text.split(".")[0])
    return None


def _parse_money(value: Any) -> str | None:
    text = _text(value) if not isinstance(value, float) else repr(value)
    text = (
        text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
    )
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return str(amount.quantize(Decimal("0.01")))


def _parse_choice(column: Column, value: Any) -> str | None:
    text = _normalise_header(_text(value))
    for code, label in column.choices.items():
        if text in (code.lower(), _normalise_header(label)):
            return code
    return None


def _parse_row(line: int, cells: Mapping[str, Any]) -> ParsedRow:
    """The clauses of one line; each unreadable value is a problem at /rows/<line><pointer>."""
    clauses: dict[str, dict[str, Any]] = {}
    problems: list[FieldProblem] = []
    values = {key: _text(cell) for key, cell in cells.items()}
    rid, phone = "", ""

    def bad(column: Column, message: str) -> None:
        problems.append(FieldProblem(f"/rows/{line}{column.pointer}", f"{column.header}：{message}"))

    for key, cell in cells.items():
        column = COLUMN_BY_KEY[key]
        if is_blank(cell):
            continue
        value: Any = values[key]
        if column.kind == "date":
            value = _parse_date(cell)
            if value is None:
                bad(column, "须为日期，如 2027-01-01")
                continue
        elif column.kind == "int":
            value = _parse_int(cell)
            if value is None:
                bad(column, "须为整数")
                continue
        elif column.kind == "money":
            value = _parse_money(cell)
            if value is None:
                bad(column, "须为大于 0 的金额（元）")
                continue
        elif column.kind == "choice":
            value = _parse_choice(column, cell)
            if value is None:
                bad(column, "须为 " + "、".join(column.choices.values()) + " 之一")
                continue
        elif column.kind == "resident_id":
            if isinstance(cell, float) or "E+" in str(value).upper():
                bad(column, "被表格软件当成了数字（末几位已丢失）：请将该列设为文本格式后重新填写")
                continue
            value = str(value).replace(" ", "").upper()
            if not is_valid_resident_id(value):
                bad(column, "号码无效（长度、出生日期或校验码不符）")
                continue
            rid = value
        elif column.kind == "phone":
            value = re.sub(r"[\s\-]", "", str(value)).removeprefix("+86")
            if not re.fullmatch(r"1\d{10}", value):
                bad(column, "须为 11 位手机号码")
                continue
            phone = value
            continue  # not a clause
        clauses.setdefault(column.clause, {})[column.name] = value
    if not rid and not phone and not any(p.pointer.endswith(("/resident_id", "/phone")) for p in problems):
        problems.append(
            FieldProblem(
                f"/rows/{line}/clauses/worker/resident_id", "须填写劳动者的居民身份证号码或注册手机号码"
            )
        )
    return ParsedRow(line, values, clauses, rid, phone, tuple(problems))


# -- samples --------------------------------------------------------------------------------


def sample_table() -> tuple[list[str], list[str]]:
    """The header row and one example line of the sample spreadsheet."""
    return [c.header for c in COLUMNS], [c.example for c in COLUMNS]


def sample_csv() -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese headers correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(sample_table())
    return out.getvalue().encode("utf-8-sig")


def sample_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "劳动合同"
    header, example = sample_table()
    sheet.append(header)
    sheet.append(example)
    for i, column in enumerate(COLUMNS, 1):
        if column.kind in ("resident_id", "phone", "date") or column.key == "job.region_code":
            for row in (2,):
                sheet.cell(row=row, column=i).number_format = "@"  # text: no lost digits, no date serials
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(
            12, len(column.header) * 2 + 2
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
