"""Hearing rooms, arbitrators' calendars, and scheduling the hearing through them (调解仲裁法 art.35).

A hearing holds one room of the commission and every arbitrator of the case's tribunal for a
half-day session (am 09:00, pm 14:00).  The database refuses a second booking of either
(unique constraints on room/date/session and arbitrator/date/session), so two clerks booking at
once cannot both succeed; the service checks first to say what is taken, and maps a lost race
to the same `HearingConflictError`.

Scheduling is one unit of work: release the case's earlier, still upcoming booking (a
postponed hearing scheduled again), book the slot, and complete the case's `notify_hearing`
task with the form data the booking implies — which issues the 开庭通知书.  The notice must be
served five days before the hearing (working days, 办案规则 art.82): rule
`arbitration.hearing_notice`, counted by `workflows.deadlines.compute_due`.

The tribunal comes from the process data of the task (`presiding_arbitrator`,
`other_arbitrators`, set by `form_tribunal`): names, matched to the active arbitrator accounts
of the case's commission by display name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.access import READ, may_act_on_task, require_case_access
from workflows.audit import Actor, PendingEvent, append_case_events, append_global_event
from workflows.calendar import CalendarNotAvailableError, WorkingCalendar, china_today, default_calendar
from workflows.db import Database
from workflows.deadlines import compute_due
from workflows.definitions import Definitions
from workflows.errors import (
    ConflictError,
    FieldProblem,
    PermissionDeniedError,
    TaskNotOpenError,
    UnknownTaskError,
    ValidationError,
)
from workflows.models import (
    HEARING_SESSIONS,
    Case,
    HearingBooking,
    HearingBookingArbitrator,
    HearingRoom,
    HumanTask,
    User,
    UserRole,
)
from workflows.roles import ADMIN, ARBITRATOR, COMMISSION_HEAD, STAFF_ROLES
from workflows.runtime import CaseRuntime
from workflows.statutes import StatutoryRule, get_rule
from workflows.tasks import Completion, TaskService

if TYPE_CHECKING:
    pass

#: the user task that schedules the hearing and issues the 开庭通知书
NOTIFY_HEARING_TASK = "notify_hearing"
#: the notice is served at least five (working) days before the hearing (法35)
HEARING_NOTICE_RULE = "arbitration.hearing_notice"
#: when each half-day session starts (the time printed in the notice)
SESSION_TIMES: Mapping[str, str] = {"am": "09:00", "pm": "14:00"}
SESSION_LABELS: Mapping[str, str] = {"am": "上午", "pm": "下午"}
PRESIDING = "presiding"
MEMBER = "member"
#: the longest span a calendar or a free-slot search covers
MAX_SPAN_DAYS = 92
#: how far ahead the earliest lawful hearing date is looked for
_EARLIEST_SEARCH_DAYS = 60


class HearingConflictError(ConflictError):
    """The slot is taken: the room, or an arbitrator of the tribunal, is booked for that session."""

    code = "hearing_conflict"

    def __init__(
        self,
        message: str,
        *,
        hearing_date: date,
        session: str,
        room_id: int | None = None,
        arbitrators: Sequence[str] = (),
    ):
        super().__init__(message)
        self.hearing_date = hearing_date
        self.session = session
        self.room_id = room_id
        self.arbitrators = list(arbitrators)


class TribunalNotResolvedError(ValidationError):
    """A tribunal name of the process data matches no arbitrator account of the commission, or several."""

    code = "tribunal_not_resolved"


# -- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomView:
    id: int
    name: str
    address: str | None
    capacity: int | None
    active: bool

    @property
    def place(self) -> str:
        """What the notice prints as the hearing place."""
        return f"{self.name}（{self.address}）" if self.address else self.name


@dataclass(frozen=True)
class ArbitratorView:
    user_id: int
    name: str


@dataclass(frozen=True)
class TribunalMember:
    user_id: int
    name: str
    role: str  # presiding, member


@dataclass(frozen=True)
class BookingView:
    id: int
    case_id: int
    case_number: str
    room_id: int
    room_name: str
    hearing_date: date
    session: str
    task_id: str | None
    arbitrators: tuple[TribunalMember, ...]

    @property
    def time(self) -> str:
        return SESSION_TIMES[self.session]

    def summary(self) -> dict[str, Any]:
        """What the audit trail records of a booking."""
        return {
            "booking_id": self.id,
            "room_id": self.room_id,
            "room": self.room_name,
            "hearing_date": self.hearing_date.isoformat(),
            "session": self.session,
            "arbitrators": [{"user_id": a.user_id, "name": a.name, "role": a.role} for a in self.arbitrators],
        }


@dataclass(frozen=True)
class CalendarView:
    """Rooms × days × sessions of one commission, with the bookings and who is busy when."""

    organisation_id: int
    start: date
    end: date  # inclusive
    rooms: tuple[RoomView, ...]
    arbitrators: tuple[ArbitratorView, ...]
    bookings: tuple[BookingView, ...]
    rest_days: frozenset[date]  # statutory holidays and weekends that are not make-up workdays

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @cached_property
    def _by_room(self) -> dict[tuple[int, date, str], BookingView]:
        return {(b.room_id, b.hearing_date, b.session): b for b in self.bookings}

    @cached_property
    def _by_arbitrator(self) -> dict[tuple[int, date, str], BookingView]:
        return {(a.user_id, b.hearing_date, b.session): b for b in self.bookings for a in b.arbitrators}

    def room_booking(self, room_id: int, day: date, session: str) -> BookingView | None:
        return self._by_room.get((room_id, day, session))

    def arbitrator_booking(self, user_id: int, day: date, session: str) -> BookingView | None:
        return self._by_arbitrator.get((user_id, day, session))


@dataclass(frozen=True)
class Slot:
    hearing_date: date
    session: str
    room_id: int
    room_name: str

    @property
    def time(self) -> str:
        return SESSION_TIMES[self.session]


@dataclass(frozen=True)
class SchedulingView:
    """What the scheduling page shows for a case's open `notify_hearing` task."""

    task_id: str
    task_title: str
    task_state: str
    candidate_role: str | None
    assignee_id: int | None
    case_id: int
    case_number: str
    case_title: str
    tribunal: tuple[TribunalMember, ...]
    rooms: tuple[RoomView, ...]
    current: BookingView | None  # the case's upcoming booking, released when scheduling again
    served_on: date
    earliest_date: date | None  # the first working day the notice served on `served_on` allows
    legal_basis: str


