"""Render a task's JSON Schema as HTML form fields and read the posted values back into typed data.

Arrays are a fixed number of rows without JavaScript (like the portal's claim rows): an array of
objects posts `<name>-<row>-<field>` (award items), an array of plain values `<name>-<row>`
(other arbitrators); empty rows are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

#: rows shown for an array field (at least its minItems, at most its maxItems)
ARRAY_ROWS = 3
#: rows read back at most when the schema sets no maxItems
MAX_ROWS = 50


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # text, textarea, number, integer, checkbox, select, date; rows (array)
    required: bool
    description: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    #: widget "rows": the fields of one row (a single one named "" for an array of plain values)
    items: list[FormField] = field(default_factory=list)
    rows: int = 0


def _options(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    if "enum" in spec:
        labels = spec.get("x-labels") or {}
        return [(str(v), str(labels.get(str(v), v))) for v in spec["enum"]]
    return [(str(o["const"]), str(o.get("title", o["const"]))) for o in spec.get("oneOf", []) if "const" in o]


def _field(name: str, spec: Mapping[str, Any], required: bool) -> FormField:
    kind = spec.get("type")
    options = _options(spec)
    items: list[FormField] = []
    rows = 0
    if options:
        widget = "select"
    elif kind == "array":
        widget = "rows"
        item = spec.get("items") or {}
        items = fields_of(item) if item.get("type") == "object" else [_field("", item, False)]
        rows = max(spec.get("minItems", 0), min(spec.get("maxItems", ARRAY_ROWS), ARRAY_ROWS))
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
    return FormField(
        name,
        str(spec.get("title", name)),
        widget,
        required,
        spec.get("description", ""),
        options,
        items,
        rows,
    )


def fields_of(schema: Mapping[str, Any] | None) -> list[FormField]:
    """The top-level fields of an object schema, in declaration order."""
    if not schema:
        return []
    required = set(schema.get("required", []))
    return [
        _field(name, spec, name in required)
        for name, spec in schema.get("properties", {}).items()
        if not spec.get("readOnly")  # the system fills it (e.g. the booked hearing room)
    ]


def _typed(spec: Mapping[str, Any], raw: str) -> Any:
    kind = spec.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return raw in ("true", "1", "on")
    return raw


def _rows(spec: Mapping[str, Any], f: FormField, posted: MultiDict[str, str]) -> list[Any]:
    """The non-empty rows of an array field, typed."""
    item = spec.get("items") or {}
    out: list[Any] = []
    for i in range(spec.get("maxItems", MAX_ROWS)):
        if item.get("type") != "object":
            raw = posted.get(f"{f.name}-{i}", "").strip()
            if raw:
                out.append(_typed(item, raw))
            continue
        prefix = f"{f.name}-{i}-"
        row = read_form(item, MultiDict([(k[len(prefix) :], v) for k, v in posted.items(multi=True)
                                         if k.startswith(prefix)]))  # fmt: skip
        if any(v is not False for v in row.values()):  # an unticked box alone is an empty row
            out.append(row)
    return out


def read_form(schema: Mapping[str, Any] | None, posted: MultiDict[str, str]) -> dict[str, Any]:
    """Typed values from a posted form; what cannot be typed is passed on for the schema to reject."""
    data: dict[str, Any] = {}
    props = (schema or {}).get("properties", {})
    for f in fields_of(schema):
        spec = props[f.name]
        if f.widget == "checkbox":
            data[f.name] = f.name in posted
            continue
        if f.widget == "rows":
            rows = _rows(spec, f, posted)
            if rows:
                data[f.name] = rows
            continue
        raw = posted.get(f.name, "").strip()
        if raw != "":
            data[f.name] = _typed(spec, raw)
    return data
