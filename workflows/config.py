"""Settings from environment variables with typed defaults (the embedded default)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    """Everything configurable.  Secrets come from the environment or the instance folder."""

    instance_dir: Path = field(
        default_factory=lambda: Path(_env("LABORCASE_INSTANCE", str(ROOT / "instance")))
    )
    database_url: str = ""
    bpmn_dir: Path = field(default_factory=lambda: Path(_env("LABORCASE_BPMN_DIR", str(ROOT / "bpmn"))))
    storage_url: str = ""
    # where one-time codes go: file://… is the development outbox (see integrations/sms)
    sms_url: str = ""
    secret_key: str = ""
    tsa_url: str = field(default_factory=lambda: _env("LABORCASE_TSA_URL", ""))
    # where people reach this app: QR codes on documents lead to <public_url>/verify/<code>
    public_url: str = field(default_factory=lambda: _env("LABORCASE_PUBLIC_URL", "http://127.0.0.1:5000"))
    timezone: str = field(default_factory=lambda: _env("LABORCASE_TIMEZONE", "Asia/Shanghai"))
    token_ttl_seconds: int = field(default_factory=lambda: int(_env("LABORCASE_TOKEN_TTL", "3600")))
    due_soon_days: int = field(default_factory=lambda: int(_env("LABORCASE_DUE_SOON_DAYS", "2")))
    secure_cookies: bool = field(
        default_factory=lambda: _env("LABORCASE_SECURE_COOKIES", "0") not in ("0", "false", "no")
    )
    # reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (client IPs
    # recorded as sign-up evidence come from there); 0 = clients connect directly
    proxy_hops: int = field(default_factory=lambda: int(_env("LABORCASE_PROXY_HOPS", "0")))
    # evidence uploads: the largest file accepted, and the largest request (several files) the
    # web server reads at all (larger requests get 413 before any file is looked at)
    evidence_max_bytes: int = field(
        default_factory=lambda: int(_env("LABORCASE_EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
    )
    max_request_bytes: int = field(
        default_factory=lambda: int(_env("LABORCASE_MAX_REQUEST_BYTES", str(64 * 1024 * 1024)))
    )
    # local monthly minimum wages by region (the yardstick of final awards, 调解仲裁法47)
    minimum_wages_file: Path = field(
        default_factory=lambda: Path(
            _env("LABORCASE_MINIMUM_WAGES", str(ROOT / "workflows" / "minimum_wages.json"))
        )
    )
    require_totp_for_staff: bool = field(
        default_factory=lambda: _env("LABORCASE_REQUIRE_TOTP", "1") not in ("0", "false", "no")
    )

    def __post_init__(self) -> None:
        # derive the instance-relative defaults once the instance folder is known
        if not self.database_url:
            object.__setattr__(
                self,
                "database_url",
                _env("LABORCASE_DATABASE_URL", f"sqlite:///{self.instance_dir / 'laborcase.db'}"),
            )
        if not self.storage_url:
            object.__setattr__(
                self, "storage_url", _env("LABORCASE_STORAGE_URL", f"file://{self.instance_dir / 'storage'}")
            )
        if not self.sms_url:
            object.__setattr__(
                self, "sms_url", _env("LABORCASE_SMS_URL", f"file://{self.instance_dir / 'sms-outbox.jsonl'}")
            )
        if not self.secret_key:
            object.__setattr__(
                self, "secret_key", _env("LABORCASE_SECRET_KEY", "") or self._instance_secret()
            )

    def _instance_secret(self) -> str:
        """A random key created on first run and kept in the instance folder (never in the repo)."""
        import secrets

        path = self.instance_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
