"""A signature and the signing process's timers, at the same moment on PostgreSQL: no deadlock.

The worker's signature locks the contract and its case while the slow part (the PAdES signature
with a timestamp) runs; a timer of the same case comes due meanwhile.  The timer worker must
neither wait for the case while holding its timer, nor take the case and then wait for the
contract while the signature waits for the case: either cycle is a deadlock, which PostgreSQL
breaks by aborting one side (a refused signature or a failed timer).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.unit.workflows.contract_fixtures import PHONE, Setup, build, draft, worker_proves_identity
from workflows import audit
from workflows.db import Database
from workflows.models import LabourContract, Timer
from workflows.runtime import utcnow
from workflows.timers import FireOutcome


class _SlowSigner:
    """The real contract signer, which lets the test act while a signature is being made."""

    def __init__(self, inner: Any, signing: threading.Event, may_finish: threading.Event):
        self.inner, self.signing, self.may_finish = inner, signing, may_finish

    def _slowly(self, sign: Any, *args: Any) -> bytes:
        self.signing.set()
        self.may_finish.wait(timeout=3)  # the old lock order deadlocked here once it went on
        return bytes(sign(*args))

    def sign_personally(self, *args: Any) -> bytes:
        return self._slowly(self.inner.sign_personally, *args)

    def seal_for(self, *args: Any) -> bytes:
        return self._slowly(self.inner.seal_for, *args)


@pytest.fixture
def setup(pg_db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    return build(pg_db, signing, local_store, tmp_path)


@pytest.mark.parametrize("who", ["worker signs", "employer seals"])
def test_a_timer_due_during_a_signature_neither_deadlocks_nor_blocks_it(
    setup: Setup, pg_db: Database, who: str
) -> None:
    svc, p = setup.service, setup.parties
    later = utcnow() + timedelta(days=8)  # past the contract's reminder and its signing deadline
    if who == "worker signs":
        contract_id = draft(setup, "worker_first")
        svc.send(p.agent, contract_id)
        worker_proves_identity(setup, contract_id)
        act, expected = (lambda: svc.worker_sign(p.worker, contract_id, PHONE)), "worker_signed"
    else:
        contract_id = draft(setup, "employer_first")
        svc.send(p.agent, contract_id)
        act, expected = (lambda: svc.employer_seal(p.agent, contract_id)), "employer_sealed"
    signing, may_finish = threading.Event(), threading.Event()
    svc.signer = _SlowSigner(svc.signer, signing, may_finish)  # type: ignore[assignment]
    outcome: dict[str, Any] = {}

    def sign() -> None:
        try:
            outcome["state"] = act()
        except Exception as exc:
            outcome["error"] = exc

    signer = threading.Thread(target=sign)
    signer.start()
    assert signing.wait(timeout=10)
    fired: list[FireOutcome | None] = []
    timer = threading.Thread(target=lambda: fired.append(setup.timers.fire_one(later)))
    started = time.monotonic()
    timer.start()
    timer.join(timeout=2)
    waited = time.monotonic() - started
    may_finish.set()
    timer.join()
    signer.join()

    assert "error" not in outcome, f"the signature was refused: {outcome.get('error')!r}"
    assert outcome["state"] == expected
    assert fired == [None], "the case was busy: the worker leaves its timers for the next poll"
    assert waited < 1.5, f"the timer worker waited {waited:.1f} s for the busy case"

    # once nobody holds the case, its waiting timers fire (the deadline among them), each once
    fired_later = setup.timers.run_due(later)
    with pg_db.transaction() as s:
        assert s.execute(select(LabourContract.state)).scalar_one() == "expired"  # never completed
        states = [t.state for t in s.execute(select(Timer)).scalars()]
        assert "waiting" not in states and states.count("fired") == fired_later >= 1
        assert audit.verify(s) == []
