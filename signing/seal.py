"""The agency's electronic seal and personal signatures: PAdES with pyHanko (the `Sealer` port).

What keeps it fast (see the field notes): the seal key is parsed once (`LoadedKeySigner`), the
signature space is reserved up front (no dry-run signature to size it), and each thread keeps one
event loop and one HTTP session to the TSA instead of a new loop and connection per seal.

Levels: B-B (signature only), B-T (plus an RFC 3161 signature timestamp, the default), B-LTA
(plus the validation data of every certificate in a DSS, then a document timestamp).
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, validation
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    SigDSSPlacementPreference,
    TimestampDSSContentSettings,
)
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.stamp import BaseStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

from workflows.errors import DocumentRejectedError, SealingError
from workflows.ports import SealLevel, SealPosition

from .appearance import SealDesign, draw_seal, draw_signature_mark, seal_stamp_style
from .keys import SigningCredentials
from .trust import TrustSettings

T = TypeVar("T")


class _LocalRevocationDataFilter(logging.Filter):
    """pyHanko warns on every B-LTA seal made without network fetching; we supply the CRLs locally."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


log = logging.getLogger(__name__)
logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_LocalRevocationDataFilter())

SEAL_FIELD_PREFIX = "AgencySeal"
# B-LTA in two revisions: the signature, then validation data + document timestamp together, so the
# timestamp covers the whole file (no unsigned DSS update after it; VRI entries are obsolete).
LTA_DSS = DSSContentSettings(
    include_vri=False,
    placement=SigDSSPlacementPreference.TOGETHER_WITH_NEXT_TS,
    next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True),
)
DOCMDP = {
    "no_changes": fields.MDPPerm.NO_CHANGES,
    "form_filling": fields.MDPPerm.FILL_FORMS,
    "annotations": fields.MDPPerm.ANNOTATE,
}


@dataclass
class _ThreadState:
    """One thread's event loop and TSA session, kept between seals (registered for `close`)."""

    runner: asyncio.Runner | None = None
    session: LazySession | None = None
    timestamper: TimeStamper | None = None


