"""A real RFC 3161 time-stamping authority over HTTP, plus the PKI's CRLs, OCSP and CA certificates.

`TimestampSigner` answers TimeStampReq messages with the TSA key loaded once (pyHanko's
`DummyTimeStamper` parses its key on every request, which makes it the bottleneck of B-T
sealing).  `TimestampAuthority` serves it on loopback from a thread (tests, benchmarks, the
embedded default) or as its own process: `python -m signing.tsa --pki DIR --port N` with the
instance secret in `LABORCASE_SECRET_KEY`.

Routes: POST /tsa (application/timestamp-query), GET /crl/<ca>.crl, POST /ocsp and
GET /ocsp/<base64 request>, GET /certs/<ca>.cer, GET /health.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import os
import signal
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from asn1crypto import algos, core, tsp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.timestamps.common_utils import get_nonce
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from workflows.errors import SealingError

from .der import tlv
from .keys import SigningCredentials, signing_certificate_v2_der
from .pki import DevPki
from .revocation import OcspResponder

# The dev TSA's policy: an OID under 2.25 (UUID-based, ITU-T X.667), so it collides with nobody.
DEV_TSA_POLICY = "2.25.204180398232340658474104183331585432116"
ACCEPTED_DIGESTS = frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"})
MAX_REQUEST_BYTES = 64 * 1024


class TimestampSigner(DummyTimeStamper):
    """Answers TimeStampReq messages with a key parsed once; one instance serves every request.

    The answer is written as DER directly (`_granted`): the parts that never change (the TSA's
    name, certificates, signer identifier, signing-certificate attribute) are encoded once, and
    a request only adds its imprint, nonce, serial number and time.  asn1crypto took 1.3 ms to
    assemble and re-encode each answer, most of a B-T seal's wait for its timestamp; this takes
    a tenth of that besides the RSA signature.  As a pyHanko `TimeStamper` (in-process use) it
    hands out the same answer, parsed.
    """

    def __init__(
        self,
        credentials: SigningCredentials,
        *,
        policy: str = DEV_TSA_POLICY,
        accuracy_seconds: int = 1,
    ):
        key = credentials.private_key
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SealingError("the TSA key must be RSA")
        super().__init__(
            tsa_cert=credentials.certificate,
            tsa_key=None,  # never parsed: we sign with the loaded self._key
            certs_to_embed=SimpleCertificateStore.from_certs(list(credentials.chain)),
            include_nonce=True,
        )
        self._key = key
        self._policy = policy
        cert = credentials.certificate
        certs = {c.dump() for c in (cert, *credentials.chain)}
        # the constant parts of every answer, as DER
        self._tst_fixed = (
            _oid(policy),
            tlv(0x30, _int(accuracy_seconds)),  # Accuracy { seconds }
            tlv(0xA0, tlv(0xA4, cert.subject.dump())),  # tsa [0] GeneralName: directoryName
        )
        self._certificates = tlv(0xA0, b"".join(sorted(certs)))  # [0] IMPLICIT SET OF, DER order
        self._signer_id = tlv(0x30, cert.issuer.dump() + _int(int(cert.serial_number)))
        self._signing_certificate_attr = signing_certificate_v2_der(cert)

    def respond(self, request_der: bytes) -> bytes:
        """A DER TimeStampResp: granted, or rejected with a reason for malformed requests."""
        try:
            req = tsp.TimeStampReq.load(request_der)
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            policy = req["req_policy"].native
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "malformed TimeStampReq")
        if algorithm not in ACCEPTED_DIGESTS:
            return _rejection("bad_alg", f"unsupported digest {algorithm}")
        if len(digest) != get_pyca_cryptography_hash(algorithm).digest_size:
            return _rejection("bad_data_format", "message imprint length does not match its algorithm")
        if policy is not None and policy != self._policy:
            return _rejection("unaccepted_policy", f"policy {policy} not offered")
        return self._granted(req, algorithm, datetime.now(UTC))

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        algorithm = req["message_imprint"]["hash_algorithm"]["algorithm"].native
        return tsp.TimeStampResp.load(self._granted(req, algorithm, datetime.now(UTC)))

    def _granted(self, req: tsp.TimeStampReq, md_algorithm: str, now: datetime) -> bytes:
        """TimeStampResp { granted, SignedData { TSTInfo, the TSA's chain, one SignerInfo } } (RFC
        3161, RFC 5652), signed over the signed attributes with PKCS#1 v1.5 in `md_algorithm`."""
        policy, accuracy, tsa_name = self._tst_fixed
        nonce = req["nonce"]
        tst_info = tlv(
            0x30,
            _int(1)
            + policy
            + req["message_imprint"].dump()
            + _int(get_nonce())  # serial number: unique (random, 64 bits)
            + tlv(0x18, now.strftime("%Y%m%d%H%M%SZ").encode())  # genTime
            + accuracy
            + (nonce.dump() if nonce.native is not None else b"")
            + tsa_name,
        )
        md = get_pyca_cryptography_hash(md_algorithm)
        h = hashes.Hash(md)
        h.update(tst_info)
        attributes = sorted(  # SET OF: in DER order
            (
                _CONTENT_TYPE_TST_INFO,
                tlv(0x30, _SIGNING_TIME + tlv(0x31, tlv(0x17, now.strftime("%y%m%d%H%M%SZ").encode()))),
                self._signing_certificate_attr,
                tlv(0x30, _MESSAGE_DIGEST + tlv(0x31, tlv(0x04, h.finalize()))),
            )
        )
        signed_attrs = b"".join(attributes)
        signature = self._key.sign(tlv(0x31, signed_attrs), padding.PKCS1v15(), md)
        digest_algorithm = _digest_algorithm(md_algorithm)
        signer_info = tlv(
            0x30,
            _int(1)
            + self._signer_id
            + digest_algorithm
            + tlv(0xA0, signed_attrs)  # [0] IMPLICIT
            + _RSA_PKCS1V15
            + tlv(0x04, signature),
        )
        signed_data = tlv(
            0x30,
            _int(3)
            + tlv(0x31, digest_algorithm)
            + tlv(0x30, _TST_INFO_OID + tlv(0xA0, tlv(0x04, tst_info)))
            + self._certificates
            + tlv(0x31, signer_info),
        )
        token = tlv(0x30, _SIGNED_DATA_OID + tlv(0xA0, signed_data))
        return tlv(0x30, _GRANTED + token)


def _int(n: int) -> bytes:
    """DER INTEGER (two's complement, minimal)."""
    return tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True))


