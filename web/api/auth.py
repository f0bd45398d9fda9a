"""POST /api/v1/auth/token: exchange username, password and (staff) one-time code for an access token."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import TokenRequest, TokenResponse
from web.auth import system
from workflows.identity import authenticate, issue_access_token

PREFIX = "/auth"
blp = Blueprint("auth", __name__, description="登录与访问令牌")


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(200, TokenResponse)
    @blp.doc(security=[])
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Issue a short-lived bearer token (staff need their TOTP code)."""
        sys = system()
        with sys.db.transaction() as s:
            actor = authenticate(
                s,
                body["username"],
                body["password"],
                body.get("totp"),
                sys.settings.secret_key,
                sys.settings.require_totp_for_staff,
            )
        ttl = sys.settings.token_ttl_seconds
        token = issue_access_token(actor, sys.settings.secret_key, ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
