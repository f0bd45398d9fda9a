"""`laborcase` command line: serve, worker, migrate, deploy, audit verify, create-user, demo, sms-outbox."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from typing import Any

import click

from workflows.audit import SYSTEM
from workflows.config import Settings
from workflows.errors import LaborcaseError
from workflows.system import System, build_system

# request threads of a worker: they mostly wait on the database, so more than the cores, but
# no more than granian deems sane for a GIL-bound process (it warns above 2 x cores + 1)
DEFAULT_THREADS = min(8, 2 * (os.cpu_count() or 1) + 1)


def _system(documents: bool = False, start_tsa: bool = True) -> System:
    """The services; with `documents`, also the document side (seal, store, renderer)."""
    from web.adapters import open_documents, open_sms

    settings = Settings()
    try:
        sms = open_sms(settings)
    except ValueError as exc:
        raise click.ClickException(f"LABORCASE_SMS_URL: {exc}") from exc
    if not documents:
        return build_system(settings, sms=sms)

    try:
        side = open_documents(settings, start_tsa=start_tsa and not settings.tsa_url)
    except LaborcaseError:
        if not start_tsa:
            raise
        # our loopback TSA already runs in another process (e.g. `laborcase serve`): use it
        side = open_documents(settings, start_tsa=False)
    atexit.register(side.close)  # stops the TSA and closes the sealer's HTTP session
    return build_system(settings, documents=side.adapters, sms=sms)


def _fail(error: LaborcaseError) -> None:
    click.echo(f"error: {error.message}", err=True)
    for p in getattr(error, "problems", []):
        click.echo(f"  {p.pointer or '/'}: {p.message}", err=True)
    sys.exit(1)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="debug logging")
def main(verbose: bool) -> None:
    """Laborcase: labour-rights case management."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:  # the engine logs every task state change at INFO
        logging.getLogger("spiff").setLevel(logging.WARNING)


@main.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    _system().db.create_schema()
    click.echo("schema up to date")


@main.command()
def deploy() -> None:
    """Validate and deploy every process folder under the bpmn directory (all or nothing)."""
    system = _system()
    try:
        deployed = system.bootstrap()
    except LaborcaseError as exc:
        _fail(exc)
    for row in deployed:
        click.echo(f"deployed {row.process_key} v{row.version} ({row.content_hash[:12]})")
    if not deployed:
        click.echo("nothing changed")


@main.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute every chain; exit 1 and list the rows if anything was altered or removed."""
    problems = _system().administration.verify_audit(SYSTEM)
    for p in problems:
        click.echo(f"{p['chain']} seq={p['seq']} event={p['event_id']}: {p['problem']}")
    if problems:
        click.echo(f"audit trail BROKEN: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("audit trail intact")


@main.group("api-keys")
def api_keys() -> None:
    """Employers' API keys for HR systems (the contracts API)."""


