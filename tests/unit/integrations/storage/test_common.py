"""Rules both adapters share: keys, metadata, retention rounding, hash verification."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from integrations.storage.common import (
    check_lock_request,
    decode_meta_value,
    encode_meta_value,
    normalise_metadata,
    resolve_key,
    retain_until,
    verify,
)
from workflows.errors import IntegrityCheckError
from workflows.ports import Bucket, Retention

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["plain", "劳动合同 第12号.pdf", "100% sure", "%41 is not A", "tab\there", "line\nbreak", "é", ""],
)
def test_metadata_values_survive_the_ascii_header_encoding(value: str) -> None:
    encoded = encode_meta_value(value)
    assert encoded.isascii()
    assert "\n" not in encoded and "\r" not in encoded
    assert decode_meta_value(encoded) == value


def test_plain_ascii_metadata_is_stored_readably() -> None:
    assert encode_meta_value("case 2026/12 (final)") == "case 2026/12 (final)"


@pytest.mark.parametrize("name", ["Case", "case_id", "-x", "", "sha256", "a" * 64, "名称"])
def test_metadata_names_are_lowercase_tokens_and_not_reserved(name: str) -> None:
    with pytest.raises(ValueError):
        normalise_metadata({name: "v"})


def test_key_defaults_to_the_digest_and_content_addresses_must_match() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert resolve_key(None, digest) == digest
    assert resolve_key(digest, digest) == digest
    assert resolve_key("cases/12/award.pdf", digest) == "cases/12/award.pdf"
    with pytest.raises(ValueError, match="SHA-256"):
        resolve_key(digest.upper(), digest)


def test_retention_is_rounded_up_to_whole_seconds() -> None:
    assert retain_until(Retention(NOW + timedelta(microseconds=1))) == NOW + timedelta(seconds=1)
    assert retain_until(Retention(NOW)) == NOW


def test_retention_must_be_aware_and_in_the_future() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_lock_request(Bucket.ARCHIVE, Retention(datetime(2030, 1, 1)), False, NOW)
    with pytest.raises(ValueError, match="not in the future"):
        check_lock_request(Bucket.ARCHIVE, Retention(NOW), False, NOW)
    check_lock_request(Bucket.ARCHIVE, Retention(NOW + timedelta(seconds=1)), True, NOW)


def test_verify_reports_expected_and_actual_hashes() -> None:
    data = b"content"
    good = hashlib.sha256(data).hexdigest()
    verify(Bucket.EVIDENCE, "k", data, good)
    with pytest.raises(IntegrityCheckError) as caught:
        verify(Bucket.EVIDENCE, "k", b"other", good)
    assert (caught.value.expected, caught.value.actual) == (good, hashlib.sha256(b"other").hexdigest())
    with pytest.raises(IntegrityCheckError, match="no sha256 recorded"):
        verify(Bucket.EVIDENCE, "k", data, None)
