"""Keys: parsed once, external files with passphrases, PKCS#11 only when python-pkcs11 is there."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from signing.keys import LoadedKeySigner, Pkcs11Seal, Pkcs11Settings, load_credentials_from_files
from signing.pki import DevPki
from workflows.errors import SealingError


def _write_external(pki: DevPki, tmp_path: Path, passphrase: bytes) -> tuple[Path, Path, Path]:
    cred = pki.issue_user_certificate("external-seal", "外部印章")
    cert = tmp_path / "seal.pem"
    key = tmp_path / "seal.key"
    chain = tmp_path / "chain.pem"
    cert.write_bytes(_pem(cred.certificate.dump()))
    key.write_bytes(
        cred.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
    )
    chain.write_bytes(pki.certificate_pem("issuing-ca") + pki.certificate_pem("root-ca"))
    return cert, key, chain


def _pem(der: bytes) -> bytes:
    from cryptography import x509

    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def test_external_certificate_and_encrypted_key_files_load(pki: DevPki, tmp_path: Path) -> None:
    cert, key, chain = _write_external(pki, tmp_path, b"hunter2")
    cred = load_credentials_from_files(cert, key, passphrase=b"hunter2", chain_files=[chain])
    assert cred.common_name == "外部印章"
    assert len(cred.chain) == 2
    assert isinstance(cred.signer(), LoadedKeySigner)


def test_a_wrong_key_passphrase_is_a_sealing_error(pki: DevPki, tmp_path: Path) -> None:
    cert, key, _ = _write_external(pki, tmp_path, b"hunter2")
    with pytest.raises(SealingError, match="passphrase"):
        load_credentials_from_files(cert, key, passphrase=b"wrong")


def test_missing_files_are_a_sealing_error(tmp_path: Path) -> None:
    with pytest.raises(SealingError, match="cannot read"):
        load_credentials_from_files(tmp_path / "nope.pem", tmp_path / "nope.key")


def test_pkcs11_settings_come_from_the_environment() -> None:
    env = {
        "LABORCASE_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
        "LABORCASE_PKCS11_TOKEN": "laborcase",
        "LABORCASE_PKCS11_KEY_LABEL": "seal",
        "LABORCASE_PKCS11_PIN": "1234",
        "LABORCASE_PKCS11_SLOT": "0",
    }
    settings = Pkcs11Settings.from_env(env)
    assert settings == Pkcs11Settings(
        module="/usr/lib/softhsm/libsofthsm2.so",
        key_label="seal",
        token_label="laborcase",
        slot_no=0,
        user_pin="1234",
    )
    assert Pkcs11Settings.from_env({}) is None


@pytest.mark.skipif(importlib.util.find_spec("pkcs11") is not None, reason="python-pkcs11 is installed")
def test_pkcs11_without_python_pkcs11_says_what_to_install() -> None:
    with pytest.raises(SealingError, match="python-pkcs11"):
        Pkcs11Seal(Pkcs11Settings(module="/usr/lib/softhsm/libsofthsm2.so"))


def test_the_signing_certificate_attribute_is_the_one_pyhanko_would_build(pki: DevPki) -> None:
    from pyhanko.sign import general

    from signing.keys import signing_certificate_v2_der

    certificates = [
        pki.issue_user_certificate("keys-test-1", "张三", "110101199001011234").certificate,  # EC
        pki.issue_organisation_seal("keys-test-2", "北京某某科技有限公司", "91110108MA01ABCD2X").certificate,
        pki.seal_credentials().certificate,  # RSA, the agency's
        pki.root_certificate,  # self-issued, long serial
    ]
    for cert in certificates:
        stock = general.simple_cms_attribute(
            "signing_certificate_v2", general.as_signing_certificate_v2(cert)
        )
        assert signing_certificate_v2_der(cert) == stock.dump()