@dataclass(frozen=True)
class Scheduled:
    booking: BookingView
    released: tuple[BookingView, ...]
    completion: Completion


# -- the service ------------------------------------------------------------------------------


def _is_staff(actor: Actor) -> bool:
    return not actor.roles.isdisjoint(STAFF_ROLES)


def _room_view(room: HearingRoom) -> RoomView:
    return RoomView(room.id, room.name, room.address, room.capacity, room.active)


def _label(day: date, session: str) -> str:
    """2026年12月9日上午"""
    return f"{day.year}年{day.month}月{day.day}日{SESSION_LABELS.get(session, session)}"


class HearingService:
    def __init__(
        self,
        db: Database,
        definitions: Definitions,
        runtime: CaseRuntime,
        tasks: TaskService,
        *,
        calendar: WorkingCalendar | None = None,
        rules: Mapping[str, StatutoryRule] | None = None,
    ):
        self.db = db
        self.definitions = definitions
        self.runtime = runtime
        self.tasks = tasks
        self.working_calendar = calendar or default_calendar()
        self.rules = rules

    def today(self) -> date:
        return china_today(self.runtime.clock())

    @property
    def notice_rule(self) -> StatutoryRule:
        return get_rule(HEARING_NOTICE_RULE, self.rules)

    # -- rooms ---------------------------------------------------------------------------------

    def rooms(
        self, actor: Actor, organisation_id: int | None = None, *, include_inactive: bool = False
    ) -> list[RoomView]:
        org = self._require_commission_staff(actor, organisation_id, "查看开庭场所")
        with self.db.transaction() as s:
            return [_room_view(r) for r in self._rooms(s, org, include_inactive)]

    def add_room(
        self,
        actor: Actor,
        name: str,
        *,
        organisation_id: int | None = None,
        address: str | None = None,
        capacity: int | None = None,
        position: int = 0,
    ) -> RoomView:
        """A new hearing room of the commission (its administrator or head, or the system)."""
        org = self._require_commission_staff(actor, organisation_id, "设置开庭场所")
        if not (actor.is_system or actor.roles & {ADMIN, COMMISSION_HEAD}):
            raise PermissionDeniedError("只有系统管理员或仲裁委员会负责人可以设置开庭场所")
        name = name.strip()
        problems = []
        if not 2 <= len(name) <= 100:
            problems.append(FieldProblem("/name", "场所名称须为2至100个字符"))
        if address is not None and len(address) > 200:
            problems.append(FieldProblem("/address", "地址不超过200个字符"))
        if capacity is not None and capacity < 1:
            problems.append(FieldProblem("/capacity", "容纳人数须为正整数"))
        if problems:
            raise ValidationError("开庭场所信息有误", problems)
        with self.db.transaction() as s:
            taken = s.execute(
                select(HearingRoom.id).where(HearingRoom.organisation_id == org, HearingRoom.name == name)
            ).first()
            if taken is not None:
                raise ConflictError(f"本仲裁委员会已有名为“{name}”的开庭场所")
            room = HearingRoom(
                organisation_id=org,
                name=name,
                address=address or None,
                capacity=capacity,
                position=position,
                active=True,
            )
            s.add(room)
            s.flush()
            view = _room_view(room)
            append_global_event(
                s, actor, "hearing_room.created", f"hearing_room:{room.id}", None, {"name": name, "org": org}
            )
            return view

    # -- calendars -----------------------------------------------------------------------------

    def calendar(
        self, actor: Actor, start: date, end: date, organisation_id: int | None = None
    ) -> CalendarView:
        """Every room's and arbitrator's bookings of the commission from `start` to `end` (inclusive)."""
        org = self._require_commission_staff(actor, organisation_id, "查看开庭日程")
        self._check_span(start, end)
        with self.db.transaction() as s:
            rooms = tuple(_room_view(r) for r in self._rooms(s, org, include_inactive=False))
            arbitrators = tuple(
                ArbitratorView(u.id, u.display_name) for u in self._arbitrators(s, org, names=None)
            )
            bookings = tuple(self._bookings(s, org, start, end))
        rest = frozenset(d for d in self._days(start, end) if self._is_rest_day(d))
        return CalendarView(org, start, end, rooms, arbitrators, bookings, rest)

    def scheduling(self, actor: Actor, task_id: str, served_on: date | None = None) -> SchedulingView:
        """What scheduling a `notify_hearing` task needs: the case, its tribunal as accounts, the
        rooms, the current booking and the earliest lawful date."""
        served_on = served_on or self.today()
        with self.db.transaction() as s:
            task, case = self._load_task(s, actor, task_id, lock=False)
            tribunal = self._tribunal(s, case, task)
            rooms = tuple(_room_view(r) for r in self._rooms(s, case.organisation_id, False))
            current = self._upcoming(s, case)
        return SchedulingView(
            task_id=task.id,
            task_title=task.title,
            task_state=task.state,
            candidate_role=task.candidate_role,
            assignee_id=task.assignee_id,
            case_id=case.id,
            case_number=case.case_number,
            case_title=case.title,
            tribunal=tuple(tribunal),
            rooms=rooms,
            current=current[0] if current else None,
            served_on=served_on,
            earliest_date=self.earliest_hearing_date(served_on),
            legal_basis=self.notice_rule.legal_basis,
        )

    def free_slots(
        self, actor: Actor, task_id: str, start: date, end: date, served_on: date | None = None
    ) -> list[Slot]:
        """Room sessions from `start` to `end` where the room and every arbitrator of the case's
        tribunal are free, on working days the notice served on `served_on` (default today) allows.

        The case's own upcoming booking counts as free: scheduling again releases it.
        """
        self._check_span(start, end)
        served_on = served_on or self.today()
        with self.db.transaction() as s:
            task, case = self._load_task(s, actor, task_id, lock=False)
            tribunal = self._tribunal(s, case, task)
            rooms = self._rooms(s, case.organisation_id, include_inactive=False)
            bookings = self._bookings(s, case.organisation_id, start, end)
            taken_rooms = {(b.room_id, b.hearing_date, b.session) for b in bookings if b.case_id != case.id}
            others = self._busy_of(s, tribunal, start, end, case.id)
            busy_people = {(a.user_id, b.hearing_date, b.session) for b in others for a in b.arbitrators}
        members = [m.user_id for m in tribunal]
        slots = []
        for day in self._days(max(start, self.today()), end):
            try:
                if not rooms or self._slot_problems(day, served_on):
                    continue
            except CalendarNotAvailableError:
                continue
            for session in HEARING_SESSIONS:
                if any((uid, day, session) in busy_people for uid in members):
                    continue
                slots += [
                    Slot(day, session, r.id, r.name) for r in rooms if (r.id, day, session) not in taken_rooms
                ]
        return slots

    def earliest_hearing_date(self, served_on: date) -> date | None:
        """The first working day, not before today, that a notice served on `served_on` allows (法35)."""
        day = max(self.today(), served_on)
        for _ in range(_EARLIEST_SEARCH_DAYS):
            day += timedelta(days=1)
            try:
                if not self._slot_problems(day, served_on):
                    return day
            except CalendarNotAvailableError:
                return None
        return None

    # -- scheduling ----------------------------------------------------------------------------

    def schedule(
        self,
        actor: Actor,
        task_id: str,
        *,
        room_id: int,
        hearing_date: date,
        session: str,
        served_on: date,
    ) -> Scheduled:
        """Book the slot for the case's hearing and complete its `notify_hearing` task, in one transaction.

        Releases the case's earlier upcoming booking first.  Refuses a date in the past, a rest
        day, or one fewer than five working days after the notice is served (法35), and a notice
        served before today (it is issued by this step), with field problems; a taken room or
        arbitrator with HearingConflictError, also when another clerk takes it at the same moment.
        """
        with self.db.transaction() as s:
            task, case = self._load_task(s, actor, task_id, lock=True)
            room = s.get(HearingRoom, room_id)
            problems = []
            if room is None or room.organisation_id != case.organisation_id or not room.active:
                problems.append(FieldProblem("/room_id", "请选择本仲裁委员会的开庭场所"))
            if session not in HEARING_SESSIONS:
                problems.append(FieldProblem("/session", "开庭时段须为上午（am）或下午（pm）"))
            if served_on < self.today():  # the notice is issued when this completes: not served before
                problems.append(
                    FieldProblem("/served_on", "开庭通知书在安排开庭时出具，送达日期不能早于今天")
                )
            try:
                problems += self._slot_problems(hearing_date, served_on)
            except CalendarNotAvailableError as exc:
                problems.append(FieldProblem("/hearing_date", exc.message))
            if problems:
                raise ValidationError("开庭安排有误", problems)
            assert room is not None
            tribunal = self._tribunal(s, case, task)
            released = self._release_upcoming(s, case)
            self._check_free(s, room, hearing_date, session, tribunal)
            booking = self._insert(s, actor, case, task, room, hearing_date, session, tribunal)
            now = self.runtime.clock()
            append_case_events(
                s,
                case,
                actor,
                [
                    *(
                        PendingEvent("hearing.released", f"hearing_booking:{b.id}", b.summary(), None)
                        for b in released
                    ),
                    PendingEvent(
                        "hearing.booked",
                        f"hearing_booking:{booking.id}",
                        None,
                        {**booking.summary(), "task_id": task.id, "served_on": served_on.isoformat()},
                    ),
                ],
                at=now,
            )
            data = {
                "hearing_date": hearing_date.isoformat(),
                "hearing_time": SESSION_TIMES[session],
                "hearing_place": _room_view(room).place,
                "hearing_notice_served_on": served_on.isoformat(),
                "hearing_room_id": room.id,
            }
            completion = self.tasks.complete_in(s, actor, task.id, data)
            return Scheduled(booking, tuple(released), completion)

    def release_in(self, s: Session, actor: Actor, case: Case) -> list[BookingView]:
        """Release the case's upcoming bookings (today or later) inside the caller's transaction,
        with a `hearing.released` audit event each; for a hearing postponed or called off.  The
        caller holds the case row lock and writes the case row (e.g. by completing a task)."""
        released = self._release_upcoming(s, case)
        append_case_events(
            s,
            case,
            actor,
            [
                PendingEvent("hearing.released", f"hearing_booking:{b.id}", b.summary(), None)
                for b in released
            ],
            at=self.runtime.clock(),
        )
        return released

    # -- helpers -------------------------------------------------------------------------------

    def _require_commission_staff(self, actor: Actor, organisation_id: int | None, what: str) -> int:
        org = organisation_id if organisation_id is not None else actor.organisation_id
        if org is None:
            raise PermissionDeniedError(f"只有仲裁委员会的工作人员可以{what}")
        if not actor.is_system and not (_is_staff(actor) and actor.organisation_id == org):
            raise PermissionDeniedError(f"只有本仲裁委员会的工作人员可以{what}")
        return org

    @staticmethod
    def _check_span(start: date, end: date) -> None:
        if end < start:
            raise ValidationError("日期范围有误", [FieldProblem("/end", "结束日期不能早于开始日期")])
        if (end - start).days >= MAX_SPAN_DAYS:
            raise ValidationError("日期范围过长", [FieldProblem("/end", f"一次最多查询{MAX_SPAN_DAYS}天")])

    @staticmethod
    def _days(start: date, end: date) -> list[date]:
        return [start + timedelta(days=i) for i in range(max(0, (end - start).days + 1))]

    def _is_rest_day(self, day: date) -> bool:
        try:
            return self.working_calendar.is_rest_day(day)
        except CalendarNotAvailableError:
            return False

    def _slot_problems(self, hearing_date: date, served_on: date) -> list[FieldProblem]:
        """Why a hearing on `hearing_date` cannot be held with the notice served on `served_on`."""
        if hearing_date < self.today():
            return [FieldProblem("/hearing_date", "开庭日期不能早于今天")]
        if not self.working_calendar.is_working_day(hearing_date):
            return [
                FieldProblem("/hearing_date", f"{hearing_date.isoformat()}是休息日或法定节假日，不能安排开庭")
            ]
        rule = self.notice_rule
        latest = compute_due(rule, hearing_date, calendar=self.working_calendar, rules=self.rules)
        if served_on > latest:
            return [
                FieldProblem(
                    "/hearing_date",
                    f"开庭通知书应于开庭{rule.period}日（工作日）前送达当事人：开庭日期为"
                    f"{hearing_date.isoformat()}时，最迟须于{latest.isoformat()}送达，"
                    f"而送达日期为{served_on.isoformat()}（{rule.legal_basis}）",
                )
            ]
        return []

    def _load_task(self, s: Session, actor: Actor, task_id: str, *, lock: bool) -> tuple[HumanTask, Case]:
        """The open `notify_hearing` task and its case, for staff of the case's commission who may
        act on it (the task service checks again when completing)."""
        stmt = select(HumanTask, Case).join(Case, Case.id == HumanTask.case_id).where(HumanTask.id == task_id)
        row = s.execute(stmt.with_for_update() if lock else stmt).first()
        if row is None:
            raise UnknownTaskError(task_id)
        task, case = row[0], row[1]
        require_case_access(s, actor, case, READ)  # a stranger's case is not found
        if not actor.is_system and not (_is_staff(actor) and actor.organisation_id == case.organisation_id):
            raise PermissionDeniedError("只有本仲裁委员会的工作人员可以安排开庭")
        if task.name != NOTIFY_HEARING_TASK:
            raise UnknownTaskError(task_id, f"not a {NOTIFY_HEARING_TASK} task")
        if task.state != "open":
            raise TaskNotOpenError(task_id, task.state)
        if not may_act_on_task(actor, task.candidate_role, task.assignee_id, is_party=False):
            raise PermissionDeniedError(f"task {task.id} is for role {task.candidate_role}")
        if task.assignee_id is not None and task.assignee_id != actor.user_id and not actor.is_system:
            raise ConflictError(f"task {task_id} is claimed by another user")
        return task, case

    @staticmethod
    def _rooms(s: Session, organisation_id: int, include_inactive: bool) -> list[HearingRoom]:
        stmt = select(HearingRoom).where(HearingRoom.organisation_id == organisation_id)
        if not include_inactive:
            stmt = stmt.where(HearingRoom.active.is_(True))
        return list(s.execute(stmt.order_by(HearingRoom.position, HearingRoom.id)).scalars())

    @staticmethod
    def _arbitrators(s: Session, organisation_id: int, names: Iterable[str] | None) -> list[User]:
        stmt = (
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == ARBITRATOR,
                User.organisation_id == organisation_id,
                User.active.is_(True),
            )
        )
        if names is not None:
            stmt = stmt.where(User.display_name.in_(list(names)))
        return list(s.execute(stmt.order_by(User.display_name, User.id)).scalars())

    def _tribunal(self, s: Session, case: Case, task: HumanTask) -> list[TribunalMember]:
        """The tribunal named in the task's process data, as arbitrator accounts of the commission."""
        definition = self.definitions.get(s, case.definition_id)
        run = self.runtime.load(s, case, definition)
        data = next((t.data for t in run.ready_user_tasks() if t.id == task.id), None)
        if data is None:
            raise UnknownTaskError(task.id, "not ready in the case's process")
        named: list[tuple[str, str, str]] = []  # pointer, name, role
        presiding = data.get("presiding_arbitrator")
        if isinstance(presiding, str) and presiding.strip():
            named.append(("/presiding_arbitrator", presiding.strip(), PRESIDING))
        if data.get("tribunal_kind") != "sole":
            for i, other in enumerate(data.get("other_arbitrators") or []):
                if isinstance(other, str) and other.strip():
                    named.append((f"/other_arbitrators/{i}", other.strip(), MEMBER))
        if not named:
            raise TribunalNotResolvedError(
                "仲裁庭尚未组成：流程数据中没有首席仲裁员（独任仲裁员），不能安排开庭",
                [FieldProblem("/presiding_arbitrator", "未指定")],
            )
        accounts: dict[str, list[User]] = {}
        for user in self._arbitrators(s, case.organisation_id, {n for _, n, _ in named}):
            accounts.setdefault(user.display_name, []).append(user)
        members: list[TribunalMember] = []
        problems: list[FieldProblem] = []
        seen: set[int] = set()
        for pointer, name, role in named:
            found = accounts.get(name, [])
            if not found:
                problems.append(FieldProblem(pointer, f"“{name}”不是本仲裁委员会在职仲裁员账号的姓名"))
            elif len(found) > 1:
                usernames = "、".join(u.username for u in found)
                problems.append(
                    FieldProblem(pointer, f"“{name}”对应多个仲裁员账号（{usernames}），无法确定是哪一位")
                )
            elif found[0].id not in seen:
                seen.add(found[0].id)
                members.append(TribunalMember(found[0].id, name, role))
        if problems:
            raise TribunalNotResolvedError(
                "组庭信息中的仲裁员无法对应到本仲裁委员会的仲裁员账号，请先核对仲裁员姓名", problems
            )
        return members

    def _booking_views(self, s: Session, bookings: Sequence[HearingBooking]) -> list[BookingView]:
        if not bookings:
            return []
        case_ids = {b.case_id for b in bookings}
        room_ids = {b.room_id for b in bookings}
        user_ids = {a.user_id for b in bookings for a in b.arbitrators}
        case_numbers = {
            r.id: r.case_number
            for r in s.execute(select(Case.id, Case.case_number).where(Case.id.in_(case_ids)))
        }
        rooms = {
            r.id: r.name
            for r in s.execute(select(HearingRoom.id, HearingRoom.name).where(HearingRoom.id.in_(room_ids)))
        }
        names = {
            r.id: r.display_name
            for r in s.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
        }
        return [
            BookingView(
                b.id,
                b.case_id,
                case_numbers.get(b.case_id, ""),
                b.room_id,
                rooms.get(b.room_id, ""),
                b.hearing_date,
                b.session,
                b.task_id,
                tuple(
                    TribunalMember(a.user_id, names.get(a.user_id, ""), a.role)
                    for a in sorted(b.arbitrators, key=lambda a: (a.role != PRESIDING, a.user_id))
                ),
            )
            for b in bookings
        ]

    def _bookings(self, s: Session, organisation_id: int, start: date, end: date) -> list[BookingView]:
        rows = s.execute(
            select(HearingBooking)
            .join(HearingRoom, HearingRoom.id == HearingBooking.room_id)
            .where(
                HearingRoom.organisation_id == organisation_id,
                HearingBooking.hearing_date >= start,
                HearingBooking.hearing_date <= end,
            )
            .order_by(HearingBooking.hearing_date, HearingBooking.session, HearingRoom.position)
        ).scalars()
        return self._booking_views(s, list(rows))

    def _busy_of(
        self, s: Session, tribunal: Sequence[TribunalMember], start: date, end: date, case_id: int
    ) -> list[BookingView]:
        """Other cases' bookings holding any member of the tribunal from `start` to `end`."""
        rows = s.execute(
            select(HearingBooking)
            .where(
                HearingBooking.id.in_(
                    select(HearingBookingArbitrator.booking_id).where(
                        HearingBookingArbitrator.user_id.in_([m.user_id for m in tribunal]),
                        HearingBookingArbitrator.hearing_date >= start,
                        HearingBookingArbitrator.hearing_date <= end,
                    )
                ),
                HearingBooking.case_id != case_id,
            )
            .order_by(HearingBooking.hearing_date, HearingBooking.session)
        ).scalars()
        return self._booking_views(s, list(rows))

    def _upcoming_rows(self, s: Session, case: Case) -> list[HearingBooking]:
        return list(
            s.execute(
                select(HearingBooking)
                .where(HearingBooking.case_id == case.id, HearingBooking.hearing_date >= self.today())
                .order_by(HearingBooking.hearing_date, HearingBooking.session)
            ).scalars()
        )

    def _upcoming(self, s: Session, case: Case) -> list[BookingView]:
        return self._booking_views(s, self._upcoming_rows(s, case))

    def _release_upcoming(self, s: Session, case: Case) -> list[BookingView]:
        rows = self._upcoming_rows(s, case)
        views = self._booking_views(s, rows)
        for row in rows:
            s.delete(row)
        s.flush()
        return views

    def _check_free(
        self,
        s: Session,
        room: HearingRoom,
        hearing_date: date,
        session: str,
        tribunal: Sequence[TribunalMember],
    ) -> None:
        """HearingConflictError naming the room or the arbitrators already booked for the session."""
        when = _label(hearing_date, session)
        holder = s.execute(
            select(Case.case_number)
            .join(HearingBooking, HearingBooking.case_id == Case.id)
            .where(
                HearingBooking.room_id == room.id,
                HearingBooking.hearing_date == hearing_date,
                HearingBooking.session == session,
            )
        ).scalar_one_or_none()
        if holder is not None:
            raise HearingConflictError(
                f"{room.name}{when}已由案件{holder}预约，请另选场所或时段",
                hearing_date=hearing_date,
                session=session,
                room_id=room.id,
            )
        busy = s.execute(
            select(User.display_name, Case.case_number)
            .select_from(HearingBookingArbitrator)
            .join(User, User.id == HearingBookingArbitrator.user_id)
            .join(HearingBooking, HearingBooking.id == HearingBookingArbitrator.booking_id)
            .join(Case, Case.id == HearingBooking.case_id)
            .where(
                HearingBookingArbitrator.user_id.in_([m.user_id for m in tribunal]),
                HearingBookingArbitrator.hearing_date == hearing_date,
                HearingBookingArbitrator.session == session,
            )
            .order_by(User.display_name)
        ).all()
        if busy:
            who = "、".join(f"仲裁员{name}（{number}）" for name, number in busy)
            raise HearingConflictError(
                f"{when}{who}已有其他案件开庭，请另选时段",
                hearing_date=hearing_date,
                session=session,
                arbitrators=[name for name, _ in busy],
            )

    def _insert(
        self,
        s: Session,
        actor: Actor,
        case: Case,
        task: HumanTask,
        room: HearingRoom,
        hearing_date: date,
        session: str,
        tribunal: Sequence[TribunalMember],
    ) -> BookingView:
        """Insert the booking; a unique constraint that another transaction won first becomes the
        same HearingConflictError a free-check would have raised."""
        booking = HearingBooking(
            case_id=case.id,
            room_id=room.id,
            hearing_date=hearing_date,
            session=session,
            task_id=task.id,
            booked_by=actor.user_id,
            booked_at=self.runtime.clock(),
            # one order for every writer, so concurrent bookings wait on each other, never deadlock
            arbitrators=[
                HearingBookingArbitrator(user_id=m.user_id, role=m.role)
                for m in sorted(tribunal, key=lambda m: m.user_id)
            ],
        )
        try:
            with s.begin_nested():
                s.add(booking)
                s.flush()
        except IntegrityError as exc:
            # the savepoint is gone; the rows the winner committed are visible now (read committed)
            try:
                self._check_free(s, room, hearing_date, session, tribunal)
            except HearingConflictError as conflict:
                raise conflict from exc
            raise HearingConflictError(
                f"{room.name}{_label(hearing_date, session)}刚被其他案件预约，请另选场所或时段",
                hearing_date=hearing_date,
                session=session,
                room_id=room.id,
            ) from exc
        return BookingView(
            booking.id,
            case.id,
            case.case_number,
            room.id,
            room.name,
            hearing_date,
            session,
            task.id,
            tuple(sorted(tribunal, key=lambda m: (m.role != PRESIDING, m.user_id))),
        )
