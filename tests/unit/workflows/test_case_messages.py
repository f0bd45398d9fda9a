"""Messages between the commission and a case's parties: who writes, who sees, read marks, audit."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.correspondence_support import PortalCase, cheap_hashing, make_portal_case  # noqa: F401 (autouse)
from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import Staff
from workflows.access import CaseAccessDeniedError
from workflows.audit import verify
from workflows.case_messages import MAX_BODY, TO_PARTIES, TO_STAFF
from workflows.db import Database
from workflows.errors import NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import AuditEvent, CaseMessageRead, CaseParty

staff = arbitration.staff


@pytest.fixture
def pc(db: Database, tmp_path: Path, staff: Staff) -> PortalCase:
    return make_portal_case(db, tmp_path, staff)


def party_id(pc: PortalCase, db: Database, role: str) -> int:
    with db.transaction() as s:
        return s.execute(
            select(CaseParty.id).where(CaseParty.case_id == pc.case_id, CaseParty.role == role)
        ).scalar_one()


def test_message_to_all_parties_is_unread_for_each_party_until_it_reads_it(pc: PortalCase) -> None:
    service = pc.system.case_messages
    sent = service.send(pc.clerk, pc.case_id, "请于下周一前补交工资条原件。")
    assert (sent.direction, sent.party_id, sent.author) == (TO_PARTIES, None, "clerk1")

    for party in (pc.worker, pc.agent):
        [seen] = service.for_case(party, pc.case_id)
        assert seen.body == "请于下周一前补交工资条原件。" and seen.unread and seen.read_by == ()
    service.mark_read(pc.worker, pc.case_id, sent.id)
    assert not service.for_case(pc.worker, pc.case_id)[0].unread
    assert service.for_case(pc.agent, pc.case_id)[0].unread  # read marks are per party

    [staff_view] = service.for_case(pc.clerk, pc.case_id)
    assert [(m.party_role, m.party_name) for m in staff_view.read_by] == [("applicant", "张三")]
    assert not staff_view.unread


def test_message_to_one_party_is_not_seen_by_the_other(pc: PortalCase, db: Database) -> None:
    service = pc.system.case_messages
    sent = service.send(pc.clerk, pc.case_id, "请携带营业执照副本到庭。", party_id(pc, db, "respondent"))
    assert (sent.party_role, sent.party_name) == ("respondent", "广州某科技有限公司")
    assert [m.id for m in service.for_case(pc.agent, pc.case_id)] == [sent.id]
    assert service.for_case(pc.worker, pc.case_id) == []
    with pytest.raises(NotFoundError):
        service.mark_read(pc.worker, pc.case_id, sent.id)
    with pytest.raises(NotFoundError):
        service.reply(pc.worker, pc.case_id, sent.id, "收到")


def test_reply_goes_to_the_staff_marks_the_message_read_and_stays_hidden_from_the_other_party(
    pc: PortalCase,
) -> None:
    service = pc.system.case_messages
    sent = service.send(pc.clerk, pc.case_id, "开庭时间是否方便？")
    reply = service.reply(pc.worker, pc.case_id, sent.id, "方便，\r\n我会准时到庭。")
    assert (reply.direction, reply.in_reply_to_id, reply.party_role) == (TO_STAFF, sent.id, "applicant")
    assert reply.body == "方便，\n我会准时到庭。"

    assert [m.id for m in service.for_case(pc.clerk, pc.case_id)] == [sent.id, reply.id]
    mine = service.for_case(pc.worker, pc.case_id)
    assert [m.id for m in mine] == [sent.id, reply.id] and not mine[0].unread
    assert [m.id for m in service.for_case(pc.agent, pc.case_id)] == [sent.id]  # not the worker's reply
    with pytest.raises(ValidationError):  # a reply answers the commission, not another reply
        service.reply(pc.worker, pc.case_id, reply.id, "补充")


def test_another_worker_can_neither_read_nor_reply_nor_mark(pc: PortalCase) -> None:
    service = pc.system.case_messages
    sent = service.send(pc.clerk, pc.case_id, "通知")
    for call in (
        lambda: service.for_case(pc.other_worker, pc.case_id),
        lambda: service.reply(pc.other_worker, pc.case_id, sent.id, "冒充"),
        lambda: service.mark_read(pc.other_worker, pc.case_id, sent.id),
        lambda: service.send(pc.other_clerk, pc.case_id, "另一仲裁委的工作人员"),
    ):
        with pytest.raises(CaseAccessDeniedError):
            call()


def test_only_staff_of_the_case_write_to_the_parties(pc: PortalCase) -> None:
    with pytest.raises(PermissionDeniedError):
        pc.system.case_messages.send(pc.worker, pc.case_id, "我是申请人")
    sent = pc.system.case_messages.send(pc.clerk, pc.case_id, "通知")
    with pytest.raises(PermissionDeniedError):  # staff answer by writing, not by replying as a party
        pc.system.case_messages.reply(pc.clerk, pc.case_id, sent.id, "回复")


def test_message_to_a_party_of_another_case_is_refused(pc: PortalCase, db: Database, staff: Staff) -> None:
    other = arbitration.open_arbitration(pc.system, staff)
    with db.transaction() as s:
        stranger = s.execute(select(CaseParty.id).where(CaseParty.case_id == other).limit(1)).scalar_one()
    with pytest.raises(ValidationError) as refused:
        pc.system.case_messages.send(pc.clerk, pc.case_id, "通知", stranger)
    assert refused.value.problems[0].pointer == "/party_id"


@pytest.mark.parametrize("body", ["", "   \n  ", "\x00\x07"])
def test_empty_message_is_refused(pc: PortalCase, body: str) -> None:
    with pytest.raises(ValidationError) as refused:
        pc.system.case_messages.send(pc.clerk, pc.case_id, body)
    assert refused.value.problems[0].pointer == "/body"


def test_message_is_length_limited_and_kept_as_plain_text(pc: PortalCase) -> None:
    service = pc.system.case_messages
    with pytest.raises(ValidationError):
        service.send(pc.clerk, pc.case_id, "字" * (MAX_BODY + 1))
    assert len(service.send(pc.clerk, pc.case_id, "字" * MAX_BODY).body) == MAX_BODY
    kept = service.send(pc.clerk, pc.case_id, "<b>注意</b>\x1b[31m 时间\t地点")
    assert kept.body == "<b>注意</b>[31m 时间\t地点"  # markup kept as typed (pages escape it)


def test_each_message_and_reply_is_an_audit_event_on_the_case_chain(pc: PortalCase, db: Database) -> None:
    sent = pc.system.case_messages.send(pc.clerk, pc.case_id, "请确认送达地址。")
    pc.system.case_messages.reply(pc.agent, pc.case_id, sent.id, "地址无变化。")
    pc.system.case_messages.mark_read(pc.agent, pc.case_id, sent.id)  # a read mark is not an event
    events = [
        (e["action"], e["after"])
        for e in pc.system.cases.history(pc.clerk, pc.case_id)
        if e["action"].startswith("case_message.")
    ]
    assert events == [
        ("case_message.sent", {"to": "all_parties", "body": "请确认送达地址。"}),
        (
            "case_message.replied",
            {
                "in_reply_to": sent.id,
                "party": {
                    "id": party_id(pc, db, "respondent"),
                    "role": "respondent",
                    "name": "广州某科技有限公司",
                },
                "body": "地址无变化。",
            },
        ),
    ]
    with db.transaction() as s:
        assert verify(s) == []
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() > 2


def test_marking_read_twice_or_at_once_keeps_one_mark(pc: PortalCase, db: Database) -> None:
    service = pc.system.case_messages
    sent = service.send(pc.clerk, pc.case_id, "通知")
    errors: list[BaseException] = []

    def mark() -> None:
        try:
            service.mark_read(pc.worker, pc.case_id, sent.id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=mark) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    service.mark_read(pc.worker, pc.case_id, sent.id)
    assert errors == []
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(CaseMessageRead)).scalar_one() == 1
