"""The REST API (/api/v1): flask-smorest blueprints, OpenAPI at /api/openapi.json, problem+json errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from web.problems import pointers_from_marshmallow, problem

SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKey": []}]


class LaborcaseApi(Api):
    """flask-smorest with RFC 9457 errors instead of its own JSON error shape."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return error  # the case UI renders its own error pages
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        status = error.code or 500
        if messages:
            errors = []
            for location, fields in messages.items():
                prefix = "" if location == "json" else f"/{location}"
                errors += pointers_from_marshmallow(fields, prefix)
            return problem(status, "请求数据未通过校验", code="validation", errors=errors)
        return problem(status, error.description or error.name, code=error.name.lower().replace(" ", "_"))


def register_api(app: Flask, csrf: CSRFProtect) -> LaborcaseApi:
    """Mount the API; its routes authenticate by token or key (never cookies), so no CSRF token."""
    app.config.update(
        API_TITLE="Laborcase API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "劳动人事争议与劳动保障案件管理系统接口。错误以 RFC 9457 problem+json 返回。"
            },
            "security": SECURITY,
        },
    )
    api = LaborcaseApi(app)
    from web.api import idempotency

    idempotency.install(app, api)  # Idempotency-Key on the employer API's POSTs
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("apiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    from web.api import (
        admin,
        api_keys,
        auth,
        cases,
        collective,
        contract_batches,
        contract_lifecycle,
        contract_templates,
        contracts,
        deadlines,
        documents,
        evidence,
        hearings,
        registration,
        tasks,
        verify,
    )

    api.spec.components.security_scheme(api_keys.EMPLOYER_KEY_SCHEME, api_keys.EMPLOYER_KEY_SECURITY_SCHEME)
    for module in (
        auth,
        registration,
        cases,
        collective,
        evidence,
        tasks,
        hearings,
        deadlines,
        documents,
        verify,
        admin,
        api_keys,
        contracts,
        contract_templates,
        contract_batches,
        contract_lifecycle,
    ):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    return api
