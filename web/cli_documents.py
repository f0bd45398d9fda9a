"""`laborcase documents …`: issue one document, bulk-issue for many cases on every core, retry
pending ones, make and renew archival copies."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from workflows.audit import SYSTEM
from workflows.errors import LaborcaseError
from workflows.models import Case, IssuedDocument
from workflows.system import System


def _fail(error: LaborcaseError) -> None:
    click.echo(f"error: {error.message}", err=True)
    for p in getattr(error, "problems", []):
        click.echo(f"  {p.pointer or '/'}: {p.message}", err=True)
    sys.exit(1)


def _issuing_system() -> System:
    from web.cli import _system

    system = _system(documents=True)
    system.bootstrap()
    return system


def _read_data(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path}: a JSON object is expected")
    return data


_DATA_OPTION = click.option(
    "--data", "data_file", type=click.Path(path_type=Path, exists=True), help="JSON with the fields"
)


@click.group()
def documents() -> None:
    """Formal documents (文书): issue, bulk-issue, complete pending ones, archive."""


@documents.command("issue")
@click.option("--case-id", type=int, required=True)
@click.option("--type", "document_type", required=True, help="e.g. award_document")
@click.option(
    "--data", "data_file", type=click.Path(path_type=Path, exists=True), help="JSON with the fields"
)
def issue_command(case_id: int, document_type: str, data_file: Path | None) -> None:
    """Issue one document for a case and print its number and state."""
    system = _issuing_system()
    assert system.issuing is not None
    try:
        view = system.issuing.issue(SYSTEM, case_id, document_type, _read_data(data_file))
    except LaborcaseError as exc:
        _fail(exc)
    click.echo(f"{view.number} {view.title}: {view.state} (verification code {view.verification_code})")


@documents.command("bulk-issue")
@click.option("--type", "document_type", required=True)
@click.option("--case-id", "case_ids", type=int, multiple=True, help="repeat; default: every open case")
@click.option(
    "--data", "data_file", type=click.Path(path_type=Path, exists=True), help="JSON with the fields"
)
@click.option("--processes", type=int, default=0, help="worker processes (default: one per core)")
def bulk_issue_command(
    document_type: str, case_ids: tuple[int, ...], data_file: Path | None, processes: int
) -> None:
    """Request a document for many cases, then render, seal and store them on every core."""
    system = _issuing_system()
    assert system.issuing is not None
    data = _read_data(data_file)
    with system.db.transaction() as s:
        ids = list(case_ids) or list(
            s.execute(select(Case.id).where(Case.closed_at.is_(None)).order_by(Case.id)).scalars()
        )
    with click.progressbar(ids, label="requesting", file=sys.stderr) as bar:
        for case_id in bar:
            try:
                system.issuing.request(SYSTEM, case_id, document_type, data)
            except LaborcaseError as exc:
                _fail(exc)
    _complete_pending(system, processes or os.cpu_count() or 1)


@documents.command("issue-pending")
@click.option("--processes", type=int, default=0, help="worker processes (default: one per core)")
def issue_pending_command(processes: int) -> None:
    """Complete every pending document (after a TSA or storage outage), on every core."""
    _complete_pending(_issuing_system(), processes or os.cpu_count() or 1)


@documents.command("archive")
def archive_command() -> None:
    """Make the archival copies (B-LTA) still missing — documents of closed cases, concluded
    contracts — and renew those due, now rather than at the worker's next sweep."""
    system = _issuing_system()
    assert system.archival is not None
    made, renewed = system.archival.sweep(limit=None)
    click.echo(f"archival copies: {made} made, {renewed} renewed")


def _pending(system: System) -> int:
    with system.db.transaction() as s:
        return int(
            s.execute(
                select(func.count()).select_from(IssuedDocument).where(IssuedDocument.state == "pending")
            ).scalar_one()
        )


def _issued_since(system: System, since: datetime) -> tuple[int, datetime | None, datetime | None]:
    """How many documents were issued since `since`, and when the first and the last were."""
    with system.db.transaction() as s:
        count, first, last = s.execute(
            select(
                func.count(), func.min(IssuedDocument.issued_at), func.max(IssuedDocument.issued_at)
            ).where(IssuedDocument.state == "issued", IssuedDocument.issued_at >= since)
        ).one()
    return int(count), first, last


def _complete_pending(system: System, processes: int) -> None:
    """Run `processes` workers (each its own sealer and connections) with a progress bar."""
    total = _pending(system)
    if total == 0:
        click.echo("nothing pending")
        return
    started, since = time.perf_counter(), datetime.now(UTC)
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or sockets inherited
    workers = [ctx.Process(target=_worker_main, name=f"issuer-{i}") for i in range(processes)]
    for w in workers:
        w.start()
    done = 0
    with click.progressbar(length=total, label=f"issuing on {processes} processes", file=sys.stderr) as bar:
        while any(w.is_alive() for w in workers):
            time.sleep(0.1)
            now_done = total - _pending(system)
            bar.update(now_done - done)
            done = now_done
    for w in workers:
        w.join()
    ended = time.perf_counter()
    left = _pending(system)
    issued = total - left
    steady = ""
    count, first, last = _issued_since(system, since)
    if count > 1 and first is not None and last is not None and last > first:
        # from the first document issued to the last, as recorded: the rate a long bulk job
        # runs at, without start-up (interpreters, fonts, keys) or shut-down of the processes
        steady = f", {(count - 1) / (last - first).total_seconds():.1f}/s once running"
    elapsed = ended - started
    click.echo(f"issued {issued} of {total} in {elapsed:.1f} s ({issued / elapsed:.1f}/s{steady})")
    if left:
        click.echo(f"{left} still pending (see last_error); they are retried by the worker", err=True)
        sys.exit(2)


def _worker_main() -> None:
    """One issuing process: claim pending documents until none is due."""
    from web.cli import _system

    system = _system(documents=True, start_tsa=False)
    assert system.issuing is not None
    system.issuing.run_pending()
