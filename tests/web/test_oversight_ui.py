"""The head's oversight page (/oversight): overdue and due-soon periods coloured, approvals linked
to their tasks, an award-period extension linked to the case page; other roles refused.

Cases run through the real arbitration process; the page's clock is moved by giving the app an
oversight service whose clock stands on a later day.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher, profiles
from flask.testing import FlaskClient

from tests.functional import test_arbitration_process as arbitration
from tests.functional.test_arbitration_process import (
    BPMN_DIR,
    Staff,
    complete_step,
    drive_to,
    inbox_task,
    open_arbitration,
    step_data,
)
from tests.support import SECRET, fixture_system
from tests.unit.workflows.test_oversight import on, today
from tests.web.test_ui import login
from workflows import identity
from workflows.audit import SYSTEM
from workflows.db import Database
from workflows.deadline_service import DeadlineService
from workflows.identity import create_user
from workflows.oversight import OversightService
from workflows.system import System

staff = arbitration.staff  # clerk1, arbitrator1 and head1 of one commission (no login codes)


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    previous = identity.set_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    identity.set_password_hasher(previous)


@pytest.fixture
def system(db: Database, tmp_path: Path) -> System:
    return fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)


@pytest.fixture
def logins(system: System, staff: Staff) -> dict[str, str]:
    """Staff who log in to the UI, by username: their one-time-code secrets."""
    secrets: dict[str, str] = {}
    with system.db.transaction() as s:
        for name, role, org in [
            ("head_ui", "commission_head", staff.people.org_id),
            ("supervisor_ui", "supervisor", staff.people.org_id),
            ("clerk_ui", "clerk", staff.people.org_id),
            ("other_head_ui", "commission_head", staff.people.other_org_id),
        ]:
            _, secret = create_user(
                s, username=name, display_name=name, password="correct horse battery", roles={role},
                organisation_id=org, actor=SYSTEM, secret_key=SECRET,
            )  # fmt: skip
            assert secret
            secrets[name] = secret
    return secrets


def log_in(client: FlaskClient, logins: dict[str, str], username: str) -> None:
    code = pyotp.TOTP(logins[username]).now() if username in logins else None
    assert login(client, username, code).status_code == 302


def page_on(system: System, client: FlaskClient, day: date) -> Any:
    system.oversight = OversightService(system.db, on(day), due_soon_days=2)
    return client.get("/oversight")


def row_classes(html: str) -> dict[int, str]:
    """Deadline id -> the colouring class of its row."""
    return {int(i): c for c, i in re.findall(r'<tr class="deadline-(\w+)" id="deadline-(\d+)">', html)}


def deadline_id(system: System, staff: Staff, case_id: int, rule: str) -> tuple[int, date]:
    [d] = [
        x for x in system.deadlines.for_case(staff.clerk, case_id) if x.rule == rule and x.state == "running"
    ]
    return d.id, d.due_on


@dataclass
class Cases:
    a: int  # under review (art.29) since today
    b: int  # accepted ten days ago: service (art.30) and tribunal notice (art.31-32) fall due first
    accept: tuple[int, date]
    serve: tuple[int, date]


@pytest.fixture
def cases(system: System, staff: Staff) -> Cases:
    a = open_arbitration(system, staff)
    b = open_arbitration(system, staff)
    data = step_data("review_application") | {"accepted_on": (today() - timedelta(days=10)).isoformat()}
    complete_step(system, staff, b, "review_application", data)
    return Cases(
        a,
        b,
        deadline_id(system, staff, a, "arbitration.accept"),
        deadline_id(system, staff, b, "arbitration.serve_respondent"),
    )


def test_head_sees_overdue_and_due_soon_rows_coloured_and_approvals_linked(
    system: System, staff: Staff, client: FlaskClient, logins: dict[str, str], cases: Cases
) -> None:
    log_in(client, logins, "head_ui")
    day = cases.accept[1] - timedelta(days=1)
    assert cases.serve[1] < day
    r = page_on(system, client, day)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="nav-oversight"' in html
    rows = row_classes(html)
    assert rows[cases.accept[0]] == "due_soon" and rows[cases.serve[0]] == "overdue"
    assert list(rows)[-1] == cases.accept[0]  # most overdue first, the due-soon one last
    assert f"超期 {(day - cases.serve[1]).days} 日" in html and "剩余 1 日" in html
    assert 'id="count-overdue">2<' in html and 'id="count-due-soon">1<' in html

    tribunal = inbox_task(system, staff.commission_head, cases.b, "form_tribunal")
    approvals = html[html.index('id="approvals"') :]
    assert f'href="/tasks/{tribunal.id}"' in approvals and "组成仲裁庭" in approvals
    assert f'href="/cases/{cases.b}"' in approvals


def test_escalated_row_links_its_escalation_item(
    system: System, staff: Staff, client: FlaskClient, logins: dict[str, str], cases: Cases
) -> None:
    day = cases.serve[1] + timedelta(days=1)
    assert DeadlineService(system.db, clock=on(day)).escalate_overdue() == 2  # service, tribunal notice
    log_in(client, logins, "head_ui")
    html = page_on(system, client, day).get_data(as_text=True)
    escalations = [t for t in system.tasks.inbox(staff.commission_head) if t.name == "overdue_escalation"]
    assert len(escalations) == 2
    for item in escalations:
        assert f'href="/tasks/{item.id}">待处理</a>' in html


def test_page_is_in_english_when_english_is_chosen(
    system: System, client: FlaskClient, logins: dict[str, str], cases: Cases
) -> None:
    log_in(client, logins, "supervisor_ui")
    client.set_cookie("lang", "en")
    html = page_on(system, client, cases.accept[1]).get_data(as_text=True)
    assert "Deadline oversight" in html and "Awaiting the head's approval" in html


def test_award_period_extension_is_linked_to_the_case_page_for_the_head_only(
    system: System, staff: Staff, client: FlaskClient, logins: dict[str, str]
) -> None:
    """法43: the head approves up to fifteen more days on the case page."""
    case_id = open_arbitration(system, staff)
    drive_to(system, staff, case_id, "draft_award")
    award_id, award_due = deadline_id(system, staff, case_id, "arbitration.award")
    link = f'href="/cases/{case_id}#extend-arbitration-award"'

    log_in(client, logins, "head_ui")
    html = page_on(system, client, award_due - timedelta(days=1)).get_data(as_text=True)
    assert row_classes(html) == {award_id: "due_soon"}
    assert link in html and "可延长 15 日" in html
    case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="extend-arbitration-award"' in case_page

    supervisor = client.application.test_client()
    log_in(supervisor, logins, "supervisor_ui")
    html = page_on(system, supervisor, award_due - timedelta(days=1)).get_data(as_text=True)
    assert award_id in row_classes(html) and link not in html


def test_head_of_another_commission_sees_none_of_our_cases(
    system: System, client: FlaskClient, logins: dict[str, str], cases: Cases
) -> None:
    log_in(client, logins, "other_head_ui")
    html = page_on(system, client, cases.accept[1] + timedelta(days=5)).get_data(as_text=True)
    assert row_classes(html) == {}
    assert 'id="attention-empty"' in html and 'id="approvals-empty"' in html
    for case_id in (cases.a, cases.b):
        assert f'href="/cases/{case_id}"' not in html


@pytest.mark.parametrize("username", ["clerk_ui", "worker1"])
def test_clerk_and_worker_are_refused(
    system: System, client: FlaskClient, logins: dict[str, str], cases: Cases, username: str
) -> None:
    log_in(client, logins, username)
    r = page_on(system, client, cases.accept[1])
    assert r.status_code == 403
    assert "nav-oversight" not in r.get_data(as_text=True)
    if username == "clerk_ui":
        assert "nav-oversight" not in client.get("/inbox").get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_the_login_page(client: FlaskClient) -> None:
    r = client.get("/oversight")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
