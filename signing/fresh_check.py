"""A fast check of signatures this system made moments ago, before it relies on them.

Concluding a labour contract needs to know that the two signatures just applied are whole and
timestamped, and who made them — not a second opinion on certificates we issued a second ago.
Full validation (`signing.verify`: trust paths, revocation, modification analysis) costs about
100 ms a document; this check costs a few, and is exact about what it covers:

- every signature's byte ranges still hash to the digest it signed (`signing.byte_ranges`;
  the unsigned parts of containers we just built are not re-examined);
- the signer's signature over its signed attributes verifies with the signer's certificate;
- the signature timestamp token (RFC 3161) is signed by its TSA certificate and its message
  imprint is the hash of that signature value;
- the signer and TSA certificates were issued by certificates we know (our roots and
  intermediates), so `trusted` means "ours", checked by signature, not by path validation.

Anyone else — the public verification page, the archive audit — uses the full `verify`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from workflows.ports import SignatureReport, VerificationReport

from . import byte_ranges

_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_TIMESTAMP_TOKEN = "signature_time_stamp_token"


@dataclass(frozen=True)
class _Signer:
    name: str
    organisation: str | None
    timestamp: datetime | None
    problems: tuple[str, ...]
    trusted: bool


def check_fresh(
    pdf: bytes, field_names: Sequence[str], known_certificates: Sequence[asn1_x509.Certificate]
) -> VerificationReport:
    """The signatures of `pdf`, in file order, named by `field_names` (the order they were made)."""
    known = [c for c in (_cert(k.dump()) for k in known_certificates) if c is not None]
    raw = byte_ranges.scan(pdf, containers=False)
    problems: list[str] = []
    if len(raw) != len(field_names):
        problems.append(f"expected {len(field_names)} signatures, found {len(raw)}")
    reports = []
    for i, (found, name) in enumerate(zip(raw, field_names, strict=False)):
        signer = _signer(pdf, found.byte_range, known)
        last = i == len(raw) - 1
        reports.append(
            SignatureReport(
                field_name=name,
                signer=signer.name,
                organisation=signer.organisation,
                signed_at=signer.timestamp,
                timestamp=signer.timestamp,
                intact=found.intact and not signer.problems,
                covers_whole_document=last and found.end == len(pdf),
                trusted=signer.trusted,
                revoked=None,
                level="B-T" if signer.timestamp is not None else "B-B",
                problems=(*found.problems, *signer.problems),
            )
        )
    valid = (
        not problems
        and bool(reports)
        and all(r.intact and r.trusted and r.timestamp is not None for r in reports)
        and reports[-1].covers_whole_document
    )
    return VerificationReport(
        sha256=hashlib.sha256(pdf).hexdigest(),
        signatures=tuple(reports),
        modified_after_signing=bool(reports) and not reports[-1].covers_whole_document,
        valid=valid,
        problems=tuple(problems),
    )


def _signer(pdf: bytes, byte_range: tuple[int, int, int, int], known: list[x509.Certificate]) -> _Signer:
    a, b, c, _ = byte_range
    try:
        raw = bytes.fromhex(pdf[a + b + 1 : c - 1].decode("ascii").strip())
        signed_data = cms.ContentInfo.load(raw, strict=False)["content"]
        info = signed_data["signer_infos"][0]
        certs = [x.chosen for x in signed_data["certificates"] or () if x.name == "certificate"]
        cert = _signer_cert(info, certs)
    except (ValueError, TypeError, KeyError, IndexError):
        return _Signer("", None, None, ("签名内容无法解析 / the signature container cannot be read",), False)
    if cert is None:
        return _Signer("", None, None, ("找不到签名证书 / the signing certificate is missing",), False)
    problems: list[str] = []
    if not _signature_verifies(info, cert):
        problems.append("签名值无效 / the signature value does not verify")
    subject = cert.subject.native
    timestamp, tsa_trusted = None, True
    for attr in info["unsigned_attrs"] or ():
        if attr["type"].native != _TIMESTAMP_TOKEN:
            continue
        token = attr["values"][0]["content"]
        tst = tsp.TSTInfo.load(token["encap_content_info"]["content"].contents)
        imprint = tst["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if hashlib.new(algorithm, info["signature"].native).digest() != imprint["hashed_message"].native:
            problems.append("时间戳与签名不符 / the timestamp does not cover this signature")
        tsa_info = token["signer_infos"][0]
        tsa_certs = [x.chosen for x in token["certificates"] or () if x.name == "certificate"]
        tsa_cert = _signer_cert(tsa_info, tsa_certs)
        if tsa_cert is None or not _signature_verifies(tsa_info, tsa_cert):
            problems.append("时间戳签名无效 / the timestamp's signature does not verify")
        tsa_trusted = tsa_cert is not None and _issued_by_known(tsa_cert, known)
        timestamp = tst["gen_time"].native
    return _Signer(
        subject.get("common_name", ""),
        subject.get("organization_name"),
        timestamp,
        tuple(problems),
        _issued_by_known(cert, known) and tsa_trusted,
    )


def _signer_cert(info: cms.SignerInfo, certs: list[asn1_x509.Certificate]) -> asn1_x509.Certificate | None:
    sid = info["sid"]
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            # serial, then the issuer's DER: comparing names by RFC 4518 rules costs a millisecond
            issuer = sid.chosen["issuer"]
            if cert.serial_number == sid.chosen["serial_number"].native and (
                cert.issuer.dump() == issuer.dump() or cert.issuer == issuer
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _signature_verifies(info: cms.SignerInfo, cert: asn1_x509.Certificate) -> bool:
    """The signer's signature over its signed attributes (DER, re-tagged as a SET: RFC 5652 §5.4)."""
    digest = info["digest_algorithm"]["algorithm"].native
    algorithm = info["signature_algorithm"]
    if digest not in _HASHES or info["signed_attrs"] is None:
        return False
    tagged = info["signed_attrs"].dump()  # the bytes as received, [0] IMPLICIT
    signed = b"\x31" + tagged[1:]  # re-tagged as the SET OF the signature covers
    signature = info["signature"].native
    key = x509.load_der_x509_certificate(cert.dump()).public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(_HASHES[digest]()))
        elif isinstance(key, rsa.RSAPublicKey):
            if algorithm.signature_algo == "rsassa_pss":
                params = algorithm["parameters"]
                salt = params["salt_length"].native
                key.verify(
                    signature, signed, padding.PSS(padding.MGF1(_HASHES[digest]()), salt), _HASHES[digest]()
                )
            else:
                key.verify(signature, signed, padding.PKCS1v15(), _HASHES[digest]())
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, KeyError):
        return False
    return True


def _issued_by_known(cert: asn1_x509.Certificate, known: list[x509.Certificate]) -> bool:
    loaded = _cert(cert.dump())
    if loaded is None:
        return False
    for issuer in known:
        if issuer.subject == loaded.issuer:
            try:
                loaded.verify_directly_issued_by(issuer)
                return True
            except (InvalidSignature, ValueError, TypeError):
                continue
    return False


def _cert(der: bytes) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None
