"""Case-engine benchmark: raw SpiffWorkflow vs our service layer vs HTTP, and cost vs history.

Run:  .venv/bin/python benchmarks/engine.py [--steps 2000] [--pg postgresql://postgres@127.0.0.1:5432/laborcase_bench]

Prints, side by side in one run:
  * raw SpiffWorkflow, in memory (the ceiling: no persistence at all)
  * task completions/s through the service layer on SQLite and on PostgreSQL
  * task completions/s through HTTP on PostgreSQL (the product's server, granian, with one
    worker process; keep-alive clients)
  * cost of one step at 10 vs 200 tasks of case history (bytes written, time), with every
    step loading the case from the database.
All runs use the 10-task loop process in tests/fixtures/bpmn/loop_process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402

from workflows.audit import SYSTEM, Actor  # noqa: E402
from workflows.cases import OpenCase  # noqa: E402
from workflows.config import Settings  # noqa: E402
from workflows.db import Database  # noqa: E402
from workflows.definitions import read_all  # noqa: E402
from workflows.identity import create_user  # noqa: E402
from workflows.models import Organisation  # noqa: E402
from workflows.system import System, build_system  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
LOOP = FIXTURES / "loop_process" / "loop_process.bpmn"
SECRET = "benchmark-secret-key-0123456789abcdef"
PASSWORD = "benchmark password 1"


# -- raw SpiffWorkflow ---------------------------------------------------------------


def raw_spiff(steps: int) -> float:
    """Steps/s of plain SpiffWorkflow in memory (parse once, no persistence)."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.task import TaskState

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(LOOP.read_bytes(), filename="loop_process.bpmn")
    spec = parser.get_spec("loop_process")
    done = 0
    t0 = time.perf_counter()
    while done < steps:
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        for _ in range(10):  # one pass = the benchmark's 10-task process
            [task] = wf.get_tasks(state=TaskState.READY, manual=True)
            task.set_data(again=False, note="x")
            task.run()
            wf.do_engine_steps()
            done += 1
    return done / (time.perf_counter() - t0)


# -- our stack -----------------------------------------------------------------------


