"""Worker self-registration (no login): ask for a phone code, then sign up with real name and code."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from web.api.blueprint import Blueprint
from web.api.schemas import PhoneCodeIn, PhoneCodeOut, ProblemOut, WorkerSignupIn, WorkerSignupOut
from web.auth import client_ip, registration, system
from workflows.identity import issue_access_token

PREFIX = "/registration"
blp = Blueprint("registration", __name__, description="劳动者实名注册（无需登录）")

_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


@blp.route("/phone-code")
class PhoneCode(MethodView):
    @blp.doc(security=[])
    @blp.arguments(PhoneCodeIn)
    @blp.response(202, PhoneCodeOut)
    @blp.alt_response(422, schema=ProblemOut, description="invalid phone number (pointer /phone)")
    @blp.alt_response(
        429, schema=ProblemOut, headers=_RETRY_AFTER, description="one code a minute, five an hour per phone"
    )
    @blp.alt_response(503, schema=ProblemOut, description="the SMS gateway did not take the message")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send a 6-digit one-time code by SMS (valid 5 minutes, 5 tries)."""
        sent = registration().request_phone_code(body["phone"], body["purpose"], client_ip=client_ip())
        return {
            "phone_masked": sent.phone_masked,
            "expires_in": sent.expires_in,
            "resend_after": sent.resend_after,
        }


@blp.route("/workers")
class Workers(MethodView):
    @blp.doc(security=[])
    @blp.arguments(WorkerSignupIn)
    @blp.response(201, WorkerSignupOut)
    @blp.alt_response(
        422,
        schema=ProblemOut,
        description="a field is invalid, the code is wrong/expired/used, or the resident ID or phone "
        "is registered already; `errors` holds JSON pointers (/name, /resident_id, /phone, /code, /password)",
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a worker account: real name, resident ID (check digit), phone proven by its code."""
        worker = registration().register_worker(
            name=body["name"],
            resident_id=body["resident_id"],
            phone=body["phone"],
            code=body["code"],
            password=body["password"],
            client_ip=client_ip(),
            user_agent=request.user_agent.string,
        )
        settings = system().settings
        ttl = settings.token_ttl_seconds
        return {
            "user_id": worker.user_id,
            "username": worker.username,
            "access_token": issue_access_token(worker.actor, settings.secret_key, ttl),
            "token_type": "Bearer",
            "expires_in": ttl,
        }
