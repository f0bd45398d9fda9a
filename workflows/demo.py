"""Demo data for the embedded default: one commission, one account per role, a few live cases.

Passwords and TOTP secrets are random per instance and written only to
`<instance>/demo-credentials.txt` (mode 600); nothing is hard-coded.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from workflows.audit import SYSTEM, Actor
from workflows.cases import ClaimInput, OpenCase, PartyInput
from workflows.identity import actor_for_user, create_user
from workflows.models import Organisation, User
from workflows.roles import ADMIN, ARBITRATOR, CLERK, COMMISSION_HEAD, MEDIATOR, SUPERVISOR, WORKER
from workflows.system import System

CREDENTIALS_FILE = "demo-credentials.txt"
SECRETS_FILE = "demo-totp.json"

ACCOUNTS = (
    ("admin", "系统管理员", {ADMIN}),
    ("clerk", "王书记员", {CLERK}),
    ("arbitrator", "李仲裁员", {ARBITRATOR}),
    ("head", "张主任", {COMMISSION_HEAD}),
    ("mediator", "赵调解员", {MEDIATOR}),
    ("supervisor", "陈科长", {SUPERVISOR}),
    ("worker", "刘劳动者", {WORKER}),
)


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
        s.flush()
        for username, name, roles in ACCOUNTS:
            password = secrets.token_urlsafe(12)
            user, secret = create_user(
                s,
                username=username,
                display_name=name,
                password=password,
                roles=roles,
                organisation_id=None if roles == {WORKER} else org.id,
                actor=SYSTEM,
                secret_key=system.settings.secret_key,
            )
            s.flush()
            actors[username] = actor_for_user(user)
            lines.append(f"{username:12} {password:20} {name}（{'、'.join(sorted(roles))}）")
            if secret:
                totp[username] = secret
        org_id = org.id
    lines += [
        "",
        "工作人员登录须填写动态验证码：用身份验证器扫描/添加下列密钥，或运行",
        "  .venv/bin/laborcase demo-code <用户名>",
        "",
        *(f"{u:12} TOTP 密钥 {sec}" for u, sec in totp.items()),
    ]
    worker = actors["worker"]
    samples = [
        ("拖欠工资及经济补偿", "示范科技有限公司", [("wages", "2026年8月至10月工资", "24000.00")]),
        ("违法解除劳动合同赔偿金", "示范物流有限公司", [("compensation", "违法解除赔偿金", "36000.00")]),
    ]
    for title, employer, claims in samples:
        system.cases.open_case(
            worker,
            OpenCase(
                process_key="arbitration",
                case_type="arbitration",
                title=f"{worker.label}诉{employer}{title}",
                organisation_id=org_id,
                parties=[
                    PartyInput(role="applicant", name=worker.label, user_id=worker.user_id),
                    PartyInput(role="respondent", name=employer, kind="organisation"),
                ],
                claims=[ClaimInput(t, d, Decimal(a)) for t, d, a in claims],
            ),
        )
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
