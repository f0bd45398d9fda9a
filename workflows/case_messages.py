"""Messages between the commission and a case's parties (案件留言): plain text, audited.

Not BPMN messages: workflows/messages.py correlates those with waiting process steps.

Staff who may change the case (its commission's, or assigned to it) write to every party or to
one party.  A party sees what was written to it, marks it read, and may reply: a reply goes to
the case's staff and is seen by them and by the party that wrote it, never by the other side.
Bodies are plain text of at most MAX_BODY characters (pages escape them).  Each message is an
event on the case's audit chain, written under the case row lock like every case write; a read
mark is a row of its own (one per message and party), not a change of the case.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.access import READ, WRITE, require_case_access
from workflows.audit import Actor, PendingEvent, append_case_events
from workflows.db import Database
from workflows.errors import FieldProblem, NotFoundError, PermissionDeniedError, ValidationError
from workflows.models import Case, CaseMessage, CaseMessageRead, CaseParty
from workflows.representation import acting_party
from workflows.roles import STAFF_ROLES

TO_PARTIES = "to_parties"  # staff -> every party, or one
TO_STAFF = "to_staff"  # a party -> the case's staff (a reply)
MAX_BODY = 2000

Clock = Callable[[], datetime]


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware: views are always aware."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ReadMark:
    """A party has read a message."""

    party_id: int
    party_role: str
    party_name: str
    read_at: datetime


@dataclass(frozen=True)
class MessageView:
    id: int
    case_id: int
    direction: str  # to_parties, to_staff
    #: to_parties: the one party it is addressed to (None: every party); to_staff: the writer
    party_id: int | None
    party_role: str | None
    party_name: str | None
    in_reply_to_id: int | None
    body: str
    author: str
    sent_at: datetime
    #: a party's own view of a message from the commission: not read yet
    unread: bool
    #: staff view: which parties have read it, and when
    read_by: tuple[ReadMark, ...]

    @property
    def from_staff(self) -> bool:
        return self.direction == TO_PARTIES


def clean_body(body: str | None) -> str:
    """The body as kept: line breaks normalised, control characters dropped, trimmed, checked."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()
    if not text:
        raise ValidationError("请填写留言内容", [FieldProblem("/body", "请填写留言内容")])
    if len(text) > MAX_BODY:
        raise ValidationError(
            f"留言不超过 {MAX_BODY} 字",
            [FieldProblem("/body", f"不超过 {MAX_BODY} 字（现为 {len(text)} 字）")],
        )
    return text


def _is_staff(actor: Actor) -> bool:
    return actor.is_system or not actor.roles.isdisjoint(STAFF_ROLES)


def _party_summary(party: CaseParty | None) -> dict[str, object] | None:
    return None if party is None else {"id": party.id, "role": party.role, "name": party.name}


def _visible_to(message: CaseMessage, party: CaseParty) -> bool:
    """Does the party see this message (to every party or to it; or its own reply)?"""
    if message.direction == TO_PARTIES:
        return message.party_id is None or message.party_id == party.id
    return message.party_id == party.id


