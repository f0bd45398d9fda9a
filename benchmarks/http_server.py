"""One-process HTTP server for the benchmark: the real app behind the product's own server.

`laborcase serve`'s HTTP side without its migrations, demo data and timer worker: granian with
one worker process running `threads` request threads (the benchmark counts that process's CPU).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web.server import serve_http


def main() -> None:
    port = int(sys.argv[1])
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    # one worker process; as many request threads as the benchmark has concurrent clients
    serve_http("127.0.0.1", port, threads=threads, workers=1)


if __name__ == "__main__":
    main()
