"""The fast check of our own fresh signatures (used when a labour contract concludes).

The positive path with two timestamped signatures runs in every contract conclusion
(tests/unit/workflows/test_contracts.py, and pdfsig in tests/integration/contracts); here: what
it must refuse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from signing.appearance import SealDesign
from signing.pki import DevPki
from signing.seal import SealingService
from signing.trust import TrustSettings
from signing.verify import SignatureVerifier
from workflows.ports import SealLevel, SealPosition

from .conftest import AGENCY, SECRET


@pytest.fixture(scope="module")
def sealed(sealer: SealingService, plain_pdf: bytes) -> bytes:
    return sealer.seal(plain_pdf, SealPosition(1, 380, 120), SealLevel.B_B)


def test_our_seal_is_intact_and_ours_but_without_a_timestamp_not_valid(
    verifier: SignatureVerifier, sealed: bytes
) -> None:
    report = verifier.check_fresh(sealed, ["Seal"])
    (sig,) = report.signatures
    assert (sig.field_name, sig.organisation, sig.intact, sig.trusted) == ("Seal", AGENCY, True, True)
    assert sig.covers_whole_document and sig.timestamp is None and sig.level == "B-B"
    assert not report.valid  # a contract needs its trusted timestamp (指引 §5)


def test_a_changed_byte_in_the_signed_range_is_not_intact(verifier: SignatureVerifier, sealed: bytes) -> None:
    at = sealed.index(b"/Producer")  # in the first signed range, before the signature
    tampered = sealed[:at] + b"/Pxoducer" + sealed[at + len(b"/Producer") :]
    (sig,) = verifier.check_fresh(tampered, ["Seal"]).signatures
    assert not sig.intact


def test_bytes_appended_after_the_last_signature_are_a_modification(
    verifier: SignatureVerifier, sealed: bytes
) -> None:
    report = verifier.check_fresh(sealed + b"\n1 0 obj << >> endobj\n", ["Seal"])
    assert report.modified_after_signing and not report.valid


def test_a_missing_signature_is_reported(verifier: SignatureVerifier, sealed: bytes) -> None:
    report = verifier.check_fresh(sealed, ["WorkerSignature", "EmployerSeal"])
    assert report.problems == ("expected 2 signatures, found 1",) and not report.valid


def test_a_seal_from_a_certificate_we_did_not_issue_is_not_trusted(
    verifier: SignatureVerifier, plain_pdf: bytes, tmp_path: Path
) -> None:
    stranger = DevPki.open(tmp_path / "other-pki", SECRET)
    foreign = SealingService.from_credentials(
        stranger.seal_credentials(),
        design=SealDesign("冒名单位", "3201000099999", "合同专用章"),
        trust=TrustSettings.for_pki(stranger),
    )
    try:
        pdf = foreign.seal(plain_pdf, SealPosition(1, 380, 120), SealLevel.B_B)
    finally:
        foreign.close()
    (sig,) = verifier.check_fresh(pdf, ["Seal"]).signatures
    assert sig.intact and not sig.trusted
