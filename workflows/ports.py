"""Ports: what the case domain needs from the outside world, as typing.Protocols.

Adapters implement them (`integrations.storage` keeps objects, `signing` seals and verifies,
`documents` renders, `integrations.sms` sends text messages); `web` (the composition root)
wires them into the services.  The domain never imports an adapter, so each can be replaced
(MinIO ↔ local folder, file keys ↔ HSM, development SMS outbox ↔ gateway).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

# -- storage -------------------------------------------------------------------------------


class Bucket(StrEnum):
    """The three kinds of object the agency keeps, each with its own bucket and rules."""

    WORKING = "working"  # drafts and working copies: versioned, may get new versions
    EVIDENCE = "evidence"  # uploads by parties and staff: versioned, never altered
    ARCHIVE = "archive"  # sealed and archived records: object lock (COMPLIANCE) + legal hold


@dataclass(frozen=True)
class Retention:
    """Keep an object unchangeable until `until` (COMPLIANCE mode: nobody may shorten it)."""

    until: datetime


@dataclass(frozen=True)
class StoredObject:
    """Where an object lives and what it is; `sha256` is checked on every read."""

    bucket: Bucket
    key: str
    version_id: str | None
    sha256: str
    size: int
    content_type: str
    retain_until: datetime | None = None
    legal_hold: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)


class DocumentStore(Protocol):
    """Content-addressed object store.  Nothing is ever overwritten in place.

    Errors are the domain's (`workflows.errors`): ObjectNotFoundError, IntegrityCheckError
    (content no longer matches its SHA-256), RetentionLockedError (delete/overwrite refused by
    retention or legal hold), StorageUnavailableError (the store cannot be reached).
    """

    def put(
        self,
        bucket: Bucket,
        data: bytes,
        *,
        content_type: str,
        key: str | None = None,
        retention: Retention | None = None,
        legal_hold: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        """Store `data`; the key defaults to its SHA-256 (idempotent for equal content)."""
        ...

    def get(self, bucket: Bucket, key: str, version_id: str | None = None) -> bytes:
        """The object's bytes, verified against the SHA-256 recorded when it was stored."""
        ...

    def stat(self, bucket: Bucket, key: str, version_id: str | None = None) -> StoredObject: ...

    def versions(self, bucket: Bucket, key: str) -> list[StoredObject]:
        """Every version of a key, newest first."""
        ...

    def presigned_url(
        self,
        bucket: Bucket,
        key: str,
        version_id: str | None = None,
        expires: timedelta = timedelta(minutes=10),
    ) -> str:
        """A time-limited download link."""
        ...

    def set_legal_hold(self, bucket: Bucket, key: str, on: bool, version_id: str | None = None) -> None: ...

    def delete(self, bucket: Bucket, key: str, version_id: str | None = None) -> None:
        """Delete (a version of) an object; RetentionLockedError while retained or on hold."""
        ...


@runtime_checkable
class PresignedDownloads(Protocol):
    """A store whose presigned URLs point back at this application (the local folder store):
    the web layer serves them.  S3 serves its own and does not implement this."""

    def open_presigned(self, token: str) -> tuple[StoredObject, bytes]:
        """The object a download token grants, hash-checked; PermissionDeniedError if the token
        is forged, malformed or expired."""
        ...


# -- sealing and verification --------------------------------------------------------------


class SealLevel(StrEnum):
    """PAdES baseline levels we produce."""

    B_B = "B-B"
    B_T = "B-T"  # with an RFC 3161 signature timestamp (the default)
    B_LTA = "B-LTA"  # validation data embedded + document timestamp (archival copies)


@dataclass(frozen=True)
class SealPosition:
    """Where the visible seal goes: page index (0-based) and its box in PDF points."""

    page: int
    x: float
    y: float
    size: float = 120.0  # a 42 mm seal is ~119 pt


class Sealer(Protocol):
    """Applies the agency's electronic seal (PAdES) to a PDF."""

    @property
    def organisation(self) -> str:
        """Whose seal this is (the seal certificate's organisation): documents of any other
        issuing body must not be sealed with it."""
        ...

    def seal(self, pdf: bytes, position: SealPosition | None, level: SealLevel = SealLevel.B_T) -> bytes: ...

    def archival_copy(self, pdf: bytes) -> bytes:
        """`pdf` (sealed) raised to B-LTA for keeping: the validation data of its signatures and an
        archive timestamp added by incremental update; its signatures stay valid.  A B-LTA `pdf`
        gets a further archive timestamp over the validation data of its last one (renewal)."""
        ...

    def archive_expiry(self, pdf: bytes) -> datetime:
        """When the newest archive timestamp of B-LTA `pdf` stops being verifiable (its TSA
        certificate's end): the copy must be renewed before then."""
        ...


