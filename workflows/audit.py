"""Append-only audit trail, chained by SHA-256.

Every state change writes one event: who, when, what, before → after.  Each
event's hash covers its content and the previous hash of its chain.  A case's
chain head (sequence and hash) lives on the case row, which every change
updates anyway, so recording costs no extra round trip and concurrent cases
never contend.  Events without a case use the `global` chain, whose head is a
locked row.  `verify()` recomputes everything and reports any altered,
inserted or removed row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, event, insert, select
from sqlalchemy.orm import Session

from workflows.direct_sql import DirectStatement
from workflows.models import AuditChainHead, AuditEvent, Case

_AUDIT_EVENT = cast(Table, AuditEvent.__table__)
#: the audit rows' INSERT, built once and run on the cursor (see workflows.direct_sql)
EVENT_INSERT = DirectStatement(insert(_AUDIT_EVENT))

GLOBAL_CHAIN = "global"


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (with roles and organisation) or the system itself."""

    user_id: int | None
    label: str
    roles: frozenset[str] = frozenset()
    organisation_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.user_id is None


SYSTEM = Actor(user_id=None, label="system", roles=frozenset({"system"}))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def canonical(value: Any) -> Any:
    """JSON-safe copy, so what is hashed is exactly what is stored."""
    return json.loads(json.dumps(value, default=_default, sort_keys=True, ensure_ascii=False))


