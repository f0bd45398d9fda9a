"""benchmarks/contracts.py still runs end to end (5 contracts a row), so it does not rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pg_url

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


def test_the_contracts_benchmark_runs_quickly() -> None:
    database = pg_url().rpartition("/")[0] + "/laborcase_bench_contracts_smoke"
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "contracts.py"), "--quick", "--pg", database],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "contracts/s" in out.stdout and "re-verified: valid" in out.stdout, out.stdout