@dataclass(frozen=True)
class SignatureReport:
    """One signature in a PDF, as a validator sees it."""

    field_name: str
    signer: str  # subject common name
    organisation: str | None
    signed_at: datetime | None  # the signer's claimed time
    timestamp: datetime | None  # the TSA's time, when timestamped
    intact: bool  # the signed bytes are unchanged
    covers_whole_document: bool  # no changes after this signature (other than allowed ones)
    trusted: bool  # chains to a trust root we accept
    revoked: bool | None  # None when revocation could not be checked
    level: str | None  # PAdES level reached (B-B, B-T, B-LT, B-LTA)
    certified: bool = False  # a DocMDP certification signature
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerificationReport:
    """What anyone learns by checking a PDF: every signature, and the verdict."""

    sha256: str
    signatures: tuple[SignatureReport, ...]
    modified_after_signing: bool
    valid: bool  # every signature intact, trusted, not revoked, nothing modified after
    problems: tuple[str, ...] = ()


class Verifier(Protocol):
    """Checks the signatures of a PDF.  Bad input raises the domain's DocumentRejectedError."""

    def verify(self, pdf: bytes) -> VerificationReport: ...

    def check_fresh(self, pdf: bytes, field_names: Sequence[str]) -> VerificationReport:
        """A fast check of signatures this system just made (named in file order): intact,
        signed by certificates we issued, timestamped — no path validation or modification
        analysis, which `verify` does for everyone else."""
        ...


# -- rendering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered formal document: the PDF and where its seal belongs."""

    pdf: bytes
    pages: int
    seal_position: SealPosition | None


class DocumentRenderer(Protocol):
    """Renders a formal document (文书) of a given type from its data."""

    def render(self, document_type: str, data: Mapping[str, Any]) -> RenderedDocument: ...

    def validate(self, document_type: str, data: Mapping[str, Any]) -> None:
        """ValidationError (with JSON pointers) unless `data` can be rendered as this type."""
        ...


# -- labour contracts ----------------------------------------------------------------------

#: The empty signature fields every rendered labour contract carries, filled by the parties.
EMPLOYER_SEAL_FIELD = "EmployerSeal"
WORKER_SIGNATURE_FIELD = "WorkerSignature"


class ContractRenderer(Protocol):
    """Renders a labour contract (with empty signature fields) and its completion certificate."""

    def validate_contract(self, data: Mapping[str, Any]) -> None:
        """ValidationError (with JSON pointers) unless `data` can be rendered as a contract."""
        ...

    def render_contract(self, data: Mapping[str, Any]) -> bytes: ...

    def render_certificate(self, data: Mapping[str, Any]) -> bytes: ...

    # the lifecycle documents (workflows.contract_lifecycle, documents.contract_changes)
    def render_amendment(self, data: Mapping[str, Any]) -> bytes:
        """劳动合同变更协议书, with both empty signature fields."""
        ...

    def render_termination(self, data: Mapping[str, Any]) -> bytes:
        """解除劳动合同协议书 (both fields) or the employer's certificate (only the seal field)."""
        ...

    def render_paper_copy(self, data: Mapping[str, Any], document: bytes) -> bytes:
        """The print file of a free paper copy: a cover page, then `document`."""
        ...


@dataclass(frozen=True)
class PersonalSigner:
    """A natural person signing with a personal certificate; `key` identifies them stably."""

    key: str
    name: str
    resident_id: str | None = None


@dataclass(frozen=True)
class OrganisationSigner:
    """An organisation (an employer) sealing with its own seal certificate."""

    key: str
    name: str
    uscc: str | None = None


class ContractSigner(Protocol):
    """Signs labour contracts for their parties (PAdES B-T: each signature trusted-timestamped).

    Never with the agency's own seal: an employer's seal certificate is the employer's.
    """

    def sign_personally(self, pdf: bytes, signer: PersonalSigner, field_name: str) -> bytes: ...

    def seal_for(self, pdf: bytes, organisation: OrganisationSigner, field_name: str) -> bytes: ...


# -- text messages -------------------------------------------------------------------------


class SmsSender(Protocol):
    """Hands a text message to an SMS gateway (one-time codes, notices).

    `phone` is a normalised mainland mobile number (11 digits).  Returns once the gateway has
    accepted the message; raises the domain's SmsUnavailableError when it cannot.
    """

    def send(self, phone: str, text: str) -> None: ...


# -- the bundle the composition root hands to the domain -------------------------------------


@dataclass(frozen=True)
class DocumentAdapters:
    """Everything issuing needs from outside; built by `web` from the settings."""

    renderer: DocumentRenderer
    sealer: Sealer
    store: DocumentStore
    verifier: Verifier
    verify_base_url: str
    #: labour contracts (workflows.contracts): their renderer and the parties' signer, when wired
    contract_renderer: ContractRenderer | None = None
    contract_signer: ContractSigner | None = None
