"""What browser tests share: Debian's headless Chromium driven by Playwright, staff login with a
one-time code, and where screenshots go.

Never `playwright install` (it downloads a browser): the chromium Debian package is used, with
the arguments of /work/shared/design/field-notes.md.  Screenshots show Chinese text only with a
CJK font installed (fonts-wqy-zenhei or fonts-noto-cjk).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: test artifacts (screenshots, downloads); ignored by git, kept by CI
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (playwright.sync_api.Browser); the test is skipped without Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def staff_login(page: Any, username: str, password: str, totp_secret: str) -> None:
    """Log in on /login with password and the current one-time code, as from an authenticator app."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.fill("#totp", pyotp.TOTP(totp_secret).now())
    page.click("#login-submit")
    page.wait_for_url("**/inbox")
