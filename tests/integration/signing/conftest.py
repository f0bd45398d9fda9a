"""Signing against real servers on loopback: our RFC 3161 TSA with CRL/OCSP, and poppler's pdfsig."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from signing.appearance import SealDesign
from signing.pki import DevPki, PkiSettings
from signing.seal import SealingService
from signing.trust import TrustSettings
from signing.tsa import TimestampAuthority
from signing.verify import SignatureVerifier

SECRET = "integration-test-instance-secret"
AGENCY = "某某市劳动人事争议仲裁委员会"
TIMESTAMP_TOKEN_OID = "1.2.840.113549.1.9.16.2.14"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_pdf(pages: int = 2, title: str = "Arbitral award") -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    for n in range(pages):
        c.drawString(72, 770, f"{title} - page {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """A dev PKI whose certificates point to the loopback server started by `authority`."""
    port = free_port()
    return DevPki.open(
        tmp_path_factory.mktemp("pki"), SECRET, PkiSettings(base_url=f"http://127.0.0.1:{port}")
    )


@pytest.fixture(scope="session")
def authority(pki: DevPki) -> Iterator[TimestampAuthority]:
    assert pki.settings.base_url is not None
    port = int(pki.settings.base_url.rsplit(":", 1)[1])
    tsa = TimestampAuthority.for_pki(pki, port=port)
    tsa.start()
    yield tsa
    tsa.stop()


@pytest.fixture(scope="session")
def trust(pki: DevPki) -> TrustSettings:
    return TrustSettings.for_pki(pki)


@pytest.fixture(scope="session")
def sealer(pki: DevPki, authority: TimestampAuthority, trust: TrustSettings) -> Iterator[SealingService]:
    service = SealingService.from_credentials(
        pki.seal_credentials(),
        design=SealDesign(AGENCY, "3201000012345", "仲裁专用章"),
        timestamper_url=authority.url,
        trust=trust,
    )
    yield service
    service.close()


@pytest.fixture(scope="session")
def verifier(trust: TrustSettings) -> SignatureVerifier:
    return SignatureVerifier(trust)


@pytest.fixture(scope="session")
def nss_db(pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database trusting our dev root, for pdfsig's certificate checks (`-nssdir`)."""
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler-utils (pdfsig) not installed")
    if shutil.which("certutil") is None:
        pytest.skip("libnss3-tools (certutil) not installed")
    folder = tmp_path_factory.mktemp("nssdb")
    root = folder / "root.pem"
    root.write_bytes(pki.certificate_pem("root-ca"))
    db = f"sql:{folder}"
    subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-n", "laborcase-dev-root", "-t", "CT,C,C", "-i", str(root), "-d", db],
        check=True,
        capture_output=True,
    )
    return db


def pdfsig(pdf: bytes, nss_db: str, folder: Path, *args: str) -> str:
    """pdfsig's report on `pdf` (it checks revocation with our OCSP responder)."""
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", nss_db, *args, str(path)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
    )
    return result.stdout + result.stderr