def _oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


@functools.lru_cache(maxsize=8)
def _digest_algorithm(name: str) -> bytes:
    return bytes(algos.DigestAlgorithm({"algorithm": name}).dump())


_GRANTED = tlv(0x30, _int(0))  # PKIStatusInfo { status granted }
_SIGNED_DATA_OID = _oid("1.2.840.113549.1.7.2")
_TST_INFO_OID = _oid("1.2.840.113549.1.9.16.1.4")
_SIGNING_TIME = _oid("1.2.840.113549.1.9.5")
_MESSAGE_DIGEST = _oid("1.2.840.113549.1.9.4")
_CONTENT_TYPE_TST_INFO = tlv(0x30, _oid("1.2.840.113549.1.9.3") + tlv(0x31, _TST_INFO_OID))
_RSA_PKCS1V15 = bytes(algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}).dump())


def _rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {
            "status": tsp.PKIStatus("rejection"),
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        }
    )
    # asn1crypto declares timeStampToken mandatory (RFC 3161 makes it OPTIONAL): encode by hand
    body = status.dump()
    return tlv(0x30, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], authority: TimestampAuthority):
        self.authority = authority
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a sealing service reuses its connection
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_REQUEST_BYTES:
            self._send(413 if length > 0 else 400, "text/plain", b"bad request size\n")
            return None
        return self.rfile.read(length)

    def do_POST(self) -> None:
        authority = self.server.authority
        path = urllib.parse.urlsplit(self.path).path
        if path == "/tsa":
            body = self._body()
            if body is None:
                return
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/timestamp-query":
                self._send(415, "text/plain", b"expected application/timestamp-query\n")
                return
            self._send(200, "application/timestamp-reply", authority.timestamp_signer.respond(body))
        elif path == "/ocsp" and authority.ocsp is not None:
            body = self._body()
            if body is not None:
                self._send(200, "application/ocsp-response", authority.ocsp.respond(body))
        else:
            self._send(404, "text/plain", b"not found\n")

    def do_GET(self) -> None:
        authority = self.server.authority
        path = urllib.parse.urlsplit(self.path).path
        pki = authority.pki
        if path == "/health":
            self._send(200, "text/plain", b"ok\n")
        elif pki is not None and path in ("/crl/root-ca.crl", "/crl/issuing-ca.crl"):
            self._send(200, "application/pkix-crl", pki.crl(path[5:-4]))
        elif pki is not None and path in ("/certs/root-ca.cer", "/certs/issuing-ca.cer"):
            self._send(200, "application/pkix-cert", pki.certificate_der(path[7:-4]))
        elif authority.ocsp is not None and path.startswith("/ocsp/"):
            try:
                request = base64.b64decode(urllib.parse.unquote(path[6:]), validate=False)
            except (binascii.Error, ValueError):
                self._send(400, "text/plain", b"bad OCSP request encoding\n")
                return
            self._send(200, "application/ocsp-response", authority.ocsp.respond(request))
        else:
            self._send(404, "text/plain", b"not found\n")


