"""`laborcase serve`'s HTTP side: granian worker processes under a supervisor that keeps them up."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.storage_support import free_port, free_ports
from tests.support import SECRET
from web.cli import main
from web.server import serve_http

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> set[int]:
        """Pids of the supervisor's HTTP worker processes (multiprocessing's spawned children;
        its resource tracker is one too, but not started by spawn_main)."""
        found = set()
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                try:
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                except FileNotFoundError:
                    continue
                if b"spawn_main" in cmdline:
                    found.add(int(child))
        return found


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait(condition: Callable[[], object], what: str, served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            code = served.proc.returncode
            raise AssertionError(f"laborcase serve exited with {code}:\n{served.log.read_text()}")
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {START_TIMEOUT:.0f} s:\n{served.log.read_text()}")


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    """`laborcase serve` on its embedded default (SQLite in a fresh instance folder), no demo."""
    workers = getattr(request, "param", 1)
    port, pki_port = free_ports(2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABORCASE_")}
    env.update(
        LABORCASE_INSTANCE=str(tmp_path / "instance"),
        LABORCASE_SECRET_KEY=SECRET,
        LABORCASE_PKI_PORT=str(pki_port),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "web.cli", "serve", "--no-demo", "--no-worker"]
    command += ["--port", str(port), "--threads", "2", "--workers", str(workers)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    result = Served(f"http://127.0.0.1:{port}", proc, log)
    try:
        _wait(lambda: _answers(result.url), "laborcase serve did not answer", result)
        yield result
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=15)
        for pid in _leftover(log):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _leftover(log: Path, *, workers_only: bool = False) -> list[int]:
    """Processes of this test's server still alive (found by their instance folder); with
    `workers_only`, its HTTP workers alone (multiprocessing's resource tracker, also a child,
    goes on its own once the supervisor has gone)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes()
                cmdline = (entry / "cmdline").read_bytes()
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue
            if f"LABORCASE_INSTANCE={log.parent / 'instance'}".encode() in environ and (
                not workers_only or b"spawn_main" in cmdline
            ):
                alive.append(int(entry.name))
    return alive


@pytest.mark.slow
def test_serve_answers_from_a_worker_process_and_stops_with_it_on_sigterm(served: Served) -> None:
    [worker] = served.workers()
    assert worker != served.proc.pid
    # the API answers from the worker: its problem documents and all
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{served.url}/api/v1/cases", timeout=5)
    assert refused.value.code == 401
    assert refused.value.headers["Content-Type"] == "application/problem+json"
    assert json.loads(refused.value.read())["status"] == 401

    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0
    gone_by = time.monotonic() + 5  # the worker goes with it (its exit may trail by moments)
    while _leftover(served.log, workers_only=True) and time.monotonic() < gone_by:
        time.sleep(0.1)
    assert _leftover(served.log, workers_only=True) == []
    assert not _answers(served.url)


@pytest.mark.slow
def test_a_worker_killed_with_sigkill_is_replaced_and_serving_goes_on(served: Served) -> None:
    [first] = served.workers()
    os.kill(first, signal.SIGKILL)
    _wait(lambda: served.workers() - {first}, "no new worker process", served)
    _wait(lambda: _answers(served.url), "the new worker did not answer", served)
    assert first not in served.workers()


@pytest.mark.slow
@pytest.mark.parametrize("served", [2], indirect=True)
def test_workers_option_starts_that_many_worker_processes(served: Served) -> None:
    _wait(lambda: len(served.workers()) == 2, "not two worker processes", served)
    assert all(_answers(served.url) for _ in range(4))


def test_serve_refuses_zero_workers_or_threads() -> None:
    for option in ("--workers", "--threads"):
        result = CliRunner().invoke(main, ["serve", option, "0"])
        assert result.exit_code == 2 and option in result.output
    with pytest.raises(ValueError, match="at least 1"):
        serve_http("127.0.0.1", free_port(), threads=1, workers=0)
