"""The TSA and OCSP responders answer correctly without HTTP (the HTTP layer is in integration)."""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import algos, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp

from signing.pki import DevPki
from signing.revocation import OcspResponder
from signing.tsa import DEV_TSA_POLICY, TimestampSigner


@pytest.fixture(scope="module")
def tsa(pki: DevPki) -> TimestampSigner:
    return TimestampSigner(pki.tsa_credentials())


def _request(digest: bytes, algorithm: str = "sha256", nonce: int = 42) -> bytes:
    req = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint(
                {"hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}), "hashed_message": digest}
            ),
            "nonce": core.Integer(nonce),
            "cert_req": True,
        }
    )
    return bytes(req.dump())


def test_a_timestamp_request_is_granted_with_imprint_nonce_and_policy(tsa: TimestampSigner) -> None:
    digest = hashlib.sha256(b"document").digest()
    resp = tsp.TimeStampResp.load(tsa.respond(_request(digest, nonce=4711)))
    assert resp["status"]["status"].native == "granted"
    info = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 4711
    assert info["policy"].dotted == DEV_TSA_POLICY
    assert info["accuracy"]["seconds"].native == 1


@pytest.mark.parametrize(
    ("request_der", "fail_info"),
    [
        (b"not asn.1 at all", "bad_data_format"),
        (_request(hashlib.md5(b"x").digest(), "md5"), "bad_alg"),
        (_request(b"short", "sha256"), "bad_data_format"),
    ],
)
def test_bad_timestamp_requests_are_rejected_with_a_reason(
    tsa: TimestampSigner, request_der: bytes, fail_info: str
) -> None:
    # a rejection carries no token: read only the status (asn1crypto wants the token)
    answer = core.Sequence.load(tsa.respond(request_der))
    status = tsp.PKIStatusInfo.load(answer[0].dump())
    assert status["status"].native == "rejection"
    assert fail_info in status["fail_info"].native


def _ocsp_request(pki: DevPki, serial_cert: x509.Certificate) -> bytes:
    issuer = x509.load_der_x509_certificate(pki.issuing_certificate.dump())
    req = ocsp.OCSPRequestBuilder().add_certificate(serial_cert, issuer, hashes.SHA1()).build()
    return req.public_bytes(serialization.Encoding.DER)


def test_ocsp_answers_good_then_revoked(pki: DevPki) -> None:
    responder = OcspResponder(pki)
    cred = pki.issue_user_certificate("ocsp-user", "赵六")
    cert = x509.load_der_x509_certificate(cred.certificate.dump())
    good = ocsp.load_der_ocsp_response(responder.respond(_ocsp_request(pki, cert)))
    assert good.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert good.certificate_status == ocsp.OCSPCertStatus.GOOD
    pki.revoke(cred.serial_number)
    revoked = ocsp.load_der_ocsp_response(responder.respond(_ocsp_request(pki, cert)))
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED


def test_ocsp_refuses_malformed_requests_and_foreign_issuers(pki: DevPki) -> None:
    responder = OcspResponder(pki)
    bad = ocsp.load_der_ocsp_response(responder.respond(b"garbage"))
    assert bad.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    root = x509.load_der_x509_certificate(pki.root_certificate.dump())
    # the root is not issued by the issuing CA: this responder may not speak for it
    foreign = ocsp.OCSPRequestBuilder().add_certificate(root, root, hashes.SHA1()).build()
    answer = ocsp.load_der_ocsp_response(responder.respond(foreign.public_bytes(serialization.Encoding.DER)))
    assert answer.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_a_granted_answer_is_canonical_der_and_its_signature_checks_out(
    tsa: TimestampSigner, pki: DevPki
) -> None:
    """The answer is written by hand: asn1crypto re-encoding it gives the same bytes, and the
    signature, message digest and signing-certificate attribute hold (checked here directly)."""
    der = tsa.respond(_request(hashlib.sha384(b"document").digest(), "sha384", nonce=7))
    resp = tsp.TimeStampResp.load(der)
    assert resp.dump(force=True) == der
    signed_data = resp["time_stamp_token"]["content"]
    [signer] = signed_data["signer_infos"]
    tst_info = signed_data["encap_content_info"]["content"].contents
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs["content_type"].native == "tst_info"
    assert attrs["message_digest"].native == hashlib.sha384(tst_info).digest()
    tsa_cert = pki.tsa_credentials().certificate
    [cert_id] = attrs["signing_certificate_v2"]["certs"]
    assert cert_id["cert_hash"].native == hashlib.sha256(tsa_cert.dump()).digest()
    assert signer["sid"].chosen["serial_number"].native == tsa_cert.serial_number
    embedded = {c.chosen.dump() for c in signed_data["certificates"]}
    assert tsa_cert.dump() in embedded
    public_key = x509.load_der_x509_certificate(tsa_cert.dump()).public_key()
    signed = signer["signed_attrs"].untag().dump(force=True)  # as SET OF, the bytes signed
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(signer["signature"].native, signed, padding.PKCS1v15(), hashes.SHA384())
    info = signed_data["encap_content_info"]["content"].parsed
    assert info["tsa"].chosen.native == tsa_cert.subject.native and info["nonce"].native == 7


def test_each_answer_has_its_own_serial_number(tsa: TimestampSigner) -> None:
    serials = set()
    for _ in range(20):
        resp = tsp.TimeStampResp.load(tsa.respond(_request(hashlib.sha256(b"x").digest())))
        serials.add(
            resp["time_stamp_token"]["content"]["encap_content_info"]["content"]
            .parsed["serial_number"]
            .native
        )
    assert len(serials) == 20
