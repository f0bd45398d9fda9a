"""Checking the signatures of a PDF: the `Verifier` port, on pyHanko's validation.

Every signature and document timestamp is validated against our trust roots (the dev root plus
configured external roots) with revocation data from our CRLs (and the network when allowed).
Independently, the bytes are scanned (`signing.byte_ranges`), so a changed byte is reported as a
modification even when it breaks the PDF structure.  Bad input — not a PDF, corrupt, encrypted,
unsigned, too large — raises `DocumentRejectedError` with a message in Chinese and English.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
    read_certification_data,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel

from workflows.errors import DocumentRejectedError
from workflows.ports import SignatureReport, VerificationReport

from . import byte_ranges, fresh_check
from .trust import TrustSettings

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
PADES = "/ETSI.CAdES.detached"
ALLOWED_AFTER = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}


@dataclass
class _Timestamp:
    revision: int
    intact: bool
    trusted: bool
    at: datetime | None
    problems: list[str] = field(default_factory=list)


class SignatureVerifier:
    """Validates every signature of a PDF; thread-safe, build one per process."""

    def __init__(self, trust: TrustSettings, *, max_bytes: int = DEFAULT_MAX_BYTES):
        self.trust = trust
        self.max_bytes = max_bytes

    def verify(self, pdf: bytes) -> VerificationReport:
        """A report on every signature, or DocumentRejectedError for input that cannot be checked."""
        self._screen_size(pdf)
        try:
            return self._verify(pdf)
        except DocumentRejectedError:
            raise
        except Exception as e:  # never an unhandled error for a hostile upload
            log.warning("verification failed unexpectedly", exc_info=True)
            raw = _safe_scan(pdf, self.trust)
            if raw:
                return _damaged_report(hashlib.sha256(pdf).hexdigest(), raw, f"{type(e).__name__}: {e}")
            raise DocumentRejectedError(
                f"无法检查该文件 / the file cannot be checked ({type(e).__name__})"
            ) from e

    def check_fresh(self, pdf: bytes, field_names: Sequence[str]) -> VerificationReport:
        """See `signing.fresh_check`: our own signatures, just made, checked in milliseconds."""
        self._screen_size(pdf)
        return fresh_check.check_fresh(pdf, field_names, (*self.trust.roots, *self.trust.intermediates))

    def _verify(self, pdf: bytes) -> VerificationReport:
        digest = hashlib.sha256(pdf).hexdigest()
        raw = byte_ranges.scan(pdf, (*self.trust.roots, *self.trust.intermediates))
        if not raw:
            self._screen_format(pdf)
        reader, error = _parse(pdf)
        signatures: list[EmbeddedPdfSignature] = []
        if reader is not None:
            try:
                signatures = list(reader.embedded_signatures)
            except Exception as e:  # a damaged signature dictionary
                log.info("cannot enumerate signatures: %s", e)
                reader, error = None, str(e)
        if reader is None or not signatures:
            if raw:
                return _damaged_report(digest, raw, error)
            if reader is None:
                raise DocumentRejectedError(
                    f"PDF 文件已损坏，无法读取 / the PDF is corrupt and cannot be read ({error})"
                )
            raise DocumentRejectedError("文件未签名，没有可验证的签章 / the PDF has no signature to check")
        return asyncio.run(self._validate(pdf, digest, reader, signatures, raw))

    def _screen_size(self, pdf: bytes) -> None:
        if len(pdf) > self.max_bytes:
            raise DocumentRejectedError(
                f"文件过大（{len(pdf) / 1048576:.1f} MB，上限 {self.max_bytes / 1048576:.0f} MB）/ "
                f"the file is too large ({len(pdf)} bytes, at most {self.max_bytes})"
            )
        if not pdf:
            raise DocumentRejectedError("文件为空 / the file is empty")

    def _screen_format(self, pdf: bytes) -> None:
        if b"%PDF-" not in pdf[:1024]:
            raise DocumentRejectedError("不是 PDF 文件 / the file is not a PDF")
        if b"/Encrypt" in pdf[-4096:] or b"/Encrypt" in pdf[:4096]:
            reader, _ = _parse(pdf)
            if reader is None or reader.encrypted:
                raise DocumentRejectedError(
                    "PDF 已加密，无法验证 / the PDF is encrypted and cannot be checked"
                )

    async def _validate(
        self,
        pdf: bytes,
        digest: str,
        reader: PdfFileReader,
        embedded: list[EmbeddedPdfSignature],
        raw: list[byte_ranges.RawSignature],
    ) -> VerificationReport:
        problems: list[str] = []
        certification = _certification(reader)
        dss_revision = _dss_revision(reader)
        timestamps: list[_Timestamp] = []
        for sig in embedded:
            if sig.sig_object_type == "/DocTimeStamp":
                timestamps.append(await self._timestamp(sig))
        reports: list[SignatureReport] = []
        modified = False
        for sig in embedded:
            if sig.sig_object_type == "/DocTimeStamp":
                continue
            report, changed = await self._signature(sig, certification, dss_revision, timestamps)
            reports.append(report)
            modified = modified or changed
        for ts in timestamps:
            if not ts.intact:
                modified = True
            problems.extend(ts.problems)
        # what the byte scan sees, whatever the structure says
        for r in raw:
            if not r.intact:
                modified = True
                problems.extend(r.problems or ("签名覆盖的内容已被改动 / signed bytes were changed",))
        last_end = max((r.end for r in raw), default=len(pdf))
        # bytes after the last signed revision: an unsigned update, or garbage appended
        tail_added = last_end < len(pdf) and not _only_whitespace(pdf[last_end:])
        if tail_added and not _trailing_update_allowed(reports, pdf, last_end):
            modified = True
            problems.append("最后一次签章后文件被追加了内容 / content was added after the last signature")
        problems = list(dict.fromkeys(problems))
        valid = (
            bool(reports)
            and not modified
            and all(
                r.intact and r.trusted and r.revoked is not True and r.covers_whole_document for r in reports
            )
            and all(ts.intact and ts.trusted for ts in timestamps)
        )
        return VerificationReport(
            sha256=digest,
            signatures=tuple(reports),
            modified_after_signing=modified,
            valid=valid,
            problems=tuple(problems),
        )

    async def _timestamp(self, sig: EmbeddedPdfSignature) -> _Timestamp:
        vc = self.trust.validation_context()
        try:
            status = await async_validate_pdf_timestamp(sig, validation_context=vc)
        except Exception as e:
            return _Timestamp(
                sig.signed_revision, False, False, None, [f"文档时间戳无效 / document timestamp invalid: {e}"]
            )
        finally:
            await vc.aclose()
        intact = bool(status.intact and status.valid)
        problems = [] if intact else ["文档时间戳已被改动 / the document timestamp does not match"]
        if intact and not status.trusted:
            problems.append("文档时间戳不可信 / the document timestamp is not from a trusted authority")
        return _Timestamp(sig.signed_revision, intact, bool(status.trusted), status.timestamp, problems)

    async def _signature(
        self,
        sig: EmbeddedPdfSignature,
        certification: generic.DictionaryObject | None,
        dss_revision: int | None,
        timestamps: list[_Timestamp],
    ) -> tuple[SignatureReport, bool]:
        signer_vc = self.trust.validation_context()
        ts_vc = self.trust.validation_context()
        field_name = str(sig.field_name)
        try:
            status = await async_validate_pdf_signature(
                sig, signer_validation_context=signer_vc, ts_validation_context=ts_vc
            )
        except Exception as e:
            log.info("signature %s could not be validated: %s", field_name, e)
            cert_name = _safe_signer(sig)
            report = SignatureReport(
                field_name=field_name,
                signer=cert_name[0],
                organisation=cert_name[1],
                signed_at=None,
                timestamp=None,
                intact=False,
                covers_whole_document=False,
                trusted=False,
                revoked=None,
                level=None,
                problems=(f"签名无法验证 / the signature cannot be validated: {e}",),
            )
            return report, True
        finally:
            await signer_vc.aclose()
            await ts_vc.aclose()
        problems: list[str] = []
        subject = status.signing_cert.subject.native
        intact = bool(status.intact and status.valid)
        if not intact:
            problems.append("签名覆盖的内容已被改动 / the signed content was changed")
        mod_level = status.modification_level
        covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
            status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and mod_level in ALLOWED_AFTER
            and status.docmdp_ok is not False
        )
        if not covers:
            what = mod_level.name.lower() if mod_level is not None else "unknown"
            problems.append(
                f"签名后文件被修改（{what}）/ the document was changed after this signature ({what})"
            )
        revoked: bool | None
        if status.revoked:
            revoked = True
            details = status.revocation_details
            when = details.revocation_date.isoformat() if details else "?"
            problems.append(f"签名证书已被吊销（{when}）/ the signing certificate was revoked on {when}")
        elif signer_vc.soft_fail_exceptions:
            revoked = None
            problems.append("无法检查证书吊销状态 / revocation status could not be checked")
        else:
            revoked = False
        trusted = bool(status.trusted)
        ts_status = status.timestamp_validity
        ts_ok = ts_status is not None and ts_status.intact and ts_status.valid
        if ts_status is not None and not ts_ok:
            trusted = False
            problems.append("签名时间戳已被改动 / the signature timestamp does not match")
        elif ts_status is not None and not ts_status.trusted:
            trusted = False
            problems.append("签名时间戳不可信 / the signature timestamp is not from a trusted authority")
        if not status.trusted and not status.revoked:
            indic = status.trust_problem_indic
            problems.append(f"证书链不可信 / the certificate chain is not trusted ({indic})")
        level = _level(sig, ts_ok, dss_revision, timestamps)
        certified = certification is not None and certification.get("/Contents") == sig.sig_object.get(
            "/Contents"
        )
        report = SignatureReport(
            field_name=field_name,
            signer=str(subject.get("common_name", "")),
            organisation=_text(subject.get("organization_name")),
            signed_at=status.signer_reported_dt,
            timestamp=ts_status.timestamp if ts_status is not None else None,
            intact=intact,
            covers_whole_document=covers,
            trusted=trusted and intact,
            revoked=revoked,
            level=level,
            certified=certified,
            problems=tuple(problems),
        )
        return report, not (intact and covers and (ts_status is None or ts_ok))


def _parse(pdf: bytes) -> tuple[PdfFileReader | None, str | None]:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        reader.root  # noqa: B018  (load the catalogue now)
        return reader, None
    except Exception as e:  # PdfError, but also whatever a damaged file provokes in the parser
        return None, str(e) or type(e).__name__


def _safe_scan(pdf: bytes, trust: TrustSettings) -> list[byte_ranges.RawSignature]:
    try:
        return byte_ranges.scan(pdf, (*trust.roots, *trust.intermediates))
    except Exception:
        return []


def _damaged_report(
    digest: str, raw: list[byte_ranges.RawSignature], error: str | None
) -> VerificationReport:
    """The structure cannot be read but signatures are in the bytes: report them as damaged."""
    problems = [
        "PDF 结构已损坏，签名无法完整验证 / the PDF structure is damaged: signatures cannot be fully checked"
    ]
    if error:
        problems.append(error)
    for r in raw:
        problems.extend(
            r.problems or ("签名覆盖的内容已被改动 / signed bytes were changed",) if not r.intact else ()
        )
    reports = tuple(
        SignatureReport(
            field_name=f"#{i + 1}",
            signer="",
            organisation=None,
            signed_at=None,
            timestamp=None,
            intact=r.intact,
            covers_whole_document=False,
            trusted=False,
            revoked=None,
            level=None,
            problems=r.problems,
        )
        for i, r in enumerate(raw)
    )
    return VerificationReport(
        sha256=digest,
        signatures=reports,
        modified_after_signing=True,
        valid=False,
        problems=tuple(dict.fromkeys(problems)),
    )


def _certification(reader: PdfFileReader) -> generic.DictionaryObject | None:
    try:
        info = read_certification_data(reader)
    except Exception:
        return None
    return info.author_sig if info is not None else None


def _dss_revision(reader: PdfFileReader) -> int | None:
    """The revision that introduced the DSS (validation data), if there is one with revocation data."""
    try:
        ref = reader.root.raw_get("/DSS")
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:
        return None
    if not (dss.crls or dss.ocsps):
        return None
    if isinstance(ref, generic.IndirectObject):
        return int(reader.xrefs.get_introducing_revision(ref.reference))
    return int(reader.xrefs.total_revisions - 1)


def _level(
    sig: EmbeddedPdfSignature, ts_ok: bool, dss_revision: int | None, timestamps: list[_Timestamp]
) -> str | None:
    """The PAdES baseline level reached: B-B, B-T, B-LT (DSS after it), B-LTA (then a doc timestamp)."""
    if str(sig.sig_object.get("/SubFilter", "")) != PADES:
        return None
    if not ts_ok:
        return "B-B"
    if dss_revision is None or dss_revision <= sig.signed_revision:
        return "B-T"
    # the validation data must be in place when the archive timestamp seals it
    if any(ts.intact and ts.revision >= dss_revision for ts in timestamps):
        return "B-LTA"
    return "B-LT"


def _trailing_update_allowed(reports: list[SignatureReport], pdf: bytes, last_end: int) -> bool:
    """After the last signature only validation data may follow (DSS updates, judged by pyHanko)."""
    tail = pdf[last_end:]
    if b"%%EOF" not in tail:
        return False  # not a revision at all: appended bytes
    return bool(reports) and all(r.covers_whole_document for r in reports)


def _only_whitespace(tail: bytes) -> bool:
    return not tail.strip(b" \t\r\n\x00")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _safe_signer(sig: EmbeddedPdfSignature) -> tuple[str, str | None]:
    try:
        subject = sig.signer_cert.subject.native
        return str(subject.get("common_name", "")), _text(subject.get("organization_name"))
    except Exception:
        return "", None
