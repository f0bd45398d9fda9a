"""Task forms from JSON Schema: arrays as numbered rows (award items, other arbitrators), read back typed."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from web.forms import ARRAY_ROWS, fields_of, read_form

SCHEMA = {
    "type": "object",
    "properties": {
        "award_items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "properties": {
                    "claim": {"title": "仲裁请求", "type": "string", "maxLength": 500},
                    "ruling": {"type": "string", "oneOf": [{"const": "granted"}, {"const": "dismissed"}]},
                    "amount": {"type": "number"},
                    "default": {"type": "boolean"},
                },
                "required": ["claim", "ruling"],
            },
        },
        "other_arbitrators": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "note": {"type": "string"},
    },
    "required": ["award_items"],
}


def test_arrays_are_rows_of_their_item_fields() -> None:
    items, others, note = fields_of(SCHEMA)
    assert items.widget == "rows" and items.rows == ARRAY_ROWS and items.required
    assert [(f.name, f.widget, f.required) for f in items.items] == [
        ("claim", "textarea", True),
        ("ruling", "select", True),
        ("amount", "number", False),
        ("default", "checkbox", False),
    ]
    assert others.widget == "rows" and others.rows == 2 and [f.name for f in others.items] == [""]
    assert note.widget == "text"


def test_posted_rows_are_typed_and_empty_rows_left_out() -> None:
    posted = MultiDict(
        {
            "award_items-0-claim": "支付工资",
            "award_items-0-ruling": "granted",
            "award_items-0-amount": "12000.5",
            "award_items-1-claim": "",  # an empty row (an unticked box posts nothing)
            "award_items-2-claim": "赔偿金",
            "award_items-2-ruling": "dismissed",
            "award_items-2-default": "on",
            "other_arbitrators-0": " 王仲裁 ",
            "other_arbitrators-1": "",
        }
    )
    assert read_form(SCHEMA, posted) == {
        "award_items": [
            {"claim": "支付工资", "ruling": "granted", "amount": 12000.5, "default": False},
            {"claim": "赔偿金", "ruling": "dismissed", "default": True},
        ],
        "other_arbitrators": ["王仲裁"],
    }


def test_no_rows_posted_leaves_the_array_out_for_the_schema_to_require() -> None:
    assert read_form(SCHEMA, MultiDict({"note": "x", "award_items-0-amount": ""})) == {"note": "x"}
