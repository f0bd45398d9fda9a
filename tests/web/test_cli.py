"""The `laborcase` command line against a real database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tests.support import FIXTURE_BPMN, SECRET, People, fixture_system
from web.cli import main
from workflows.cases import OpenCase
from workflows.db import Database
from workflows.system import System


@pytest.fixture
def env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bpmn = tmp_path / "bpmn"
    shutil.copytree(FIXTURE_BPMN, bpmn, ignore=shutil.ignore_patterns("*.py"))
    monkeypatch.setenv("LABORCASE_DATABASE_URL", db.url)
    monkeypatch.setenv("LABORCASE_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("LABORCASE_BPMN_DIR", str(bpmn))
    monkeypatch.setenv("LABORCASE_SECRET_KEY", SECRET)
    return bpmn


def test_deploy_is_versioned_by_content_and_idempotent(env: Path) -> None:
    first = CliRunner().invoke(main, ["deploy"])
    assert first.exit_code == 0, first.output
    assert "deployed loop_process v1" in first.output
    again = CliRunner().invoke(main, ["deploy"])
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_deploy_of_a_broken_file_names_it_and_changes_nothing(env: Path, db: Database) -> None:
    assert CliRunner().invoke(main, ["deploy"]).exit_code == 0
    main_file = env / "loop_process" / "loop_process.bpmn"
    main_file.write_text(main_file.read_text().replace('name="clerk"', 'name="no_such_role"'))
    result = CliRunner().invoke(main, ["deploy"])
    assert result.exit_code == 1
    assert "loop_process.bpmn" in result.output and "no_such_role" in result.output
    with db.engine.connect() as conn:
        versions = conn.execute(
            text("SELECT count(*) FROM process_definition WHERE process_key = 'loop_process'")
        ).scalar()
    assert versions == 1


def test_audit_verify_detects_an_altered_row(env: Path, db: Database, tmp_path: Path) -> None:
    from tests.support import make_people

    system = fixture_system(db, tmp_path, env)
    people: People = make_people(db)
    system.cases.open_case(people.clerk, OpenCase("loop_process", "enquiry", "咨询", people.org_id))
    ok = CliRunner().invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor_label = 'someone else' WHERE seq = 1"))
    broken = CliRunner().invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN" in broken.output


def test_sms_outbox_prints_the_newest_message_to_a_phone(env: Path, tmp_path: Path) -> None:
    from integrations.sms.outbox import OutboxSmsSender

    outbox = OutboxSmsSender(tmp_path / "instance" / "sms-outbox.jsonl")  # the instance default
    outbox.send("13800138000", "您的注册验证码为 111111")
    outbox.send("13900139000", "您的注册验证码为 222222")
    outbox.send("13800138000", "您的注册验证码为 333333")
    result = CliRunner().invoke(main, ["sms-outbox", "+86 138 0013 8000"])
    assert result.exit_code == 0, result.output
    assert "333333" in result.output and "111111" not in result.output and "222222" not in result.output
    every = CliRunner().invoke(main, ["sms-outbox", "-n", "5"])
    assert all(code in every.output for code in ("111111", "222222", "333333"))
    assert CliRunner().invoke(main, ["sms-outbox", "13700137000"]).exit_code == 1


def test_sms_outbox_refuses_when_messages_go_to_a_gateway(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABORCASE_SMS_URL", "https://sms.example.gov.cn/send")
    result = CliRunner().invoke(main, ["sms-outbox"])
    assert result.exit_code == 1 and "no SMS gateway adapter" in result.output


@pytest.fixture
def issuing(
    env: Path, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[System, People]:
    """The services and the people of a commission whose documents commands seal with the dev PKI."""
    from tests.signing_support import ORGANISATION, free_port
    from tests.support import make_people

    monkeypatch.setenv("LABORCASE_PKI_PORT", str(free_port()))  # the dev TSA, started by the command
    monkeypatch.setenv("LABORCASE_SEAL_ORGANISATION", ORGANISATION)
    return fixture_system(db, tmp_path, env), make_people(db)


def test_documents_issue_then_archive_makes_the_closed_cases_b_lta_copies(
    issuing: tuple[System, People], db: Database, tmp_path: Path
) -> None:
    from documents.samples import sample

    system, people = issuing
    case = system.cases.open_case(
        people.clerk, OpenCase("loop_process", "arbitration", "仲裁", people.org_id)
    )
    data = tmp_path / "award.json"
    data.write_text(json.dumps(sample("award_document"), ensure_ascii=False), "utf-8")
    issued = CliRunner().invoke(
        main,
        ["documents", "issue", "--case-id", str(case.id), "--type", "award_document", "--data", str(data)],
    )
    assert issued.exit_code == 0, issued.output
    assert ": issued (verification code" in issued.output
    early = CliRunner().invoke(main, ["documents", "archive"])
    assert early.exit_code == 0 and "0 made, 0 renewed" in early.output  # the case is still open
    while tasks := system.cases.get_case(people.clerk, case.id).open_tasks:
        system.tasks.complete(people.clerk, tasks[0]["id"], {"again": False})
    archived = CliRunner().invoke(main, ["documents", "archive"])
    assert archived.exit_code == 0, archived.output
    assert "archival copies: 1 made, 0 renewed" in archived.output
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM issued_document WHERE archived_at IS NOT NULL")).scalar()
            == 1
        )


def test_documents_bulk_issue_issues_every_requested_document_on_several_processes(
    issuing: tuple[System, People], db: Database, tmp_path: Path
) -> None:
    from documents.samples import sample

    system, people = issuing
    ids = [
        system.cases.open_case(
            people.clerk, OpenCase("loop_process", "arbitration", f"仲裁{i}", people.org_id)
        ).id
        for i in range(4)
    ]
    fields = sample("award_document")
    for per_document in (
        "document_number",
        "issue_date",
        "verification_code",
        "verification_url",
        "case_number",
    ):
        fields.pop(per_document, None)
    data = tmp_path / "award.json"
    data.write_text(json.dumps(fields, ensure_ascii=False), "utf-8")
    args = ["documents", "bulk-issue", "--type", "award_document", "--data", str(data), "--processes", "2"]
    result = CliRunner().invoke(main, [*args, *(a for i in ids for a in ("--case-id", str(i)))])
    assert result.exit_code == 0, result.output
    assert "issued 4 of 4 in" in result.output and "/s once running)" in result.output
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT case_id, state, number, sha256 FROM issued_document")).all()
    assert sorted(r.case_id for r in rows) == sorted(ids)
    assert {r.state for r in rows} == {"issued"} and all(r.sha256 for r in rows)
    assert len({r.number for r in rows}) == 4  # each its own document number
    again = CliRunner().invoke(main, ["documents", "issue-pending"])
    assert again.exit_code == 0 and "nothing pending" in again.output