class TimestampAuthority:
    """The loopback TSA (and CRL/OCSP endpoints when given the PKI): `start()` returns its URL."""

    def __init__(
        self,
        credentials: SigningCredentials,
        *,
        pki: DevPki | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        policy: str = DEV_TSA_POLICY,
    ):
        self.timestamp_signer = TimestampSigner(credentials, policy=policy)
        self.pki = pki
        self.ocsp = OcspResponder(pki) if pki is not None else None
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_pki(cls, pki: DevPki, *, host: str = "127.0.0.1", port: int = 0) -> TimestampAuthority:
        """The dev PKI's TSA, serving the PKI's CRLs and OCSP too (use the port of its base_url)."""
        return cls(pki.tsa_credentials(), pki=pki, host=host, port=port)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the timestamp authority is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """Where RFC 3161 requests go."""
        return self.base_url + "/tsa"

    def start(self) -> str:
        """Listen on loopback in a background thread; returns the TSA URL.  Idempotent."""
        if self._server is None:
            try:
                self._server = _Server((self.host, self.port), self)
            except OSError as e:
                raise SealingError(
                    f"cannot start the timestamp authority on {self.host}:{self.port}: {e}"
                ) from e
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="tsa", daemon=True
            )
            self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serve in the calling thread (the `python -m signing.tsa` process)."""
        self.start()
        assert self._thread is not None
        self._thread.join()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> TimestampAuthority:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Laborcase dev TSA + CRL/OCSP server (loopback)")
    parser.add_argument("--pki", required=True, help="folder of the dev PKI")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--secret-env", default="LABORCASE_SECRET_KEY", help="variable holding the instance secret"
    )
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env)
    if not secret:
        parser.error(f"set {args.secret_env} to the instance secret")
    pki = DevPki.open(args.pki, secret)
    authority = TimestampAuthority.for_pki(pki, host=args.host, port=args.port)
    authority.start()
    print(authority.url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: authority.stop())
    try:
        authority.serve_forever()
    except KeyboardInterrupt:
        authority.stop()


__all__ = ["DEV_TSA_POLICY", "TimestampAuthority", "TimestampSigner", "main"]

if __name__ == "__main__":
    main()
