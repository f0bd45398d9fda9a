"""The dev PKI: created once, reused, keys encrypted at rest, revocation published in CRLs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.pki import DevPki, PkiSettings, derive_passphrase, mask_id_number, trips_asn1crypto
from workflows.errors import SealingError

from .conftest import AGENCY, SECRET


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_first_open_creates_the_hierarchy_and_a_second_open_reuses_it(tmp_path: Path) -> None:
    first = DevPki.open(tmp_path, SECRET)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.pem")}
    assert set(before) == {"root-ca.pem", "issuing-ca.pem", "seal.pem", "tsa.pem", "ocsp.pem"}
    second = DevPki.open(tmp_path, SECRET)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.pem")} == before
    assert first.seal_credentials().serial_number == second.seal_credentials().serial_number


def test_private_keys_are_encrypted_pkcs8_readable_only_by_the_owner(pki: DevPki, pki_dir: Path) -> None:
    for key_file in pki_dir.glob("*.key"):
        data = key_file.read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        with pytest.raises(TypeError):
            serialization.load_pem_private_key(data, password=None)
        serialization.load_pem_private_key(data, password=derive_passphrase(SECRET))


def test_a_changed_instance_secret_is_reported_not_crashed(pki_dir: Path) -> None:
    other = DevPki.open(pki_dir, "another-secret")
    with pytest.raises(SealingError, match="passphrase"):
        other.seal_credentials()


def test_seal_certificate_names_the_agency_and_allows_non_repudiation(pki_dir: Path) -> None:
    cert = _cert(pki_dir / "seal.pem")
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == AGENCY
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment and usage.digital_signature
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_tsa_certificate_has_only_the_critical_time_stamping_usage(pki_dir: Path) -> None:
    ext = _cert(pki_dir / "tsa.pem").extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert ext.critical
    assert list(ext.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_ocsp_responder_certificate_is_delegated_and_not_checked_itself(pki_dir: Path) -> None:
    cert = _cert(pki_dir / "ocsp.pem")
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    cert.extensions.get_extension_for_class(x509.OCSPNoCheck)


def test_certificates_point_to_crl_and_ocsp_when_a_base_url_is_configured(tmp_path: Path) -> None:
    DevPki.open(tmp_path, SECRET, PkiSettings(base_url="http://127.0.0.1:8999"))
    seal = _cert(tmp_path / "seal.pem")
    crl_dp = seal.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name[0].value == "http://127.0.0.1:8999/crl/issuing-ca.crl"
    aia = seal.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert "http://127.0.0.1:8999/ocsp" in [d.access_location.value for d in aia]


def test_changing_the_organisation_reissues_only_the_seal_certificate(tmp_path: Path) -> None:
    DevPki.open(tmp_path, SECRET)
    root_before = (tmp_path / "root-ca.pem").read_bytes()
    DevPki.open(tmp_path, SECRET, PkiSettings(organisation="某某市劳动保障监察支队"))
    assert (tmp_path / "root-ca.pem").read_bytes() == root_before
    seal = _cert(tmp_path / "seal.pem")
    assert seal.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "某某市劳动保障监察支队"


def test_user_certificate_is_issued_once_and_superseded_when_the_name_changes(pki: DevPki) -> None:
    first = pki.issue_user_certificate("user-7", "张三", "110101199001011234")
    again = pki.issue_user_certificate("user-7", "张三", "110101199001011234")
    assert again.serial_number == first.serial_number
    assert again.common_name == "张三"
    renamed = pki.issue_user_certificate("user-7", "张三丰", "110101199001011234")
    assert renamed.serial_number != first.serial_number
    record = pki.status(first.serial_number)
    assert record is not None and record.reason == "superseded"
    loaded = pki.user_credentials("user-7")
    assert loaded is not None and loaded.serial_number == renamed.serial_number


def test_identity_number_travels_masked_in_the_certificate(pki: DevPki) -> None:
    cred = pki.issue_user_certificate("user-8", "李四", "11010119900101123X")
    assert cred.certificate.subject.native["serial_number"] == "1101xxxxxxxxxx123X"
    assert mask_id_number("1234") == "1234"


def test_revoked_certificate_is_listed_in_the_issuing_crl(pki: DevPki) -> None:
    cred = pki.issue_user_certificate("user-9", "王五")
    pki.revoke(cred.serial_number, "key_compromise")
    crl = x509.load_der_x509_crl(pki.crl())
    entry = crl.get_revoked_certificate_by_serial_number(cred.serial_number)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    with pytest.raises(SealingError):
        pki.revoke(12345)


def test_two_processes_sharing_the_folder_see_each_others_issues_and_revocations(tmp_path: Path) -> None:
    pki_dir = tmp_path / "pki"
    one = DevPki.open(pki_dir, SECRET)
    other = DevPki.open(pki_dir, SECRET)  # another process: its own view of the registry
    known = len(other.records())
    first = one.issue_user_certificate("user-20", "赵六")
    second = other.issue_user_certificate("user-21", "钱七")
    assert {first.serial_number, second.serial_number} <= set(one.records())
    assert len(other.records()) == known + 2
    other.revoke(first.serial_number, "key_compromise")
    assert one.is_revoked(first.serial_number) and not one.is_revoked(second.serial_number)
    lines = (pki_dir / "registry.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == known + 3  # append-only: the revocation is a line of its own


def test_a_registry_of_an_older_version_is_carried_over(tmp_path: Path) -> None:
    pki_dir = tmp_path / "pki"
    pki = DevPki.open(pki_dir, SECRET)
    cred = pki.issue_user_certificate("user-22", "孙八")
    rows = [json.loads(line) for line in (pki_dir / "registry.jsonl").read_text("utf-8").splitlines()]
    (pki_dir / "registry.jsonl").unlink()
    (pki_dir / "registry.json").write_text(json.dumps({"certificates": rows}, ensure_ascii=False), "utf-8")
    reopened = DevPki.open(pki_dir, SECRET)
    record = reopened.status(cred.serial_number)
    assert record is not None and record.user_id == "user-22"
    assert not (pki_dir / "registry.json").exists()


def test_issued_certificates_avoid_the_asn1crypto_indefinite_length_trap(pki: DevPki, pki_dir: Path) -> None:
    for pem in [*pki_dir.glob("*.pem"), *(pki_dir / "users").glob("*.pem")]:
        assert not trips_asn1crypto(_cert(pem).public_bytes(serialization.Encoding.DER)), pem.name


def test_trap_detector_sees_a_128_byte_element() -> None:
    inner = b"\x04\x7e" + b"a" * 126  # 128 bytes
    assert trips_asn1crypto(b"\x30\x81\x80" + inner)
    assert not trips_asn1crypto(b"\x30\x81\x81" + inner + b"\x00")
