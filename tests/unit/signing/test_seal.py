"""Sealing and personal signatures (B-B here; B-T and B-LTA need the TSA: tests/integration/signing)."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.keys import LoadedKeySigner
from signing.pki import DevPki
from signing.seal import SealingService
from signing.trust import TrustSettings
from signing.verify import SignatureVerifier
from workflows.errors import DocumentRejectedError, SealingError
from workflows.ports import SealLevel, SealPosition

from .conftest import AGENCY, make_pdf


def _widgets(pdf: bytes) -> dict[str, tuple[int, list[float]]]:
    """Signature field name -> (page index, rectangle)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    found = {}
    for index, page_ref in enumerate(reader.root["/Pages"]["/Kids"]):
        page = page_ref.get_object()
        annots = page.get("/Annots")
        for annot in annots.get_object() if annots is not None else []:
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig":
                found[str(annot["/T"])] = (index, [float(v) for v in annot["/Rect"]])
    return found


def test_a_b_b_seal_is_valid_and_names_the_agency(
    sealer: SealingService, verifier: SignatureVerifier, plain_pdf: bytes
) -> None:
    sealed = sealer.seal(plain_pdf, None, SealLevel.B_B)
    report = verifier.verify(sealed)
    assert report.valid, report
    (sig,) = report.signatures
    assert (sig.signer, sig.organisation, sig.level) == (AGENCY, AGENCY, "B-B")
    assert sig.intact and sig.trusted and sig.covers_whole_document and sig.revoked is False
    assert sig.timestamp is None


def test_the_visible_seal_sits_in_the_box_given_on_the_page_given(
    sealer: SealingService, verifier: SignatureVerifier, plain_pdf: bytes
) -> None:
    sealed = sealer.seal(plain_pdf, SealPosition(page=1, x=380, y=120, size=119), SealLevel.B_B)
    assert _widgets(sealed) == {"AgencySeal1": (1, [380.0, 120.0, 499.0, 239.0])}
    assert verifier.verify(sealed).valid


def test_sealing_twice_adds_a_second_field_and_keeps_both_valid(
    sealer: SealingService, verifier: SignatureVerifier, plain_pdf: bytes
) -> None:
    once = sealer.seal(plain_pdf, SealPosition(0, 380, 120), SealLevel.B_B)
    twice = sealer.seal(once, SealPosition(1, 380, 120), SealLevel.B_B)
    report = verifier.verify(twice)
    assert [s.field_name for s in report.signatures] == ["AgencySeal1", "AgencySeal2"]
    assert report.valid and not report.modified_after_signing


