"""Demo data for the embedded default: one commission, one account per role, a few live cases.

Passwords and TOTP secrets are random per instance and written only to
`<instance>/demo-credentials.txt` (mode 600); nothing is hard-coded.
"""

from __future__ import annotations

import copy
import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from workflows.audit import SYSTEM, Actor
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.identity import actor_for_user, create_user
from workflows.models import Organisation, User
from workflows.roles import (
    ADMIN,
    ARBITRATOR,
    CLERK,
    COMMISSION_HEAD,
    EMPLOYER_AGENT,
    MEDIATOR,
    SUPERVISOR,
    WORKER,
)
from workflows.system import System

CREDENTIALS_FILE = "demo-credentials.txt"
SECRETS_FILE = "demo-totp.json"

ACCOUNTS = (
    ("admin", "系统管理员", {ADMIN}),
    ("clerk", "王书记员", {CLERK}),
    ("arbitrator", "李仲裁员", {ARBITRATOR}),
    # two more, so the collective case's three-arbitrator tribunal can sit (法31)
    ("arbitrator2", "孙仲裁员", {ARBITRATOR}),
    ("arbitrator3", "吴仲裁员", {ARBITRATOR}),
    ("head", "张主任", {COMMISSION_HEAD}),
    ("mediator", "赵调解员", {MEDIATOR}),
    ("supervisor", "陈科长", {SUPERVISOR}),
    ("worker", "刘劳动者", {WORKER}),
    ("employer", "周经办（示范科技有限公司）", {EMPLOYER_AGENT}),
)

#: employers of the demo cases, with valid unified social credit codes (GB 32100)
EMPLOYERS = (
    ("示范科技有限公司", "91110108MA01D7K3XW"),
    ("示范物流有限公司", "91110105MA02F8L4YL"),
    ("示范餐饮管理有限公司", "91110106MA03G9M5W5"),
)
#: the workers of the collective demo case (法7: ten or more); the first three are elected representatives
COLLECTIVE_WORKERS = (
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄丽",
    "周强",
    "吴敏",
    "徐涛",
    "孙娜",
)
#: the commission's hearing rooms (仲裁庭) and where they are
DEMO_ROOMS = (
    ("第一仲裁庭", "示范市仲裁院三楼"),
    ("第二仲裁庭", "示范市仲裁院三楼"),
    ("调解室", "示范市仲裁院二楼"),
)
#: the employer whose agent has a demo account
AGENT_EMPLOYER = "示范科技有限公司"
#: the demo worker's real-name data (a valid resident ID; the phone gets SMS codes in the dev outbox)
DEMO_WORKER_IDENTITY = {"resident_id": "110101199003071233", "phone": "13800138000"}
#: the labour contract the demo employer has sent the demo worker to sign (to be signed in the portal)
DEMO_CONTRACT: dict[str, Any] = {
    "employer": {"address": "北京市海淀区中关村大街1号", "legal_representative": "钱某某"},
    "worker": {"address": "北京市朝阳区某某路2号", "resident_id": DEMO_WORKER_IDENTITY["resident_id"]},
    "term": {"kind": "fixed", "start_date": "2027-01-01", "end_date": "2029-12-31", "probation_months": 2},
    "job": {
        "position": "软件工程师",
        "duties": "负责软件开发和测试。",
        "place": "北京市海淀区",
        "region_code": "110108",
    },
    "working_time": {"system": "standard", "rest": "每周休息两日，依法享受法定节假日和带薪年休假。"},
    "pay": {"monthly_amount": "12000", "probation_amount": "10000", "pay_period": "monthly", "payday": 10},
    "social_insurance": {"description": "甲方依法为乙方缴纳五项社会保险。"},
    "protection": {
        "labour_protection": "甲方提供必要的劳动保护用品。",
        "working_conditions": "办公环境符合国家标准。",
        "occupational_hazards": "本岗位无职业病危害因素，甲方如实告知。",
    },
}


