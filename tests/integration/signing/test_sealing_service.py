"""Seals at every level, checked by our verifier and by poppler's pdfsig, with our TSA on loopback."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from asn1crypto import cms

from documents import check_pdfa, render
from documents.samples import sample
from signing.appearance import SealDesign
from signing.pki import DevPki
from signing.seal import SealingService
from signing.trust import TrustSettings
from signing.tsa import TimestampAuthority
from signing.verify import SignatureVerifier
from workflows.errors import DocumentRejectedError, SealingError
from workflows.ports import SealLevel, SealPosition

from .conftest import AGENCY, TIMESTAMP_TOKEN_OID, make_pdf, pdfsig

POSITION = SealPosition(page=1, x=380, y=120, size=119)


@pytest.fixture(scope="module")
def sealed(sealer: SealingService) -> dict[SealLevel, bytes]:
    pdf = make_pdf()
    return {level: sealer.seal(pdf, POSITION, level) for level in SealLevel}


@pytest.mark.parametrize("level", list(SealLevel))
def test_each_level_is_valid_and_reaches_its_pades_level(
    sealed: dict[SealLevel, bytes], verifier: SignatureVerifier, level: SealLevel
) -> None:
    report = verifier.verify(sealed[level])
    assert report.valid, report
    (sig,) = report.signatures
    assert sig.signer == AGENCY and sig.trusted and sig.revoked is False
    assert sig.level == level.value
    assert (sig.timestamp is None) == (level is SealLevel.B_B)


def test_b_t_is_the_default_level(sealer: SealingService, verifier: SignatureVerifier) -> None:
    (sig,) = verifier.verify(sealer.seal(make_pdf(), POSITION)).signatures
    assert sig.level == "B-T" and sig.timestamp is not None


@pytest.mark.parametrize("level", list(SealLevel))
def test_pdfsig_finds_the_seal_valid_and_trusted(
    sealed: dict[SealLevel, bytes], nss_db: str, tmp_path: Path, level: SealLevel
) -> None:
    out = pdfsig(sealed[level], nss_db, tmp_path)
    first = out.split("Signature #2")[0]
    assert "Signature Validation: Signature is Valid." in first, out
    assert "Certificate Validation: Certificate is Trusted." in first, out
    assert "Signature Type: ETSI.CAdES.detached" in first, out
    if level is SealLevel.B_LTA:
        assert "Signature #2" in out  # the document timestamp
    else:
        assert "Total document signed" in first


@pytest.mark.parametrize("level", [SealLevel.B_T, SealLevel.B_LTA])
def test_pdfsig_extracts_a_signature_carrying_an_rfc3161_timestamp(
    sealed: dict[SealLevel, bytes], nss_db: str, tmp_path: Path, level: SealLevel
) -> None:
    """poppler 22 prints no timestamp line: dump the signature pdfsig found and read its token."""
    pdfsig(sealed[level], nss_db, tmp_path, "-dump")
    dumped = tmp_path / "document.pdf.sig0"
    assert dumped.exists()
    signer = cms.ContentInfo.load(dumped.read_bytes())["content"]["signer_infos"][0]
    tokens = [a for a in signer["unsigned_attrs"] if a["type"].dotted == TIMESTAMP_TOKEN_OID]
    assert len(tokens) == 1
    info = tokens[0]["values"][0]["content"]["encap_content_info"]["content"].parsed
    assert info["gen_time"].native is not None


def test_b_lta_embeds_revocation_data_under_a_document_timestamp_covering_the_file(
    sealed: dict[SealLevel, bytes],
) -> None:
    pdf = sealed[SealLevel.B_LTA]
    assert b"/DSS" in pdf and b"/CRLs" in pdf
    assert b"/DocTimeStamp" in pdf and b"/ETSI.RFC3161" in pdf
    *_, last = re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf)
    _, _, c, d = (int(x) for x in last.groups())
    assert c + d == len(pdf)  # no unsigned update after the archive timestamp


@pytest.mark.parametrize("level", [SealLevel.B_T, SealLevel.B_LTA])
def test_every_sampled_byte_of_a_timestamped_seal_is_covered(
    sealed: dict[SealLevel, bytes], verifier: SignatureVerifier, level: SealLevel
) -> None:
    pdf = sealed[level]
    for pos in range(3, len(pdf), max(1, len(pdf) // 120)):
        data = bytearray(pdf)
        data[pos] ^= 0x01
        report = verifier.verify(bytes(data))
        assert report.modified_after_signing and not report.valid, (pos, report)


def test_a_changed_byte_is_reported_by_pdfsig_and_by_us(
    sealed: dict[SealLevel, bytes], verifier: SignatureVerifier, nss_db: str, tmp_path: Path
) -> None:
    pdf = bytearray(sealed[SealLevel.B_T])
    m = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", bytes(pdf))
    assert m is not None
    pdf[int(m.group(1)) // 2] ^= 0x01  # inside the first signed range
    report = verifier.verify(bytes(pdf))
    assert report.modified_after_signing and not report.valid
    out = pdfsig(bytes(pdf), nss_db, tmp_path)
    assert "Signature is Valid" not in out, out


def test_worker_then_employer_contract_keeps_both_signatures_valid(
    sealer: SealingService, verifier: SignatureVerifier, pki: DevPki, nss_db: str, tmp_path: Path
) -> None:
    worker = pki.issue_user_certificate("worker-42", "王小明", "110101199001011234")
    employer = pki.issue_user_certificate("employer-7", "李经理")
    contract = make_pdf(1, "Labour contract")
    signed = sealer.sign_as(
        worker,
        contract,
        "Worker",
        certify=True,
        position=SealPosition(0, 72, 100, size=160),
        later_fields={"Employer": SealPosition(0, 340, 100, size=160)},
    )
    signed = sealer.sign_as(employer, signed, "Employer")
    report = verifier.verify(signed)
    assert report.valid, report
    assert [(s.signer, s.certified, s.level) for s in report.signatures] == [
        ("王小明", True, "B-T"),
        ("李经理", False, "B-T"),
    ]
    out = pdfsig(signed, nss_db, tmp_path)
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out


@pytest.mark.parametrize("level", list(SealLevel))
def test_a_sealed_archival_copy_stays_pdfa_2b_at_every_level(
    sealer: SealingService, verifier: SignatureVerifier, level: SealLevel
) -> None:
    """The seal's revision leaves Info and XMP agreeing (pyHanko alone makes their Producer differ),
    and so does the B-LTA document timestamp pyHanko writes itself."""
    award = render("award_document", sample("award_document"))
    assert check_pdfa(award.pdf).ok
    sealed = sealer.seal(award.pdf, award.seal_position, level)
    report = check_pdfa(sealed)
    assert report.ok, report.problems
    assert verifier.verify(sealed).valid


def test_a_contract_signed_by_both_parties_stays_pdfa_2b(
    sealer: SealingService, verifier: SignatureVerifier, pki: DevPki
) -> None:
    worker = pki.issue_user_certificate("worker-43", "王小红", "110101199001011234")
    employer = pki.issue_user_certificate("employer-8", "李经理")
    contract = render("award_document", sample("award_document")).pdf
    signed = sealer.sign_as(
        worker, contract, "Worker", certify=True, position=SealPosition(0, 72, 100, size=160),
        later_fields={"Employer": SealPosition(0, 340, 100, size=160)},
    )  # fmt: skip
    signed = sealer.sign_as(employer, signed, "Employer")
    assert check_pdfa(signed).ok, check_pdfa(signed).problems
    assert verifier.verify(signed).valid


def test_an_archival_copy_raises_a_b_t_seal_to_b_lta_and_can_be_renewed(
    sealed: dict[SealLevel, bytes], sealer: SealingService, verifier: SignatureVerifier, pki: DevPki
) -> None:
    original = sealed[SealLevel.B_T]
    copy = sealer.archival_copy(original)
    assert copy.startswith(original)  # one incremental update
    report = verifier.verify(copy)
    assert report.valid and [s.level for s in report.signatures] == ["B-LTA"], report
    assert b"/DSS" in copy and b"/CRLs" in copy and copy.count(b"/DocTimeStamp") == 1
    tsa_end = pki.tsa_credentials().certificate.not_valid_after
    assert sealer.archive_expiry(copy) == tsa_end  # renew before the archive timestamp's TSA certificate ends
    renewed = sealer.archival_copy(copy)  # a further archive timestamp before the last one expires
    assert renewed.startswith(copy) and renewed.count(b"/DocTimeStamp") == 2
    assert verifier.verify(renewed).valid
    assert sealer.archive_expiry(renewed) == tsa_end  # the same dev TSA: its certificate ends the same day
    with pytest.raises(DocumentRejectedError, match="no archive timestamp"):
        sealer.archive_expiry(original)  # B-T: signature timestamps only, no archive timestamp


def test_an_archival_copy_needs_a_signed_pdf_and_trust_settings(
    sealer: SealingService, pki: DevPki, authority: TimestampAuthority
) -> None:
    with pytest.raises(DocumentRejectedError, match="no signature"):
        sealer.archival_copy(make_pdf())
    untrusting = SealingService.from_credentials(pki.seal_credentials(), timestamper_url=authority.url)
    with pytest.raises(SealingError, match="trust settings"):
        untrusting.archival_copy(sealer.seal(make_pdf(), POSITION, SealLevel.B_T))
    untrusting.close()


def test_a_revoked_user_certificate_is_reported_revoked(
    sealer: SealingService, verifier: SignatureVerifier, pki: DevPki, nss_db: str, tmp_path: Path
) -> None:
    signer = pki.issue_user_certificate("leaver-1", "赵离职")
    signed = sealer.sign_as(signer, make_pdf(1, "Statement"), "Statement")
    assert verifier.verify(signed).valid
    pki.revoke(signer.serial_number, "key_compromise")
    report = verifier.verify(signed)
    (sig,) = report.signatures
    assert sig.revoked is True and not sig.trusted and not report.valid
    assert any("吊销" in p for p in sig.problems)
    assert "Certificate has been Revoked." in pdfsig(signed, nss_db, tmp_path)  # via our OCSP responder


def test_sealing_from_several_threads_at_once(sealer: SealingService, verifier: SignatureVerifier) -> None:
    pdf = make_pdf()
    results: list[bytes] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                results.append(sealer.seal(pdf, POSITION, SealLevel.B_T))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 12 and all(verifier.verify(r).valid for r in results)


def test_close_ends_the_event_loops_of_every_thread_that_sealed(
    pki: DevPki, authority: TimestampAuthority, trust: TrustSettings
) -> None:
    service = SealingService.from_credentials(
        pki.seal_credentials(), design=SealDesign(AGENCY, "3201000012345", "仲裁专用章"),
        timestamper_url=authority.url, trust=trust,
    )  # fmt: skip
    pdf = make_pdf()
    threads = [threading.Thread(target=service.seal, args=(pdf, POSITION, SealLevel.B_T)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    service.seal(pdf, POSITION, SealLevel.B_T)  # and the closing thread's own
    runners = [state.runner for state in service._threads]
    assert len({id(r) for r in runners}) == 4 and None not in runners  # one loop per thread
    service.close()
    assert service._threads == [] and all(r._state.name == "CLOSED" for r in runners)  # type: ignore[union-attr]