def test_signature_space_is_reserved_so_each_seal_signs_once(
    sealer: SealingService, plain_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without bytes_reserved pyHanko signs a dummy first to measure it: half the throughput."""
    calls = []
    original = LoadedKeySigner.sign_raw

    def counting(self: LoadedKeySigner, data: bytes, digest_algorithm: str) -> bytes:
        calls.append(digest_algorithm)
        return original(self, data, digest_algorithm)

    monkeypatch.setattr(LoadedKeySigner, "sign_raw", counting)
    for _ in range(3):
        sealer.seal(plain_pdf, None, SealLevel.B_B)
    assert len(calls) == 3


def test_the_seal_key_is_not_parsed_again_for_each_seal(
    sealer: SealingService, plain_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealer.seal(plain_pdf, None, SealLevel.B_B)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("private key parsed during sealing")

    monkeypatch.setattr(serialization, "load_der_private_key", forbidden)
    monkeypatch.setattr(serialization, "load_pem_private_key", forbidden)
    sealer.seal(plain_pdf, SealPosition(0, 100, 100), SealLevel.B_B)


def test_timestamped_levels_need_a_timestamp_authority(sealer: SealingService, plain_pdf: bytes) -> None:
    with pytest.raises(SealingError, match="timestamp authority"):
        sealer.seal(plain_pdf, None, SealLevel.B_T)


def test_b_lta_needs_trust_settings(pki: DevPki, plain_pdf: bytes) -> None:
    service = SealingService.from_credentials(
        pki.seal_credentials(), timestamper_url="http://127.0.0.1:9/tsa"
    )
    with pytest.raises(SealingError, match="trust"):
        service.seal(plain_pdf, None, SealLevel.B_LTA)
    service.close()


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world", b"%PDF-1.7\n" + b"\x00garbage" * 50],
    ids=["empty", "not-a-pdf", "corrupt"],
)
def test_bad_input_cannot_be_sealed(sealer: SealingService, data: bytes) -> None:
    with pytest.raises(DocumentRejectedError):
        sealer.seal(data, None, SealLevel.B_B)


def test_worker_certifies_then_employer_signs_and_both_signatures_stay_valid(
    sealer: SealingService, verifier: SignatureVerifier, pki: DevPki
) -> None:
    contract = make_pdf(title="Labour contract")
    worker = pki.issue_user_certificate("unit-worker", "王小明", "110101199001011234")
    employer = pki.issue_user_certificate("unit-employer", "李经理")
    signed = sealer.sign_as(
        worker,
        contract,
        "Worker",
        certify=True,
        level=SealLevel.B_B,
        position=SealPosition(0, 72, 80, size=150),
        later_fields={"Employer": SealPosition(0, 320, 80, size=150)},
    )
    signed = sealer.sign_as(employer, signed, "Employer", level=SealLevel.B_B)
    report = verifier.verify(signed)
    assert report.valid, report
    first, second = report.signatures
    assert (first.signer, first.certified, first.covers_whole_document) == ("王小明", True, True)
    assert (second.signer, second.certified) == ("李经理", False)
    assert _widgets(signed)["Employer"] == (0, [320.0, 80.0, 470.0, 140.0])


def test_a_seal_fills_the_field_the_certifying_signer_reserved_for_it(
    sealer: SealingService, verifier: SignatureVerifier, pki: DevPki
) -> None:
    worker = pki.issue_user_certificate("unit-worker", "王小明", "110101199001011234")
    signed = sealer.sign_as(
        worker,
        make_pdf(title="Mediation agreement"),
        "Worker",
        certify=True,
        level=SealLevel.B_B,
        later_fields={"AgencySeal1": SealPosition(0, 400, 100, size=119)},
    )
    sealed = sealer.seal(signed, SealPosition(0, 10, 10), SealLevel.B_B)  # the reserved box wins
    assert _widgets(sealed)["AgencySeal1"] == (0, [400.0, 100.0, 519.0, 219.0])
    report = verifier.verify(sealed)
    assert report.valid, report
    assert [s.field_name for s in report.signatures] == ["Worker", "AgencySeal1"]


def test_only_the_first_signature_may_certify(sealer: SealingService, pki: DevPki) -> None:
    worker = pki.issue_user_certificate("unit-worker", "王小明", "110101199001011234")
    once = sealer.sign_as(worker, make_pdf(), "Worker", certify=True, level=SealLevel.B_B)
    with pytest.raises(SealingError, match="first signature"):
        sealer.sign_as(worker, once, "Again", certify=True, level=SealLevel.B_B)
    with pytest.raises(SealingError, match="already has a field"):
        sealer.sign_as(worker, once, "Worker", level=SealLevel.B_B)


def test_content_added_after_a_certifying_signature_is_detected(
    sealer: SealingService, verifier: SignatureVerifier, pki: DevPki
) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    worker = pki.issue_user_certificate("unit-worker", "王小明", "110101199001011234")
    signed = sealer.sign_as(worker, make_pdf(), "Worker", certify=True, level=SealLevel.B_B)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    stream = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 600 Td (PAID) Tj ET"))
    writer.add_stream_to_page(0, stream)
    out = io.BytesIO()
    writer.write(out)
    report = verifier.verify(out.getvalue())
    assert report.modified_after_signing and not report.valid
    assert not report.signatures[0].covers_whole_document


def test_the_trust_settings_of_another_pki_do_not_trust_our_seal(
    sealer: SealingService, plain_pdf: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stranger = DevPki.open(tmp_path_factory.mktemp("stranger"), "other-secret")
    report = SignatureVerifier(TrustSettings.for_pki(stranger)).verify(
        sealer.seal(plain_pdf, None, SealLevel.B_B)
    )
    (sig,) = report.signatures
    assert sig.intact and not sig.trusted and not report.valid
