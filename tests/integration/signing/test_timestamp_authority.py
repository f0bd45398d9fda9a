"""Our TSA, CRL and OCSP endpoints spoken to over HTTP, as a sealing service or a validator would."""

from __future__ import annotations

import asyncio
import hashlib
import urllib.error
import urllib.request

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.sign.timestamps import HTTPTimeStamper

from signing.pki import DevPki
from signing.tsa import TimestampAuthority


def _post(url: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_pyhankos_http_client_gets_a_valid_token(authority: TimestampAuthority) -> None:
    digest = hashlib.sha256(b"a sealed award").digest()
    token = asyncio.run(HTTPTimeStamper(authority.url).async_timestamp(digest, "sha256"))
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest


def test_a_request_without_the_timestamp_query_type_is_refused(authority: TimestampAuthority) -> None:
    status, _, _ = _post(authority.url, b"hello", "text/plain")
    assert status == 415


def test_a_garbled_query_gets_a_rejection_not_a_server_error(authority: TimestampAuthority) -> None:
    status, content_type, body = _post(authority.url, b"\x30\x03\x02\x01\x01", "application/timestamp-query")
    assert (status, content_type) == (200, "application/timestamp-reply")
    status_info = tsp.PKIStatusInfo.load(core.Sequence.load(body)[0].dump())
    assert status_info["status"].native == "rejection"


def test_the_crls_are_served_and_list_revocations(authority: TimestampAuthority, pki: DevPki) -> None:
    cred = pki.issue_user_certificate("crl-check", "钱七")
    pki.revoke(cred.serial_number)
    with urllib.request.urlopen(authority.base_url + "/crl/issuing-ca.crl", timeout=10) as response:
        crl = x509.load_der_x509_crl(response.read())
    assert crl.get_revoked_certificate_by_serial_number(cred.serial_number) is not None
    with urllib.request.urlopen(authority.base_url + "/crl/root-ca.crl", timeout=10) as response:
        assert (
            x509.load_der_x509_crl(response.read()).issuer
            == x509.load_der_x509_certificate(pki.root_certificate.dump()).subject
        )


def test_ocsp_over_http_answers_for_our_certificates(authority: TimestampAuthority, pki: DevPki) -> None:
    cred = pki.issue_user_certificate("ocsp-check", "孙八")
    cert = x509.load_der_x509_certificate(cred.certificate.dump())
    issuer = x509.load_der_x509_certificate(pki.issuing_certificate.dump())
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    status, content_type, body = _post(
        authority.base_url + "/ocsp",
        request.public_bytes(serialization.Encoding.DER),
        "application/ocsp-request",
    )
    assert (status, content_type) == (200, "application/ocsp-response")
    assert ocsp.load_der_ocsp_response(body).certificate_status == ocsp.OCSPCertStatus.GOOD


def test_unknown_paths_are_404(authority: TimestampAuthority) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(authority.base_url + "/secrets", timeout=10)
    assert info.value.code == 404
