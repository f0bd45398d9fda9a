"""OCSP answers (RFC 6960) for certificates of the dev PKI, signed by its delegated responder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from .pki import DevPki

OCSP_VALIDITY = timedelta(days=1)


class OcspResponder:
    """Answers OCSP requests about certificates of the issuing CA from the PKI's registry."""

    def __init__(self, pki: DevPki):
        self._pki = pki
        issuing = x509.load_der_x509_certificate(pki.issuing_certificate.dump())
        self._issuer_name_der = issuing.subject.public_bytes()
        self._issuer_key_bits = pki.issuing_certificate.public_key["public_key"].contents[
            1:
        ]  # drop unused-bits
        responder = pki.ocsp_credentials()
        key = responder.private_key
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the OCSP responder key must be RSA")
        self._key = key
        self._cert = x509.load_der_x509_certificate(responder.certificate.dump())

    def _issuer_matches(self, request: ocsp.OCSPRequest) -> bool:
        algo = request.hash_algorithm
        name_hash = hashes.Hash(algo)
        name_hash.update(self._issuer_name_der)
        key_hash = hashes.Hash(algo)
        key_hash.update(self._issuer_key_bits)
        return (
            name_hash.finalize() == request.issuer_name_hash
            and key_hash.finalize() == request.issuer_key_hash
        )

    def respond(self, request_der: bytes) -> bytes:
        """A DER OCSPResponse: good, revoked or unknown; malformed/unauthorized for bad requests."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            request.hash_algorithm  # noqa: B018  (unsupported algorithms raise here)
        except Exception:
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if not self._issuer_matches(request):
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = datetime.now(UTC).replace(microsecond=0)
        record = self._pki.status(request.serial_number)
        revocation_time = None
        reason = None
        if record is None or record.issuer != "issuing-ca":
            status = ocsp.OCSPCertStatus.UNKNOWN
        elif record.revoked_at is not None:
            status = ocsp.OCSPCertStatus.REVOKED
            revocation_time = record.revoked_at
            reason = x509.ReasonFlags[record.reason or "unspecified"]
        else:
            status = ocsp.OCSPCertStatus.GOOD
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=request.issuer_name_hash,
                issuer_key_hash=request.issuer_key_hash,
                serial_number=request.serial_number,
                algorithm=request.hash_algorithm,
                cert_status=status,
                this_update=now - timedelta(seconds=1),
                next_update=now + OCSP_VALIDITY,
                revocation_time=revocation_time,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self._cert)
            .certificates([self._cert])
        )
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce)
            builder = builder.add_extension(nonce.value, critical=False)
        except x509.ExtensionNotFound:
            pass
        return builder.sign(self._key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)