class SealingService:
    """Seals PDFs for the agency and adds personal signatures; thread-safe, build one per process.

    `timestamper_url` (or a ready `timestamper`) is needed for B-T and B-LTA, `trust` for B-LTA
    (validation data is gathered for the seal's and the TSA's certificates).  `design=None` makes
    invisible seals.
    """

    def __init__(
        self,
        signer: Signer,
        *,
        design: SealDesign | None = None,
        timestamper_url: str | None = None,
        timestamper: TimeStamper | None = None,
        trust: TrustSettings | None = None,
        bytes_reserved: int | None = None,
        md_algorithm: str = "sha256",
        reason: str | None = None,
        location: str | None = None,
        timestamp_timeout: float = 10.0,
    ):
        self.signer = signer
        self.design = design
        self.timestamper_url = timestamper_url
        self._fixed_timestamper = timestamper
        self.trust = trust
        self.md_algorithm = md_algorithm
        self.reason = reason
        self.location = location
        self.timestamp_timeout = timestamp_timeout
        certs = [c for c in (signer.signing_cert, *signer.cert_registry) if c is not None]
        chain_size = sum(len(c.dump()) for c in certs)
        # pyHanko counts hex digits: twice the DER size of the CMS object.  CMS overhead and the
        # signature (B-B); the timestamp token with the TSA's chain on top (B-T, B-LTA).
        self._reserve_bb = bytes_reserved or _round_up(2 * (chain_size + 2048))
        self._reserve_ts = bytes_reserved or _round_up(2 * (chain_size + 2048 + 6144))
        self._appearances: dict[float, bytes] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # .state: this thread's _ThreadState
        self._threads: list[_ThreadState] = []  # every thread's, for close()

    @classmethod
    def from_credentials(cls, credentials: SigningCredentials, **kwargs: Any) -> SealingService:
        """A service sealing with an in-memory key (the dev PKI's seal or external key files)."""
        return cls(credentials.signer(), **kwargs)

    # -- the Sealer port -------------------------------------------------------------------

    @property
    def organisation(self) -> str:
        """The seal certificate's organisation (O), or its common name when it has none."""
        subject = self.signer.signing_cert.subject.native if self.signer.signing_cert else {}
        return str(subject.get("organization_name") or subject.get("common_name") or "")

    def seal(self, pdf: bytes, position: SealPosition | None, level: SealLevel = SealLevel.B_T) -> bytes:
        """The PDF with the agency's seal added by incremental update (visible at `position`).

        `position.x`, `position.y` are the lower-left corner of the seal's square box.  An empty
        signature field named `AgencySeal…` reserved by a certifying signer is filled instead
        (a certified document accepts no new visible fields).
        """
        writer = _open_for_signing(pdf)
        empty = _empty_signature_fields(writer.prev)
        reserved = sorted(name for name in empty if name.startswith(SEAL_FIELD_PREFIX))
        style = None
        if reserved:
            field_name, box = reserved[0], empty[reserved[0]]
            if box is not None and self.design is not None:
                size = min(box)
                style = seal_stamp_style(self._appearance(size), box[0], box[1])
            position = None
        else:
            field_name = _free_field_name(writer.prev, SEAL_FIELD_PREFIX)
            if position is not None and self.design is not None:
                style = seal_stamp_style(self._appearance(position.size), position.size)
        return self._sign(
            pdf,
            writer,
            signer=self.signer,
            field_name=field_name,
            level=level,
            position=position,
            height=position.size if position is not None else None,
            stamp_style=style,
            reason=self.reason,
            new_field=not reserved,
        )

    # -- personal signatures ---------------------------------------------------------------

    def sign_as(
        self,
        credentials: SigningCredentials,
        pdf: bytes,
        field_name: str,
        certify: bool = False,
        *,
        level: SealLevel = SealLevel.B_T,
        position: SealPosition | None = None,
        permissions: str = "form_filling",
        reason: str | None = None,
        later_fields: Mapping[str, SealPosition | None] | None = None,
        mark_label: str = "电子签名",
    ) -> bytes:
        """Add `credentials`' signature by incremental update; earlier signatures stay valid.

        The signature goes into the empty field `field_name` if the document has one (reserved by
        a certifying signer), else into a new field (visible at `position`: a box `position.size`
        wide and 0.4 of that high with the signer's name, `mark_label` and the date).
        With `certify=True` (only the first signature may certify) the document carries DocMDP
        `permissions` (default form_filling: later signatures allowed, any other change is
        detected).  A certified document accepts no new *visible* signature fields, so the
        certifying signer reserves them: `later_fields` maps field names (e.g. "Employer",
        "AgencySeal1") to their boxes, created empty in the certified revision.
        """
        writer = _open_for_signing(pdf)
        reader = writer.prev
        if certify and _has_signatures(reader):
            raise SealingError("only the first signature of a document can certify it")
        empty = _empty_signature_fields(reader)
        if field_name in _field_names(reader) and field_name not in empty:
            raise SealingError(f"the document already has a field named {field_name!r}")
        existing = field_name in empty
        box: tuple[float, float] | None = None
        if existing:
            box = empty[field_name]
            position = None
        elif position is not None:
            box = (position.size, position.size * 0.4)
        style = None
        if box is not None:
            day = datetime.now().astimezone().strftime("%Y-%m-%d")
            mark = draw_signature_mark(credentials.common_name, f"{mark_label} {day}", box[0], box[1])
            style = seal_stamp_style(mark, box[0], box[1])
        if later_fields:
            if not certify:
                raise SealingError("only a certifying signer reserves fields for later signatures")
            for name, where in later_fields.items():
                if name in _field_names(reader) or name == field_name:
                    raise SealingError(f"the document already has a field named {name!r}")
                fields.append_signature_field(
                    writer, _field_spec(name, where, is_seal=name.startswith("AgencySeal"))
                )
        return self._sign(
            pdf,
            writer,
            signer=credentials.signer(),
            field_name=field_name,
            level=level,
            position=position,
            height=box[1] if box is not None and not existing else None,
            stamp_style=style,
            reason=reason,
            certify=certify,
            permissions=DOCMDP[permissions],
            new_field=not existing,
        )

    # -- archival copies -------------------------------------------------------------------

    def archival_copy(self, pdf: bytes) -> bytes:
        """`pdf` raised to PAdES B-LTA for long-term keeping, by one incremental update.

        The update holds the validation data of every signature in the file (certificate
        chains and CRLs of the signers and of their signature timestamps, and of the TSA) in the
        DSS, then a document timestamp over the whole file: the signatures stay verifiable
        after their certificates expire.  Signatures already in the file stay valid.

        A document that already reached B-LTA is renewed: the validation data of its newest
        archive timestamp joins the DSS (fresh CRLs: it was not revoked before now), and a
        further archive timestamp covers them — see `archive_expiry` for when.
        """
        context = self._validation_context("archival copies")
        writer = _open_for_signing(pdf)
        signatures = writer.prev.embedded_regular_signatures
        if not signatures:
            raise DocumentRejectedError("文件没有签章，无法归档 / the PDF carries no signature to keep")
        signatures = [*signatures, *writer.prev.embedded_timestamp_signatures[-1:]]
        timestamper = self._timestamper()

        async def upgrade() -> bytes:
            paths = []
            for sig in signatures:
                paths.extend(await validation.collect_validation_info(sig, context))
            validation.DocumentSecurityStore.supply_dss_in_writer(
                writer, None, paths=paths, validation_context=context
            )
            output = io.BytesIO()
            await PdfTimeStamper(timestamper).async_timestamp_pdf(
                writer,
                self.md_algorithm,
                context,
                bytes_reserved=self._reserve_ts,
                output=output,
                dss_settings=LTA_DSS.get_settings_for_ts(),
            )
            return output.getvalue()

        with _pyhanko_errors("archiving"):
            return self._run(upgrade(), context)

    @staticmethod
    def archive_expiry(pdf: bytes) -> datetime:
        """When the newest archive timestamp of B-LTA `pdf` stops proving anything on its own:
        the end of its TSA certificate.  Renew the copy (`archival_copy` again) before then."""
        try:
            timestamps = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures
            certificate = timestamps[-1].signer_cert if timestamps else None
        except Exception as e:  # PdfReadError, or whatever else a damaged file provokes in the parser
            raise DocumentRejectedError(f"PDF 文件已损坏 / the PDF is corrupt: {e}") from e
        if certificate is None:
            raise DocumentRejectedError("文件没有归档时间戳 / the PDF carries no archive timestamp")
        expiry: datetime = certificate.not_valid_after
        return expiry

    # -- the work --------------------------------------------------------------------------

    def _appearance(self, size: float) -> bytes:
        with self._lock:
            pdf = self._appearances.get(size)
            if pdf is None:
                assert self.design is not None
                pdf = draw_seal(self.design, size)
                self._appearances[size] = pdf
            return pdf

    def _timestamper(self) -> TimeStamper:
        if self._fixed_timestamper is not None:
            return self._fixed_timestamper
        state = self._state()
        if state.timestamper is None:
            if not self.timestamper_url:
                raise SealingError("B-T and B-LTA seals need a timestamp authority (LABORCASE_TSA_URL)")
            state.session = LazySession()
            state.timestamper = HTTPTimeStamper(
                self.timestamper_url, timeout=self.timestamp_timeout, session=state.session
            )
        return state.timestamper

    def _state(self) -> _ThreadState:
        state: _ThreadState | None = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = _ThreadState()
            with self._lock:
                self._threads.append(state)
        return state

    def _run(self, coro: Coroutine[Any, Any, T], validation_context: ValidationContext | None = None) -> T:
        """Run `coro` on this thread's event loop; with a validation context, release its
        fetchers' sessions afterwards (pyHanko's session scope)."""
        state = self._state()
        if state.runner is None:
            state.runner = asyncio.Runner()
        if validation_context is not None:
            from pyhanko.sign._session_scope import run_and_release

            coro = run_and_release(coro, validation_context)
        return state.runner.run(coro)

    def _validation_context(self, purpose: str) -> ValidationContext:
        """Where validation data for B-LTA comes from (CRLs checked hard: no data, no seal)."""
        if self.trust is None:
            raise SealingError(f"{purpose} need trust settings to gather validation data")
        return self.trust.validation_context(revocation_mode="hard-fail")

    def _sign(
        self,
        pdf: bytes,
        writer: IncrementalPdfFileWriter,
        *,
        signer: Signer,
        field_name: str,
        level: SealLevel,
        position: SealPosition | None,
        stamp_style: BaseStampStyle | None,
        height: float | None = None,
        reason: str | None,
        certify: bool = False,
        permissions: fields.MDPPerm = fields.MDPPerm.FILL_FORMS,
        new_field: bool = True,
    ) -> bytes:
        level = SealLevel(level)
        timestamper = self._timestamper() if level in (SealLevel.B_T, SealLevel.B_LTA) else None
        validation_context = self._validation_context("B-LTA seals") if level is SealLevel.B_LTA else None
        meta = PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=self.md_algorithm,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=self.location,
            certify=certify,
            docmdp_permissions=permissions,
            embed_validation_info=level is SealLevel.B_LTA,
            use_pades_lta=level is SealLevel.B_LTA,
            validation_context=validation_context,
            dss_settings=LTA_DSS,
        )
        spec = None
        if new_field:
            spec = _field_spec(field_name, position, height=height)
        pdf_signer = PdfSigner(
            meta, signer=signer, timestamper=timestamper, stamp_style=stamp_style, new_field_spec=spec
        )
        reserve = self._reserve_bb if timestamper is None else self._reserve_ts
        for attempt in range(2):
            if attempt:
                writer = _SignatureRevisionWriter(io.BytesIO(pdf), strict=False)
            output = io.BytesIO()
            with _pyhanko_errors("signing"):
                try:
                    self._run(
                        pdf_signer.async_sign_pdf(
                            writer, existing_fields_only=not new_field, bytes_reserved=reserve, output=output
                        ),
                        validation_context,
                    )
                    return output.getvalue()
                except SigningError as e:
                    if "larger than expected" in str(e) and attempt == 0:
                        reserve *= 2  # an unusually large TSA answer or chain: once more with room
                        continue
                    raise SealingError(f"signing failed: {e}") from e
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the event loops and TSA sessions of every thread that sealed."""
        with self._lock:
            states, self._threads = self._threads, []
        for state in states:
            runner, session = state.runner, state.session
            if runner is None:
                continue
            try:
                if session is not None:
                    runner.run(session.close())
                runner.close()
            except RuntimeError:
                # its thread is sealing right now (the loop is running there): that thread's
                # loop cannot be closed from here; it goes with the thread
                log.warning("sealing loop of a busy thread left open at close()")
                continue
            state.runner = state.session = state.timestamper = None


def _field_spec(
    name: str, position: SealPosition | None, *, height: float | None = None, is_seal: bool = False
) -> fields.SigFieldSpec:
    """A signature field; visible when placed (seals square, personal marks 0.4 as high as wide)."""
    if position is None:
        return fields.SigFieldSpec(sig_field_name=name)
    if height is None:
        height = position.size if is_seal else position.size * 0.4
    box = (position.x, position.y, position.x + position.size, position.y + height)
    # pyHanko annotates the box as ints; PDF coordinates are reals and it writes them as such
    return fields.SigFieldSpec(sig_field_name=name, on_page=position.page, box=box)  # type: ignore[arg-type]


def _empty_signature_fields(reader: PdfFileReader) -> dict[str, tuple[float, float] | None]:
    """Empty signature fields by name, with the size of their widget (None when invisible)."""
    found: dict[str, tuple[float, float] | None] = {}
    for name, _, ref in fields.enumerate_sig_fields(reader, filled_status=False):
        field = ref.get_object()
        widget = field["/Kids"][0].get_object() if "/Kids" in field else field
        size = None
        if "/Rect" in widget:
            x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
            if abs(x2 - x1) > 0 and abs(y2 - y1) > 0:
                size = (abs(x2 - x1), abs(y2 - y1))
        found[str(name)] = size
    return found


@contextmanager
def _pyhanko_errors(operation: str) -> Iterator[None]:
    """pyHanko's errors, and whatever its helpers raise, as ours: `operation` names what failed."""
    try:
        yield
    except TimestampRequestError as e:
        raise SealingError(f"the timestamp authority did not answer: {e}") from e
    except (PathBuildingError, PathValidationError) as e:
        raise SealingError(f"cannot gather validation data: {e}") from e
    except PdfReadError as e:
        raise DocumentRejectedError(f"文件无法签章 / the PDF cannot be signed: {e}") from e
    except (DocumentRejectedError, SealingError):
        raise
    except Exception as e:  # e.g. a TSA's rejection, which asn1crypto fails to parse
        raise SealingError(f"{operation} failed: {type(e).__name__}: {e}") from e


