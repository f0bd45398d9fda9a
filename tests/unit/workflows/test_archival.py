"""Archival copies (B-LTA) of the documents of closed cases, and their renewal, on fake ports.

The real sealer's B-LTA copies and renewals are checked in tests/integration/test_issuing_real.py
and tests/integration/signing/test_sealing_service.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflows.archival import RENEWAL_MARGIN, RENEWAL_RETRY, archival_key
from workflows.audit import verify as verify_audit
from workflows.db import Database
from workflows.issuing import as_utc
from workflows.models import IssuedDocument, StoredFile
from workflows.ports import Bucket
from workflows.worker import run_worker

from .issuing_fixtures import Env, build_env


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Env:
    return build_env(db, tmp_path)


# -- archival copies when the case closes ------------------------------------------------------


def test_closing_a_case_makes_one_archival_copy_of_each_issued_document(env: Env) -> None:
    award = env.service.issue(env.people.clerk, env.case_id, "award_document")
    notice = env.service.issue(env.people.clerk, env.case_id, "hearing_notice")
    pending = env.service.request(env.people.clerk, env.case_id, "acceptance_notice")
    assert env.archival.archive_closed() == 0  # the case is still open
    env.close_case()
    assert env.archival.archive_closed() == 2  # the pending one has nothing to keep yet
    assert env.service.get(env.people.clerk, award.id).archived_at is not None
    assert env.archival.archive_closed() == 0  # once only
    for view in (award, notice):
        data, obj = env.store.objects[(Bucket.ARCHIVE, archival_key(view.id))]
        _, original = env.service.content(env.people.clerk, view.id)
        assert data == env.sealer.lta(original)  # the sealed original, raised to B-LTA
        assert obj.metadata["archival-copy-of"] == view.sha256
        years = 30 if view.id == award.id else 10
        assert view.issued_at is not None
        assert obj.retain_until == view.issued_at + timedelta(days=365 * years + years // 4)
    with env.db.transaction() as s:
        docs = {d.id: d for d in s.execute(select(IssuedDocument)).scalars()}
        assert docs[pending.id].archival_file_id is None
        files = s.execute(select(StoredFile).where(StoredFile.kind.like("archival:%"))).scalars().all()
        assert {f.object_key for f in files} == {archival_key(award.id), archival_key(notice.id)}
        assert {docs[award.id].archival_file_id, docs[notice.id].archival_file_id} == {f.id for f in files}
        assert verify_audit(s) == []
    events = env.system.cases.history(env.people.clerk, env.case_id)
    assert sum(e["action"] == "document.archived" for e in events) == 2


def test_a_failed_archival_copy_writes_nothing_and_the_next_sweep_makes_it(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    env.sealer.fail_archival = 1
    assert env.archival.archive_closed() == 0
    assert (Bucket.ARCHIVE, archival_key(view.id)) not in env.store.objects
    with env.db.transaction() as s:
        assert s.get(IssuedDocument, view.id).archival_file_id is None  # type: ignore[union-attr]
    assert env.archival.archive_closed() == 1


def test_a_crash_after_storing_the_archival_copy_records_it_without_a_second_timestamp(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    _, original = env.service.content(env.people.clerk, view.id)
    env.store.put(
        Bucket.ARCHIVE, env.sealer.lta(original), content_type="application/pdf", key=archival_key(view.id)
    )  # stored by a worker that died before recording it
    assert env.archival.archive_closed() == 1
    assert env.sealer.archived == []


def test_two_workers_archiving_one_document_record_one_copy(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    results: list[bool] = []

    def archive() -> None:
        results.append(env.archival.archive(view.id))

    threads = [threading.Thread(target=archive) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    with env.db.transaction() as s:
        archival = select(func.count()).select_from(StoredFile).where(StoredFile.kind.like("archival:%"))
        assert s.execute(archival).scalar_one() == 1


def test_the_worker_sweep_archives_the_documents_of_closed_cases(env: Env) -> None:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    rounds = iter(range(2))
    run_worker(
        env.system.timers,
        env.system.deadlines,
        poll_seconds=0,
        archival=env.archival,
        should_stop=lambda: next(rounds, None) is None,
    )
    assert (Bucket.ARCHIVE, archival_key(view.id)) in env.store.objects


# -- renewal before the archive timestamp's TSA certificate ends -----------------------------


def _archived(env: Env) -> int:
    view = env.service.issue(env.people.clerk, env.case_id, "award_document")
    env.close_case()
    assert env.archival.archive_closed() == 1
    return view.id


def _document(env: Env, document_id: int) -> IssuedDocument:
    """The document's row, its renewal date in UTC (SQLite hands back naive datetimes)."""
    with env.db.transaction() as s:
        doc = s.get(IssuedDocument, document_id)
        assert doc is not None
        s.expunge(doc)
    if doc.archive_renew_by is not None:
        doc.archive_renew_by = as_utc(doc.archive_renew_by)
    return doc


