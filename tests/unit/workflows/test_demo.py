"""The embedded default's demo data: random credentials kept in the instance, live arbitration cases."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import select

from tests.support import SECRET
from workflows.config import ROOT, Settings
from workflows.db import Database
from workflows.demo import ACCOUNTS, demo_code, has_data, load_demo
from workflows.identity import authenticate
from workflows.models import User
from workflows.system import build_system


def test_demo_accounts_log_in_and_see_live_cases(db: Database, tmp_path: Path) -> None:
    settings = Settings(instance_dir=tmp_path, database_url=db.url, bpmn_dir=ROOT / "bpmn", secret_key=SECRET)
    system = build_system(settings, database=db)
    system.bootstrap()
    assert not has_data(system)
    path = load_demo(system, tmp_path)
    assert has_data(system)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    passwords = {
        line.split()[0]: line.split()[1] for line in path.read_text().splitlines()[2 : 2 + len(ACCOUNTS)]
    }
    code = demo_code(tmp_path, "clerk")
    with db.transaction() as s:
        clerk = authenticate(s, "clerk", passwords["clerk"], code, SECRET)
        worker = authenticate(s, "worker", passwords["worker"], None, SECRET)
        employer = authenticate(s, "employer", passwords["employer"], None, SECRET)
        arbitrator = authenticate(
            s, "arbitrator", passwords["arbitrator"], demo_code(tmp_path, "arbitrator"), SECRET
        )
        assert len(set(s.scalars(select(User.password_hash)))) == len(
            ACCOUNTS
        )  # random, hashed, all distinct
    # cases in several stages: to review, to serve (tribunal with the head), hearing to schedule
    assert sorted(t.name for t in system.tasks.inbox(clerk)) == ["review_application", "serve_respondent"]
    assert [t.name for t in system.tasks.inbox(arbitrator)] == [
        "notify_hearing"
    ]  # the tribunal schedules (法35)
    items, total = system.cases.list_cases(worker)
    assert total == 4
    assert sorted(i["case_type"] for i in items) == ["arbitration"] * 3 + ["mediation"]
    # the employer's agent sees the cases against their employer only
    assert system.cases.list_cases(employer)[1] == 2
