"""Shared fixtures: each sample document rendered once per session, and poppler helpers."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from documents import render
from documents.samples import SAMPLES
from workflows.ports import RenderedDocument

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")


@pytest.fixture(scope="session")
def rendered() -> dict[str, RenderedDocument]:
    """Every document type rendered from its sample data (PDF/A-2b, as issued)."""
    return {key: render(key, make()) for key, make in SAMPLES.items()}


@pytest.fixture(scope="session")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes, str], Path]:
    folder = tmp_path_factory.mktemp("pdf")

    def write(pdf: bytes, name: str) -> Path:
        path = folder / f"{name}.pdf"
        path.write_bytes(pdf)
        return path

    return write


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def pdf_text(path: Path, *, layout: bool = False) -> str:
    return run("pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", path, "-")


def squeeze(text: str) -> str:
    """Text without any whitespace: justified CJK lines and spaced titles come out spaced."""
    return "".join(text.split())
