"""Extending a statutory period on the staff case page: the commission head approves the award
period's extension, at most fifteen days in all (调解仲裁法 art.43); CSRF-protected; others refused."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.support import SECRET, People
from tests.web.test_ui import PASSWORD, csrf_token, login
from workflows.audit import SYSTEM
from workflows.cases import OpenCase
from workflows.deadlines import compute_due, start_deadline
from workflows.identity import create_user
from workflows.models import Case
from workflows.system import System

ACCEPTED_ON = date(2026, 3, 2)


@pytest.fixture
def browser_client(app: Flask) -> Any:
    app.config["TESTING"] = False  # CSRF checks on, as in production
    return app.test_client()


def staff(system: System, people: People, username: str, role: str) -> str:
    with system.db.transaction() as s:
        _, secret = create_user(
            s, username=username, display_name=username, password=PASSWORD, roles={role},
            organisation_id=people.org_id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
    assert secret
    return secret


def loop_case(people: People) -> OpenCase:
    return OpenCase("loop_process", "arbitration", "工资", people.org_id)


@pytest.fixture
def award_period(system: System, people: People) -> tuple[int, int]:
    """A case whose 45-day award period (art.43) runs from its acceptance."""
    case = system.cases.open_case(people.clerk, loop_case(people))
    with system.db.transaction() as s:
        deadline = start_deadline(s, s.get_one(Case, case.id), "arbitration.award", ACCEPTED_ON, people.clerk)
        return case.id, deadline.id


def due_on(page: str) -> str:
    match = re.search(r'data-rule="arbitration.award">.*?<td class="due">([0-9-]+)</td>', page)
    assert match, page
    return match.group(1)


def test_head_extends_the_award_period_by_at_most_fifteen_days_art_43(
    browser_client: Any, system: System, people: People, award_period: tuple[int, int]
) -> None:
    case_id, deadline_id = award_period
    secret = staff(system, people, "head_ui", "commission_head")
    login(browser_client, "head_ui", pyotp.TOTP(secret).now())
    page = browser_client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="extend-arbitration-award"' in page and "尚可延长 15 日" in page
    assert due_on(page) == compute_due("arbitration.award", ACCEPTED_ON).isoformat()
    url = f"/cases/{case_id}/deadlines/{deadline_id}/extend"
    token = csrf_token(page)

    assert browser_client.post(url, data={"days": "10", "reason": "案情复杂"}).status_code == 400  # no CSRF
    too_long = browser_client.post(url, data={"csrf_token": token, "days": "20", "reason": "案情复杂"})
    assert too_long.status_code == 302
    page = browser_client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "最多延长15日" in page
    assert due_on(page) == compute_due("arbitration.award", ACCEPTED_ON).isoformat()

    done = browser_client.post(url, data={"csrf_token": token, "days": "10", "reason": "案情复杂"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case_id}")
    page = browser_client.get(f"/cases/{case_id}").get_data(as_text=True)
    extended = compute_due("arbitration.award", ACCEPTED_ON, extension_days=10).isoformat()
    assert f"已批准延长 10 日，届满日为 {extended}" in page and due_on(page) == extended
    assert "尚可延长 5 日" in page
    [row] = [d for d in system.deadlines.for_case(people.clerk, case_id) if d.id == deadline_id]
    assert row.extension_days == 10 and row.history[-1]["action"] == "extended"


def test_a_clerk_sees_no_extension_form_and_cannot_extend(
    browser_client: Any, system: System, people: People, award_period: tuple[int, int]
) -> None:
    case_id, deadline_id = award_period
    secret = staff(system, people, "clerk_ext", "clerk")
    login(browser_client, "clerk_ext", pyotp.TOTP(secret).now())
    page = browser_client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="extend-arbitration-award"' not in page
    refused = browser_client.post(
        f"/cases/{case_id}/deadlines/{deadline_id}/extend",
        data={"csrf_token": csrf_token(page), "days": "5", "reason": "案情复杂"},
    )
    assert refused.status_code == 302
    page = browser_client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "commission_head" in page  # the service's refusal: who must approve
    [row] = [d for d in system.deadlines.for_case(people.clerk, case_id) if d.id == deadline_id]
    assert row.extension_days == 0


def test_a_deadline_of_another_case_is_not_found_through_this_case(
    browser_client: Any, system: System, people: People, award_period: tuple[int, int]
) -> None:
    case_id, deadline_id = award_period
    other = system.cases.open_case(people.clerk, loop_case(people))
    secret = staff(system, people, "head_other", "commission_head")
    login(browser_client, "head_other", pyotp.TOTP(secret).now())
    token = csrf_token(browser_client.get(f"/cases/{other.id}").get_data(as_text=True))
    r = browser_client.post(
        f"/cases/{other.id}/deadlines/{deadline_id}/extend",
        data={"csrf_token": token, "days": "5", "reason": "案情复杂"},
    )
    assert r.status_code == 404
    assert case_id != other.id
