"""Render a task's JSON Schema as HTML form fields and read the posted values back into typed data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # text, textarea, number, integer, checkbox, select, date
    required: bool
    description: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)


def _options(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    if "enum" in spec:
        labels = spec.get("x-labels") or {}
        return [(str(v), str(labels.get(str(v), v))) for v in spec["enum"]]
    return [(str(o["const"]), str(o.get("title", o["const"]))) for o in spec.get("oneOf", []) if "const" in o]


def fields_of(schema: Mapping[str, Any] | None) -> list[FormField]:
    """The top-level fields of an object schema, in declaration order."""
    if not schema:
        return []
    required = set(schema.get("required", []))
    out = []
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        options = _options(spec)
        if options:
            widget = "select"
        elif kind == "boolean":
            widget = "checkbox"
        elif kind in ("integer", "number"):
            widget = kind
        elif spec.get("format") == "date":
            widget = "date"
        elif kind == "string" and spec.get("maxLength", 0) > 200:
            widget = "textarea"
        else:
            widget = "text"
        out.append(
            FormField(
                name,
                str(spec.get("title", name)),
                widget,
                name in required,
                spec.get("description", ""),
                options,
            )
        )
    return out


def read_form(schema: Mapping[str, Any] | None, posted: MultiDict[str, str]) -> dict[str, Any]:
    """Typed values from a posted form; what cannot be typed is passed on for the schema to reject."""
    data: dict[str, Any] = {}
    props = (schema or {}).get("properties", {})
    for f in fields_of(schema):
        spec = props[f.name]
        kind = spec.get("type")
        if f.widget == "checkbox":
            data[f.name] = f.name in posted
            continue
        raw = posted.get(f.name, "").strip()
        if raw == "":
            continue
        if kind == "integer":
            try:
                data[f.name] = int(raw)
            except ValueError:
                data[f.name] = raw
        elif kind == "number":
            try:
                data[f.name] = float(raw)
            except ValueError:
                data[f.name] = raw
        elif kind == "boolean":
            data[f.name] = raw in ("true", "1", "on")
        else:
            data[f.name] = raw
    return data
