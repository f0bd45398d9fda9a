"""Hearing rooms, the commission's hearing calendar, free slots and scheduling (调解仲裁法 art.35)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from web.api.blueprint import Blueprint
from web.api.schemas import CompletionOut, Strict
from web.auth import api_actor
from web.hearings import hearings
from workflows.hearings import BookingView
from workflows.models import HEARING_SESSIONS

PREFIX = "/hearings"
blp = Blueprint("hearing_scheduling", __name__, description="开庭排期")


class RoomIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    address = fields.String(load_default=None, validate=validate.Length(max=200))
    capacity = fields.Integer(load_default=None, validate=validate.Range(min=1))
    position = fields.Integer(load_default=0)


class RoomOut(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    active = fields.Boolean()
    place = fields.String(metadata={"description": "what the hearing notice prints"})


class MemberOut(Schema):
    user_id = fields.Integer()
    name = fields.String()
    role = fields.String(metadata={"description": "presiding, member"})


class BookingOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    case_number = fields.String()
    room_id = fields.Integer()
    room_name = fields.String()
    hearing_date = fields.Date()
    session = fields.String(metadata={"description": "am (09:00) or pm (14:00)"})
    time = fields.String()
    task_id = fields.String(allow_none=True)
    arbitrators = fields.List(fields.Nested(MemberOut))


class ArbitratorOut(Schema):
    user_id = fields.Integer()
    name = fields.String()


class CalendarArgs(Strict):
    start = fields.Date(required=True)
    end = fields.Date(load_default=None, metadata={"description": "inclusive; default start + 6 days"})


class CalendarOut(Schema):
    organisation_id = fields.Integer()
    start = fields.Date()
    end = fields.Date()
    rooms = fields.List(fields.Nested(RoomOut))
    arbitrators = fields.List(fields.Nested(ArbitratorOut))
    bookings = fields.List(fields.Nested(BookingOut))
    rest_days = fields.List(fields.Date())


class SlotArgs(CalendarArgs):
    served_on = fields.Date(load_default=None, metadata={"description": "default today"})


class SlotOut(Schema):
    hearing_date = fields.Date()
    session = fields.String()
    time = fields.String()
    room_id = fields.Integer()
    room_name = fields.String()


class ScheduleIn(Strict):
    room_id = fields.Integer(required=True)
    hearing_date = fields.Date(required=True)
    session = fields.String(required=True, validate=validate.OneOf(HEARING_SESSIONS))
    served_on = fields.Date(required=True, metadata={"description": "开庭通知书送达日期"})


class ScheduledOut(Schema):
    booking = fields.Nested(BookingOut)
    released = fields.List(fields.Nested(BookingOut))
    completion = fields.Nested(CompletionOut)


def _booking(b: BookingView) -> dict[str, Any]:
    return {**asdict(b), "time": b.time}


@blp.route("/rooms")
class Rooms(MethodView):
    @blp.response(200, RoomOut(many=True))
    def get(self) -> list[Any]:
        """The hearing rooms of the caller's commission."""
        return list(hearings().rooms(api_actor()))

    @blp.arguments(RoomIn)
    @blp.response(201, RoomOut)
    def post(self, body: dict[str, Any]) -> Any:
        """A new room of the caller's commission (administrator or commission head)."""
        return hearings().add_room(
            api_actor(),
            body["name"],
            address=body["address"],
            capacity=body["capacity"],
            position=body["position"],
        )


@blp.route("/calendar")
class Calendar(MethodView):
    @blp.arguments(CalendarArgs, location="query")
    @blp.response(200, CalendarOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Bookings of the commission's rooms and arbitrators from `start` to `end`."""
        start = args["start"]
        view = hearings().calendar(api_actor(), start, args["end"] or start + timedelta(days=6))
        return {
            "organisation_id": view.organisation_id,
            "start": view.start,
            "end": view.end,
            "rooms": view.rooms,
            "arbitrators": view.arbitrators,
            "bookings": [_booking(b) for b in view.bookings],
            "rest_days": sorted(view.rest_days),
        }


@blp.route("/tasks/<task_id>/free-slots")
class FreeSlots(MethodView):
    @blp.arguments(SlotArgs, location="query")
    @blp.response(200, SlotOut(many=True))
    def get(self, args: dict[str, Any], task_id: str) -> list[Any]:
        """Sessions where a room and the whole tribunal of the task's case are free, on lawful days (法35)."""
        start = args["start"]
        end = args["end"] or start + timedelta(days=6)
        return list(hearings().free_slots(api_actor(), task_id, start, end, args["served_on"]))


@blp.route("/tasks/<task_id>/schedule")
class Schedule(MethodView):
    @blp.arguments(ScheduleIn)
    @blp.response(200, ScheduledOut)
    def post(self, body: dict[str, Any], task_id: str) -> dict[str, Any]:
        """Book the slot and complete the `notify_hearing` task in one transaction (409 if taken)."""
        done = hearings().schedule(api_actor(), task_id, **body)
        return {
            "booking": _booking(done.booking),
            "released": [_booking(b) for b in done.released],
            "completion": asdict(done.completion),
        }
