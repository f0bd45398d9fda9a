"""The formal documents (文书) the agency issues: title, numbering series, archive retention.

Which data each document needs is the renderer's business (`documents`); here is what the
case domain decides: how a document is numbered and how long its sealed record is kept.
Retention follows the archive rules for labour dispute case files (劳动人事争议仲裁办案规则
art.80: case files are archived and kept per the national archive rules; decisions that end a
case — awards, mediation statements — are kept long term, procedural notices for a shorter
period).  Periods are configurable per deployment; these are the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.errors import FieldProblem, ValidationError
from workflows.ports import SealLevel


@dataclass(frozen=True)
class DocumentKind:
    key: str
    title: str
    series: str  # 文书字号 between the commission's short name and the year, e.g. 仲案字
    retention_years: int
    seal_level: SealLevel = SealLevel.B_T
    final: bool = False  # ends (part of) the case: superseding it needs a new decision


KINDS: dict[str, DocumentKind] = {
    k.key: k
    for k in (
        DocumentKind("mediation_agreement", "调解协议书", "调协字", 30, final=True),
        DocumentKind("supplement_notice", "补正通知书", "仲补字", 10),
        DocumentKind("acceptance_notice", "受理通知书", "仲受字", 10),
        DocumentKind("refusal_notice", "不予受理通知书", "仲不受字", 30, final=True),
        DocumentKind("form_tribunal_notice", "仲裁庭组成通知书", "仲组字", 10),
        DocumentKind("hearing_notice", "开庭通知书", "仲开字", 10),
        DocumentKind("mediation_statement", "调解书", "仲调字", 30, final=True),
        DocumentKind("award_document", "裁决书", "仲裁字", 30, final=True),
        DocumentKind("postpone_hearing_notice", "延期审理通知书", "仲延字", 10),
        DocumentKind("extension_notice", "延长审理期限通知书", "仲延限字", 10),
    )
}


def kind_of(document_type: str) -> DocumentKind:
    try:
        return KINDS[document_type]
    except KeyError:
        raise ValidationError(
            f"unknown document type {document_type!r}",
            [FieldProblem("/document_type", f"must be one of: {', '.join(sorted(KINDS))}")],
        ) from None


def format_document_number(commission_short: str, kind: DocumentKind, year: int, serial: int) -> str:
    """文书字号 after GB/T 9704 (机关代字 + 年份〔〕 + 序号), e.g. 穗仲裁字〔2026〕第12号."""
    return f"{commission_short}{kind.series}〔{year}〕第{serial}号"
