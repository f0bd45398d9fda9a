"""The embedded default assembled from configuration: PKI on first run, loopback TSA, B-T seals."""

from __future__ import annotations

from pathlib import Path

import pytest

from signing.config import SigningConfig, open_signing
from workflows.errors import SealingError
from workflows.ports import SealLevel, SealPosition

from .conftest import free_port, make_pdf


def test_embedded_default_seals_b_t_and_reuses_its_pki(tmp_path: Path) -> None:
    config = SigningConfig.from_env(tmp_path, "embedded-secret", env={"LABORCASE_PKI_PORT": str(free_port())})
    signing = open_signing(config)
    try:
        sealed = signing.sealer.seal(make_pdf(), SealPosition(0, 400, 100))
        report = signing.verifier.verify(sealed)
        assert report.valid and report.signatures[0].level == "B-T"
        serial = signing.pki.seal_credentials().serial_number
    finally:
        signing.close()
    again = open_signing(config, start_tsa=False)
    try:
        assert again.pki.seal_credentials().serial_number == serial
        assert (tmp_path / "pki" / "root-ca.pem").exists()
        # without our TSA running, a B-B seal still works
        assert again.verifier.verify(again.sealer.seal(make_pdf(), None, SealLevel.B_B)).valid
    finally:
        again.close()


def test_configuration_from_the_environment() -> None:
    env = {
        "LABORCASE_SEAL_ORGANISATION": "某某市劳动保障监察支队",
        "LABORCASE_SEAL_NUMBER": "3201000099999",
        "LABORCASE_TSA_URL": "https://tsa.example.org/tsa",
        "LABORCASE_TRUST_ROOTS": "/etc/roots/a.pem:/etc/roots/b.pem",
        "LABORCASE_VERIFY_MAX_BYTES": "1048576",
        "LABORCASE_REVOCATION_FETCH": "1",
    }
    config = SigningConfig.from_env(Path("/srv/instance"), "s", env=env)
    assert config.organisation == "某某市劳动保障监察支队"
    assert config.seal_number == "3201000099999"
    assert config.tsa_url == "https://tsa.example.org/tsa"
    assert config.trust_roots == (Path("/etc/roots/a.pem"), Path("/etc/roots/b.pem"))
    assert config.max_upload_bytes == 1048576 and config.fetch_revocation
    assert config.pkcs11 is None


def test_a_seal_certificate_without_its_key_is_a_configuration_error(tmp_path: Path) -> None:
    config = SigningConfig.from_env(
        tmp_path, "s", env={"LABORCASE_SEAL_CERT": str(tmp_path / "seal.pem"), "LABORCASE_PKI_PORT": "1"}
    )
    with pytest.raises(SealingError, match="LABORCASE_SEAL_KEY"):
        open_signing(config, start_tsa=False)
