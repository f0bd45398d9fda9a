"""Fixtures for signing tests without network: a dev PKI in a temp folder, B-B sealing, a verifier."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from signing.appearance import SealDesign
from signing.pki import DevPki
from signing.seal import SealingService
from signing.trust import TrustSettings
from signing.verify import SignatureVerifier

SECRET = "unit-test-instance-secret"
AGENCY = "某某市劳动人事争议仲裁委员会"


def make_pdf(pages: int = 2, title: str = "Test award") -> bytes:
    """A plain reportlab document standing in for the rendered 文书."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    for n in range(pages):
        c.setFont("Helvetica", 14)
        c.drawString(72, 770, f"{title} - page {n + 1}")
        c.drawString(72, 740, "The claim is granted in part.")
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="session")
def pki(pki_dir: Path) -> DevPki:
    return DevPki.open(pki_dir, SECRET)


@pytest.fixture(scope="session")
def trust(pki: DevPki) -> TrustSettings:
    return TrustSettings.for_pki(pki)


@pytest.fixture(scope="session")
def verifier(trust: TrustSettings) -> SignatureVerifier:
    return SignatureVerifier(trust, max_bytes=2 * 1024 * 1024)


@pytest.fixture(scope="session")
def sealer(pki: DevPki, trust: TrustSettings) -> Iterator[SealingService]:
    """Seals at B-B (no timestamp authority needed)."""
    service = SealingService.from_credentials(
        pki.seal_credentials(), design=SealDesign(AGENCY, "3201000012345", "仲裁专用章"), trust=trust
    )
    yield service
    service.close()


@pytest.fixture(scope="session")
def plain_pdf() -> bytes:
    return make_pdf()
