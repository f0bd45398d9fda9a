"""What the portal's forms share: domain problems by field name."""

from __future__ import annotations

from collections.abc import Iterable

from workflows.errors import FieldProblem


def field_errors(problems: Iterable[FieldProblem]) -> dict[str, list[str]]:
    """Problems by form field: the pointer /claims/2/amount is the field claims-2-amount."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.pointer.strip("/").replace("/", "-") or "form", []).append(p.message)
    return errors
