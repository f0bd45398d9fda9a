"""Workers killed with SIGKILL while 1,000 timers come due: every timer fires exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support import FIXTURE_BPMN, fixture_system, make_people
from workflows.audit import verify
from workflows.cases import OpenCase
from workflows.db import Database
from workflows.models import AuditEvent, Case, HumanTask, Timer

TIMERS = 1000
WORKERS = 3


def _spawn(url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.timer_worker_process",
            url,
            str(FIXTURE_BPMN),
            str(tmp_path),
        ],
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until_started(worker: subprocess.Popen[bytes], tmp_path: Path, limit: float = 30.0) -> None:
    ready = tmp_path / f"ready-{worker.pid}"
    give_up = time.monotonic() + limit
    while not ready.exists() and worker.poll() is None and time.monotonic() < give_up:
        time.sleep(0.05)


@pytest.mark.slow
def test_timers_fire_exactly_once_while_workers_are_killed(pg_db: Database, tmp_path: Path) -> None:
    system = fixture_system(pg_db, tmp_path)
    people = make_people(pg_db)
    for i in range(TIMERS):
        # each timer comes due 20 s after its case opens: still waiting when opened, however long
        # opening 1,000 cases takes on a loaded machine (a time already past would fire at once)
        wake_at = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
        system.cases.open_case(
            people.clerk,
            OpenCase(
                "timer_process",
                "enquiry",
                f"定时 {i}",
                people.org_id,
                data={"wake_at": wake_at, "fired_count": 0},
            ),
        )
    with pg_db.transaction() as s:
        assert (
            s.execute(select(func.count()).select_from(Timer).where(Timer.state == "waiting")).scalar()
            == TIMERS
        )

    rng = random.Random(7)
    workers = [_spawn(pg_db.url, tmp_path) for _ in range(WORKERS)]
    kills = 0
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            victim = rng.randrange(len(workers))
            # killed at a random moment of its work, not while it is still starting up (how long
            # importing the app takes must not decide whether any timer fires at all)
            _wait_until_started(workers[victim], tmp_path)
            time.sleep(rng.uniform(0.2, 0.6))
            os.kill(workers[victim].pid, signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            workers[victim] = _spawn(pg_db.url, tmp_path)
            with pg_db.transaction() as s:
                waiting = s.execute(
                    select(func.count()).select_from(Timer).where(Timer.state == "waiting")
                ).scalar()
            if waiting == 0:
                break
    finally:
        for w in workers:
            w.send_signal(signal.SIGKILL)
            w.wait()

    assert kills >= 10
    with pg_db.transaction() as s:
        states = dict(s.execute(select(Timer.state, func.count()).group_by(Timer.state)).all())
        assert states == {"fired": TIMERS}
        fired_events = s.execute(
            select(AuditEvent.case_id, func.count())
            .where(AuditEvent.action == "timer.fired")
            .group_by(AuditEvent.case_id)
        ).all()
        assert len(fired_events) == TIMERS and all(n == 1 for _, n in fired_events)
        after_tasks = s.execute(
            select(HumanTask.case_id, func.count())
            .where(HumanTask.name == "after")
            .group_by(HumanTask.case_id)
        ).all()
        assert len(after_tasks) == TIMERS and all(n == 1 for _, n in after_tasks)
        # the script after the timer ran exactly once in every case
        for case in s.execute(select(Case)).scalars():
            run = system.runtime.load(s, case, system.definitions.get(s, case.definition_id))
            [after] = run.ready_user_tasks()
            assert after.data["fired_count"] == 1
        assert verify(s) == []
