"""Issuing formal documents: numbered, sealed, stored, recorded — never half-issued.

The ports are replaced by small in-memory fakes here (the real renderer, sealer and stores are
tested in their own packages and together in tests/integration/test_issuing_real.py); these
tests pin the service's own rules: two phases, retries, races, numbering, access.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from workflows.audit import verify as verify_audit
from workflows.db import Database
from workflows.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from workflows.issuing import archive_key
from workflows.models import IssuedDocument, OutboxMessage, StoredFile
from workflows.ports import SealLevel

from .issuing_fixtures import Env, build_env


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Env:
    return build_env(db, tmp_path)


# -- tests ----------------------------------------------------------------------------------


def test_issue_numbers_renders_seals_stores_and_records(env: Env) -> None:
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    assert doc.state == "issued"
    assert doc.number.endswith("〔" + doc.number.split("〔")[1].split("〕")[0] + "〕第1号")
    assert doc.pages == 2
    _, data = env.renderer.calls[0]
    assert data["case_number"] and data["verification_code"] == doc.verification_code
    assert data["verification_url"].endswith("/" + doc.verification_code)
    assert [p["name"] for p in data["parties"]] == ["张三", "某某有限公司"]
    _, pdf = env.service.content(env.people.clerk, doc.id)
    assert b"sealed B-T" in pdf and hashlib.sha256(pdf).hexdigest() == doc.sha256
    with env.db.transaction() as s:
        [file] = s.execute(select(StoredFile)).scalars()
        assert (file.bucket, file.object_key, file.sha256) == ("archive", archive_key(doc.id), doc.sha256)
        assert s.execute(select(OutboxMessage.state)).scalar_one() == "done"
        assert verify_audit(s) == []


def test_document_numbers_are_gap_free_per_type_and_year(env: Env) -> None:
    numbers = [env.service.issue(env.people.clerk, env.case_id, "hearing_notice").number for _ in range(3)]
    other = env.service.issue(env.people.clerk, env.case_id, "award_document").number
    assert [n.rsplit("第", 1)[1] for n in numbers] == ["1号", "2号", "3号"]
    assert other.endswith("第1号") and "仲裁字" in other


def test_a_sealing_failure_leaves_the_document_pending_and_a_retry_issues_it(env: Env) -> None:
    env.sealer.fail_next = 1
    doc = env.service.issue(env.people.clerk, env.case_id, "award_document")
    assert doc.state == "pending" and doc.attempts == 1 and "TSA" in (doc.last_error or "")
    with pytest.raises(NotFoundError):  # nobody sees content of a pending document
        env.service.content(env.people.clerk, doc.id)
    assert env.service.lookup(doc.verification_code).state == "pending"
    assert env.service.complete(doc.id).state == "issued"
    assert env.service.content(env.people.clerk, doc.id)[0].state == "issued"


def test_storage_down_leaves_pending_and_the_outbox_worker_completes_it_later(env: Env) -> None:
    env.store.down = True
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    assert doc.state == "pending"
    env.store.down = False
    assert env.service.run_pending() == 0  # leased: not due again until the back-off ends
    env.service.clock = lambda: _later(minutes=5)  # past the lease
    assert env.service.run_pending() == 1
    assert env.service.get(env.people.clerk, doc.id).state == "issued"


def _later(minutes: int) -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_a_crash_after_storing_is_completed_without_a_second_seal(env: Env) -> None:
    view = env.service.request(env.people.clerk, env.case_id, "award_document")
    # the first worker rendered, sealed and stored, then died before recording
    env.service._produce(view.id, *_kind_data_level(env, view.id))
    assert env.sealer.count == 1
    assert env.service.complete(view.id).state == "issued"
    assert env.sealer.count == 1  # the stored copy was reused, not sealed again
    assert len(env.store.objects) == 1


def _kind_data_level(env: Env, document_id: int) -> tuple[Any, dict[str, Any], SealLevel]:
    from workflows.document_kinds import kind_of

    with env.db.transaction() as s:
        doc = s.get(IssuedDocument, document_id)
        assert doc is not None
        return kind_of(doc.document_type), dict(doc.data), SealLevel(doc.seal_level)


def test_two_workers_completing_one_document_record_it_once(env: Env) -> None:
    view = env.service.request(env.people.clerk, env.case_id, "mediation_statement")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def work() -> None:
        barrier.wait()
        results.append(env.service.complete(view.id).state)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["issued", "issued"]
    with env.db.transaction() as s:
        assert s.execute(select(func.count()).select_from(StoredFile)).scalar_one() == 1
        assert s.execute(select(IssuedDocument.attempts)).scalar_one() == 1
    assert len(env.store.objects) == 1


def test_unknown_document_type_or_bad_data_is_a_validation_error_and_writes_nothing(env: Env) -> None:
    with pytest.raises(ValidationError) as exc:
        env.service.issue(env.people.clerk, env.case_id, "love_letter")
    assert exc.value.problems[0].pointer == "/document_type"
    with pytest.raises(ValidationError) as exc:
        env.service.issue(env.people.clerk, env.case_id, "award_document", {"refuse": 1})
    assert exc.value.problems[0].pointer == "/refuse"
    # the number reserved for the refused request rolled back with it: no gap
    assert env.service.issue(env.people.clerk, env.case_id, "award_document").number.endswith("第1号")
    with env.db.transaction() as s:
        assert s.execute(select(func.count()).select_from(IssuedDocument)).scalar_one() == 1


def test_staff_of_another_commission_can_neither_issue_nor_read(env: Env) -> None:
    with pytest.raises(PermissionDeniedError):
        env.service.issue(env.people.other_clerk, env.case_id, "acceptance_notice")
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    with pytest.raises(PermissionDeniedError):
        env.service.content(env.people.other_clerk, doc.id)
    with pytest.raises(PermissionDeniedError):
        env.service.for_case(env.people.other_worker, env.case_id)


def test_revoked_document_shows_revoked_on_the_public_record(env: Env) -> None:
    doc = env.service.issue(env.people.clerk, env.case_id, "award_document")
    with pytest.raises(ValidationError):
        env.service.revoke(env.people.clerk, doc.id, " ")
    env.service.revoke(env.people.clerk, doc.id, "法院撤销裁决")
    record = env.service.lookup(doc.verification_code.lower())
    assert (record.state, record.revoke_reason) == ("revoked", "法院撤销裁决")
    with pytest.raises(ConflictError):
        env.service.revoke(env.people.clerk, doc.id, "again")


def test_an_uploaded_copy_is_found_in_the_records_by_its_hash(env: Env) -> None:
    doc = env.service.issue(env.people.clerk, env.case_id, "award_document")
    _, pdf = env.service.content(env.people.clerk, doc.id)
    check = env.service.check_upload(pdf)
    assert check.record is not None and check.record.number == doc.number
    assert env.service.check_upload(pdf + b"x").record is None
    with pytest.raises(NotFoundError):
        env.service.lookup("NOSUCHCODE")


def test_a_document_of_another_body_is_never_sealed_with_our_seal(env: Env) -> None:
    view = env.service.request(env.people.clerk, env.case_id, "acceptance_notice", {"issuer": "别的机构"})
    assert env.service.complete(view.id).state == "issued"  # the caller cannot rename the issuer
    env.sealer.organisation = "另一市劳动人事争议仲裁委员会"  # type: ignore[misc]
    doc = env.service.issue(env.people.clerk, env.case_id, "acceptance_notice")
    assert doc.state == "pending" and "no seal for" in (doc.last_error or "")
    assert env.sealer.count == 1
