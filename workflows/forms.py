"""Server-side validation of task form data against the task's JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from workflows.errors import FieldProblem, ValidationError

_FORMATS = FormatChecker()


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise SchemaError if `schema` is not a valid JSON Schema (2020-12)."""
    Draft202012Validator.check_schema(schema)
    if schema.get("type") != "object":
        raise SchemaError('a form schema must describe an object ("type": "object")')


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(schema: Mapping[str, Any], schema_key: str | None) -> Draft202012Validator:
    """A compiled validator, cached under `schema_key` (stable per definition version) when given."""
    key = schema_key or json.dumps(schema, sort_keys=True, ensure_ascii=False)
    validator = _VALIDATORS.get(key)
    if validator is None:
        if len(_VALIDATORS) > 1024:
            _VALIDATORS.clear()
        validator = _VALIDATORS[key] = Draft202012Validator(dict(schema), format_checker=_FORMATS)
    return validator


def _pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else ""


def validate_form(schema: Mapping[str, Any], data: Any, schema_key: str | None = None) -> dict[str, Any]:
    """Return `data` if it satisfies `schema`, else raise ValidationError listing every problem.

    Pointers are JSON pointers relative to the submitted form data.
    """
    if not isinstance(data, Mapping):
        raise ValidationError("表单数据必须是对象", [FieldProblem("", "expected an object")])
    validator = _validator(schema, schema_key)
    problems: list[FieldProblem] = []
    for err in sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.absolute_path)):
        path = list(err.absolute_path)
        if err.validator == "required" and isinstance(err.instance, Mapping):
            # jsonschema reports one error per missing name, each carrying the whole list
            name = next((r for r in err.validator_value if f"'{r}'" in err.message), None)
            missing = (
                [name] if name is not None else [r for r in err.validator_value if r not in err.instance]
            )
            problems.extend(FieldProblem(_pointer([*path, n]), f"{n} 为必填项") for n in missing)
            continue
        if err.validator == "additionalProperties":
            extras = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            for name in extras:
                problems.append(FieldProblem(_pointer([*path, name]), "表单中没有此字段"))
            continue
        problems.append(FieldProblem(_pointer(path), err.message))
    if problems:
        unique = list(dict.fromkeys(problems))  # one problem per pointer and message
        raise ValidationError("表单数据未通过校验", unique)
    return dict(data)
