"""Builders shared by service, functional and integration tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workflows.audit import SYSTEM, Actor
from workflows.config import Settings
from workflows.db import Database
from workflows.identity import create_user
from workflows.models import Organisation
from workflows.ports import DocumentStore, SmsSender
from workflows.system import System, build_system

FIXTURE_BPMN = Path(__file__).parent / "fixtures" / "bpmn"
#: the product's contract signing process: deployed beside the fixtures, contracts need it
SIGNING_BPMN = Path(__file__).resolve().parent.parent / "bpmn" / "labour_contract_signing"
SECRET = "test-secret-key-not-for-production"


def fixture_system(
    db: Database,
    tmp_path: Path,
    bpmn_dir: Path = FIXTURE_BPMN,
    sms: SmsSender | None = None,
    store: DocumentStore | None = None,
) -> System:
    settings = Settings(instance_dir=tmp_path, database_url=db.url, bpmn_dir=bpmn_dir, secret_key=SECRET)
    system = build_system(settings, database=db, sms=sms, store=store)
    from workflows.definitions import read_all, read_folder

    bundles = read_all(bpmn_dir)
    if all(b.process_key != SIGNING_BPMN.name for b in bundles):
        bundles.append(read_folder(SIGNING_BPMN))
    with db.transaction() as s:
        system.definitions.deploy(s, bundles, SYSTEM)
    return system


@dataclass
class People:
    org_id: int
    other_org_id: int
    clerk: Actor
    clerk2: Actor
    supervisor: Actor
    other_clerk: Actor
    worker: Actor
    other_worker: Actor


def make_people(db: Database) -> People:
    """Two commissions, staff in each, two workers (no TOTP needed: actors are built directly)."""
    with db.transaction() as s:
        org = Organisation(kind="commission", name="某市劳动人事争议仲裁委员会", region_code="110108")
        other = Organisation(kind="commission", name="另一市劳动人事争议仲裁委员会")
        s.add_all([org, other])
        s.flush()

        def user(name: str, roles: set[str], org_id: int | None) -> Actor:
            u, _ = create_user(
                s, username=name, display_name=name, password="correct horse battery", roles=roles,
                organisation_id=org_id, actor=SYSTEM, secret_key=SECRET,
            )  # fmt: skip
            s.flush()
            return Actor(u.id, name, frozenset(roles), org_id)

        return People(
            org_id=org.id,
            other_org_id=other.id,
            clerk=user("clerk1", {"clerk"}, org.id),
            clerk2=user("clerk2", {"clerk"}, org.id),
            supervisor=user("super1", {"supervisor"}, org.id),
            other_clerk=user("clerk9", {"clerk"}, other.id),
            worker=user("worker1", {"worker"}, None),
            other_worker=user("worker2", {"worker"}, None),
        )


def make_employer(db: Database, name: str, uscc: str, agent: str) -> tuple[int, Actor]:
    """An employer on record and its agent (role employer_agent, belonging to it)."""
    with db.transaction() as s:
        org = Organisation(kind="employer", name=name, uscc=uscc)
        s.add(org)
        s.flush()
        u, _ = create_user(
            s, username=agent, display_name=f"{name}经办人", password="correct horse battery",
            roles={"employer_agent"}, organisation_id=org.id, actor=SYSTEM, secret_key=SECRET,
        )  # fmt: skip
        s.flush()
        return org.id, Actor(u.id, u.display_name, frozenset({"employer_agent"}), org.id)
