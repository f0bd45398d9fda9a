"""Signatures checked straight on the file's bytes, independent of the PDF structure.

pyHanko validates signatures through the parsed document; when a changed byte breaks the structure
(a cross-reference offset, a keyword), the document can no longer be parsed, yet it must still be
reported as modified.  This scan finds every `/ByteRange [a b c d]`, recomputes the digest of the
ranges and compares it with the one the signature (or document timestamp) commits to, and checks
that nothing but zero padding follows the signature container in `/Contents`.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_CONTENTS_HEX = re.compile(rb"/Contents\s*<\s*(30[0-9A-Fa-f]{6})")
DATA = "1.2.840.113549.1.7.1"
TST_INFO = "1.2.840.113549.1.9.16.1.4"
_DIGESTS = {"sha256", "sha384", "sha512", "sha1", "sha224", "sha3_256", "sha3_384", "sha3_512"}


@dataclass(frozen=True)
class RawSignature:
    """One signature found in the bytes: its ranges and whether they still match what was signed."""

    byte_range: tuple[int, int, int, int]
    digest_matches: bool | None  # None: the container could not be read
    problems: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return self.digest_matches is True and not self.problems

    @property
    def end(self) -> int:
        _, _, c, d = self.byte_range
        return c + d


def scan(
    pdf: bytes, known_certificates: Sequence[asn1_x509.Certificate] = (), *, containers: bool = True
) -> list[RawSignature]:
    """Every signature in `pdf` (byte ranges in file order), each checked on its own.

    `known_certificates` (trust roots, intermediates) help check the certificates embedded in
    signature containers, which no signature covers.  `containers=False` skips that check of the
    unsigned parts of each container (DER shape, embedded certificates, unsigned attributes) —
    for containers this system made moments ago, never for a file from outside.
    """
    issuers: list[x509.Certificate] = []
    if containers:
        known = [_load_cert(c.dump()) for c in known_certificates]
        issuers = [c for c in known if c is not None]
    found: list[RawSignature] = []
    covered_holes: list[tuple[int, int]] = []
    for m in _BYTE_RANGE.finditer(pdf):
        a, b, c, d = (int(x) for x in m.groups())
        found.append(_check(pdf, (a, b, c, d), issuers, containers))
        covered_holes.append((a + b, c))
    # a signature container whose /ByteRange is gone (its keyword or numbers damaged)
    for m in _CONTENTS_HEX.finditer(pdf):
        start = m.start(1) - 1
        if not any(lo <= start < hi for lo, hi in covered_holes):
            problem = "签名字节范围缺失或损坏 / a signature's byte range is missing"
            found.append(RawSignature((0, 0, 0, 0), None, (problem,)))
    return found


def _check(
    pdf: bytes, byte_range: tuple[int, int, int, int], issuers: list[x509.Certificate], containers: bool
) -> RawSignature:
    a, b, c, d = byte_range
    problems: list[str] = []
    if a != 0 or b <= 0 or c <= a + b or c + d > len(pdf) or d < 0:
        return RawSignature(byte_range, None, ("签名字节范围无效 / the signature's byte range is invalid",))
    hole = pdf[a + b : c]
    if len(hole) < 2 or hole[:1] != b"<" or hole[-1:] != b">":
        return RawSignature(byte_range, None, ("签名内容位置被改动 / the signature container was moved",))
    try:
        raw = binascii.unhexlify(hole[1:-1].strip())
    except (binascii.Error, ValueError):
        return RawSignature(byte_range, False, ("签名内容被改动 / the signature container was altered",))
    try:
        info = cms.ContentInfo.load(raw, strict=False)
        der_length = len(info.dump())
        signed_data = info["content"]
        signer = signed_data["signer_infos"][0]
        algorithm = signer["digest_algorithm"]["algorithm"].native
        if raw[der_length:].strip(b"\x00"):
            problems.append("签名内容的填充被改动 / bytes after the signature container were altered")
        if containers:
            if not _well_formed(raw[:der_length]):
                problems.append("签名容器被改动 / the signature container was altered")
            problems.extend(_container_problems(signed_data, signer, issuers))
        content_type = signed_data["encap_content_info"]["content_type"].dotted
        if content_type == TST_INFO:  # a document timestamp: the imprint covers the ranges
            tst = tsp.TSTInfo.load(signed_data["encap_content_info"]["content"].contents)
            imprint = tst["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            expected = imprint["hashed_message"].native
        else:
            expected = None
            for attr in signer["signed_attrs"]:
                if attr["type"].native == "message_digest":
                    expected = attr["values"][0].native
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return RawSignature(byte_range, None, ("签名内容无法解析 / the signature container cannot be read",))
    if algorithm not in _DIGESTS or expected is None:
        return RawSignature(byte_range, None, (*problems, f"unsupported digest {algorithm}"))
    h = hashlib.new(algorithm.replace("_", "-") if algorithm.startswith("sha3") else algorithm)
    h.update(memoryview(pdf)[a : a + b])
    h.update(memoryview(pdf)[c : c + d])
    return RawSignature(byte_range, h.digest() == expected, tuple(problems))


# Unsigned attributes a PAdES signature may carry: the signature timestamp, CAdES archive
# timestamps and their hash index, and the ISO 32004 MAC token.
_UNSIGNED_ALLOWED = {
    "1.2.840.113549.1.9.16.2.14",
    "0.4.0.1733.2.4",
    "0.4.0.19122.1.5",
    "1.0.32004.1.2",
}


def _container_problems(
    signed_data: cms.SignedData, signer: cms.SignerInfo, issuers: list[x509.Certificate], depth: int = 0
) -> list[str]:
    """Parts of a CMS container no signature covers, checked for tampering.

    The embedded certificates must each carry a valid signature of an issuer we can find (in the
    container or among the known certificates), and the unsigned attributes must be of known types
    (a damaged timestamp attribute would otherwise silently turn B-T into B-B).
    """
    problems: list[str] = []
    altered = "签名容器被改动 / the signature container was altered"
    try:
        _parse_all(signed_data)  # every part, including those no validator reads
    except Exception:
        return [altered]
    expected_content = TST_INFO if depth else None
    content_type = signed_data["encap_content_info"]["content_type"].dotted
    signer_digest = signer["digest_algorithm"]
    if (
        signed_data["version"].native not in ("v1", "v3", "v4", "v5")
        or signer["version"].native not in ("v1", "v3")
        or (expected_content is not None and content_type != expected_content)
        or (expected_content is None and content_type not in (DATA, TST_INFO))
        or signer_digest["algorithm"].native
        not in {a["algorithm"].native for a in signed_data["digest_algorithms"]}
        or any(a["parameters"].native is not None for a in (signer_digest, *signed_data["digest_algorithms"]))
    ):
        return [altered]
    bag: list[x509.Certificate] = []
    for choice in signed_data["certificates"] or ():
        cert = _load_cert(choice.chosen.dump()) if choice.name == "certificate" else None
        if cert is None:
            return ["签名中嵌入的证书被改动 / a certificate embedded in the signature was altered"]
        bag.append(cert)
    candidates = bag + issuers
    for cert in bag:
        key_id = _authority_key_id(cert)
        possible = [i for i in candidates if i.subject == cert.issuer or (key_id and _key_id(i) == key_id)]
        if not possible:
            continue  # issuer unknown: path validation decides about this one
        if not any(_issued_by(cert, i) for i in possible):
            problems.append("签名中嵌入的证书被改动 / a certificate embedded in the signature was altered")
            break
    for attr in signer["unsigned_attrs"] or ():
        oid = attr["type"].dotted
        if oid not in _UNSIGNED_ALLOWED:
            problems.append(
                f"签名容器含有无法识别的数据 / the signature container holds unknown data ({oid})"
            )
        elif oid == "1.2.840.113549.1.9.16.2.14" and depth == 0:
            for token in attr["values"]:
                tst_data = token["content"]
                tst_signer = tst_data["signer_infos"][0]
                problems.extend(_container_problems(tst_data, tst_signer, issuers, depth + 1))
    return problems


# Tags of the top-level parts, in order (RFC 5652): what a changed tag or length would disturb.
_SHAPES = {
    "content_info": re.compile(rb"\x06\xa0"),
    "signed_data": re.compile(rb"\x02\x31\x30(\xa0)?(\xa1)?\x31"),
    "signer_info": re.compile(rb"\x02[\x30\x80]\x30(\xa0)?\x30\x04(\xa1)?"),
}


def _well_formed(der: bytes) -> bool:
    """Definite lengths that add up exactly, and the expected parts of ContentInfo/SignedData/SignerInfo."""
    top = _children(der, 0, len(der))
    if top is None or len(top) != 1 or top[0][0] != 0x30:
        return False
    stack = [top[0]]
    while stack:
        tag, start, end = stack.pop()
        if tag & 0x20:  # constructed: its contents must be whole elements, nothing more
            parts = _children(der, start, end)
            if parts is None:
                return False
            stack.extend(parts)
    info = _children(der, top[0][1], top[0][2])
    if info is None or not _SHAPES["content_info"].fullmatch(bytes(t for t, _, _ in info)):
        return False
    wrapped = _children(der, info[1][1], info[1][2])  # [0] EXPLICIT SignedData
    if wrapped is None or len(wrapped) != 1:
        return False
    signed = _children(der, wrapped[0][1], wrapped[0][2])
    if signed is None or not _SHAPES["signed_data"].fullmatch(bytes(t for t, _, _ in signed)):
        return False
    signers = _children(der, signed[-1][1], signed[-1][2])
    for _, start, end in signers or ():
        parts = _children(der, start, end)
        if parts is None or not _SHAPES["signer_info"].fullmatch(bytes(t for t, _, _ in parts)):
            return False
    return True


def _children(der: bytes, start: int, end: int) -> list[tuple[int, int, int]] | None:
    """(tag, contents start, contents end) of each element in der[start:end]; None if they do not fit."""
    found = []
    i = start
    while i < end:
        tag = der[i]
        if tag & 0x1F == 0x1F:
            return None  # high tag numbers do not occur in these structures
        if i + 1 >= end:
            return None
        first = der[i + 1]
        if first == 0x80:
            return None  # indefinite length: not DER
        if first & 0x80:
            n = first & 0x7F
            if n == 0 or n > 4 or i + 2 + n > end:
                return None
            length = int.from_bytes(der[i + 2 : i + 2 + n], "big")
            body = i + 2 + n
        else:
            length, body = first, i + 2
        if body + length > end:
            return None
        found.append((tag, body, body + length))
        i = body + length
    return found


def _parse_all(value: core.Asn1Value) -> None:
    """Parse a structure to its leaves (certificates excepted: they are checked on their own)."""
    if isinstance(value, asn1_x509.Certificate | core.Void):
        return
    if isinstance(value, core.Choice):
        _parse_all(value.chosen)
    elif isinstance(value, core.Sequence):
        for name, _, _ in value._fields:
            _parse_all(value[name])
    elif isinstance(value, core.SequenceOf):
        for item in value:
            _parse_all(item)
    elif isinstance(value, core.ParsableOctetString):
        if value.parsed is not None:
            _parse_all(value.parsed)
    elif isinstance(value, core.Any):
        _parse_all(value.parsed)
    else:
        value.native  # noqa: B018


def _load_cert(der: bytes) -> x509.Certificate | None:
    if not _certificate_well_formed(der):
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.extensions  # noqa: B018  (duplicate or malformed extensions raise here)
        return cert
    except Exception:  # ValueError, InvalidVersion, DuplicateExtension, ...
        return None


def _certificate_well_formed(der: bytes) -> bool:
    """The parts outside a certificate's own signature: algorithm repeated exactly, no stray bits.

    Parsers shrug at a changed "unused bits" count of the signature or a changed outer algorithm
    identifier; RFC 5280 requires the outer algorithm to equal the one inside tbsCertificate.
    """
    top = _children(der, 0, len(der))
    if top is None or len(top) != 1 or top[0][0] != 0x30:
        return False
    parts = _children(der, top[0][1], top[0][2])
    if parts is None or [t for t, _, _ in parts] != [0x30, 0x30, 0x03]:
        return False
    (_, tbs_start, tbs_end), (_, alg_start, alg_end), (_, sig_start, sig_end) = parts
    if sig_end <= sig_start or der[sig_start] != 0:
        return False
    tbs = _children(der, tbs_start, tbs_end)
    if tbs is None or len(tbs) < 3:
        return False
    inner = tbs[2] if tbs[0][0] == 0xA0 else tbs[1]  # [0] version, serialNumber, signature
    return der[inner[1] : inner[2]] == der[alg_start:alg_end]


def _authority_key_id(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except (x509.ExtensionNotFound, ValueError):
        return None


def _key_id(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:  # InvalidSignature, ValueError, TypeError, unsupported algorithms
        return False