def test_a_copy_is_renewed_a_margin_before_its_tsa_certificate_ends_as_a_new_locked_object(env: Env) -> None:
    document_id = _archived(env)
    first_end = env.sealer.tsa_ends
    renew_by = _document(env, document_id).archive_renew_by
    assert renew_by is not None and renew_by == first_end - RENEWAL_MARGIN
    assert env.archival.renew_due() == 0  # years before it is due
    first, _ = env.store.objects[(Bucket.ARCHIVE, archival_key(document_id))]

    env.clock.now = renew_by + timedelta(hours=1)
    env.sealer.tsa_ends = first_end + timedelta(days=5 * 365)  # the TSA's next certificate
    assert env.archival.renew_due() == 1
    assert env.archival.renew_due() == 0  # once: the next date is years away
    renewed, obj = env.store.objects[(Bucket.ARCHIVE, archival_key(document_id, 1))]
    assert renewed == env.sealer.lta(first)  # the previous copy, with a further archive timestamp
    assert (Bucket.ARCHIVE, archival_key(document_id)) in env.store.objects  # the first copy stays
    assert obj.metadata["renewal"] == "1" and obj.retain_until is not None
    assert obj.retain_until == env.store.objects[(Bucket.ARCHIVE, archival_key(document_id))][1].retain_until
    doc = _document(env, document_id)
    assert doc.archive_renewals == 1 and doc.archive_renew_by == env.sealer.tsa_ends - RENEWAL_MARGIN
    with env.db.transaction() as s:
        file = s.get(StoredFile, doc.archival_file_id)
        assert file is not None and (file.object_key, file.sha256) == (
            archival_key(document_id, 1),
            obj.sha256,
        )
        assert verify_audit(s) == []
    events = [e for e in env.system.cases.history(env.people.clerk, env.case_id) if "archive" in e["action"]]
    assert [e["action"] for e in events] == ["document.archived", "document.archive_renewed"]
    assert events[-1]["after"]["renewal"] == 1


def test_a_renewal_that_would_not_outlast_the_margin_is_not_stored_and_waits_for_the_tsa(env: Env) -> None:
    document_id = _archived(env)
    env.clock.now = env.sealer.tsa_ends - RENEWAL_MARGIN + timedelta(days=1)  # the TSA never rotated
    assert env.archival.renew_due() == 0
    assert (Bucket.ARCHIVE, archival_key(document_id, 1)) not in env.store.objects
    doc = _document(env, document_id)
    assert doc.archive_renewals == 0 and doc.archive_renew_by == env.clock.now + RENEWAL_RETRY


def test_a_failed_renewal_records_nothing_and_the_next_sweep_renews(env: Env) -> None:
    document_id = _archived(env)
    env.clock.now = env.sealer.tsa_ends
    env.sealer.tsa_ends += timedelta(days=5 * 365)
    env.sealer.fail_archival = 1
    assert env.archival.renew_due() == 0
    assert _document(env, document_id).archive_renewals == 0
    assert env.archival.renew_due() == 1


def test_a_crash_after_storing_a_renewal_records_it_without_another_timestamp(env: Env) -> None:
    document_id = _archived(env)
    first, _ = env.store.objects[(Bucket.ARCHIVE, archival_key(document_id))]
    env.clock.now = env.sealer.tsa_ends
    env.sealer.tsa_ends += timedelta(days=5 * 365)
    env.store.put(
        Bucket.ARCHIVE,
        env.sealer.lta(first),
        content_type="application/pdf",
        key=archival_key(document_id, 1),
    )  # stored by a worker that died before recording it
    timestamps = len(env.sealer.archived)
    assert env.archival.renew_due() == 1
    assert len(env.sealer.archived) == timestamps
    assert _document(env, document_id).archive_renew_by == env.sealer.tsa_ends - RENEWAL_MARGIN


def test_two_workers_renewing_one_copy_record_one_renewal(env: Env) -> None:
    document_id = _archived(env)
    env.clock.now = env.sealer.tsa_ends
    env.sealer.tsa_ends += timedelta(days=5 * 365)
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(env.archival.renew(document_id))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert _document(env, document_id).archive_renewals == 1
    with env.db.transaction() as s:
        renewals = select(func.count()).select_from(StoredFile).where(StoredFile.kind.like("archival:%"))
        assert s.execute(renewals).scalar_one() == 2  # the first copy and one renewal


def test_copies_kept_before_renewal_dates_existed_get_theirs_from_the_copy(env: Env) -> None:
    document_id = _archived(env)
    with env.db.transaction() as s:
        doc = s.get(IssuedDocument, document_id)
        assert doc is not None
        doc.archive_renew_by = None  # as migration 0012 leaves the copies made before it
    assert env.archival.renew_due() == 0  # read off the copy, not renewed
    assert _document(env, document_id).archive_renew_by == env.sealer.tsa_ends - RENEWAL_MARGIN
    assert (Bucket.ARCHIVE, archival_key(document_id, 1)) not in env.store.objects
