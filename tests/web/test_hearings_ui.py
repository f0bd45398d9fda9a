"""The hearing calendar and scheduling pages, and the hearing API (调解仲裁法 art.35).

Staff log in through the session cookie (the login itself is tested in test_ui); CSRF checks are
on, as in production.  Cases are driven to `notify_hearing` through the services.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_hearing_scheduling import (
    TRIBUNAL_A,
    TRIBUNAL_B,
    arbitrators,
    case_at_notify_hearing,
    china_today,
    first_days,
    notify_task,
    rooms,
    scheduling_system,
)
from tests.web.conftest import ApiClient
from tests.web.test_ui import csrf_token
from workflows.audit import Actor
from workflows.calendar import default_calendar
from workflows.db import Database
from workflows.hearings import HearingService, RoomView
from workflows.models import HearingBooking, HumanTask
from workflows.ports import DocumentStore
from workflows.system import System

staff = arbitration.staff
__all__ = ["arbitrators", "rooms", "staff"]  # fixtures shared with the functional tests

PROBLEM = "application/problem+json"
Staff = arbitration.Staff


@pytest.fixture
def system(db: Database, tmp_path: Path, local_store: DocumentStore) -> System:
    return scheduling_system(db, tmp_path, local_store)


@pytest.fixture
def hearings(system: System) -> HearingService:
    return system.hearings


@pytest.fixture
def browser(app: Flask) -> Any:
    app.config["TESTING"] = False  # CSRF checks on
    return app.test_client()


def log_in(client: Any, actor: Actor) -> None:
    with client.session_transaction() as session:
        session["actor"] = {
            "id": actor.user_id,
            "label": actor.label,
            "roles": sorted(actor.roles),
            "org": actor.organisation_id,
        }


def page(client: Any, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (r.status_code, r.headers.get("Location"))
    return str(r.get_data(as_text=True))


def cell(html: str, cell_id: str) -> str:
    match = re.search(rf'<td id="{re.escape(cell_id)}"[^>]*>(.*?)</td>', html, re.S)
    assert match, f"no cell {cell_id}"
    return match.group(1)


def booked(db: Database, case_id: int) -> list[tuple[int, date, str]]:
    with db.transaction() as s:
        rows = s.execute(select(HearingBooking).where(HearingBooking.case_id == case_id)).scalars()
        return [(b.room_id, b.hearing_date, b.session) for b in rows]


def task_state(db: Database, task_id: str) -> str:
    with db.transaction() as s:
        task = s.get(HumanTask, task_id)
        assert task is not None
        return task.state


# -- calendar -----------------------------------------------------------------------------------


def test_calendar_week_shows_rooms_and_arbitrators_by_day_and_session_with_case_links(
    browser: Any,
    system: System,
    staff: Staff,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff)
    task_id, actor = notify_task(system, staff, case_id)
    [day] = first_days(hearings, 1)
    hearings.schedule(
        actor, task_id, room_id=rooms[1].id, hearing_date=day, session="pm", served_on=china_today()
    )
    number = system.cases.get_case(staff.clerk, case_id).case_number

    log_in(browser, staff.clerk)
    html = page(browser, f"/hearings?start={day.isoformat()}")
    assert 'id="nav-hearings"' in html
    assert "第一仲裁庭" in html and "第二仲裁庭" in html
    taken = cell(html, f"room-{rooms[1].id}-{day.isoformat()}-pm")
    assert f'href="/cases/{case_id}"' in taken and number in taken and "李首席" in taken
    assert cell(html, f"room-{rooms[1].id}-{day.isoformat()}-am") == ""
    assert cell(html, f"room-{rooms[0].id}-{day.isoformat()}-pm") == ""
    busy = cell(html, f"arbitrator-{arbitrators['赵仲裁']}-{day.isoformat()}-pm")
    assert number in unescape(busy) and "第二仲裁庭" in busy
    assert cell(html, f"arbitrator-{arbitrators['钱首席']}-{day.isoformat()}-pm") == ""
    # a week later the slot is not shown; the week links move by seven days
    assert number not in page(browser, f"/hearings?start={date.fromordinal(day.toordinal() + 7).isoformat()}")


def test_calendar_is_for_staff_and_shows_only_their_own_commission(
    browser: Any,
    system: System,
    staff: Staff,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    log_in(browser, staff.worker)
    assert browser.get("/hearings").status_code == 403
    log_in(browser, staff.people.other_clerk)
    html = page(browser, "/hearings")
    assert "第一仲裁庭" not in html and 'id="no-rooms"' in html


# -- scheduling page ----------------------------------------------------------------------------


def test_the_task_page_of_notify_hearing_leads_to_the_scheduling_page_which_books_a_free_slot(
    browser: Any,
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    case_id = case_at_notify_hearing(system, staff)
    task_id, actor = notify_task(system, staff, case_id)
    [day] = first_days(hearings, 1)
    log_in(browser, actor)

    r = browser.get(f"/tasks/{task_id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/hearings/tasks/{task_id}")
    html = page(browser, f"/hearings/tasks/{task_id}")
    assert all(name in html for name in TRIBUNAL_A)
    earliest = re.search(r'id="earliest">(.*?)</small>', html, re.S)
    assert earliest and day.isoformat() in earliest.group(1)
    picks = re.findall(r'class="pick" href="([^"]+)"', html)
    assert picks, "free slots are offered"
    first = unescape(picks[0])
    assert f"hearing_date={day.isoformat()}" in first and "session=am" in first

    form = page(browser, first)  # the chosen slot fills the form
    assert f'value="{day.isoformat()}"' in form
    assert f'<option value="{rooms[0].id}" selected>' in form
    r = browser.post(
        f"/hearings/tasks/{task_id}",
        data={
            "csrf_token": csrf_token(form),
            "room_id": str(rooms[0].id),
            "hearing_date": day.isoformat(),
            "session": "am",
            "served_on": china_today().isoformat(),
        },
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{case_id}")
    assert booked(db, case_id) == [(rooms[0].id, day, "am")]
    assert task_state(db, task_id) == "completed"
    assert "已安排开庭" in page(browser, f"/cases/{case_id}")


def test_scheduling_page_shows_bad_input_and_a_taken_slot_inline_and_books_nothing_art_35(
    browser: Any,
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    other = case_at_notify_hearing(system, staff, TRIBUNAL_B)
    case_id = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    task_id, actor = notify_task(system, staff, case_id)
    day, later = first_days(hearings, 2)
    other_task, other_actor = notify_task(system, staff, other)
    hearings.schedule(
        other_actor,
        other_task,
        room_id=rooms[0].id,
        hearing_date=later,
        session="am",
        served_on=china_today(),
    )
    log_in(browser, actor)
    token = csrf_token(page(browser, f"/hearings/tasks/{task_id}"))
    url = f"/hearings/tasks/{task_id}"
    today = china_today().isoformat()

    assert (
        browser.post(url, data={"room_id": rooms[0].id, "hearing_date": day.isoformat()}).status_code == 400
    )

    r = browser.post(
        url, data={"csrf_token": token, "room_id": rooms[0].id, "hearing_date": today, "served_on": today}
    )
    assert r.status_code == 422 and 'id="error-session"' in r.get_data(as_text=True)
    r = browser.post(
        url,
        data={
            "csrf_token": token,
            "room_id": rooms[0].id,
            "hearing_date": "2026-13-40",
            "session": "am",
            "served_on": today,
        },
    )
    assert r.status_code == 422 and 'id="error-hearing_date"' in r.get_data(as_text=True)
    before_earliest = default_calendar().previous_working_day(day)  # too early for a notice served today
    r = browser.post(
        url,
        data={
            "csrf_token": token,
            "room_id": rooms[0].id,
            "hearing_date": before_earliest.isoformat(),
            "session": "am",
            "served_on": today,
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    error = re.search(r'id="error-hearing_date">(.*?)</span>', html, re.S)
    assert error and "第三十五条" in error.group(1)
    assert f'value="{before_earliest.isoformat()}"' in html  # what was typed stays

    # the room is taken that morning by the other case: 409, named, nothing booked
    r = browser.post(
        url,
        data={
            "csrf_token": token,
            "room_id": rooms[0].id,
            "hearing_date": later.isoformat(),
            "session": "am",
            "served_on": today,
        },
    )
    assert r.status_code == 409 and "第一仲裁庭" in r.get_data(as_text=True)
    assert booked(db, case_id) == [] and task_state(db, task_id) == "open"


# -- API ----------------------------------------------------------------------------------------


def test_api_schedules_with_problem_details_and_field_pointers(
    client: Any,
    system: System,
    staff: Staff,
    db: Database,
    hearings: HearingService,
    rooms: list[RoomView],
    arbitrators: dict[str, int],
) -> None:
    first = case_at_notify_hearing(system, staff, TRIBUNAL_A)
    second = case_at_notify_hearing(system, staff, ("吴仲裁", "孙仲裁", "王仲裁"))
    [day] = first_days(hearings, 1)
    (task_id, actor), (other_task, other_actor) = (
        notify_task(system, staff, first),
        notify_task(system, staff, second),
    )
    api = ApiClient(client, actor)
    path = f"/hearings/tasks/{task_id}/schedule"
    body = {
        "room_id": rooms[0].id,
        "hearing_date": day.isoformat(),
        "session": "am",
        "served_on": china_today().isoformat(),
    }

    r = api.post(path, json={**body, "session": "night", "extra": 1})
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert {e["pointer"] for e in r.get_json()["errors"]} == {"/session", "/extra"}
    r = api.post(path, json={**body, "hearing_date": china_today().isoformat()})
    assert r.status_code == 422 and [e["pointer"] for e in r.get_json()["errors"]] == ["/hearing_date"]

    r = api.get(f"/hearings/tasks/{task_id}/free-slots?start={day.isoformat()}&end={day.isoformat()}")
    assert r.status_code == 200 and len(r.get_json()) == 2 * len(rooms)
    r = api.post(path, json=body)
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["booking"]["room_name"] == "第一仲裁庭" and out["booking"]["time"] == "09:00"
    assert out["completion"]["task_id"] == task_id and out["released"] == []

    other = ApiClient(client, other_actor)
    r = other.post(f"/hearings/tasks/{other_task}/schedule", json={**body, "room_id": rooms[1].id})
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert r.get_json()["type"].endswith("/hearing-conflict") and "王仲裁" in r.get_json()["detail"]

    r = ApiClient(client, staff.clerk).get(f"/hearings/calendar?start={day.isoformat()}")
    assert r.status_code == 200
    [booking] = r.get_json()["bookings"]
    assert booking["case_id"] == first and {a["name"] for a in booking["arbitrators"]} == set(TRIBUNAL_A)
    assert (
        ApiClient(client, staff.worker).get(f"/hearings/calendar?start={day.isoformat()}").status_code == 403
    )
