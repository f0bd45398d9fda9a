"""A contract service on real components: dev PKI + our TSA, a local (or S3) store, SMS outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from documents.contracts import ContractRenderer
from integrations.sms.outbox import OutboxSmsSender
from signing.config import Signing
from signing.contracts import ContractSigningService
from tests.contract_support import EMPLOYER_USCC, WORKER_RESIDENT_ID, sample_clauses
from tests.support import SECRET, make_employer
from workflows.audit import SYSTEM, Actor
from workflows.contracts import EFFECTS, ClientInfo, ContractService
from workflows.db import Database
from workflows.definitions import Definitions, read_folder
from workflows.engine import Engine
from workflows.identity import create_user
from workflows.minimum_wages import MinimumWages
from workflows.notifications import NotificationService
from workflows.ports import DocumentStore
from workflows.registration import RegistrationService
from workflows.roles import ALL_ROLES
from workflows.runtime import CaseRuntime, utcnow
from workflows.timers import TimerService

SIGNING_BPMN = Path(__file__).resolve().parents[3] / "bpmn" / "labour_contract_signing"

EMPLOYER = "北京某某科技有限公司"
WORKER_PHONE = "13800138000"
PHONE = ClientInfo(ip="203.0.113.7", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile")
DESK = ClientInfo(ip="198.51.100.20", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130")


@dataclass
class Parties:
    employer_id: int
    agent: Actor
    other_agent: Actor
    worker: Actor
    other_worker: Actor


@dataclass
class Setup:
    service: ContractService
    parties: Parties
    outbox: OutboxSmsSender
    template_id: int
    timers: TimerService  # fires the signing process's reminders and deadline
    notifications: NotificationService  # sends the queued texts (to `outbox`)


def make_parties(db: Database) -> Parties:
    employer_id, agent = make_employer(db, EMPLOYER, EMPLOYER_USCC, "hr1")
    _, other_agent = make_employer(db, "另一家某某公司", "91110108MA01XYZW3R", "hr9")
    with db.transaction() as s:

        def worker(username: str, name: str, rid: str, phone: str) -> Actor:
            u, _ = create_user(
                s, username=username, display_name=name, password="correct horse battery", roles={"worker"},
                actor=SYSTEM, secret_key=SECRET, resident_id=rid, phone=phone,
            )  # fmt: skip
            s.flush()
            return Actor(u.id, name, frozenset({"worker"}), None)

        return Parties(
            employer_id=employer_id,
            agent=agent,
            other_agent=other_agent,
            worker=worker(WORKER_PHONE, "王小明", WORKER_RESIDENT_ID, WORKER_PHONE),
            other_worker=worker("13900139000", "李四", "110101198501010017", "13900139000"),
        )


def build(db: Database, signing: Signing, store: DocumentStore, tmp_path: Path) -> Setup:
    outbox = OutboxSmsSender(tmp_path / "sms-outbox.jsonl")
    codes = RegistrationService(db, outbox, secret_key=SECRET)
    engine = Engine()
    definitions = Definitions(engine, known_roles=ALL_ROLES, known_effects=EFFECTS)
    runtime = CaseRuntime(engine)
    with db.transaction() as s:
        definitions.deploy(s, [read_folder(SIGNING_BPMN)], SYSTEM)
    service = ContractService(
        db,
        ContractRenderer(),
        ContractSigningService(signing.sealer, signing.pki),
        store,
        signing.verifier,
        runtime=runtime,
        definitions=definitions,
        phone_codes=codes,
        verify_base_url="https://laborcase.example/verify",
        wages=MinimumWages.load(),
    )
    parties = make_parties(db)
    return Setup(
        service,
        parties,
        outbox,
        service.adopt_model_template(parties.agent),
        TimerService(db, definitions, runtime),
        NotificationService(db, outbox),
    )


def draft(setup: Setup, order: str = "worker_first", **changes: object) -> int:
    clauses = sample_clauses()
    clauses.update(changes)
    return setup.service.create_draft(
        setup.parties.agent,
        template_id=setup.template_id,
        worker_user_id=setup.parties.worker.user_id or 0,
        clauses=clauses,
        due_at=utcnow() + timedelta(days=7),
        signing_order=order,
        client=DESK,
    ).contract_id


def last_code(outbox: OutboxSmsSender, phone: str = WORKER_PHONE) -> str:
    entry = outbox.last_message(phone)
    assert entry is not None
    found = re.search(r"验证码为 (\d{6})", entry.text)
    assert found is not None
    return found.group(1)


def worker_proves_identity(setup: Setup, contract_id: int) -> None:
    worker = setup.parties.worker
    setup.service.request_signing_code(worker, contract_id, PHONE)
    setup.service.verify_worker_identity(worker, contract_id, last_code(setup.outbox), PHONE)


def conclude(setup: Setup, contract_id: int, order: str) -> None:
    svc, p = setup.service, setup.parties
    svc.send(p.agent, contract_id, DESK)
    if order == "employer_first":
        assert svc.employer_seal(p.agent, contract_id, DESK) == "employer_sealed"
        worker_proves_identity(setup, contract_id)
        assert svc.worker_sign(p.worker, contract_id, PHONE) == "concluded"
    else:
        worker_proves_identity(setup, contract_id)
        assert svc.worker_sign(p.worker, contract_id, PHONE) == "worker_signed"
        assert svc.employer_seal(p.agent, contract_id, DESK) == "concluded"
