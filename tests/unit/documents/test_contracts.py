"""The labour contract and its completion certificate render as PDF/A with the right fields."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields

from documents.contracts import render_certificate, render_contract, validate_contract
from documents.pdfa import check_pdfa
from tests.contract_support import contract_data
from workflows.errors import ValidationError


def test_a_contract_is_pdfa_with_empty_employer_and_worker_signature_fields() -> None:
    pdf = render_contract(contract_data())
    assert check_pdfa(pdf).problems == ()
    reader = PdfFileReader(io.BytesIO(pdf))
    empty = [name for name, _, _ in fields.enumerate_sig_fields(reader, filled_status=False)]
    assert empty == ["EmployerSeal", "WorkerSignature"]


def test_the_model_template_has_a_section_per_mandatory_clause_in_article_17_order() -> None:
    data = validate_contract(contract_data())
    assert [s["clause"] for s in data["template"]["sections"]] == [
        "employer", "worker", "term", "job", "working_time", "pay", "social_insurance", "protection",
    ]  # fmt: skip


def test_malformed_clause_data_is_refused_with_a_pointer() -> None:
    data = contract_data()
    data["clauses"]["term"]["kind"] = "forever"
    with pytest.raises(ValidationError) as caught:
        render_contract(data)
    assert caught.value.problems[0].pointer == "/clauses/term/kind"


def test_the_completion_certificate_is_pdfa() -> None:
    pdf = render_certificate(
        {
            "contract_number": "LC2027000001",
            "verification_url": "https://laborcase.example/verify?code=LC7Q2M4X9K",
            "verification_code": "LC7Q2M4X9K",
            "employer": "北京某某科技有限公司",
            "worker": "王小明",
            "concluded_at": "2027-01-01 10:00:00",
            "document_sha256": "a" * 64,
            "final_sha256": "b" * 64,
            "events": [
                {
                    "at": "2027-01-01 09:59:00",
                    "action": "labour_contract.worker_signed",
                    "actor": "王小明",
                    "identity_method": "real_name+sms_code",
                    "client_ip": "203.0.113.7",
                    "user_agent": "iPhone",
                    "document_sha256": "c" * 64,
                },
            ],
            "signatures": [{"field_name": "WorkerSignature", "signer": "王小明", "valid": True}],
        }
    )
    assert check_pdfa(pdf).problems == ()
