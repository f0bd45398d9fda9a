"""A timer worker run as a separate process by the crash test (killed with SIGKILL at will)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from workflows.config import Settings
from workflows.db import Database
from workflows.system import build_system


def main() -> None:
    url, bpmn_dir, instance = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    settings = Settings(instance_dir=instance, database_url=url, bpmn_dir=bpmn_dir, secret_key="x" * 32)
    system = build_system(settings, database=Database(url, pool_size=2, max_overflow=0))
    (instance / f"ready-{os.getpid()}").touch()  # started: the crash test may kill it from now on
    system.timers.run_forever(poll_seconds=0.05)


if __name__ == "__main__":
    main()
