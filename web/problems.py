"""RFC 9457 problem details: one place that turns domain errors into HTTP responses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, json

from workflows.access import CaseAccessDeniedError
from workflows.calendar import CalendarNotAvailableError
from workflows.errors import (
    AuthenticationError,
    ConflictError,
    DefinitionError,
    EngineError,
    FieldProblem,
    FileTooLargeError,
    IntegrityCheckError,
    LaborcaseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SmsUnavailableError,
    StorageUnavailableError,
    ValidationError,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://laborcase.example/problems/"

TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权操作",
    404: "未找到",
    405: "不支持的方法",
    409: "操作冲突",
    413: "内容过大",
    415: "不支持的内容类型",
    422: "数据未通过校验",
    429: "请求过多",
    500: "服务器内部错误",
    503: "暂不可用",
}


def status_for(error: LaborcaseError) -> int:
    # A case the actor may not even read is reported as absent: do not reveal that it exists.
    if isinstance(error, CaseAccessDeniedError) and error.action == "read":
        return 404
    for kind, status in (
        (FileTooLargeError, 413),
        (ValidationError, 422),
        (NotFoundError, 404),
        (ConflictError, 409),
        (AuthenticationError, 401),
        (PermissionDeniedError, 403),
        (DefinitionError, 422),
        (CalendarNotAvailableError, 503),
        (EngineError, 409),
        (RateLimitedError, 429),
        (SmsUnavailableError, 503),
        (StorageUnavailableError, 503),
        (IntegrityCheckError, 500),  # a stored object no longer matches its hash: ours to fix
    ):
        if isinstance(error, kind):
            return status
    return 400


def problem(
    status: int,
    detail: str,
    *,
    code: str = "error",
    errors: Iterable[FieldProblem] = (),
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace("_", "-"),
        "title": TITLES.get(status, "错误"),
        "status": status,
        "detail": detail,
    }
    problems = [{"pointer": p.pointer, "detail": p.message} for p in errors]
    if problems:
        body["errors"] = problems
    if extra:
        body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="laborcase"'
    return response


def problem_from_error(error: LaborcaseError) -> Response:
    status = status_for(error)
    if isinstance(error, CaseAccessDeniedError) and error.action == "read":
        return problem(404, "案件不存在或无权查看", code="not_found")
    extra: dict[str, Any] = {}
    if isinstance(error, DefinitionError):
        extra = {"file": error.file, "element_id": error.element_id, "process": error.process}
    if isinstance(error, RateLimitedError):
        extra = {"retry_after": error.retry_after}
    if isinstance(error, FileTooLargeError):
        extra = {"max_bytes": error.limit}
    errors = error.problems if isinstance(error, ValidationError) else ()
    response = problem(status, error.message, code=error.code, errors=errors, extra=extra)
    if isinstance(error, RateLimitedError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def pointers_from_marshmallow(messages: Any, prefix: str = "") -> list[FieldProblem]:
    """Flatten marshmallow's nested {field: [msg]} (per location) into JSON-pointer problems."""
    out: list[FieldProblem] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            out += pointers_from_marshmallow(value, f"{prefix}/{token}")
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out += [FieldProblem(prefix, m) for m in messages]
        else:
            for m in messages:
                out += pointers_from_marshmallow(m, prefix)
    else:
        out.append(FieldProblem(prefix, str(messages)))
    return out
