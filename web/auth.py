"""Who is calling: a bearer access token or an API key (API), or the login session (UI)."""

from __future__ import annotations

from flask import current_app, g, request, session

from workflows.audit import Actor
from workflows.errors import AuthenticationError, SmsUnavailableError, StorageUnavailableError
from workflows.evidence import EvidenceService
from workflows.identity import actor_for_api_key, read_access_token
from workflows.issuing import IssuingService
from workflows.registration import RegistrationService
from workflows.system import System

API_KEY_HEADER = "X-API-Key"
SESSION_ACTOR = "actor"


def system() -> System:
    sys: System = current_app.extensions["laborcase"]
    return sys


def issuing() -> IssuingService:
    """The document issuing service; StorageUnavailableError (503) where none is configured."""
    service = system().issuing
    if service is None:
        raise StorageUnavailableError("文书签发服务未配置（document issuing is not configured）")
    return service


def evidence() -> EvidenceService:
    """Evidence uploads and downloads; StorageUnavailableError (503) where no store is configured."""
    service = system().evidence
    if service is None:
        raise StorageUnavailableError("证据存储未配置（no document store is configured）")
    return service


def registration() -> RegistrationService:
    """Worker sign-up; SmsUnavailableError (503) where no SMS sender is configured."""
    service = system().registration
    if service is None:
        raise SmsUnavailableError("实名注册未开通：未配置短信服务（sign-up needs an SMS sender）")
    return service


def client_ip() -> str | None:
    """The caller's address (the proxy's unless LABORCASE_PROXY_HOPS trusts X-Forwarded-For)."""
    return request.remote_addr


def api_actor() -> Actor:
    """The caller of an API request; AuthenticationError (401) if none or invalid."""
    cached: Actor | None = g.get("actor")
    if cached is not None:
        return cached
    sys = system()
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        actor = read_access_token(header[7:].strip(), sys.settings.secret_key, sys.settings.token_ttl_seconds)
    elif API_KEY_HEADER in request.headers:
        with sys.db.transaction() as s:
            actor = actor_for_api_key(s, request.headers[API_KEY_HEADER])
    else:
        raise AuthenticationError("缺少访问令牌（Authorization: Bearer …）或 API 密钥")
    g.actor = actor
    return actor


def ui_actor() -> Actor | None:
    """The logged-in user of the case UI / portal, from the signed session cookie."""
    raw = session.get(SESSION_ACTOR)
    if not isinstance(raw, dict):
        return None
    return Actor(
        user_id=int(raw["id"]),
        label=str(raw["label"]),
        roles=frozenset(raw["roles"]),
        organisation_id=raw.get("org"),
    )


def remember(actor: Actor) -> None:
    session.clear()  # a new session id on login: no fixation
    session[SESSION_ACTOR] = {
        "id": actor.user_id,
        "label": actor.label,
        "roles": sorted(actor.roles),
        "org": actor.organisation_id,
    }
    session.permanent = True