class _SignatureRevisionWriter(IncrementalPdfFileWriter):
    """The incremental update that carries one signature, leaving the document metadata as it is.

    pyHanko rewrites the Info dictionary and the XMP packet in every revision it writes: ModDate,
    and a Producer that it appends to in Info ("…; pyHanko x") but replaces in XMP ("pyHanko x").
    Info and XMP then disagree, which PDF/A-2b forbids (ISO 19005-2, 6.6.2.3), and re-parsing
    the XMP costs about a fifth of a seal.  A signature adds no content, so the metadata the
    renderer wrote stays true.  (pyHanko's own later revisions, the B-LTA document timestamp,
    do rewrite it; they agree only because our documents carry no Producer, see
    documents.pdfwriter.)
    """

    def _update_meta(self) -> None:
        return None


def _round_up(n: int, to: int = 1024) -> int:
    return (n + to - 1) // to * to


def _open_for_signing(pdf: bytes) -> IncrementalPdfFileWriter:
    if not pdf[:1024].lstrip().startswith(b"%PDF-"):
        raise DocumentRejectedError("不是 PDF 文件 / not a PDF file")
    try:
        writer = _SignatureRevisionWriter(io.BytesIO(pdf), strict=False)
        if writer.prev.encrypted:
            raise DocumentRejectedError("PDF 已加密，无法签章 / the PDF is encrypted and cannot be signed")
        writer.prev.root  # noqa: B018  (forces the catalogue to load)
    except DocumentRejectedError:
        raise
    except Exception as e:  # PdfReadError, or whatever else a damaged file provokes in the parser
        raise DocumentRejectedError(f"PDF 文件已损坏 / the PDF is corrupt: {e}") from e
    return writer


def _field_names(reader: PdfFileReader) -> set[str]:
    return {name for name, _, _ in fields.enumerate_sig_fields(reader, filled_status=None)}


def _has_signatures(reader: PdfFileReader) -> bool:
    return any(True for _ in fields.enumerate_sig_fields(reader, filled_status=True))


def _free_field_name(reader: PdfFileReader, prefix: str) -> str:
    taken = _field_names(reader)
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"