@api_keys.command("issue")
@click.option("--employer-id", type=int, required=True)
@click.option("--agent", "agent_username", required=True, help="username of the employer's agent it acts for")
@click.option("--label", required=True)
@click.option("--scope", "scopes", multiple=True, required=True, help="contracts:read, :write or :send")
@click.option("--days", type=int, default=365, show_default=True, help="valid for (at most 731)")
def api_keys_issue(
    employer_id: int, agent_username: str, label: str, scopes: tuple[str, ...], days: int
) -> None:
    """Issue a key; it is printed once and only its HMAC is kept."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from workflows.api_keys import issue_key
    from workflows.models import User

    system = _system()
    try:
        with system.db.transaction() as s:
            agent_id = s.execute(select(User.id).where(User.username == agent_username)).scalar_one_or_none()
            issued = issue_key(
                s,
                SYSTEM,
                secret_key=system.settings.secret_key,
                label=label,
                scopes=list(scopes),
                employer_id=employer_id,
                agent_user_id=agent_id,
                expires_at=datetime.now(UTC) + timedelta(days=days),
            )
    except LaborcaseError as exc:
        _fail(exc)
    click.echo(f"issued {issued.view.key_id}, valid until {issued.view.expires_at:%Y-%m-%d}")
    click.echo(f"key (shown once): {issued.key}")


@api_keys.command("revoke")
@click.argument("key_id")
def api_keys_revoke(key_id: str) -> None:
    """Revoke a key at once and for good."""
    from workflows.api_keys import revoke_key

    system = _system()
    try:
        with system.db.transaction() as s:
            revoke_key(s, SYSTEM, key_id)
    except LaborcaseError as exc:
        _fail(exc)
    click.echo(f"revoked {key_id}")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--organisation-id", type=int)
@click.password_option()
def create_user_command(
    username: str, display_name: str, roles: tuple[str, ...], organisation_id: int | None, password: str
) -> None:
    """Create an account; staff get a TOTP secret to enrol (printed once)."""
    from workflows.identity import create_user, totp_provisioning_uri

    system = _system()
    try:
        with system.db.transaction() as s:
            _, secret = create_user(
                s,
                username=username,
                display_name=display_name,
                password=password,
                roles=set(roles),
                organisation_id=organisation_id,
                actor=SYSTEM,
                secret_key=system.settings.secret_key,
            )
    except LaborcaseError as exc:
        _fail(exc)
    click.echo(f"created {username}")
    if secret:
        click.echo(f"TOTP secret (enrol now, shown once): {secret}")
        click.echo(totp_provisioning_uri(secret, username))


@main.command("demo-code")
@click.argument("username")
def demo_code_command(username: str) -> None:
    """Print the current one-time code of a demo staff account (embedded demo only)."""
    from workflows.demo import demo_code

    try:
        click.echo(demo_code(Settings().instance_dir, username))
    except LookupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command("sms-outbox")
@click.argument("phone", required=False)
@click.option("-n", "--count", default=1, show_default=True, help="how many of the newest messages")
def sms_outbox_command(phone: str | None, count: int) -> None:
    """Print the newest text messages of the development SMS outbox (embedded default only)."""
    from web.adapters import sms_outbox
    from workflows.registration import normalise_phone

    try:
        outbox = sms_outbox(Settings())
    except ValueError as exc:
        raise click.ClickException(f"LABORCASE_SMS_URL: {exc}") from exc
    if outbox is None:
        raise click.ClickException("text messages go to an SMS gateway here, not to a development outbox")
    messages = outbox.messages(normalise_phone(phone) if phone else None)
    if not messages:
        click.echo(f"no messages{f' to {phone}' if phone else ''} in {outbox.path}", err=True)
        sys.exit(1)
    for m in messages[-max(1, count) :]:
        click.echo(f"{m.at.isoformat(timespec='seconds')}  {m.phone}  {m.text}")


def _prepare(system: System, demo: bool) -> None:
    from workflows.demo import has_data, load_demo

    system.bootstrap()
    if demo and not has_data(system):
        # the demo commission is the one whose seal this instance holds, so its documents can be sealed
        commission = system.issuing.sealer.organisation if system.issuing else None
        path = load_demo(
            system, system.settings.instance_dir, **({"commission": commission} if commission else {})
        )
        click.echo(f"demo data loaded; accounts in {path}")


@main.command()
@click.option("--poll", default=1.0, show_default=True, help="seconds between polls when idle")
def worker(poll: float) -> None:
    """Run a timer/escalation worker until SIGTERM/SIGINT (run as many as you like)."""
    from workflows.worker import run_worker

    system = _system(documents=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_worker(
        system.timers,
        system.deadlines,
        poll_seconds=poll,
        should_stop=stop.is_set,
        issuing=system.issuing,
        archival=system.archival,
        notifications=system.notifications,
        idempotency=system.idempotency,
        batches=system.contract_batches,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(min=1),
    help="request threads per worker process",
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="HTTP worker processes"
)
@click.option(
    "--demo/--no-demo", default=True, show_default=True, help="load demo data into an empty database"
)
@click.option("--worker/--no-worker", "with_worker", default=True, show_default=True)
def serve(host: str, port: int, threads: int, workers: int, demo: bool, with_worker: bool) -> None:
    """Migrate, deploy processes, (demo data), then serve the UI and API from worker processes,
    with the timer worker (and, in the embedded default, our TSA) in this one."""
    from web.adapters import sms_outbox
    from web.server import serve_http
    from workflows.worker import run_worker

    system = _system(documents=True)
    try:
        _prepare(system, demo)
    except LaborcaseError as exc:
        _fail(exc)
    stop = threading.Event()
    if with_worker:
        thread = threading.Thread(
            target=run_worker,
            kwargs={
                "timers": system.timers,
                "deadlines": system.deadlines,
                "should_stop": stop.is_set,
                "issuing": system.issuing,
                "notifications": system.notifications,
                "idempotency": system.idempotency,
                "batches": system.contract_batches,
            },
            name="laborcase-worker",
            daemon=True,
        )
        thread.start()
    click.echo(f"Laborcase on http://{host}:{port}/  (database {system.settings.database_url})")
    outbox = sms_outbox(system.settings)
    if outbox is not None:
        click.echo(f"SMS codes are NOT sent: development outbox {outbox.path} (laborcase sms-outbox)")
    try:
        serve_http(host, port, threads=threads, workers=workers)
    finally:
        stop.set()


from web.cli_documents import documents  # noqa: E402

main.add_command(documents)


def run(*args: Any) -> None:  # pragma: no cover - convenience for `python -m web.cli`
    main(*args)


if __name__ == "__main__":  # pragma: no cover
    main()
