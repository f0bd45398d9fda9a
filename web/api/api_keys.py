"""Employers' API keys: issue (the key is shown once), list and revoke; and key authentication.

Keys are managed by a logged-in employer agent (for themselves) or an administrator with their
access token — never with a key, so a leaked key cannot mint more.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import g, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from web.api.blueprint import Blueprint
from web.api.schemas import Strict, UtcDateTime
from web.auth import api_actor, client_ip, system
from workflows.api_keys import (
    KEY_PREFIX,
    SCOPES,
    KeyCaller,
    authenticate_key,
    issue_key,
    list_keys,
    revoke_key,
)
from workflows.audit import Actor
from workflows.errors import PermissionDeniedError
from workflows.roles import EMPLOYER_AGENT

PREFIX = "/employer/api-keys"
blp = Blueprint("employer_api_keys", __name__, description="用人单位 API 密钥")

EMPLOYER_KEY_SCHEME = "employerKey"
EMPLOYER_KEY_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": f"{KEY_PREFIX}<key_id>_<secret>",
    "description": "用人单位 API 密钥：`Authorization: Bearer lcek_<key_id>_<secret>`。"
    f"权限范围（scopes）：{', '.join(SCOPES)}；每个接口所需的范围见其 x-required-scope。",
}


def employer_caller(scope: str) -> Actor:
    """The caller of an employer API request: an employer key holding `scope`, or an employer
    agent's own access token (acting with the agent's rights).  401 / 403 otherwise."""
    cached: Actor | None = g.get("actor")
    if cached is not None:
        caller: KeyCaller | None = g.get("api_key")
        if caller is not None:
            caller.require(scope)
        return cached
    caller = employer_key()
    if caller is not None:
        caller.require(scope)
        return caller.actor
    actor = api_actor()
    if EMPLOYER_AGENT not in actor.roles or actor.organisation_id is None:
        raise PermissionDeniedError("只有用人单位经办人或其 API 密钥可以调用用人单位接口")
    return actor


def employer_key() -> KeyCaller | None:
    """The employer API key presented with this request (authenticated once per request; 401 if it
    is not good), or None when the request does not present one."""
    cached: KeyCaller | None = g.get("api_key")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token.startswith(KEY_PREFIX):
        return None
    sys = system()
    with sys.db.transaction() as s:
        caller = authenticate_key(s, token, secret_key=sys.settings.secret_key, client_ip=client_ip())
    g.actor, g.api_key = caller.actor, caller
    return caller


class ApiKeyOut(Schema):
    key_id = fields.String(metadata={"description": "公开部分，用于查找与吊销"})
    employer_id = fields.Integer()
    user_id = fields.Integer(metadata={"description": "密钥代表的经办人"})
    label = fields.String()
    scopes = fields.List(fields.String())
    created_at = UtcDateTime()
    expires_at = UtcDateTime()
    revoked_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)
    last_used_ip = fields.String(allow_none=True)


class IssuedApiKeyOut(ApiKeyOut):
    key = fields.String(metadata={"description": "完整密钥，仅此一次显示，系统只保存其 HMAC"})


class IssueApiKeyIn(Strict):
    label = fields.String(required=True, validate=validate.Length(min=1, max=120))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)), required=True, validate=validate.Length(min=1)
    )
    expires_at = fields.AwareDateTime(
        load_default=None, metadata={"description": "默认一年，最长两年"}, default_timezone=None
    )
    employer_id = fields.Integer(load_default=None, metadata={"description": "管理员签发时必填"})
    agent_user_id = fields.Integer(
        load_default=None, metadata={"description": "密钥代表的经办人（管理员签发时必填；经办人只能为本人）"}
    )


class ApiKeyListArgs(Strict):
    employer_id = fields.Integer(load_default=None, metadata={"description": "管理员查看某单位"})


@blp.route("")
class ApiKeys(MethodView):
    @blp.arguments(ApiKeyListArgs, location="query")
    @blp.response(200, ApiKeyOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The employer's keys, newest first (never their secrets)."""
        with system().db.transaction() as s:
            return [asdict(v) for v in list_keys(s, api_actor(), args["employer_id"])]

    @blp.arguments(IssueApiKeyIn)
    @blp.response(201, IssuedApiKeyOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Issue a key for the employer's HR system; `key` is in this response only."""
        sys = system()
        actor = api_actor()
        with sys.db.transaction() as s:
            issued = issue_key(
                s,
                actor,
                secret_key=sys.settings.secret_key,
                label=body["label"],
                scopes=body["scopes"],
                employer_id=body["employer_id"],
                agent_user_id=body["agent_user_id"],
                expires_at=body["expires_at"],
            )
        return {**asdict(issued.view), "key": issued.key}


@blp.route("/<string:key_id>/revoke")
class ApiKeyRevoke(MethodView):
    @blp.response(200, ApiKeyOut)
    def post(self, key_id: str) -> dict[str, Any]:
        """Revoke a key at once and for good (idempotent)."""
        with system().db.transaction() as s:
            return asdict(revoke_key(s, api_actor(), key_id))