class CaseMessageService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    # -- writing --------------------------------------------------------------------------

    def send(self, actor: Actor, case_id: int, body: str, party_id: int | None = None) -> MessageView:
        """Staff write to every party of the case, or (with `party_id`) to one of them."""
        text = clean_body(body)
        with self.db.transaction() as s:
            case = self._case(s, case_id, lock=True)
            require_case_access(s, actor, case, READ)  # strangers: as if the case did not exist
            if not _is_staff(actor):
                raise PermissionDeniedError("只有办案工作人员可以向当事人发送消息")
            require_case_access(s, actor, case, WRITE)
            addressee = None
            if party_id is not None:
                addressee = s.get(CaseParty, party_id)
                if addressee is None or addressee.case_id != case.id:
                    raise ValidationError(
                        "收件人不是本案当事人", [FieldProblem("/party_id", "不是本案当事人")]
                    )
            message = self._record(s, case, actor, TO_PARTIES, addressee, None, text)
            event = PendingEvent(
                "case_message.sent",
                f"case_message:{message.id}",
                None,
                {"to": _party_summary(addressee) or "all_parties", "body": text},
            )
            self._audit(s, case, actor, event, message.sent_at)
            return self._views(s, [message], None)[0]

    def reply(self, actor: Actor, case_id: int, message_id: int, body: str) -> MessageView:
        """A party answers a message of the commission; the answer goes to the case's staff."""
        text = clean_body(body)
        with self.db.transaction() as s:
            case = self._case(s, case_id, lock=True)
            require_case_access(s, actor, case, READ)
            party = acting_party(s, actor, case.id)
            if party is None:
                raise PermissionDeniedError("只有本案当事人可以回复")
            original = self._visible_message(s, case, party, message_id)
            if original.direction != TO_PARTIES:
                raise ValidationError(
                    "只能回复仲裁委员会的消息", [FieldProblem("/message_id", "not a message")]
                )
            message = self._record(s, case, actor, TO_STAFF, party, original.id, text)
            self._mark(s, original, party, actor, message.sent_at)
            event = PendingEvent(
                "case_message.replied",
                f"case_message:{message.id}",
                None,
                {"in_reply_to": original.id, "party": _party_summary(party), "body": text},
            )
            self._audit(s, case, actor, event, message.sent_at)
            return self._views(s, [message], party)[0]

    def mark_read(self, actor: Actor, case_id: int, message_id: int) -> None:
        """A party has read a message of the commission (again: nothing changes)."""
        with self.db.transaction() as s:
            case = self._case(s, case_id)
            require_case_access(s, actor, case, READ)
            party = acting_party(s, actor, case.id)
            if party is None:
                raise PermissionDeniedError("只有本案当事人可以标记已读")
            message = self._visible_message(s, case, party, message_id)
            if message.direction == TO_PARTIES:
                self._mark(s, message, party, actor, self.clock())

    def _record(
        self,
        s: Session,
        case: Case,
        actor: Actor,
        direction: str,
        party: CaseParty | None,
        in_reply_to: int | None,
        text: str,
    ) -> CaseMessage:
        message = CaseMessage(
            case_id=case.id,
            direction=direction,
            party_id=party.id if party else None,
            in_reply_to_id=in_reply_to,
            body=text,
            author_id=actor.user_id,
            author_label=actor.label,
            sent_at=self.clock(),
        )
        s.add(message)
        s.flush()
        return message

    @staticmethod
    def _audit(s: Session, case: Case, actor: Actor, event: PendingEvent, at: datetime) -> None:
        case.updated_at = at  # bumps the case version, serialising the audit chain
        append_case_events(s, case, actor, [event], at=at)

    @staticmethod
    def _mark(s: Session, message: CaseMessage, party: CaseParty, actor: Actor, at: datetime) -> None:
        """Record the read mark once; a racing second mark is the same fact and is dropped."""
        if s.get(CaseMessageRead, (message.id, party.id)) is not None:
            return
        try:
            with s.begin_nested():
                s.add(
                    CaseMessageRead(
                        message_id=message.id, party_id=party.id, read_by=actor.user_id, read_at=at
                    )
                )
        except IntegrityError:
            pass

    @staticmethod
    def _visible_message(s: Session, case: Case, party: CaseParty, message_id: int) -> CaseMessage:
        message = s.get(CaseMessage, message_id)
        if message is None or message.case_id != case.id or not _visible_to(message, party):
            raise NotFoundError("message", message_id)
        return message

    # -- reading --------------------------------------------------------------------------

    def for_case(self, actor: Actor, case_id: int) -> list[MessageView]:
        """The messages the actor sees, oldest first: a party its own, staff all of them."""
        with self.db.transaction() as s:
            case = self._case(s, case_id)
            require_case_access(s, actor, case, READ)
            party = acting_party(s, actor, case.id)
            stmt = select(CaseMessage).where(CaseMessage.case_id == case.id)
            if party is not None:
                stmt = stmt.where(
                    or_(
                        (CaseMessage.direction == TO_PARTIES)
                        & (CaseMessage.party_id.is_(None) | (CaseMessage.party_id == party.id)),
                        (CaseMessage.direction == TO_STAFF) & (CaseMessage.party_id == party.id),
                    )
                )
            messages = list(s.execute(stmt.order_by(CaseMessage.sent_at, CaseMessage.id)).scalars())
            return self._views(s, messages, party)

    @staticmethod
    def _views(s: Session, messages: list[CaseMessage], viewer: CaseParty | None) -> list[MessageView]:
        """Views of messages; `viewer`: the party looking (its unread marks), None: staff."""
        if not messages:
            return []
        ids = [m.id for m in messages]
        marks: dict[int, list[ReadMark]] = {}
        rows = s.execute(
            select(CaseMessageRead, CaseParty)
            .join(CaseParty, CaseParty.id == CaseMessageRead.party_id)
            .where(CaseMessageRead.message_id.in_(ids))
            .order_by(CaseMessageRead.read_at)
        ).all()
        for mark, reader in rows:
            marks.setdefault(mark.message_id, []).append(
                ReadMark(reader.id, reader.role, reader.name, _aware(mark.read_at))
            )
        party_ids = {m.party_id for m in messages if m.party_id is not None}
        parties = (
            {q.id: q for q in s.execute(select(CaseParty).where(CaseParty.id.in_(party_ids))).scalars()}
            if party_ids
            else {}
        )
        views = []
        for m in messages:
            p = parties.get(m.party_id) if m.party_id is not None else None
            read = marks.get(m.id, [])
            views.append(
                MessageView(
                    id=m.id,
                    case_id=m.case_id,
                    direction=m.direction,
                    party_id=m.party_id,
                    party_role=p.role if p else None,
                    party_name=p.name if p else None,
                    in_reply_to_id=m.in_reply_to_id,
                    body=m.body,
                    author=m.author_label,
                    sent_at=_aware(m.sent_at),
                    unread=viewer is not None
                    and m.direction == TO_PARTIES
                    and all(r.party_id != viewer.id for r in read),
                    read_by=tuple(read) if viewer is None else (),
                )
            )
        return views

    @staticmethod
    def _case(s: Session, case_id: int, lock: bool = False) -> Case:
        case = s.get(Case, case_id, with_for_update=lock)
        if case is None:
            raise NotFoundError("case", case_id)
        return case
