"""Rules both storage adapters share, so the local folder behaves exactly like S3.

- Keys: content addresses (64 hex digits) must equal the SHA-256 of the content, so a
  content-addressed object verifies itself even if its recorded metadata is tampered with.
- Write rules per bucket: WORKING takes new versions under a key; EVIDENCE and ARCHIVE are
  write-once per key (other content under an existing key is refused, equal content is
  idempotent).  Refusals are `RetentionLockedError` (a `ConflictError`).
- Retention and legal hold exist only in ARCHIVE (the one bucket with object lock).
- User metadata: lowercase `[a-z0-9-]` names; values any text (percent-encoded on S3).
"""

from __future__ import annotations

import hashlib
import math
import re
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from workflows.errors import IntegrityCheckError, RetentionLockedError
from workflows.ports import Bucket, Retention, StoredObject

Clock = Callable[[], datetime]

SHA256_META = "sha256"  # our own metadata entry: the hex SHA-256 of the content
RESERVED_META = frozenset({SHA256_META})
LOCKABLE = frozenset({Bucket.ARCHIVE})  # buckets created with object lock
WRITE_ONCE = frozenset({Bucket.EVIDENCE, Bucket.ARCHIVE})  # other content under a key is refused

_CONTENT_ADDRESS = re.compile(r"[0-9a-fA-F]{64}")
_META_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_META_SAFE = "".join(c for c in string.printable if c not in "%\t\n\r\x0b\x0c")
MAX_KEY_BYTES = 1024


def utcnow() -> datetime:
    return datetime.now(UTC)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_content_address(key: str) -> bool:
    return bool(_CONTENT_ADDRESS.fullmatch(key))


def resolve_key(key: str | None, digest: str) -> str:
    """The key to store under: the digest by default; explicit keys are validated."""
    if key is None:
        return digest
    check_key(key)
    if is_content_address(key) and key != digest:
        raise ValueError(f"key {key} looks like a SHA-256 but the content hashes to {digest}")
    return key


def check_key(key: str) -> None:
    """Keys are S3-safe names: no empty, absolute or `..` segments, no control characters."""
    if not key or len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"object key must be 1..{MAX_KEY_BYTES} bytes of UTF-8")
    if key.startswith("/") or any(seg in ("", ".", "..") for seg in key.split("/")):
        raise ValueError(f"object key {key!r} has an empty, '.' or '..' segment")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        raise ValueError(f"object key {key!r} contains control characters")


def check_lock_request(bucket: Bucket, retention: Retention | None, legal_hold: bool, now: datetime) -> None:
    """Retention and legal hold only where the bucket has object lock, and only forward in time."""
    if (retention is not None or legal_hold) and bucket not in LOCKABLE:
        raise ValueError(
            f"bucket {bucket} has no object lock: retention and legal hold need {Bucket.ARCHIVE}"
        )
    if retention is not None:
        if retention.until.tzinfo is None:
            raise ValueError("retention.until must be timezone-aware")
        if retention.until <= now:
            raise ValueError(f"retention.until {retention.until.isoformat()} is not in the future")


def retain_until(retention: Retention) -> datetime:
    """Retention dates are kept to whole seconds (as S3 does), rounded up so they never shorten."""
    until = retention.until.astimezone(UTC)
    return datetime.fromtimestamp(math.ceil(until.timestamp()), UTC)


def normalise_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Validated user metadata; names must be lowercase so both adapters return them alike."""
    result: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not _META_NAME.fullmatch(name):
            raise ValueError(f"metadata name {name!r} must match [a-z0-9][a-z0-9-]* (max 63 chars)")
        if name in RESERVED_META:
            raise ValueError(f"metadata name {name!r} is reserved")
        if not isinstance(value, str):
            raise ValueError(f"metadata {name!r} must be a string")
        result[name] = value
    return result


def encode_meta_value(value: str) -> str:
    """Header-safe form of a metadata value (S3 headers are ASCII); lossless with decode."""
    return quote(value, safe=_META_SAFE)


def decode_meta_value(value: str) -> str:
    return unquote(value)


def lock_reason(obj: StoredObject, now: datetime) -> str | None:
    """Why `obj` may not be deleted now, or None."""
    if obj.legal_hold:
        return "under legal hold"
    if obj.retain_until is not None and obj.retain_until > now:
        return f"retained (COMPLIANCE) until {obj.retain_until.isoformat()}"
    return None


def overwrite_refusal(existing: StoredObject, now: datetime) -> RetentionLockedError:
    """The error for other content under an existing key in a write-once bucket."""
    reason = lock_reason(existing, now) or f"{existing.bucket} is write-once"
    return RetentionLockedError(
        existing.bucket,
        existing.key,
        f"{reason}; the key already holds content with sha256 {existing.sha256}",
    )


def needs_strengthening(existing: StoredObject, retention: Retention | None, legal_hold: bool) -> bool:
    """Whether an idempotent put asks for more protection than the stored object has."""
    if legal_hold and not existing.legal_hold:
        return True
    return retention is not None and (
        existing.retain_until is None or retain_until(retention) > existing.retain_until
    )


def verify(bucket: Bucket, key: str, data: bytes, recorded: str | None) -> None:
    """Raise IntegrityCheckError unless `data` matches the recorded SHA-256 (and its content address)."""
    actual = sha256_hex(data)
    expected = recorded if recorded else "(no sha256 recorded)"
    if actual != expected:
        raise IntegrityCheckError(bucket, key, expected, actual)
    if is_content_address(key) and actual != key.lower():
        raise IntegrityCheckError(bucket, key, key.lower(), actual)