def event_hash(
    *,
    chain: str,
    seq: int,
    case_id: int | None,
    actor_id: int | None,
    actor_label: str,
    at: datetime,
    action: str,
    entity: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    body = {
        "chain": chain,
        "seq": seq,
        "case_id": case_id,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "at": _normalise_time(at),
        "action": action,
        "entity": entity,
        "before": before,
        "after": after,
        "prev": prev_hash,
    }
    data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _normalise_time(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_of(case_id: int) -> str:
    return f"case:{case_id}"


@dataclass
class PendingEvent:
    action: str
    entity: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


def case_event_rows(
    case_id: int, seq: int, head: str, actor: Actor, events: Sequence[PendingEvent], at: datetime
) -> tuple[list[dict[str, Any]], int, str]:
    """The audit rows of `events` chained after (seq, head) of a case's chain, and the new head."""
    chain = chain_of(case_id)
    rows = []
    for ev in events:
        seq += 1
        before, after = canonical(ev.before), canonical(ev.after)
        digest = event_hash(
            chain=chain,
            seq=seq,
            case_id=case_id,
            actor_id=actor.user_id,
            actor_label=actor.label,
            at=at,
            action=ev.action,
            entity=ev.entity,
            before=before,
            after=after,
            prev_hash=head,
        )
        rows.append(
            {
                "chain": chain,
                "seq": seq,
                "case_id": case_id,
                "actor_id": actor.user_id,
                "actor_label": actor.label,
                "at": at,
                "action": ev.action,
                "entity": ev.entity,
                "before": before,
                "after": after,
                "prev_hash": head,
                "hash": digest,
            }
        )
        head = digest
    return rows, seq, head


def insert_event_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write rows made by `case_event_rows` (Core: cheaper than an ORM bulk insert)."""
    EVENT_INSERT.insert_rows(session, rows)


def append_case_events(
    session: Session,
    case: Case,
    actor: Actor,
    events: list[PendingEvent],
    at: datetime | None = None,
) -> None:
    """Append events to a case's chain and move its head on the (already loaded) case row.

    The caller updates the case row in the same transaction (version bump), which
    serialises writers of one case; the chain therefore never forks.
    """
    if not events:
        return
    rows, seq, head = case_event_rows(
        case.id, case.audit_seq, case.audit_head, actor, events, at or datetime.now(UTC)
    )
    insert_event_rows(session, rows)
    case.audit_seq, case.audit_head = seq, head


def append_global_event(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append to the global chain (users, definitions, …); serialised by a row lock."""
    append_chain_event(session, GLOBAL_CHAIN, actor, action, entity, after=after, before=before)


_CHAIN_HEADS = "laborcase.audit_chain_heads"  # session.info key: chain -> its _ChainHead


@dataclass
class _ChainHead:
    """A chain's head as this transaction has moved it; `row` is its locked `audit_chain_head` row.

    Kept apart from the row's attributes, which an `expire_all()` would discard: every flush
    writes these values to the row (`_write_chain_heads`), so events and their head always reach
    the database together, in one UPDATE however many events the flush carries."""

    row: AuditChainHead
    seq: int
    head: str


def hold_chain_head(session: Session, row: AuditChainHead) -> None:
    """Adopt the head row of a chain that the caller read locked (e.g. in one query with the
    record the chain belongs to), so the chain's next event in this transaction does not read
    and lock it again."""
    heads: dict[str, _ChainHead] = session.info.setdefault(_CHAIN_HEADS, {})
    current = heads.get(row.chain)
    if current is None or current.row not in session:
        heads[row.chain] = _ChainHead(row, row.seq, row.head)


def append_chain_event(
    session: Session,
    chain: str,
    actor: Actor,
    action: str,
    entity: str,
    after: Mapping[str, Any] | None = None,
    before: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    *,
    new_chain: bool = False,
) -> str:
    """Append to a chain of its own (e.g. `labour_contract:<id>`), head in `audit_chain_head`.

    The head row is locked, so writers of one chain are serialised; `verify()` checks these
    chains like the global one.  Returns the new event's hash.  The head is locked and read once
    per transaction; the event is written with the next flush (at the latest, the commit).
    `new_chain=True` starts the chain of a record this transaction created, without looking for
    its head (were there one, the insert of the head would fail, never fork the chain).
    """
    heads: dict[str, _ChainHead] = session.info.setdefault(_CHAIN_HEADS, {})
    current = heads.get(chain)
    if current is None or current.row not in session:  # first event of this chain in this transaction
        row = (
            None
            if new_chain
            else session.execute(
                select(AuditChainHead).where(AuditChainHead.chain == chain).with_for_update()
            ).scalar_one_or_none()
        )
        if row is None:
            row = AuditChainHead(chain=chain, seq=0, head="")
            session.add(row)
        hold_chain_head(session, row)
        current = heads[chain]
    at = at or datetime.now(UTC)
    seq = current.seq + 1
    b, a = canonical(before), canonical(after)
    digest = event_hash(
        chain=chain,
        seq=seq,
        case_id=None,
        actor_id=actor.user_id,
        actor_label=actor.label,
        at=at,
        action=action,
        entity=entity,
        before=b,
        after=a,
        prev_hash=current.head,
    )
    session.add(
        AuditEvent(
            chain=chain,
            seq=seq,
            case_id=None,
            actor_id=actor.user_id,
            actor_label=actor.label,
            at=at,
            action=action,
            entity=entity,
            before=b,
            after=a,
            prev_hash=current.head,
            hash=digest,
        )
    )
    current.seq, current.head = seq, digest
    current.row.seq, current.row.head = seq, digest
    return digest


@event.listens_for(Session, "before_flush")
def _write_chain_heads(session: Session, flush_context: Any, instances: Any) -> None:
    """Every flush carries the heads this transaction moved (an expired row gets them back)."""
    for current in session.info.get(_CHAIN_HEADS, {}).values():
        if current.row in session:
            current.row.seq, current.row.head = current.seq, current.head


@event.listens_for(Session, "after_soft_rollback")
def _forget_chain_heads(session: Session, previous_transaction: Any) -> None:
    """A rolled-back savepoint took its events with it: read the heads again (they were flushed
    when the savepoint began, so the rows hold what the transaction had before it)."""
    session.info.pop(_CHAIN_HEADS, None)


@dataclass(frozen=True)
class AuditProblem:
    chain: str
    seq: int | None
    event_id: int | None
    problem: str


def _iter_chain_rows(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(
        select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq).execution_options(yield_per=2000)
    ).scalars()


def verify(session: Session) -> list[AuditProblem]:
    """Recompute every chain; an empty list means the trail is intact."""
    problems: list[AuditProblem] = []
    heads: dict[str, tuple[int, str]] = {}
    for row in session.execute(select(Case.id, Case.audit_seq, Case.audit_head)):
        heads[chain_of(row.id)] = (row.audit_seq, row.audit_head)
    for g in session.execute(select(AuditChainHead)).scalars():
        heads[g.chain] = (g.seq, g.head)

    seen: dict[str, tuple[int, str]] = {}
    current_chain, expected_seq, prev = None, 1, ""
    for ev in _iter_chain_rows(session):
        if ev.chain != current_chain:
            current_chain, expected_seq, prev = ev.chain, 1, ""
        if ev.seq != expected_seq:
            problems.append(
                AuditProblem(ev.chain, expected_seq, None, f"event {expected_seq} missing (found {ev.seq})")
            )
            expected_seq = ev.seq
        if ev.prev_hash != prev:
            problems.append(AuditProblem(ev.chain, ev.seq, ev.id, "link to previous event broken"))
        recomputed = event_hash(
            chain=ev.chain,
            seq=ev.seq,
            case_id=ev.case_id,
            actor_id=ev.actor_id,
            actor_label=ev.actor_label,
            at=ev.at,
            action=ev.action,
            entity=ev.entity,
            before=ev.before,
            after=ev.after,
            prev_hash=ev.prev_hash,
        )
        if recomputed != ev.hash:
            problems.append(AuditProblem(ev.chain, ev.seq, ev.id, "content altered (hash mismatch)"))
        if ev.case_id is not None and ev.chain != chain_of(ev.case_id):
            problems.append(AuditProblem(ev.chain, ev.seq, ev.id, "event filed under another case's chain"))
        prev = ev.hash
        seen[ev.chain] = (ev.seq, ev.hash)
        expected_seq += 1

    for chain, (seq, head) in heads.items():
        last_seq, last_hash = seen.get(chain, (0, ""))
        if seq != last_seq or head != last_hash:
            problems.append(
                AuditProblem(chain, seq, None, f"chain head says event {seq}, trail ends at event {last_seq}")
            )
    for chain in seen.keys() - heads.keys():
        problems.append(AuditProblem(chain, None, None, "events of a case that no longer exists"))
    return problems