def _home_of(roles: set[str], commission_id: int, employer_ids: dict[str, int]) -> int | None:
    if roles == {WORKER}:
        return None
    if roles == {EMPLOYER_AGENT}:
        return employer_ids[AGENT_EMPLOYER]
    return commission_id


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def _complete(system: System, actor: Actor, case_id: int, name: str, data: dict[str, Any]) -> None:
    """Claim and complete the case's open task `name` as `actor` (the demo's staff at work)."""
    [task] = [t for t in system.cases.get_case(actor, case_id).open_tasks if t["name"] == name]
    system.tasks.claim(actor, str(task["id"]))
    system.tasks.complete(actor, str(task["id"]), data)


def _demo_cases(system: System, actors: dict[str, Actor], org_id: int, employers: dict[str, str]) -> None:
    """Cases in several stages: just filed, accepted, awaiting the hearing, and in mediation."""
    worker, clerk, head = actors["worker"], actors["clerk"], actors["head"]

    def file(
        title: str, employer: str, claims: list[tuple[str, str, str]], process: str = "arbitration"
    ) -> int:
        return system.cases.open_case(
            worker if process == "arbitration" else actors["mediator"],
            OpenCase(
                process_key=process,
                case_type=process,
                title=f"{worker.label}诉{employer}{title}",
                organisation_id=org_id,
                parties=[
                    PartyInput(role="applicant", name=worker.label, user_id=worker.user_id),
                    PartyInput(
                        role="respondent", name=employer, kind="organisation", uscc=employers[employer]
                    ),
                ],
                claims=[ClaimInput(t, d, Decimal(a)) for t, d, a in claims],
            ),
        ).id

    # 1. filed online, waiting for the clerk's acceptance review (法29: five days)
    file("拖欠工资及经济补偿", "示范科技有限公司", [("wages", "2026年8月至10月工资", "24000.00")])
    # 2. accepted: the respondent is being served and the tribunal formed (受理通知书 issued)
    accepted = file(
        "违法解除劳动合同赔偿金", "示范物流有限公司", [("compensation", "违法解除赔偿金", "36000.00")]
    )
    review = {"acceptance_decision": "accept", "accepted_on": _today(), "review_note": "材料齐全，属本委管辖"}
    _complete(system, clerk, accepted, "review_application", review)
    # 3. tribunal formed, defence in, hearing to be notified (组庭通知书 issued)
    hearing = file("加班费", "示范餐饮管理有限公司", [("overtime_pay", "2026年延时加班费", "8600.00")])
    _complete(system, clerk, hearing, "review_application", review)
    _complete(
        system,
        clerk,
        hearing,
        "serve_respondent",
        {"respondent_service_method": "direct", "respondent_served_on": _today()},
    )
    tribunal = {  # the sole arbitrator by the display name of the demo arbitrator: scheduling finds them
        "tribunal_kind": "sole",
        "presiding_arbitrator": actors["arbitrator"].label,
        "simplified_procedure": True,
        "simplified_ground": "small_amount",
        "tribunal_notice_served_on": _today(),
    }
    _complete(system, head, hearing, "form_tribunal", tribunal)
    system.messages.deliver(clerk, "defence_received", {"summary": "加班系自愿，已发放调休"}, case_id=hearing)
    _complete(
        system,
        clerk,
        hearing,
        "serve_defence",
        {"defence_copy_service_method": "electronic", "defence_copy_served_on": _today()},
    )
    # 4. a mediation in its fifteen days (法14)
    file("年休假工资调解", "示范科技有限公司", [("other", "未休年休假工资", "4200.00")], process="mediation")
    # 5. a collective dispute (法7): twelve workers, three elected representatives, accepted and
    #    served; first in the head's inbox to form a tribunal of three arbitrators
    employer = "示范物流有限公司"
    collective = system.cases.open_case(
        clerk,
        OpenCase(
            process_key="arbitration",
            case_type="arbitration",
            title=f"{COLLECTIVE_WORKERS[0]}等十二人诉{employer}拖欠工资",
            organisation_id=org_id,
            parties=[
                *(PartyInput(role="applicant", name=name) for name in COLLECTIVE_WORKERS),
                PartyInput(role="respondent", name=employer, kind="organisation", uscc=employers[employer]),
            ],
            claims=[ClaimInput("wages", "2026年9月至10月工资（十二人共同请求）", Decimal("182400.00"))],
        ),
    )
    system.collective.elect_representatives(clerk, collective.id, [p["id"] for p in collective.parties[:3]])
    _complete(system, clerk, collective.id, "review_application", review)
    _complete(
        system,
        clerk,
        collective.id,
        "serve_respondent",
        {"respondent_service_method": "direct", "respondent_served_on": _today()},
    )


