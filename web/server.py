"""The HTTP server of `laborcase serve`: granian, with the WSGI app in worker processes.

Why granian: it parses HTTP and moves bytes on sockets in Rust threads that never hold the
GIL, so a worker's interpreter is spent on the app.  A pure-Python server (waitress, used
before) runs its select loop, request parsing and response writes in Python, competing with
the request threads for the GIL: on the benchmark's task completion over HTTP (PostgreSQL,
4 clients, one worker process) granian served a fifth more completions per second (alternated
runs, 377 -> 451/s), using 16 % less CPU per completion.

granian runs a GIL build's WSGI workers as processes it spawns and supervises (restarting one
that dies); each builds its own services in `worker_app`.  The process that calls `serve_http`
stays the supervisor: `laborcase serve` keeps its timer worker and our loopback TSA there.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing

from flask import Flask
from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import MPServer

from workflows.config import Settings
from workflows.system import build_system

WORKER_APP = "web.server:worker_app"


def serve_http(host: str, port: int, *, threads: int, workers: int = 1, app: str = WORKER_APP) -> None:
    """Serve `app` (an import path to a factory of the WSGI app) on host:port until SIGINT or
    SIGTERM: `workers` processes, each running requests on `threads` threads."""
    if workers < 1 or threads < 1:
        raise ValueError("workers and threads must be at least 1")
    # Workers start from a fresh interpreter, never as a fork of this process: it holds
    # threads (timer worker, TSA) and database connections that a forked child would share.
    multiprocessing.set_start_method("spawn", force=True)
    server = MPServer(
        app,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        factory=True,
        websockets=False,
        log_level=LogLevels.warning,
        respawn_failed_workers=True,
    )
    server.serve()


def worker_app() -> Flask:
    """The app of one worker process (granian calls this in each): the services built from
    the environment's settings, sealing with the TSA of the serving process (or the one
    configured)."""
    from web.adapters import open_documents, open_sms
    from web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # it logs every task state change at INFO
    settings = Settings()
    side = open_documents(settings, start_tsa=False)
    atexit.register(side.close)
    return create_app(system=build_system(settings, documents=side.adapters, sms=open_sms(settings)))
