"""`Idempotency-Key` on every POST of the employer API (/api/v1/employer/…): one pair of hooks.

A POST carrying the header and an employer API key is recorded before the view runs
(`workflows.idempotency`); its response (2xx and 4xx) is kept and replayed to retries with
`Idempotency-Replayed: true`; a retry while the first still runs is 409, the same key on a
different request 422.  A 5xx, a 429 or an unhandled exception forgets the request, so that a
retry runs it.  Without the header nothing changes.  The key binds to the API key, so it is
honoured only for calls made with one: a call with an access token and the header is refused
(400) rather than silently run without the guarantee.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, g, request
from flask_smorest import Api

from web.api.api_keys import employer_key
from web.auth import system
from web.problems import problem
from workflows.errors import AuthenticationError, FieldProblem, ValidationError
from workflows.idempotency import HEADER, POINTER, REPLAYED_HEADER, Begun, IdempotencyService, parse_key
from workflows.idempotency import request_sha256 as fingerprint

PATH_PREFIX = "/api/v1/employer/"
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Digest")
_RECORD = "idempotency_record"
log = logging.getLogger(__name__)

#: documented on each POST of the employer API (OpenAPI)
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": (
        "可选。重试同一请求时带上同一个键（如 UUID），只会执行一次：重试得到首次的响应，并带 "
        "`Idempotency-Replayed: true`；首次请求仍在处理时 409；同一个键用于不同请求时 422。"
        "键保留 24 小时，仅适用于用人单位 API 密钥调用。"
    ),
}


def service() -> IdempotencyService:
    return system().idempotency


def _applies() -> bool:
    return request.method == "POST" and request.path.startswith(PATH_PREFIX) and HEADER in request.headers


def before() -> Response | None:
    """Record the request, or answer it from its first run."""
    if not _applies():
        return None
    try:
        key = parse_key(request.headers.get(HEADER, ""))
    except ValidationError as exc:
        return problem(400, exc.message, code="idempotency_key_invalid", errors=exc.problems)
    try:
        caller = employer_key()
    except AuthenticationError:
        return None  # the view answers 401; nothing is recorded
    if caller is None:
        detail = f"{HEADER} 仅适用于以用人单位 API 密钥（Authorization: Bearer lcek_…）发起的调用"
        return problem(
            400, detail, code="idempotency_key_unsupported", errors=[FieldProblem(POINTER, detail)]
        )
    svc = service()
    api_key_id = svc.api_key_id(caller.key_id)
    if api_key_id is None:  # pragma: no cover - the key was just authenticated
        return None
    path = request.full_path.rstrip("?")
    sha = fingerprint(request.method, path, request.get_data(cache=True), is_json=request.is_json)
    outcome = svc.begin(api_key_id, key, request.method, path, sha)  # 409 / 422 raise to problems
    if isinstance(outcome, Begun):
        g.setdefault(_RECORD, outcome.record_id)
        return None
    body = outcome.body
    data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = Response(data, status=outcome.status)
    for name, value in outcome.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def after(response: Response) -> Response:
    """Keep the response of a recorded request (or forget the request after a server error)."""
    record_id: int | None = g.pop(_RECORD, None)
    if record_id is None:
        return response
    svc = service()
    try:
        if response.status_code >= 500 or response.status_code == 429:
            svc.abandon(record_id)
            return response
        svc.finish(record_id, response.status_code, _body(response), _headers(response))
    except Exception:  # the response stands; the record stays in flight until purged (see module)
        log.exception("could not keep the idempotent response of record %s", record_id)
    return response


def teardown(exc: BaseException | None) -> None:
    """An unhandled exception skipped `after`: forget the request so that a retry can run."""
    record_id: int | None = g.pop(_RECORD, None)
    if record_id is not None:
        try:
            service().abandon(record_id)
        except Exception:
            log.exception("could not abandon idempotency record %s", record_id)


def _body(response: Response) -> Any:
    if response.is_json:
        return response.get_json(silent=True)
    return response.get_data(as_text=True)


def _headers(response: Response) -> dict[str, str]:
    return {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}


class IdempotencyKeyPlugin(BasePlugin):
    """Documents the optional header on every POST of the employer API."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        post = (operations or {}).get("post")
        if path and path.startswith(PATH_PREFIX) and isinstance(post, dict):
            parameters = post.setdefault("parameters", [])
            if not any(isinstance(p, dict) and p.get("name") == HEADER for p in parameters):
                parameters.append(dict(PARAMETER))


def install(app: Flask, api: Api) -> None:
    """Hook the employer API's POSTs and document the header; call before registering blueprints."""
    plugin = IdempotencyKeyPlugin()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)
    app.before_request(before)
    app.after_request(after)
    app.teardown_request(teardown)