def _demo_contract(system: System, actors: dict[str, Actor]) -> None:
    """The demo employer adopts the model contract and sends one to the demo worker to sign."""
    if system.contracts is None:  # no document side (seal, store): no contracts
        return
    agent, worker = actors["employer"], actors["worker"]
    template_id = system.contracts.adopt_model_template(agent)
    drafted = system.contracts.create_draft(
        agent,
        template_id=template_id,
        worker_user_id=worker.user_id or 0,
        clauses=copy.deepcopy(DEMO_CONTRACT),
        due_at=datetime.now(UTC) + timedelta(days=14),
    )
    system.contracts.send(agent, drafted.contract_id)


def has_data(system: System) -> bool:
    with system.db.transaction() as s:
        return bool(s.execute(select(func.count()).select_from(User)).scalar_one())


DEMO_COMMISSION = "示范市劳动人事争议仲裁委员会"


def load_demo(system: System, instance_dir: Path, commission: str = DEMO_COMMISSION) -> Path:
    """Create the demo organisation, accounts and cases; returns the credentials file."""
    lines = ["Laborcase 演示账号（仅用于本机演示环境）", ""]
    totp: dict[str, str] = {}
    actors: dict[str, Actor] = {}
    with system.db.transaction() as s:
        org = Organisation(kind="commission", name=commission, region_code="110000")
        s.add(org)
        employers = [Organisation(kind="employer", name=name, uscc=uscc) for name, uscc in EMPLOYERS]
        s.add_all(employers)
        s.flush()
        employer_ids = {e.name: e.id for e in employers}
        for username, name, roles in ACCOUNTS:
            password = secrets.token_urlsafe(12)
            user, secret = create_user(
                s,
                username=username,
                display_name=name,
                password=password,
                roles=roles,
                organisation_id=_home_of(roles, org.id, employer_ids),
                actor=SYSTEM,
                secret_key=system.settings.secret_key,
                resident_id=DEMO_WORKER_IDENTITY["resident_id"] if username == "worker" else None,
                phone=DEMO_WORKER_IDENTITY["phone"] if username == "worker" else None,
            )
            s.flush()
            actors[username] = actor_for_user(user)
            lines.append(f"{username:12} {password:20} {name}（{'、'.join(sorted(roles))}）")
            if secret:
                totp[username] = secret
        org_id = org.id
    hearings = system.hearings
    for position, (room, address) in enumerate(DEMO_ROOMS, 1):
        hearings.add_room(SYSTEM, room, organisation_id=org_id, address=address, position=position)
    uscc_of = dict(EMPLOYERS)
    lines += [
        "",
        "工作人员登录须填写动态验证码：用身份验证器扫描/添加下列密钥，或运行",
        "  .venv/bin/laborcase demo-code <用户名>",
        "",
        *(f"{u:12} TOTP 密钥 {sec}" for u, sec in totp.items()),
    ]
    _demo_cases(system, actors, org_id, uscc_of)
    _demo_contract(system, actors)
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / CREDENTIALS_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    secrets_path = instance_dir / SECRETS_FILE
    secrets_path.write_text(json.dumps(totp), encoding="utf-8")
    secrets_path.chmod(0o600)
    return path


def demo_code(instance_dir: Path, username: str) -> str:
    """The current one-time code of a demo account, from the instance's own secrets file."""
    import pyotp

    secrets_path = instance_dir / SECRETS_FILE
    if not secrets_path.exists():
        raise LookupError("no demo accounts in this instance")
    table = json.loads(secrets_path.read_text(encoding="utf-8"))
    if username not in table:
        raise LookupError(f"{username} is not a demo staff account")
    return str(pyotp.TOTP(table[username]).now())
