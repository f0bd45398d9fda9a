"""Assemble the domain services from settings (used by the web app, the worker and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from workflows.administration import Administration
from workflows.archival import ArchivalService
from workflows.audit import SYSTEM
from workflows.briefings import BriefingService
from workflows.case_messages import CaseMessageService
from workflows.cases import CaseService
from workflows.collective import CollectiveService
from workflows.config import Settings
from workflows.continuation import ContinuationService
from workflows.contract_batches import ContractBatchService
from workflows.contract_template_service import ContractTemplateService
from workflows.contracts import EFFECTS as CONTRACT_EFFECTS
from workflows.contracts import ContractService
from workflows.db import Database
from workflows.deadline_service import DeadlineService
from workflows.defence import DefenceService
from workflows.definitions import Definitions, read_all
from workflows.diagrams import DiagramService
from workflows.engine import Engine
from workflows.evidence import EvidenceService
from workflows.filing import FilingService
from workflows.hearings import HearingService
from workflows.idempotency import IdempotencyService
from workflows.issuing import IssuingService
from workflows.messages import MessageService
from workflows.minimum_wages import MinimumWages, award_finality_service
from workflows.models import ProcessDefinition
from workflows.notifications import NotificationService
from workflows.oversight import OversightService
from workflows.party_requests import PartyRequestService
from workflows.ports import DocumentAdapters, DocumentStore, SmsSender
from workflows.ratings import RatingService
from workflows.registration import RegistrationService
from workflows.roles import ALL_ROLES
from workflows.runtime import CaseRuntime, Clock, utcnow
from workflows.service_receipts import ServiceReceiptService
from workflows.service_tasks import SERVICE_TASKS
from workflows.statutes import RULES
from workflows.task_deadlines import StatutoryDeadlines
from workflows.tasks import TaskService
from workflows.timers import TimerService
from workflows.withdrawal import WithdrawalService


@dataclass
class System:
    settings: Settings
    db: Database
    engine: Engine
    definitions: Definitions
    runtime: CaseRuntime
    cases: CaseService
    continuation: ContinuationService
    tasks: TaskService
    hearings: HearingService
    withdrawal: WithdrawalService
    messages: MessageService
    party_requests: PartyRequestService
    briefings: BriefingService
    timers: TimerService
    deadlines: DeadlineService
    diagrams: DiagramService
    administration: Administration
    filing: FilingService
    defence: DefenceService
    collective: CollectiveService
    case_messages: CaseMessageService
    service_receipts: ServiceReceiptService
    ratings: RatingService
    oversight: OversightService
    idempotency: IdempotencyService  # replayable API requests (Idempotency-Key)
    issuing: IssuingService | None = None  # None until document adapters are wired in
    archival: ArchivalService | None = None  # archival copies and their renewal (with issuing)
    evidence: EvidenceService | None = None  # None until a document store is wired in
    registration: RegistrationService | None = None  # None until an SMS sender is wired in
    contracts: ContractService | None = None  # None until contract adapters and SMS are wired in
    contract_templates: ContractTemplateService | None = None  # employers' templates (with contracts)
    contract_batches: ContractBatchService | None = None  # bulk send from spreadsheets (with contracts)
    notifications: NotificationService | None = None  # None until an SMS sender is wired in
    store: DocumentStore | None = None  # the document store, where one is wired in

    def bootstrap(self) -> list[ProcessDefinition]:
        """Migrate the schema and deploy the process folders (a no-op when nothing changed)."""
        self.db.create_schema()
        bundles = read_all(self.settings.bpmn_dir)
        with self.db.transaction() as s:
            return self.definitions.deploy(s, bundles, SYSTEM)


def build_system(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    database: Database | None = None,
    documents: DocumentAdapters | None = None,
    sms: SmsSender | None = None,
    store: DocumentStore | None = None,
) -> System:
    """The services; `store` (or the one in `documents`) keeps evidence, `documents` issues 文书."""
    db = database or Database(settings.database_url)
    zone = ZoneInfo(settings.timezone)
    wages = MinimumWages.load(settings.minimum_wages_file)
    engine = Engine(
        services={
            **SERVICE_TASKS,
            "award_finality": award_finality_service(wages, today=lambda: clock().astimezone(zone).date()),
        }
    )
    definitions = Definitions(
        engine, known_roles=ALL_ROLES, known_deadline_rules=RULES.keys(), known_effects=CONTRACT_EFFECTS
    )
    issuing = (
        None
        if documents is None
        else IssuingService(
            db,
            documents.renderer,
            documents.sealer,
            documents.store,
            documents.verifier,
            verify_base_url=documents.verify_base_url,
            timezone=settings.timezone,
            clock=clock,
        )
    )
    runtime = CaseRuntime(
        engine, deadlines=StatutoryDeadlines(settings.timezone), clock=clock, documents=issuing
    )
    cases = CaseService(db, definitions, runtime)
    messages = MessageService(db, definitions, runtime)
    store = store or (documents.store if documents is not None else None)
    evidence = (
        None
        if store is None
        else EvidenceService(db, store, max_bytes=settings.evidence_max_bytes, clock=clock)
    )
    registration = (
        None if sms is None else RegistrationService(db, sms, secret_key=settings.secret_key, clock=clock)
    )
    contracts = (
        None
        if documents is None
        or documents.contract_renderer is None
        or documents.contract_signer is None
        or registration is None
        else ContractService(
            db,
            documents.contract_renderer,
            documents.contract_signer,
            documents.store,
            documents.verifier,
            runtime=runtime,
            definitions=definitions,
            phone_codes=registration,
            verify_base_url=documents.verify_base_url,
            wages=wages,
            clock=clock,
            timezone=settings.timezone,
        )
    )
    tasks = TaskService(db, definitions, runtime)
    hearings = HearingService(db, definitions, runtime, tasks)
    return System(
        settings=settings,
        db=db,
        engine=engine,
        definitions=definitions,
        runtime=runtime,
        cases=cases,
        continuation=ContinuationService(db, cases),
        tasks=tasks,
        hearings=hearings,
        withdrawal=WithdrawalService(db, definitions, runtime, hearings),
        messages=messages,
        party_requests=PartyRequestService(db, definitions, runtime, messages, settings.timezone),
        briefings=BriefingService(db, definitions, runtime, settings.timezone),
        timers=TimerService(db, definitions, runtime),
        diagrams=DiagramService(db, definitions, runtime),
        deadlines=DeadlineService(db, clock, settings.due_soon_days, documents=issuing),
        administration=Administration(db, definitions),
        filing=FilingService(db, cases, evidence),
        defence=DefenceService(db, messages, evidence),
        collective=CollectiveService(db, clock),
        case_messages=CaseMessageService(db, clock),
        service_receipts=ServiceReceiptService(db, clock, timezone=settings.timezone),
        ratings=RatingService(db, clock),
        oversight=OversightService(db, clock, settings.due_soon_days),
        issuing=issuing,
        archival=(
            None if documents is None else ArchivalService(db, documents.sealer, documents.store, clock=clock)
        ),
        evidence=evidence,
        registration=registration,
        contracts=contracts,
        contract_batches=None if contracts is None else ContractBatchService(db, contracts, clock=clock),
        contract_templates=(
            None
            if contracts is None
            else ContractTemplateService(
                db, contracts.renderer, verify_base_url=contracts.verify_base_url, clock=clock
            )
        ),
        notifications=None if sms is None else NotificationService(db, sms, clock=clock),
        idempotency=IdempotencyService(db, clock=clock),
        store=store,
    )
