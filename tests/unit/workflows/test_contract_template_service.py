"""Employer contract templates: versions, the mandatory clauses of 劳动合同法 art.17, checked
defaults, concurrent edits, retirement (drafting refuses it) and the 样本 preview."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from sqlalchemy import func, select

from documents.contracts import ContractRenderer
from integrations.storage.local import LocalFolderDocumentStore
from signing.config import Signing
from tests.contract_support import sample_clauses
from tests.support import make_employer
from workflows.audit import SYSTEM, Actor
from workflows.contract_clauses import CLAUSES
from workflows.contract_template_service import (
    ContractTemplateService,
    TemplateChangedError,
    electronic_form_article,
)
from workflows.db import Database
from workflows.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import AuditEvent, LabourContract, LabourContractTemplate
from workflows.runtime import utcnow

from .contract_fixtures import Setup, build

EMPLOYER = "北京某某科技有限公司"


@pytest.fixture
def agents(db: Database) -> tuple[Actor, Actor]:
    _, agent = make_employer(db, EMPLOYER, "91110108MA01ABCD2X", "hr1")
    _, other = make_employer(db, "另一家某某公司", "91110108MA01XYZW3R", "hr9")
    return agent, other


@pytest.fixture
def service(db: Database) -> ContractTemplateService:
    return ContractTemplateService(db, ContractRenderer(), verify_base_url="https://lc.test/verify")


def editable(detail: Any) -> dict[str, Any]:
    content = dict(detail.content)
    content.pop("key", None)
    content.pop("title", None)
    return content


def pointers(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {p.pointer: p.message for p in caught.value.problems}


# -- create, list, revise ---------------------------------------------------------------------


def test_a_template_created_from_the_model_is_version_1_with_every_mandatory_clause(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    created = service.create(agent, title="本公司劳动合同", template_key="standard")
    assert (created.version.template_key, created.version.version, created.version.title) == (
        "standard",
        1,
        "本公司劳动合同",
    )
    assert [s["clause"] for s in created.content["sections"]] == [c.key for c in CLAUSES]
    assert created.content["closing"][-1] == electronic_form_article()
    assert created.version.created_by == agent.label
    [listed] = service.list(agent)
    assert listed.template_key == "standard" and listed.latest.version == 1 and not listed.retired


def test_an_edit_is_a_new_version_and_the_old_version_is_unchanged(
    service: ContractTemplateService, agents: tuple[Actor, Actor], db: Database
) -> None:
    agent, _ = agents
    v1 = service.create(agent, title="劳动合同", template_key="std")
    content = editable(v1)
    content["defaults"]["working_time"] = {"system": "standard", "rest": "每周休息两日。"}
    content["defaults"]["job"] = {"place": "北京市海淀区"}
    content["defaults"]["pay"] = {"pay_period": "monthly", "payday": "15"}
    content["defaults"]["other_terms"] = ["甲方为乙方提供免费工作餐。", "  "]
    content["sections"][3]["text"] = ["乙方应按照岗位职责完成工作。"]
    v2 = service.revise(agent, "std", base_version=1, title="劳动合同（2027 版）", content=content)
    assert v2.version.version == 2 and v2.latest_version == 2
    assert v2.content["defaults"]["pay"] == {"pay_period": "monthly", "payday": 15}
    assert v2.content["defaults"]["other_terms"] == ["甲方为乙方提供免费工作餐。"]
    old = service.get(agent, "std", 1)
    assert old.version.title == "劳动合同" and "job" not in old.content["defaults"]
    assert [v.version for v in service.get(agent, "std").versions] == [2, 1]
    with db.transaction() as s:
        actions = list(
            s.execute(
                select(AuditEvent.action).where(
                    AuditEvent.chain == f"labour_contract_template:{agent.organisation_id}:std"
                )
            ).scalars()
        )
    assert actions == ["labour_contract_template.created", "labour_contract_template.revised"]


def test_a_copy_of_an_own_template_starts_from_its_latest_version(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    v1 = service.create(agent, title="劳动合同", template_key="std")
    content = editable(v1)
    content["preamble"] = ["本合同依法订立。"]
    service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    copy = service.create(agent, title="销售岗位劳动合同", copy_of="std", template_key="sales")
    assert copy.version.version == 1 and copy.content["preamble"] == ["本合同依法订立。"]


def test_creating_with_a_taken_key_a_bad_key_or_an_unknown_source_is_refused_by_field(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    service.create(agent, title="劳动合同", template_key="std")
    with pytest.raises(ValidationError) as caught:
        service.create(agent, title="劳动合同", template_key="std")
    assert "已有" in pointers(caught)["/template_key"]
    with pytest.raises(ValidationError) as caught:
        service.create(agent, title="劳动合同", template_key="Not A Key!")
    assert "/template_key" in pointers(caught)
    with pytest.raises(ValidationError) as caught:
        service.create(agent, title="劳动合同", copy_of="nope")
    assert "/copy_of" in pointers(caught)
    with pytest.raises(ValidationError) as caught:
        service.create(agent, title="  ")
    assert "/title" in pointers(caught)


# -- the mandatory clauses (劳动合同法 art.17) and the defaults -------------------------------


@pytest.mark.parametrize("clause", [c.key for c in CLAUSES])
def test_removing_the_section_of_a_mandatory_clause_is_refused_naming_it_art_17(
    service: ContractTemplateService, agents: tuple[Actor, Actor], clause: str
) -> None:
    agent, _ = agents
    v1 = service.create(agent, title="劳动合同", template_key="std")
    content = editable(v1)
    content["sections"] = [s for s in content["sections"] if s["clause"] != clause]
    with pytest.raises(ValidationError) as caught:
        service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    found = pointers(caught)
    assert list(found) == [f"/content/sections/{clause}"]
    assert "劳动合同法第十七条第一款" in found[f"/content/sections/{clause}"]


def test_blanking_a_heading_or_a_mandatory_clause_text_is_refused(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    content = editable(service.create(agent, title="劳动合同", template_key="std"))
    content["sections"][5]["heading"] = " "
    content["defaults"]["social_insurance"] = {"description": ""}
    del content["defaults"]["protection"]["occupational_hazards"]
    with pytest.raises(ValidationError) as caught:
        service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    found = pointers(caught)
    assert "劳动报酬" in found["/content/sections/5/heading"]
    assert "社会保险" in found["/content/defaults/social_insurance/description"]
    assert "职业危害防护" in found["/content/defaults/protection/occupational_hazards"]


def test_sections_out_of_the_order_of_article_17_or_twice_are_refused(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    content = editable(service.create(agent, title="劳动合同", template_key="std"))
    swapped = dict(
        content, sections=[content["sections"][1], content["sections"][0], *content["sections"][2:]]
    )
    with pytest.raises(ValidationError, match="顺序"):
        service.revise(agent, "std", base_version=1, title="劳动合同", content=swapped)
    twice = dict(content, sections=[*content["sections"], content["sections"][0]])
    with pytest.raises(ValidationError) as caught:
        service.revise(agent, "std", base_version=1, title="劳动合同", content=twice)
    assert "只能有一个" in pointers(caught)["/content/sections/8/clause"]


@pytest.mark.parametrize(
    ("clause", "values", "pointer", "says"),
    [
        ("working_time", {"system": "shift"}, "/content/defaults/working_time/system", "标准工时制"),
        (
            "working_time",
            {"system": "standard", "hours_per_day": 10},
            "/content/defaults/working_time/hours_per_day",
            "8 小时",
        ),
        ("working_time", {"system": "comprehensive"}, "/content/defaults/working_time/approval", "审批文号"),
        ("pay", {"pay_period": "monthly", "payday": 40}, "/content/defaults/pay/payday", "1–31"),
        ("pay", {"pay_period": "yearly"}, "/content/defaults/pay/pay_period", "按月"),
        ("term", {"probation_months": 7}, "/content/defaults/term/probation_months", "第十九条"),
        ("term", {"probation_months": "two"}, "/content/defaults/term/probation_months", "整数"),
        ("pay", {"monthly_amount": "5000"}, "/content/defaults/pay/monthly_amount", "不能预设"),
        ("worker", {"name": "张三"}, "/content/defaults/worker", "不能预设"),
        ("job", {"place": "x" * 1001}, "/content/defaults/job/place", "1000"),
    ],
)
def test_defaults_pass_the_checks_drafting_applies(
    service: ContractTemplateService,
    agents: tuple[Actor, Actor],
    clause: str,
    values: dict[str, Any],
    pointer: str,
    says: str,
) -> None:
    agent, _ = agents
    content = editable(service.create(agent, title="劳动合同", template_key="std"))
    content["defaults"][clause] = values
    with pytest.raises(ValidationError) as caught:
        service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    found = pointers(caught)
    assert pointer in found, found
    assert says in found[pointer]


def test_sizes_are_bounded_with_pointers(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    content = editable(service.create(agent, title="劳动合同", template_key="std"))
    content["preamble"] = ["甲" * 2001]
    content["defaults"]["other_terms"] = ["约定"] * 31
    with pytest.raises(ValidationError) as caught:
        service.revise(agent, "std", base_version=1, title="劳" * 51, content=content)
    assert {"/title", "/content/preamble/0", "/content/defaults/other_terms"} <= set(pointers(caught))
    content = editable(service.get(agent, "std"))
    content["preamble"] = ["甲" * 1500] * 30
    with pytest.raises(ValidationError) as caught:
        service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    assert list(pointers(caught)) == ["/content"]


def test_the_electronic_form_article_is_kept_even_when_left_out(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    content = editable(service.create(agent, title="劳动合同", template_key="std"))
    content["closing"] = ["七、本合同一式两份。"]
    saved = service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    assert saved.content["closing"] == ["七、本合同一式两份。", electronic_form_article()]


# -- concurrency ---------------------------------------------------------------------------------


def test_a_stale_base_version_is_refused_asking_to_reload(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    content = editable(service.create(agent, title="劳动合同", template_key="std"))
    service.revise(agent, "std", base_version=1, title="劳动合同 A", content=content)
    with pytest.raises(TemplateChangedError, match="重新载入") as caught:
        service.revise(agent, "std", base_version=1, title="劳动合同 B", content=content)
    assert (caught.value.base_version, caught.value.latest_version) == (1, 2)
    assert [v.title for v in service.get(agent, "std").versions] == ["劳动合同 A", "劳动合同"]


def test_two_agents_saving_the_same_version_at_once_write_one_version_n_plus_1(
    pg_db: Database, tmp_path: Path
) -> None:
    _, agent = make_employer(pg_db, EMPLOYER, "91110108MA01ABCD2X", "hr1")
    service = ContractTemplateService(pg_db, ContractRenderer(), verify_base_url="https://lc.test/verify")
    content = editable(service.create(agent, title="劳动合同", template_key="std"))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            service.revise(agent, "std", base_version=1, title=f"劳动合同 {n}", content=content)
        except ConflictError:
            outcomes.append("conflict")
        else:
            outcomes.append("saved")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    with pg_db.transaction() as s:
        versions = sorted(s.execute(select(LabourContractTemplate.version)).scalars())
    assert versions == [1, 2]


# -- access ---------------------------------------------------------------------------------------


def test_another_employers_template_is_absent_and_only_agents_may_manage(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, other = agents
    v1 = service.create(agent, title="劳动合同", template_key="std")
    with pytest.raises(NotFoundError):
        service.get(other, "std")
    with pytest.raises(NotFoundError):
        service.get_by_id(other, v1.version.id)
    with pytest.raises(NotFoundError):
        service.revise(other, "std", base_version=1, title="x", content=editable(v1))
    with pytest.raises(NotFoundError):
        service.retire(other, "std")
    with pytest.raises(NotFoundError):
        service.preview(other, "std")
    assert service.list(other) == []
    with pytest.raises(PermissionDeniedError):
        service.list(SYSTEM)
    worker = Actor(99, "劳动者", frozenset({"worker"}), None)
    with pytest.raises(PermissionDeniedError):
        service.create(worker, title="劳动合同")


# -- retirement and drafting ----------------------------------------------------------------------


@pytest.fixture
def setup(db: Database, signing: Signing, local_store: LocalFolderDocumentStore, tmp_path: Path) -> Setup:
    return build(db, signing, local_store, tmp_path)


def _draft(setup: Setup, template_id: int, **changes: Any) -> int:
    clauses = sample_clauses()
    clauses.update(changes)
    return setup.service.create_draft(
        setup.parties.agent,
        template_id=template_id,
        worker_user_id=setup.parties.worker.user_id or 0,
        clauses=clauses,
        due_at=utcnow() + timedelta(days=7),
    ).contract_id


def test_drafting_uses_the_template_defaults_and_contracts_keep_their_version(
    setup: Setup, db: Database
) -> None:
    service = ContractTemplateService(db, ContractRenderer(), verify_base_url="https://lc.test/verify")
    agent = setup.parties.agent
    v1 = service.create(agent, title="劳动合同", template_key="std")
    first = _draft(setup, v1.version.id)
    content = editable(v1)
    content["defaults"]["other_terms"] = ["甲方每年组织一次免费体检。"]
    content["defaults"]["pay"] = {"pay_period": "monthly", "payday": 5}
    v2 = service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    clauses = sample_clauses()
    del clauses["pay"]["payday"]
    second = setup.service.create_draft(
        agent,
        template_id=v2.version.id,
        worker_user_id=setup.parties.worker.user_id or 0,
        clauses=clauses,
        due_at=utcnow() + timedelta(days=7),
    ).contract_id
    with db.transaction() as s:
        a, b = s.get(LabourContract, first), s.get(LabourContract, second)
        assert a is not None and b is not None
        assert (a.template_version, b.template_version) == (1, 2)
        assert b.clauses["other_terms"] == ["甲方每年组织一次免费体检。"] and b.clauses["pay"]["payday"] == 5
        assert "other_terms" not in a.clauses


def test_a_retired_template_is_refused_for_new_contracts_and_can_be_restored(
    setup: Setup, db: Database
) -> None:
    service = ContractTemplateService(db, ContractRenderer(), verify_base_url="https://lc.test/verify")
    agent = setup.parties.agent
    v1 = service.create(agent, title="劳动合同", template_key="std")
    content = editable(v1)
    v2 = service.revise(agent, "std", base_version=1, title="劳动合同", content=content)
    kept = _draft(setup, v2.version.id)
    retired = service.retire(agent, "std")
    assert retired.retired and all(v.retired_at is not None for v in retired.versions)
    for template_id in (v1.version.id, v2.version.id):
        with pytest.raises(ValidationError) as caught:
            _draft(setup, template_id)
        assert [p.pointer for p in caught.value.problems] == ["/template_id"]
        assert "已停用" in caught.value.message
    with pytest.raises(ConflictError, match="已停用"):
        service.revise(agent, "std", base_version=2, title="劳动合同", content=content)
    assert [t.template_key for t in service.list(agent, include_retired=False)] == [
        "model"
    ]  # adopted by build
    with db.transaction() as s:
        assert s.get(LabourContract, kept) is not None  # contracts made from it are untouched
    assert not service.unretire(agent, "std").retired
    assert _draft(setup, v2.version.id) > kept
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(LabourContract)).scalar() == 2


# -- preview ----------------------------------------------------------------------------------------


def test_the_preview_is_the_final_pdf_marked_as_a_sample(
    service: ContractTemplateService, agents: tuple[Actor, Actor]
) -> None:
    agent, _ = agents
    content = editable(service.create(agent, title="本公司劳动合同", template_key="std"))
    content["defaults"]["working_time"] = {
        "system": "flexible",
        "approval": "京人社审批〔2027〕1号",
        "rest": "轮休",
    }
    service.revise(agent, "std", base_version=1, title="本公司劳动合同", content=content)
    pdf = service.preview(agent, "std")
    assert pdf.startswith(b"%PDF-")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        title = str(doc.docinfo.get("/Title"))
        fields = [str(f.T) for f in doc.Root.AcroForm.Fields]
    assert "本公司劳动合同（样本）" in title and "样本" in title.split("）", 1)[1]
    assert fields == ["EmployerSeal", "WorkerSignature"]  # laid out exactly as a contract
    older = service.preview(agent, "std", 1)
    assert older.startswith(b"%PDF-") and older != pdf
