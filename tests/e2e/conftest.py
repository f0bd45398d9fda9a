"""The app as it runs for real, for end-to-end browser tests.

`laborcase serve` in its own process (the embedded default of `scripts/run`, without demo data):
web UI and API on a free port, the worker thread that fires timers and seals pending documents,
the dev PKI with our RFC 3161 timestamp authority on another free port, local-folder storage and
the development SMS outbox in its instance folder.  Its database is a test database of
tests/conftest.py: SQLite, the embedded default (a run takes about a minute; set
LABORCASE_E2E_BACKENDS=sqlite,postgresql to run on both).  Staff, the employer's agent and a
hearing room are created the way the demo data creates them (`workflows.identity.create_user`,
`HearingService.add_room`); everything else happens in the browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from integrations.sms.outbox import OutboxSmsSender
from tests.browser_support import chromium
from tests.conftest import BACKENDS, empty_tables
from tests.storage_support import free_ports
from tests.support import SECRET
from workflows.audit import SYSTEM
from workflows.config import Settings
from workflows.db import Database
from workflows.identity import create_user, uscc_check_char
from workflows.models import Organisation
from workflows.roles import ARBITRATOR, CLERK, COMMISSION_HEAD, EMPLOYER_AGENT
from workflows.system import build_system

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
COMMISSION = "某市劳动人事争议仲裁委员会"  # the seal of this instance is this commission's
EMPLOYER = "广州示范科技有限公司"
EMPLOYER_USCC = "91440101MA5CY7LK0" + uscc_check_char("91440101MA5CY7LK0")
#: the staff accounts created before the server starts, by role: (username, display name)
STAFF = {
    CLERK: ("clerk", "王书记员"),
    ARBITRATOR: ("arbitrator", "李仲裁员"),
    COMMISSION_HEAD: ("head", "张主任"),
}
AGENT = ("hr_agent", "周经办")
START_TIMEOUT = 90.0
START_ATTEMPTS = 3
#: the backends of tests/conftest.py to run the journey on (each one is a full run)
E2E_BACKENDS = [
    b for b in os.environ.get("LABORCASE_E2E_BACKENDS", "sqlite").split(",") if b in BACKENDS
] or BACKENDS[:1]


@dataclass
class LiveApp:
    """A running `laborcase serve` and what a test needs to know about it."""

    url: str
    instance: Path
    log: Path
    commission_id: int
    employer_id: int
    totp: dict[str, str] = field(default_factory=dict)  # staff username -> TOTP secret

    @property
    def sms(self) -> OutboxSmsSender:
        """The development SMS outbox: where a real phone would have received the text."""
        return OutboxSmsSender(self.instance / "sms-outbox.jsonl")

    @property
    def root_certificate(self) -> Path:
        """The dev PKI's root (trusted by the app's own verifier; given to pdfsig)."""
        return self.instance / "pki" / "root-ca.pem"

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _accounts(db: Database, tmp_path: Path) -> tuple[int, int, dict[str, str]]:
    """The commission with its staff and a hearing room, and an employer with its agent (as
    workflows.demo does; the room as its head or administrator would set it up)."""
    totp: dict[str, str] = {}
    with db.transaction() as s:
        # Beijing: its minimum wage is on record, so finality of awards can be judged (法47)
        commission = Organisation(kind="commission", name=COMMISSION, region_code="110000")
        employer = Organisation(kind="employer", name=EMPLOYER, uscc=EMPLOYER_USCC)
        s.add_all([commission, employer])
        s.flush()
        for role, (username, name) in STAFF.items():
            _, secret = create_user(
                s, username=username, display_name=name, password=PASSWORD, roles={role},
                organisation_id=commission.id, actor=SYSTEM, secret_key=SECRET,
            )  # fmt: skip
            assert secret
            totp[username] = secret
        create_user(
            s, username=AGENT[0], display_name=AGENT[1], password=PASSWORD, roles={EMPLOYER_AGENT},
            organisation_id=employer.id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
        s.flush()
        ids = commission.id, employer.id
    settings = Settings(instance_dir=tmp_path / "setup", database_url=db.url, secret_key=SECRET)
    (build_system(settings, database=db)).hearings.add_room(
        SYSTEM, "第一仲裁庭", organisation_id=ids[0], address="仲裁院三楼", capacity=20
    )
    return *ids, totp


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"laborcase serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"laborcase serve did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()}")


@pytest.fixture(params=E2E_BACKENDS)
def db(request: pytest.FixtureRequest, _databases: dict[str, Database]) -> Iterator[Database]:
    """The test database: SQLite, the embedded default, unless LABORCASE_E2E_BACKENDS says more."""
    database = _databases[request.param]
    empty_tables(database)
    yield database


@pytest.fixture
def live_app(db: Database, tmp_path: Path) -> Iterator[LiveApp]:
    """`laborcase serve --no-demo` on the test database, stopped (by its pid) after the test."""
    started = _start_serve(db, tmp_path / "instance", tmp_path / "server.log")
    commission_id, employer_id, totp = _accounts(db, tmp_path)  # while the server starts
    for attempt in range(1, START_ATTEMPTS + 1):
        url, instance, log, proc = started
        try:
            _wait_until_up(url, proc, log)
            break
        except AssertionError:
            _stop(proc)
            # a port found free was taken before the server bound it: start afresh on two others
            # (a new instance: the dev PKI's certificates name the port of its CRL and OCSP)
            if attempt == START_ATTEMPTS or "Address already in use" not in log.read_text():
                raise
            started = _start_serve(
                db, tmp_path / f"instance-{attempt + 1}", tmp_path / f"server-{attempt + 1}.log"
            )
    try:
        yield LiveApp(url, instance, log, commission_id, employer_id, totp)
    finally:
        _stop(proc)


def _start_serve(db: Database, instance: Path, log: Path) -> tuple[str, Path, Path, subprocess.Popen[bytes]]:
    port, pki_port = free_ports(2)
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABORCASE_")}
    env.update(
        LABORCASE_INSTANCE=str(instance),
        LABORCASE_DATABASE_URL=db.url,
        LABORCASE_SECRET_KEY=SECRET,
        LABORCASE_PUBLIC_URL=url,  # printed on the documents: their QR codes lead here
        LABORCASE_PKI_PORT=str(pki_port),  # our TSA, CRL and OCSP
        LABORCASE_SEAL_ORGANISATION=COMMISSION,
        PYTHONUNBUFFERED="1",
    )
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--no-demo", "--port", str(port), "--threads", "8"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return url, instance, log, proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b