def fresh_database(url: str) -> Database:
    if url.startswith("postgresql"):
        base, _, name = url.rpartition("/")
        admin = create_engine(
            base.replace("postgresql://", "postgresql+psycopg://") + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    db = Database(url)
    db.create_schema()
    return db


def setup_system(url: str, instance: Path) -> tuple[System, Actor, int, str]:
    db = fresh_database(url)
    settings = Settings(
        instance_dir=instance,
        database_url=url,
        bpmn_dir=FIXTURES,
        secret_key=SECRET,
        require_totp_for_staff=False,
    )
    system = build_system(settings, database=db)
    with db.transaction() as s:
        system.definitions.deploy(s, read_all(FIXTURES), SYSTEM)
        org = Organisation(kind="commission", name="基准测试仲裁委")
        s.add(org)
        s.flush()
        user, totp_secret = create_user(
            s,
            username="bench",
            display_name="bench",
            password=PASSWORD,
            roles={"clerk"},
            organisation_id=org.id,
            actor=SYSTEM,
            secret_key=SECRET,
        )
        s.flush()
        actor = Actor(user.id, "bench", frozenset({"clerk"}), org.id)
        org_id = org.id
    return system, actor, org_id, totp_secret or ""


def open_loop_case(system: System, actor: Actor, org_id: int) -> str:
    view = system.cases.open_case(actor, OpenCase("loop_process", "enquiry", "基准", org_id))
    return str(view.open_tasks[0]["id"])


def service_rate(url: str, steps: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        system, actor, org_id, _ = setup_system(url, Path(tmp))
        task_id = open_loop_case(system, actor, org_id)
        for _ in range(50):  # warm up caches and prepared statements
            task_id = system.tasks.complete(actor, task_id, {"again": True}).opened_task_ids[0]
        # fresh cases, opened before the clock starts (we time completions, not openings);
        # each runs its 10 tasks, so history stays in the 10-task regime of the target
        firsts = [open_loop_case(system, actor, org_id) for _ in range(-(-steps // 10))]
        done = 0
        t0 = time.perf_counter()
        for task_id in firsts:
            for i in range(min(10, steps - done)):
                result = system.tasks.complete(actor, task_id, {"again": i < 9})
                task_id = result.opened_task_ids[0] if not result.case_closed else ""
                done += 1
        rate = done / (time.perf_counter() - t0)
        system.db.dispose()
        return rate


class WriteMeter:
    """Counts bytes of parameters sent in writing statements (INSERT, UPDATE, DELETE, WITH … AS)."""

    def __init__(self, engine: Any):
        self.bytes = 0
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        self.statements += 1
        # a step's writes may go out as one statement of data-modifying CTEs (WITH w0 AS (…))
        if not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "WITH")):
            return
        # one dict even for a multi-VALUES INSERT (SQLAlchemy's insertmanyvalues reports the
        # flattened parameters with many=True): iterating it would count key names, not values
        rows = [params] if isinstance(params, dict) or not many else params
        for row in rows:
            values = row.values() if isinstance(row, dict) else row
            for v in values:
                self.bytes += len(
                    v.encode() if isinstance(v, str) else v if isinstance(v, bytes) else str(v).encode()
                )


def growth(url: str, sample: int = 60) -> dict[str, tuple[float, float]]:
    """Median bytes written and time per step at 10 and at 200 tasks of history."""
    with tempfile.TemporaryDirectory() as tmp:
        system, actor, org_id, _ = setup_system(url, Path(tmp))
        meter = WriteMeter(system.db.engine)
        task_id = open_loop_case(system, actor, org_id)
        history = 0
        figures: dict[str, tuple[float, float]] = {}

        def steps_until(target: int) -> None:
            nonlocal task_id, history
            while history < target:
                task_id = system.tasks.complete(actor, task_id, {"again": True}).opened_task_ids[0]
                history += 1

        def measure() -> tuple[float, float]:
            nonlocal task_id, history
            sizes, times = [], []
            for _ in range(sample):
                before = meter.bytes
                t0 = time.perf_counter()
                task_id = system.tasks.complete(actor, task_id, {"again": True}).opened_task_ids[0]
                times.append(time.perf_counter() - t0)
                sizes.append(meter.bytes - before)
                history += 1
            return statistics.median(sizes), statistics.median(times) * 1000

        for mark in (10, 200):
            steps_until(mark)
            figures[str(mark)] = measure()
            # measuring adds history; the 200 mark is reached from wherever we are
        system.db.dispose()
        return figures


# -- HTTP ------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and its descendants (Linux /proc): the server's
    supervisor and its worker process.  None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(child) or 0.0 for child in children)


def http_rate(url: str, steps: int, clients: int = 1) -> tuple[float, float | None]:
    """Completions/s over real HTTP against one worker process (PostgreSQL), and the server's
    CPU milliseconds per completion (what bounds one process: the GIL).

    The server is `laborcase serve`'s: granian, one worker process (plus granian's idle
    supervisor, whose CPU is counted too) running as many request threads as there are
    clients.  `clients` keep-alive connections each drive their own cases concurrently.
    Total `steps` completions.
    """
    with tempfile.TemporaryDirectory() as tmp:
        system, _, org_id, totp_secret = setup_system(url, Path(tmp))
        system.db.dispose()
        port = _free_port()
        env = {
            **os.environ,
            "LABORCASE_DATABASE_URL": url,
            "LABORCASE_INSTANCE": tmp,
            "LABORCASE_BPMN_DIR": str(FIXTURES),
            "LABORCASE_SECRET_KEY": SECRET,
        }
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "http_server.py"), str(port), str(clients)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            conn = _wait_for(port)
            status, body = _call(
                conn,
                "POST",
                "/api/v1/auth/token",
                {"username": "bench", "password": PASSWORD, "totp": pyotp.TOTP(totp_secret).now()},
            )
            if status != 200:
                raise RuntimeError(f"token: {status} {body}")
            headers = {"Authorization": f"Bearer {body['access_token']}"}
            case_body = {
                "process_key": "loop_process",
                "case_type": "enquiry",
                "title": "基准",
                "organisation_id": org_id,
            }

            def open_cases(n: int) -> list[str]:
                """First task ids of `n` new cases (opened before the clock starts)."""
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                firsts = []
                for _ in range(n):
                    st, b = _call(c, "POST", "/api/v1/cases", case_body, headers)
                    if st != 201:
                        raise RuntimeError(f"open case: {st} {b}")
                    firsts.append(str(b["open_tasks"][0]["id"]))
                c.close()
                return firsts

            def drive(firsts: list[str]) -> None:
                """Complete every task of each case: 10 completions per case."""
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                for task_id in firsts:
                    for i in range(10):
                        st, b = _call(
                            c,
                            "POST",
                            f"/api/v1/tasks/{task_id}/complete",
                            {"data": {"again": i < 9}},
                            headers,
                        )
                        if st != 200:
                            raise RuntimeError(f"complete: {st} {b}")
                        task_id = "" if b["case_closed"] else b["opened_task_ids"][0]
                c.close()

            drive(open_cases(3))  # warm up
            per_client = max(1, steps // clients // 10)
            work = [open_cases(per_client) for _ in range(clients)]
            with ThreadPoolExecutor(clients) as pool:
                cpu0 = _cpu_seconds(server.pid)
                t0 = time.perf_counter()
                for f in [pool.submit(drive, firsts) for firsts in work]:
                    f.result()
                elapsed = time.perf_counter() - t0
                cpu1 = _cpu_seconds(server.pid)
            done = per_client * clients * 10
            cpu_ms = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) * 1000 / done
            return done / elapsed, cpu_ms
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


def _free_port() -> int:
    """A port nobody listens on now (a stale server from an aborted run must not answer)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/openapi.json")
            conn.getresponse().read()
            return conn
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _call(
    conn: http.client.HTTPConnection, method: str, path: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    conn.request(
        method, path, body=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})}
    )
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, json.loads(data) if data else None


# -- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/laborcase_bench"),
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (server threads)")
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []

    def run(label: str, fn: Callable[[], float]) -> None:
        value = fn()
        rows.append((label, f"{value:,.0f} /s"))
        print(f"  {label:<58} {value:>10,.0f} /s", flush=True)

    print(f"Laborcase engine benchmark — 10-task loop process, {args.steps} steps per figure")
    print(f"  {'(baseline) raw SpiffWorkflow in memory, no persistence':<58}", end="", flush=True)
    raw = raw_spiff(args.steps)
    print(f" {raw:>10,.0f} /s")
    with tempfile.TemporaryDirectory() as tmp:
        run(
            "service layer, SQLite (file, WAL)", lambda: service_rate(f"sqlite:///{tmp}/bench.db", args.steps)
        )
    run("service layer, PostgreSQL (TCP 127.0.0.1)", lambda: service_rate(args.pg, args.steps))
    if not args.skip_http:
        for n, label in (
            (1, "HTTP API, PostgreSQL, one worker process, 1 client"),
            (args.clients, f"HTTP API, PostgreSQL, one worker, {args.clients} clients [target >= 300]"),
        ):
            rate, cpu_ms = http_rate(args.pg, args.steps, n)
            cpu = "n/a" if cpu_ms is None else f"{cpu_ms:.2f} ms"
            rows.append((label, f"{rate:,.0f} /s"))
            print(f"  {label:<58} {rate:>10,.0f} /s   server CPU/completion {cpu}", flush=True)

    print("\nStep cost vs case history (PostgreSQL, case loaded from the database every step):")
    fig = growth(args.pg)
    b10, t10 = fig["10"]
    b200, t200 = fig["200"]
    print(f"  {'':<28}{'bytes written/step':>20}{'ms/step':>12}")
    print(f"  {'at 10 tasks of history':<28}{b10:>20,.0f}{t10:>12.2f}")
    print(f"  {'at 200 tasks of history':<28}{b200:>20,.0f}{t200:>12.2f}")
    print(f"  {'ratio 200/10':<28}{b200 / b10:>20.2f}{t200 / t10:>12.2f}   [targets <= 1.3 and <= 2.0]")


if __name__ == "__main__":
    main()
