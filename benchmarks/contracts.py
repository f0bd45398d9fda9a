"""Labour contracts, bulk send and conclude end to end: contracts/s, committed vs tuned, 1 vs N processes.

    .venv/bin/python benchmarks/contracts.py [--count 1000] [--processes N] [--baseline-count 30]
                                             [--pg postgresql://postgres@127.0.0.1:5432/laborcase_bench_contracts]
    .venv/bin/python benchmarks/contracts.py --quick     # CI smoke: 5 contracts per row

End to end, per contract: create from the model template (clauses checked, contract rendered as
PDF/A) + send + the worker's identity check (real name + a one-time SMS code: requested, read
from the captured SMS, verified) + the worker's personal signature + the employer's seal (each
PAdES B-T with a timestamp from our TSA, over HTTP on loopback, in the benchmark's parent
process as the tests start it) + verification of both signatures + the completion certificate +
archive of contract and certificate (local store, fsync) + the labour-use filing, on PostgreSQL
(a fresh database, dropped and re-created by every run).  Every worker is a new, real-name
account with its own phone (the one-code-a-minute limit per phone is kept, not bypassed) and
gets its first personal certificate when it signs.

Rows, in one run on the same database, PKI and TSA:

- committed path, 1 process: `create_draft` + `send` per contract, and the signing as committed
  (certificate and key fetched from the PKI folder for every signature, RSA-2048 personal and
  employer keys) — on `--baseline-count` contracts (it is slow);
- tuned, 1 process: `send_bulk` (one transaction per 50 rows) and kept credentials, ECDSA P-256
  personal keys;
- tuned, N processes (default: every core), the rows split between them.

The process pools are started and warmed before the clock starts (as a standing worker pool
would be).  Per-contract breakdown: CPU-and-wait time inside each port, exclusive of the others
(TSA is the HTTP round trip inside sign/seal; keys = fetching/issuing certificates and keys);
"db+service" is what is left: SQL round trips, ORM, audit chain, clause checks, SMS codes.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, func, select, text  # noqa: E402

SECRET = "benchmark-secret-key-0123456789abcdef"
EMPLOYER = "北京某某科技有限公司"
EMPLOYER_USCC = "91110108MA01ABCD2X"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/laborcase_bench_contracts"
BUCKETS = ("render", "sign", "seal", "tsa", "verify", "certificate", "store", "keys")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def _clients() -> tuple[Any, Any]:
    from workflows.contracts import ClientInfo

    desk = ClientInfo(ip="198.51.100.20", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130")
    phone = ClientInfo(ip="203.0.113.7", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile")
    return desk, phone


# -- measuring -------------------------------------------------------------------------------


class Meter:
    """Wall time per bucket, exclusive of nested buckets (a seal's TSA round trip counts as tsa)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.statements = 0
        self._stack: list[list[Any]] = []

    @contextmanager
    def span(self, name: str) -> Iterator[None]:
        entry: list[Any] = [name, 0.0]
        self._stack.append(entry)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self._stack.pop()
            self.totals[name] += elapsed - entry[1]
            if self._stack:
                self._stack[-1][1] += elapsed


METER = Meter()


class Timed:
    """A port with some methods timed into METER buckets."""

    def __init__(self, inner: Any, buckets: dict[str, str]):
        self._inner = inner
        self._buckets = buckets

    def __getattr__(self, attr: str) -> Any:
        fn = getattr(self._inner, attr)
        bucket = self._buckets.get(attr)
        if bucket is None:
            return fn

        def timed(*args: Any, **kwargs: Any) -> Any:
            with METER.span(bucket):
                return fn(*args, **kwargs)

        return timed


def _count_statement(*args: Any) -> None:
    METER.statements += 1


def _time_tsa() -> None:
    """Count the TSA round trip of pyHanko's HTTP timestamper as its own bucket."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    original = HTTPTimeStamper.async_request_tsa_response
    if getattr(original, "_benchmark", False):
        return

    async def timed(self: Any, req: Any) -> Any:
        with METER.span("tsa"):
            return await original(self, req)

    timed._benchmark = True  # type: ignore[attr-defined]
    HTTPTimeStamper.async_request_tsa_response = timed  # type: ignore[method-assign]


class CapturedSms:
    """The SMS gateway of the benchmark: keeps the newest code per phone (nothing leaves)."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def send(self, phone: str, text: str) -> None:
        found = re.search(r"验证码为 (\d{6})", text)
        if found:
            self.codes[phone] = found.group(1)


# -- set-up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    pg_url: str
    instance_dir: str
    store_dir: str
    pki_port: int
    tuned: bool
    batch_size: int = 50
    profile_dir: str | None = None


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    resident_id: str
    phone: str


@dataclass
class Parties:
    employer_id: int
    agent: tuple[int, str]
    template_id: int
    workers: list[Person] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://") + "/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def resident_id(n: int) -> str:
    from workflows.identity import resident_id_check_char

    first17 = f"110101{1980 + n % 20:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def make_parties(db: Any, count: int) -> Parties:
    """The employer, its agent, the model template and `count` new real-name workers (one phone each)."""
    import workflows.identity as identity
    from workflows.audit import SYSTEM
    from workflows.models import Organisation

    fixed_hash = identity.hash_password("benchmark password 1")
    real_hash = identity.hash_password
    identity.hash_password = lambda password: fixed_hash  # set-up only: argon2 costs ~50 ms a user
    try:
        with db.transaction() as s:
            org = Organisation(kind="employer", name=EMPLOYER, uscc=EMPLOYER_USCC)
            s.add(org)
            s.flush()
            agent, _ = identity.create_user(
                s, username="hr1", display_name=f"{EMPLOYER}经办人", password="benchmark password 1",
                roles={"employer_agent"}, organisation_id=org.id, actor=SYSTEM, secret_key=SECRET,
            )  # fmt: skip
            s.flush()
            parties = Parties(org.id, (agent.id, agent.display_name), 0)
            for n in range(count):
                name = SURNAMES[n % 20] + GIVEN[(n // 20) % 20] + GIVEN[(n // 400) % 20]
                rid, phone = resident_id(n), f"139{n:08d}"
                user, _ = identity.create_user(
                    s, username=phone, display_name=name, password="benchmark password 1", roles={"worker"},
                    actor=SYSTEM, secret_key=SECRET, resident_id=rid, phone=phone,
                )  # fmt: skip
                s.flush()
                parties.workers.append(Person(user.id, name, rid, phone))
    finally:
        identity.hash_password = real_hash
    return parties


def clauses_for(person: Person) -> dict[str, Any]:
    from tests.contract_support import sample_clauses

    clauses = sample_clauses()
    clauses["worker"] = {
        "name": person.name,
        "address": "北京市朝阳区某某路2号",
        "resident_id": person.resident_id,
    }
    return clauses


# -- one process of the pool -----------------------------------------------------------------


@dataclass
class Worker:
    service: Any
    sms: CapturedSms
    db: Any
    profile_dir: str | None = None


@contextmanager
def _profiled(stage: str) -> Iterator[None]:
    """cProfile the stage into <profile dir>/<stage>-<pid>.prof when --profile is given."""
    assert _WORKER is not None
    if _WORKER.profile_dir is None:
        yield
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(str(Path(_WORKER.profile_dir) / f"{stage}-{os.getpid()}.prof"))


_WORKER: Worker | None = None


def _committed_signing(base: type) -> type:
    """The signing of labour contracts as first committed: certificate and key fetched per signature."""
    from signing.contracts import ContractSigningService
    from workflows.errors import SealingError

    class CommittedSigning(base):
        def sign_personally(self, pdf: bytes, signer: Any, field_name: str) -> bytes:
            credentials = self.pki.issue_user_certificate(signer.key, signer.name, signer.resident_id)
            return bytes(
                self.sealing.sign_as(
                    credentials, pdf, field_name, level=self.level, reason="劳动者签署劳动合同"
                )
            )

        def seal_for(self, pdf: bytes, organisation: Any, field_name: str) -> bytes:
            credentials = self.pki.issue_organisation_seal(
                organisation.key, organisation.name, organisation.uscc
            )
            agency = self.sealing.signer.signing_cert
            if agency is not None and credentials.certificate.dump() == agency.dump():
                raise SealingError("the agency's seal never seals an employer's contract")
            return bytes(
                self.sealing.sign_as(
                    credentials,
                    pdf,
                    field_name,
                    level=self.level,
                    reason="用人单位签署劳动合同",
                    mark_label="电子印章",
                )
            )

    assert issubclass(CommittedSigning, ContractSigningService)
    return CommittedSigning


def _signing_process(db: Any, deploy: bool = False) -> tuple[Any, Any]:
    """The case runtime and definitions the contract service runs its signing process on."""
    from workflows.audit import SYSTEM
    from workflows.contracts import EFFECTS
    from workflows.definitions import Definitions, read_folder
    from workflows.engine import Engine
    from workflows.roles import ALL_ROLES
    from workflows.runtime import CaseRuntime

    engine = Engine()
    definitions = Definitions(engine, known_roles=ALL_ROLES, known_effects=EFFECTS)
    if deploy:
        with db.transaction() as s:
            definitions.deploy(s, [read_folder(ROOT / "bpmn" / "labour_contract_signing")], SYSTEM)
    return CaseRuntime(engine), definitions


def _init(cfg: Config) -> None:
    global _WORKER
    from documents import ensure_fonts
    from documents.contracts import ContractRenderer
    from integrations.storage.local import LocalFolderDocumentStore
    from signing.config import SigningConfig, open_signing
    from signing.contracts import ContractSigningService
    from workflows.contracts import ContractService
    from workflows.db import Database
    from workflows.minimum_wages import MinimumWages
    from workflows.registration import RegistrationService

    ensure_fonts()
    _time_tsa()
    db = Database(cfg.pg_url)
    event.listen(db.engine, "before_cursor_execute", _count_statement)
    signing = open_signing(
        SigningConfig(instance_dir=Path(cfg.instance_dir), secret=SECRET, pki_port=cfg.pki_port),
        start_tsa=False,
    )
    pki = signing.pki
    if not cfg.tuned:
        pki.settings = replace(pki.settings, personal_keys="rsa")
    for method in ("issue_user_certificate", "issue_organisation_seal"):
        setattr(pki, method, Timed(pki, {method: "keys"}).__getattr__(method))
    signer_class = ContractSigningService if cfg.tuned else _committed_signing(ContractSigningService)
    sms = CapturedSms()
    runtime, definitions = _signing_process(db)
    service = ContractService(
        db,
        Timed(ContractRenderer(), {"render_contract": "render", "render_certificate": "certificate"}),
        Timed(signer_class(signing.sealer, pki), {"sign_personally": "sign", "seal_for": "seal"}),
        Timed(LocalFolderDocumentStore(cfg.store_dir, SECRET), {"put": "store", "get": "store"}),
        Timed(signing.verifier, {"verify": "verify", "check_fresh": "verify"}),
        runtime=runtime,
        definitions=definitions,
        phone_codes=RegistrationService(db, sms, secret_key=SECRET),
        verify_base_url="https://laborcase.example/verify",
        wages=MinimumWages.load(),
    )
    _WORKER = Worker(service, sms, db, cfg.profile_dir)


def _ready(pause: float) -> int:
    time.sleep(pause)  # spread the warm-up calls over every process of the pool
    return os.getpid()


@dataclass
class ChunkResult:
    contract_ids: list[int]
    busy: float
    buckets: dict[str, float]
    errors: list[str]
    statements: int = 0
    cpu: float = 0.0  # CPU seconds of the worker process in this chunk


def _send_chunk(args: tuple[Parties, list[Person], bool]) -> ChunkResult:
    cpu = time.process_time()
    with _profiled("send"):
        result = _send(args)
    return replace(result, cpu=time.process_time() - cpu)


def _conclude_chunk(args: tuple[Parties, list[tuple[int, Person]]]) -> ChunkResult:
    cpu = time.process_time()
    with _profiled("conclude"):
        result = _conclude(args)
    return replace(result, cpu=time.process_time() - cpu)


def _postgres_cpu() -> float | None:
    """CPU seconds used so far by the local PostgreSQL server: its live processes plus the
    backends the postmaster has reaped; None when the server's processes cannot be read."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, found = 0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        found = True
        utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
        total += utime + stime + cutime + cstime
    return total / ticks if found else None


def _send(args: tuple[Parties, list[Person], bool]) -> ChunkResult:
    from workflows.audit import Actor
    from workflows.contracts import BulkRow

    parties, people, bulk = args
    DESK_CLIENT, _ = _clients()
    assert _WORKER is not None
    service = _WORKER.service
    METER.totals.clear()
    METER.statements = 0
    agent = Actor(parties.agent[0], parties.agent[1], frozenset({"employer_agent"}), parties.employer_id)
    due = service.clock() + timedelta(days=7)
    start = time.perf_counter()
    ids: list[int] = []
    errors: list[str] = []
    if bulk:
        rows = [BulkRow(parties.template_id, p.user_id, clauses_for(p), due) for p in people]
        for result in service.send_bulk(agent, rows, client=DESK_CLIENT):
            if result.drafted is not None:
                ids.append(result.drafted.contract_id)
            else:
                errors.append(f"row {result.row}: {result.error} {result.problems}")
    else:
        for p in people:
            drafted = service.create_draft(
                agent, template_id=parties.template_id, worker_user_id=p.user_id, clauses=clauses_for(p),
                due_at=due, client=DESK_CLIENT,
            )  # fmt: skip
            service.send(agent, drafted.contract_id, DESK_CLIENT)
            ids.append(drafted.contract_id)
    return ChunkResult(ids, time.perf_counter() - start, dict(METER.totals), errors, METER.statements)


def _conclude(args: tuple[Parties, list[tuple[int, Person]]]) -> ChunkResult:
    from workflows.audit import Actor

    parties, work = args
    DESK_CLIENT, PHONE_CLIENT = _clients()
    assert _WORKER is not None
    service, sms = _WORKER.service, _WORKER.sms
    METER.totals.clear()
    METER.statements = 0
    agent = Actor(parties.agent[0], parties.agent[1], frozenset({"employer_agent"}), parties.employer_id)
    start = time.perf_counter()
    done: list[int] = []
    errors: list[int] = []
    for contract_id, p in work:
        worker = Actor(p.user_id, p.name, frozenset({"worker"}), None)
        service.request_signing_code(worker, contract_id, PHONE_CLIENT)
        service.verify_worker_identity(worker, contract_id, sms.codes[p.phone], PHONE_CLIENT)
        state = service.worker_sign(worker, contract_id, PHONE_CLIENT)
        state = service.employer_seal(agent, contract_id, DESK_CLIENT) if state == "worker_signed" else state
        (done if state == "concluded" else errors).append(contract_id)
    busy = time.perf_counter() - start
    return ChunkResult(done, busy, dict(METER.totals), [str(e) for e in errors], METER.statements)


# -- one row ---------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    count: int
    processes: int
    send_s: float
    conclude_s: float
    per_contract_ms: dict[str, float]
    cpu_ms: dict[str, float]  # CPU ms per contract: worker processes, the TSA's process, PostgreSQL

    @property
    def total_s(self) -> float:
        return self.send_s + self.conclude_s

    @property
    def rate(self) -> float:
        return self.count / self.total_s


def _split(items: Sequence[Any], n: int) -> list[list[Any]]:
    return [list(items[i::n]) for i in range(n) if items[i::n]]


def run_row(label: str, cfg: Config, parties: Parties, people: list[Person], processes: int) -> Row:
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx, initializer=_init, initargs=(cfg,)) as pool:
        pids = set(pool.map(_ready, [0.5] * (processes * 2)))
        if len(pids) < processes:
            print(f"  (only {len(pids)} of {processes} processes warmed)", file=sys.stderr)
        t0, parent_cpu0, pg_cpu0 = time.perf_counter(), time.process_time(), _postgres_cpu()
        sent = list(
            pool.map(_send_chunk, [(parties, chunk, cfg.tuned) for chunk in _split(people, processes)])
        )
        t1 = time.perf_counter()
        ids = [i for r in sent for i in r.contract_ids]
        errors = [e for r in sent for e in r.errors]
        if errors or len(ids) != len(people):
            raise SystemExit(f"{label}: sending failed: {errors[:5]}")
        chunks = _split(people, processes)
        work = [
            pair
            for r, chunk in zip(sent, chunks, strict=True)
            for pair in zip(r.contract_ids, chunk, strict=True)
        ]
        concluded = list(pool.map(_conclude_chunk, [(parties, chunk) for chunk in _split(work, processes)]))
        t2, parent_cpu, pg_cpu = time.perf_counter(), time.process_time() - parent_cpu0, _postgres_cpu()
    errors = [e for r in concluded for e in r.errors]
    if errors:
        raise SystemExit(f"{label}: not concluded: {errors[:5]}")
    busy = sum(r.busy for r in sent + concluded)
    buckets: dict[str, float] = defaultdict(float)
    for r in sent + concluded:
        for name, seconds in r.buckets.items():
            buckets[name] += seconds
    n = len(people)
    per = {name: 1000 * buckets.get(name, 0.0) / n for name in BUCKETS}
    per["db+service"] = 1000 * (busy - sum(buckets.values())) / n
    per["total"] = 1000 * busy / n
    per["sql"] = sum(r.statements for r in sent + concluded) / n
    cpu = {
        "workers": sum(r.cpu for r in sent + concluded),
        "TSA (parent)": parent_cpu,
        "PostgreSQL": (pg_cpu - pg_cpu0) if pg_cpu is not None and pg_cpu0 is not None else float("nan"),
    }
    return Row(label, n, processes, t1 - t0, t2 - t1, per, {k: 1000 * v / n for k, v in cpu.items()})


def check(cfg: Config, expected: int) -> str:
    """Every contract concluded, with both files archived and its filing; one full verification."""
    from integrations.storage.local import LocalFolderDocumentStore
    from signing.config import SigningConfig, open_signing
    from workflows.db import Database
    from workflows.models import LabourContract, LabourUseFiling, StoredFile
    from workflows.ports import Bucket

    db = Database(cfg.pg_url)
    with db.transaction() as s:
        concluded = s.execute(
            select(func.count()).where(
                LabourContract.state == "concluded",
                LabourContract.final_file_id.is_not(None),
                LabourContract.certificate_file_id.is_not(None),
            )
        ).scalar_one()
        filings = s.execute(select(func.count()).select_from(LabourUseFiling)).scalar_one()
        archived = s.execute(
            select(func.count()).where(StoredFile.bucket == str(Bucket.ARCHIVE))
        ).scalar_one()
        last = s.execute(select(LabourContract).order_by(LabourContract.id.desc()).limit(1)).scalar_one()
        final_row = s.get(StoredFile, last.final_file_id)
        assert final_row is not None
        key, version = final_row.object_key, final_row.version_id
    db.dispose()
    signing = open_signing(
        SigningConfig(instance_dir=Path(cfg.instance_dir), secret=SECRET, pki_port=cfg.pki_port),
        start_tsa=False,
    )
    pdf = LocalFolderDocumentStore(cfg.store_dir, SECRET).get(Bucket.ARCHIVE, key, version)
    report = signing.verifier.verify(pdf)
    signing.close()
    signers = sorted(sig.signer for sig in report.signatures)
    ok = (
        concluded == filings == expected
        and archived == 2 * expected
        and report.valid
        and len(signers) == 2
        and all(sig.timestamp is not None for sig in report.signatures)
    )
    summary = (
        f"{concluded}/{expected} concluded, {filings} filings, {archived} archived files; "
        f"last contract re-verified: {'valid' if report.valid else 'INVALID'}, signers {signers}, "
        f"{sum(sig.timestamp is not None for sig in report.signatures)} timestamps"
    )
    if not ok:
        raise SystemExit(f"check failed: {summary}")
    return summary


# -- main ------------------------------------------------------------------------------------


def print_rows(rows: Sequence[Row]) -> None:
    print()
    print(f"{'row':<34} {'contracts':>9} {'send s':>7} {'conclude s':>10} {'total s':>8} {'contracts/s':>12}")
    for r in rows:
        print(
            f"{r.label:<34} {r.count:>9} {r.send_s:>7.1f} {r.conclude_s:>10.1f} {r.total_s:>8.1f}"
            f" {r.rate:>12.1f}"
        )
    print()
    print("per contract: ms of process time (summed over processes; exclusive buckets); sql = statements")
    names = [*BUCKETS, "db+service", "total", "sql"]
    print(f"{'row':<34} " + " ".join(f"{n:>8}" for n in names))
    for r in rows:
        print(f"{r.label:<34} " + " ".join(f"{r.per_contract_ms[n]:>8.1f}" for n in names))
    print()
    print("CPU per contract (ms), and how busy the cores were (CPU s / (wall s x cores))")
    parts = list(rows[0].cpu_ms)
    print(f"{'row':<34} " + " ".join(f"{n:>12}" for n in parts) + f" {'total':>8} {'cores busy':>10}")
    cores = len(os.sched_getaffinity(0))
    for r in rows:
        total = sum(v for v in r.cpu_ms.values() if v == v)
        busy = total * r.count / 1000 / (r.total_s * cores)
        print(
            f"{r.label:<34} " + " ".join(f"{r.cpu_ms[n]:>12.1f}" for n in parts)
            + f" {total:>8.1f} {100 * busy:>9.0f}%"
        )  # fmt: skip


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000, help="contracts per tuned row (default 1000)")
    parser.add_argument("--baseline-count", type=int, default=30, help="contracts on the committed path")
    parser.add_argument("--processes", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--pg", default=DEFAULT_PG, help="PostgreSQL URL; the database is dropped and re-created"
    )
    parser.add_argument("--quick", action="store_true", help="CI smoke: 5 contracts per row")
    parser.add_argument("--profile", metavar="DIR", help="cProfile every stage of every process into DIR")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.baseline_count = min(args.count, 5), min(args.baseline_count, 3)

    from documents import ensure_fonts
    from signing.config import SigningConfig, open_signing
    from workflows.contracts import ContractService
    from workflows.db import Database

    ensure_fonts()
    print(
        f"{len(os.sched_getaffinity(0))} cores; PostgreSQL {args.pg}; TSA over HTTP on loopback", flush=True
    )
    print(f"load average before: {_load()} (other work on the machine skews every row)", flush=True)
    fresh_database(args.pg)
    db = Database(args.pg)
    db.create_schema()
    layout: list[tuple[str, int, bool, int]] = [
        ("committed path, 1 process", args.baseline_count, False, 1),
        ("tuned, 1 process", args.count, True, 1),
    ]
    if args.processes > 1:
        layout.append((f"tuned, {args.processes} processes", args.count, True, args.processes))
    parties = make_parties(db, sum(n for _, n, _, _ in layout))
    with tempfile.TemporaryDirectory(prefix="contracts-bench-") as tmp:
        port = free_port()
        # the TSA (and the PKI's CRL/OCSP endpoints) in this process, on its own thread
        signing = open_signing(
            SigningConfig(instance_dir=Path(tmp) / "instance", secret=SECRET, pki_port=port)
        )
        try:
            from workflows.audit import Actor
            from workflows.minimum_wages import MinimumWages

            runtime, definitions = _signing_process(db, deploy=True)
            adopt = ContractService(
                db, None, None, None, None, runtime=runtime, definitions=definitions,  # type: ignore[arg-type]
                phone_codes=None, verify_base_url="http://x", wages=MinimumWages.load(),  # type: ignore[arg-type]
            )  # fmt: skip
            agent = Actor(
                parties.agent[0], parties.agent[1], frozenset({"employer_agent"}), parties.employer_id
            )
            parties.template_id = adopt.adopt_model_template(agent)
            from integrations.storage.local import LocalFolderDocumentStore

            LocalFolderDocumentStore(Path(tmp) / "store", SECRET).ensure_buckets()
            rows: list[Row] = []
            offset = 0
            for label, n, tuned, processes in layout:
                cfg = Config(
                    args.pg, str(Path(tmp) / "instance"), str(Path(tmp) / "store"), port, tuned,
                    profile_dir=args.profile,
                )  # fmt: skip
                people = parties.workers[offset : offset + n]
                offset += n
                print(f"running: {label} ({n} contracts) ...", flush=True)
                rows.append(run_row(label, cfg, parties, people, processes))
            print_rows(rows)
            print(f"load average after: {_load()}")
            print()
            print("check:", check(cfg, offset))
        finally:
            signing.close()
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
